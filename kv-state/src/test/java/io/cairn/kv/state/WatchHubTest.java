package io.cairn.kv.state;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.cairn.common.Bytes;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The hub's history, resumption and cut-offs, on a direct executor: every send happens at once. */
class WatchHubTest {
    /** The hub's clock, in nanoseconds: moved by hand. */
    private final java.util.concurrent.atomic.AtomicLong clock = new java.util.concurrent.atomic.AtomicLong(1_000_000_000L);
    /** What a sink received, and whether it takes more. */
    private static final class Recording implements WatchHub.Sink {
        final List<Long> revisions = new ArrayList<>();
        final List<Long> progress = new ArrayList<>();
        String cancelled;
        long resumeAt;
        boolean full;

        @Override
        public boolean send(List<WatchEvent> events, long progressRevision) {
            if (full) {
                return false;
            }
            events.forEach(e -> revisions.add(e.revision()));
            progress.add(progressRevision);
            return true;
        }

        @Override
        public void cancelled(String reason, long nextRevision, boolean tooSlow) {
            cancelled = reason;
            resumeAt = nextRevision;
        }
    }

    private static WatchEvent put(long revision, String key) {
        return new WatchEvent(WatchEvent.Type.PUT, revision, Bytes.utf8(key),
                new KeyValue(Bytes.utf8(key), Bytes.utf8("v" + revision), revision, revision, 1, 0));
    }

    private static KeyRange prefix(String p) {
        return KeyRange.prefix(Bytes.utf8(p));
    }

    @Test
    void aWatcherGetsTheHistoryFromItsRevisionThenEveryMatchingChangeOnce() throws Exception {
        WatchHub hub = new WatchHub(0, Runnable::run, new WatchRetention(100, 1 << 20, 0), 1 << 20, clock::get);
        hub.published(List.of(put(1, "a/1"), put(2, "b/1")), 2);
        hub.published(List.of(put(3, "a/2")), 3);
        Recording r = new Recording();
        hub.watch(prefix("a/"), 2, r);
        hub.published(List.of(put(4, "a/3"), put(5, "b/2")), 5);
        hub.published(List.of(), 6);
        hub.progress();

        assertThat(r.revisions).containsExactly(3L, 4L);
        assertThat(r.progress).last().isEqualTo(6L);
    }

    @Test
    void aRevisionOlderThanTheRetainedHistoryIsCompactedNamingTheOldest() throws Exception {
        WatchHub hub = new WatchHub(10, Runnable::run, new WatchRetention(3, 1 << 20, 0), 1 << 20, clock::get);
        assertThat(hub.oldestRevision()).as("after a restart: from the applied index on").isEqualTo(11);
        for (long rev = 11; rev <= 16; rev++) {
            hub.published(List.of(put(rev, "k")), rev);
        }
        assertThat(hub.oldestRevision()).isEqualTo(14);
        assertThatThrownBy(() -> hub.watch(prefix(""), 13, new Recording()))
                .isInstanceOf(WatchHub.CompactedException.class).hasMessageContaining("oldest this replica still has is 14");
        Recording r = new Recording();
        hub.watch(prefix(""), 14, r);
        assertThat(r.revisions).containsExactly(14L, 15L, 16L);
    }

    @Test
    void largeValuesLeaveTheHistoryByBytes() {
        WatchHub hub = new WatchHub(0, Runnable::run, new WatchRetention(1_000, 200, 0), 1 << 20, clock::get);
        for (long rev = 1; rev <= 10; rev++) {
            hub.published(List.of(put(rev, "k")), rev);
        }
        assertThat(hub.history().size()).isLessThan(10);
        assertThat(hub.oldestRevision()).isEqualTo(hub.history().get(0).revision());
    }

    @Test
    void changesOlderThanTheAgeLimitLeaveEvenWithoutNewOnes() throws Exception {
        WatchHub hub = new WatchHub(0, Runnable::run, new WatchRetention(1_000, 1 << 20, 1_000), 1 << 20,
                clock::get);
        hub.published(List.of(put(1, "a")), 1);
        clock.addAndGet(600_000_000L);
        hub.published(List.of(put(2, "b")), 2);
        clock.addAndGet(500_000_000L);
        hub.progress();
        assertThat(hub.history()).as("1.1 s old: gone; 0.5 s old: kept").extracting(WatchEvent::revision).containsExactly(2L);
        assertThatThrownBy(() -> hub.watch(prefix(""), 1, new Recording()))
                .isInstanceOf(WatchHub.CompactedException.class).hasMessageContaining("oldest this replica still has is 2");
        clock.addAndGet(600_000_000L);
        hub.progress();
        assertThat(hub.history()).isEmpty();
        assertThat(hub.oldestRevision()).isEqualTo(3);
    }

