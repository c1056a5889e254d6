package io.cairn.multiraft;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** When a replica answers the requests waiting on it: the rules the server and the simulator share. */
class PendingRequestsTest {
    /** Everything that happened to the requests, in order. */
    private final List<String> log = new ArrayList<>();
    private final PendingRequests<String, String> pending = new PendingRequests<>(new PendingRequests.Answers<>() {
        @Override
        public void writeFailed(String write, PendingRequests.Failure why) {
            log.add(write + " " + why);
        }

        @Override
        public void readFailed(String read, PendingRequests.Failure why) {
            log.add(read + " " + why);
        }
    });

    @Test
    void aWriteIsAnsweredWhenItsOwnEntryIsAppliedAndLostWhenAnotherTermTookItsIndex() {
        pending.proposed(5, 2, 100, "w5");
        pending.proposed(6, 2, 100, "w6");
        pending.applied(5, 2, w -> log.add(w + " written"));
        pending.applied(6, 3, w -> log.add(w + " written"));
        assertThat(log).containsExactly("w5 written", "w6 LOST");
        assertThat(pending.size()).isZero();
    }

    @Test
    void aWriteDisplacedFromItsIndexLosesItAndSkippedOrSnapshottedWritesAreUnknown() {
        pending.proposed(5, 2, 100, "old");
        pending.proposed(5, 3, 100, "new");
        pending.proposed(7, 3, 100, "w7");
        pending.proposed(9, 3, 100, "w9");
        pending.applied(8, 3, w -> log.add(w + " written"));
        pending.snapshotInstalled(9);
        assertThat(log).containsExactly("old LOST", "new UNKNOWN", "w7 UNKNOWN", "w9 UNKNOWN");
    }

    @Test
    void steppingDownFailsWritesAsUnknownAndUnconfirmedReadsAsNotLeaderButKeepsConfirmedReads() {
        pending.proposed(5, 2, 100, "w5");
        pending.readRequested(1, 0, 100, "r1");
        pending.readRequested(2, 0, 100, "r2");
        pending.readConfirmed(2, 4);
        pending.steppedDown();
        assertThat(log).containsExactly("w5 UNKNOWN", "r1 NOT_LEADER");
        pending.serveConfirmed(4, r -> log.add(r + " served"));
        assertThat(log).endsWith("r2 served");
    }

    @Test
    void confirmedReadsAreServedOnceTheirIndexIsAppliedLowestFirstThenInConfirmationOrder() {
        pending.readRequested(1, 0, 100, "a");
        pending.readRequested(2, 0, 100, "b");
        pending.readRequested(3, 0, 100, "c");
        pending.readConfirmed(3, 7);
        pending.readConfirmed(2, 9);
        pending.readConfirmed(1, 7);
        pending.serveConfirmed(8, r -> log.add(r));
        assertThat(log).containsExactly("c", "a");
        pending.serveConfirmed(9, r -> log.add(r));
        assertThat(log).containsExactly("c", "a", "b");
    }

    @Test
    void requestsPastTheirDeadlineTimeOutAndTheRestWait() {
        pending.proposed(5, 2, 10, "w5");
        pending.proposed(6, 2, 30, "w6");
        pending.readRequested(1, 0, 10, "r1");
        pending.readRequested(2, 0, 10, "r2");
        pending.readConfirmed(2, 3);
        pending.expire(10);
        assertThat(log).as("a deadline is the last instant that is still in time").isEmpty();
        pending.expire(11);
        assertThat(log).containsExactly("w5 TIMED_OUT", "r1 TIMED_OUT", "r2 TIMED_OUT");
        assertThat(pending.size()).isEqualTo(1);
    }

    @Test
    void failAllHandsEveryWaiterToTheHostAndForgetDropsThemSilently() {
        pending.proposed(5, 2, 100, "w5");
        pending.readRequested(1, 0, 100, "r1");
        List<String> failed = new ArrayList<>();
        pending.failAll(failed::add, failed::add);
        assertThat(failed).containsExactly("w5", "r1");
        pending.proposed(6, 2, 100, "w6");
        pending.forget();
        assertThat(pending.size()).isZero();
        assertThat(log).isEmpty();
    }

    @Test
    void aFollowerWhoseLeaderChangedFailsTheReadsTheOldLeaderWillNeverConfirm() {
        pending.readRequested(1, 0, 100, "r1");
        pending.readRequested(2, 0, 100, "r2");
        pending.readConfirmed(2, 4);
        pending.leaderChanged();
        assertThat(log).containsExactly("r1 NOT_LEADER");
        assertThat(pending.size()).isEqualTo(1);
    }

    @Test
    void observingTheRoleAndLeaderEachRoundReleasesOnAStepDownOrALeaderChange() {
        io.cairn.common.NodeId n1 = io.cairn.common.NodeId.of(1);
        io.cairn.common.NodeId n2 = io.cairn.common.NodeId.of(2);
        pending.observe(true, n1);
        pending.proposed(5, 2, 100, "w5");
        pending.observe(true, n1);
        assertThat(log).isEmpty();
        pending.observe(false, n2);
        assertThat(log).containsExactly("w5 UNKNOWN");
        pending.readRequested(1, 0, 100, "r1");
        pending.observe(false, null);
        assertThat(log).containsExactly("w5 UNKNOWN", "r1 NOT_LEADER");
    }

    @Test
    void aServedConfirmedReadProvesFreshnessFromItsRequestTimeAndBoundedReadsFollowIt() {
        assertThat(pending.boundedRead(1_000, 500)).as("nothing confirmed yet").isEqualTo(PendingRequests.BoundedRead.CONFIRM);
        pending.readRequested(1, 1_000, 9_999, "r1");
        pending.readConfirmed(1, 7);
        pending.serveConfirmed(6, r -> log.add(r));
        assertThat(pending.freshSince()).as("confirmed but not yet applied proves nothing").isEqualTo(Long.MIN_VALUE);
        pending.serveConfirmed(7, r -> log.add(r));
        assertThat(pending.freshSince()).isEqualTo(1_000);
        assertThat(pending.boundedRead(1_200, 500)).isEqualTo(PendingRequests.BoundedRead.SERVE_LOCAL);
        assertThat(pending.boundedRead(1_251, 500)).isEqualTo(PendingRequests.BoundedRead.SERVE_LOCAL_AND_REFRESH);
        assertThat(pending.boundedRead(1_500, 500)).as("the bound itself is still in").isEqualTo(PendingRequests.BoundedRead.SERVE_LOCAL_AND_REFRESH);
        assertThat(pending.boundedRead(1_501, 500)).isEqualTo(PendingRequests.BoundedRead.CONFIRM);
        pending.readRequested(2, 1_300, 9_999, "r2");
        assertThat(pending.boundedRead(1_400, 500)).as("a confirmation is already under way")
                .isEqualTo(PendingRequests.BoundedRead.SERVE_LOCAL);
    }

    @Test
    void freshnessNeverGoesBackAndAProcessRestartForgetsIt() {
        pending.readRequested(1, 2_000, 9_999, "late");
        pending.readRequested(2, 1_000, 9_999, "early");
        pending.readConfirmed(1, 5);
        pending.readConfirmed(2, 6);
        pending.serveConfirmed(6, r -> log.add(r));
        assertThat(pending.freshSince()).as("the later request time wins, whatever the serving order").isEqualTo(2_000);
        pending.steppedDown();
        assertThat(pending.freshSince()).as("a fact about the applied state, not the role").isEqualTo(2_000);
        pending.forget();
        assertThat(pending.freshSince()).isEqualTo(Long.MIN_VALUE);
    }
}
