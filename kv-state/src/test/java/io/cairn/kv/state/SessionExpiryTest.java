package io.cairn.kv.state;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The leader's rule for ending lock sessions, at times in milliseconds (as nanoseconds). */
class SessionExpiryTest {
    private static final long MS = 1_000_000L;
    private final SessionExpiry expiry = new SessionExpiry();
    private final Map<Long, Long> seen = new HashMap<>();

    private List<Long> due(long nowMs) {
        expiry.tick(nowMs * MS);
        return expiry.due(nowMs * MS, id -> seen.getOrDefault(id, Long.MIN_VALUE), 100);
    }

    private void keepalive(long id, long atMs) {
        seen.put(id, atMs * MS);
    }

    @Test
    void aSessionWithoutKeepalivesEndsItsTtlAfterLeadershipBegan() {
        expiry.track(1, 1_000, 0);
        expiry.becameLeader(500 * MS);

        assertThat(due(1_000)).isEmpty();
        assertThat(due(1_499)).isEmpty();
        assertThat(due(1_500)).containsExactly(1L);
    }

    @Test
    void keepalivesPushTheEndBack() {
        expiry.becameLeader(0);
        expiry.track(1, 1_000, 0);
        for (long t = 0; t <= 5_000; t += 300) {
            keepalive(1, t);
            assertThat(due(t)).as("at %s", t).isEmpty();
        }
        assertThat(due(5_700)).isEmpty();
        assertThat(due(5_800)).containsExactly(1L);
    }

    @Test
    void aNewLeaderGivesEverySessionAFullTtlAgain() {
        expiry.becameLeader(0);
        expiry.track(1, 1_000, 0);
        keepalive(1, 100);
        expiry.becameLeader(1_000 * MS);

        assertThat(due(1_100)).isEmpty();
        assertThat(due(1_999)).isEmpty();
        assertThat(due(2_000)).containsExactly(1L);
    }

    @Test
    void aPausedNodeTrustsNothingItSawBeforeThePause() {
        expiry.becameLeader(0);
        expiry.track(1, 1_000, 0);
        due(500);

        assertThat(due(500 + SessionExpiry.PAUSE_NANOS / MS + 1_000)).as("just woke up: keep-alives may be unread")
                .isEmpty();
    }

    @Test
    void aForgottenSessionIsNeverDueAndAnUnendedOneIsAskedAgainATtlLater() {
        expiry.becameLeader(0);
        expiry.track(1, 1_000, 0);
        expiry.track(2, 1_000, 0);
        expiry.forget(2);

        assertThat(due(1_000)).containsExactly(1L);
        assertThat(due(1_500)).isEmpty();
        assertThat(due(2_000)).as("its end was lost: ask again").containsExactly(1L);
        assertThat(expiry.size()).isEqualTo(1);
    }
}