    @Test
    void anExpireEntryLeavesTheHistoryWhole() {
        WatchHub hub = new WatchHub(0, Runnable::run, new WatchRetention(2, 1 << 20, 0), 1 << 20, clock::get);
        hub.published(List.of(put(1, "a"), put(1, "b"), put(1, "c")), 1);
        hub.published(List.of(put(2, "d")), 2);
        assertThat(hub.history()).extracting(WatchEvent::revision).containsExactly(2L);
        assertThat(hub.oldestRevision()).isEqualTo(2);
    }

    @Test
    void aWatcherTooFarBehindIsCutOffWithTheRevisionToResumeFrom() throws Exception {
        WatchHub hub = new WatchHub(0, Runnable::run, new WatchRetention(1_000, 1 << 20, 0), 500, clock::get);
        Recording r = new Recording();
        hub.watch(prefix(""), 0, r);
        hub.published(List.of(put(1, "a")), 1);
        r.full = true;
        for (long rev = 2; rev <= 40; rev++) {
            hub.published(List.of(put(rev, "a")), rev);
        }
        assertThat(r.cancelled).contains("bytes behind");
        assertThat(r.resumeAt).isEqualTo(2);
        assertThat(hub.watcherCount()).isZero();
    }

    @Test
    void aSnapshotPastAWatcherEndsItAtItsNextRevision() throws Exception {
        WatchHub hub = new WatchHub(0, Runnable::run, new WatchRetention(100, 1 << 20, 0), 1 << 20, clock::get);
        Recording r = new Recording();
        hub.watch(prefix(""), 0, r);
        hub.published(List.of(put(1, "a")), 1);
        hub.snapshotInstalled(50);
        assertThat(r.cancelled).contains("snapshot");
        assertThat(r.resumeAt).isEqualTo(2);
        assertThat(hub.oldestRevision()).isEqualTo(51);
    }

    /** Seen in the fault suite: a watcher on a replica removed from its group waited for ever. */
    @Test
    void aReplicaThatLeftItsGroupSendsItsWatchersElsewhereAndTakesNoNewOnes() throws Exception {
        WatchHub hub = new WatchHub(0, Runnable::run, new WatchRetention(100, 1 << 20, 0), 1 << 20, clock::get);
        Recording r = new Recording();
        hub.watch(prefix(""), 0, r);
        hub.published(List.of(put(1, "a")), 1);
        hub.serving(false, "n3 is no longer in shard 2's configuration");
        assertThat(r.cancelled).contains("no longer in shard 2");
        assertThat(r.resumeAt).isEqualTo(2);
        assertThatThrownBy(() -> hub.watch(prefix(""), 0, new Recording())).isInstanceOf(WatchHub.NotServingException.class);
        hub.serving(true, null);
        hub.watch(prefix(""), 2, new Recording());
        assertThat(hub.watcherCount()).isEqualTo(1);
    }

    @Test
    void aReplicaWithoutALeaderForLongerThanTheLimitSendsItsWatchersElsewhereAndStillTakesNewOnes() throws Exception {
        WatchHub hub = new WatchHub(0, Runnable::run, new WatchRetention(100, 1 << 20, 0), 1 << 20, clock::get);
        long limit = 3_000_000_000L;
        Recording r = new Recording();
        hub.watch(prefix(""), 0, r);
        hub.published(List.of(put(1, "a")), 1);
        hub.progress(false, limit); // the first round without a leader
        clock.addAndGet(limit);
        hub.progress(false, limit);
        assertThat(r.cancelled).as("exactly the limit is not past it").isNull();
        clock.addAndGet(1);
        hub.progress(true, limit);
        clock.addAndGet(limit * 2);
        hub.progress(false, limit);
        assertThat(r.cancelled).as("a leader known in between starts the count again").isNull();
        clock.addAndGet(limit + 1);
        hub.progress(false, limit);
        assertThat(r.cancelled).contains("known no leader");
        assertThat(r.resumeAt).isEqualTo(2);
        Recording next = new Recording();
        hub.watch(prefix(""), 2, next);
        assertThat(hub.watcherCount()).as("it still takes watchers").isEqualTo(1);
        clock.addAndGet(1_000_000_000L);
        hub.progress(false, limit);
        assertThat(next.cancelled).as("and sends them on at the next round while it still knows no leader").isNotNull();
    }
}
