package io.cairn.placement;

import static org.assertj.core.api.Assertions.assertThat;

import io.cairn.common.GroupId;
import io.cairn.common.NodeId;
import io.cairn.consensus.ConfState;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

class ReplicaLifecycleTest {
    private static final NodeId N4 = NodeId.of(4);
    private static final GroupId G = ShardGroups.groupOfShard(0);
    private static final long GRACE = 300;
    private static final long UNKNOWN = ReplicaLifecycle.ADDED_BY_UNKNOWN;

    /** Five members, one shard: a placement in which n4 holds nothing. */
    private static final Topology WITHOUT_N4 = Topology.derive(3, List.of(
            new MemberInfo(NodeId.of(1), "a", "", MemberInfo.State.UP),
            new MemberInfo(NodeId.of(2), "b", "", MemberInfo.State.UP),
            new MemberInfo(NodeId.of(3), "c", "", MemberInfo.State.UP),
            new MemberInfo(N4, "d", "", MemberInfo.State.LEAVING)), 2);

    private static Optional<ReplicaLifecycle.LeaderReport> report(long applied, long ageMillis) {
        return Optional.of(new ReplicaLifecycle.LeaderReport(8, applied,
                ConfState.ofVoters(NodeId.of(1), NodeId.of(2), NodeId.of(3)), ageMillis));
    }

    @Test
    void aRemovedReplicaGoesOnceItsLeadersConfigurationHasHeld() {
        ConfState own = ConfState.ofVoters(NodeId.of(1), NodeId.of(2), N4);
        assertThat(ReplicaLifecycle.shouldDrop(WITHOUT_N4, G, N4, 8, 40, report(41, GRACE), GRACE, own, 0, UNKNOWN)).isTrue();
        assertThat(ReplicaLifecycle.shouldDrop(WITHOUT_N4, G, N4, 8, 40, report(41, GRACE - 1), GRACE, own, 0, UNKNOWN))
                .as("the leader may die before its followers learn the change").isFalse();
        assertThat(ReplicaLifecycle.shouldDrop(WITHOUT_N4, G, N4, 8, 40, report(39, GRACE), GRACE, own, 0, UNKNOWN))
                .as("a report older than what the replica knows").isFalse();
        assertThat(ReplicaLifecycle.shouldDrop(WITHOUT_N4, G, N4, 9, 40, report(41, GRACE), GRACE, own, 0, UNKNOWN))
                .as("the replica has entries of a newer leader").isFalse();
    }

    /** Found by the sharded simulator (seed 200108): the report predated the replica's addition. */
    @Test
    void aReplicaThatHasNotAppliedItsAdditionStaysUnlessLongForgotten() {
        ConfState notYet = ConfState.ofVoters(NodeId.of(1), NodeId.of(2), NodeId.of(3));
        assertThat(ReplicaLifecycle.shouldDrop(WITHOUT_N4, G, N4, 8, 9, report(9, GRACE), GRACE, notYet, GRACE, UNKNOWN)).isFalse();
        long forgotten = ReplicaLifecycle.UNADDED_DROP_FACTOR * GRACE;
        assertThat(ReplicaLifecycle.shouldDrop(WITHOUT_N4, G, N4, 8, 9, report(9, GRACE), GRACE, notYet, forgotten, UNKNOWN)).isTrue();
    }

    /**
     * One drop decision for n4, which the placement no longer has: what n4's replica knows of
     * itself, and its leader's last report (configuration without n4, so "removed" if trusted).
     */
    private record DropRow(String scenario, long lastLogTerm, long commitIndex, ConfState own, long outsideOwnConfMillis,
                           long addedByIndex, long reportTerm, long reportApplied, long reportConfAgeMillis,
                           boolean dropped) {
        DropRow(String scenario, long lastLogTerm, long commitIndex, ConfState own, long outsideOwnConfMillis,
                long reportTerm, long reportApplied, long reportConfAgeMillis, boolean dropped) {
            this(scenario, lastLogTerm, commitIndex, own, outsideOwnConfMillis, UNKNOWN, reportTerm, reportApplied,
                    reportConfAgeMillis, dropped);
        }
    }

    private static void assertDropDecisions(List<DropRow> rows) {
        List<String> wrong = new ArrayList<>();
        for (DropRow row : rows) {
            boolean dropped = ReplicaLifecycle.shouldDrop(WITHOUT_N4, G, N4, row.lastLogTerm(), row.commitIndex(),
                    Optional.of(new ReplicaLifecycle.LeaderReport(row.reportTerm(), row.reportApplied(),
                            ConfState.ofVoters(NodeId.of(1), NodeId.of(2), NodeId.of(3)), row.reportConfAgeMillis())),
                    GRACE, row.own(), row.outsideOwnConfMillis(), row.addedByIndex());
            if (dropped != row.dropped()) {
                wrong.add(row.scenario() + ": expected " + (row.dropped() ? "dropped" : "kept") + ", got the opposite");
            }
        }
        assertThat(wrong).as("rows decided wrongly").isEmpty();
    }

    /**
     * Sharded simulator seed 302635: n4 had been a voter of the group long ago (index 20), left
     * it, and was added again as a learner at index 490. Its new, empty replica replays the log
     * from the start: at index 30 it has applied the old configuration that names it. Its
     * leader's last report was taken at 480, before the new addition, with a configuration
     * without n4 long held. Nothing n4 applied orders that report before its addition; the
     * leader's appends do: their commit index was at least 490 (the leader sends to a member
     * only once it applied its addition).
     */
    @Test
    void aReplayingReplicaIsNotDroppedOnAReportFromBeforeItsNewAddition() {
        ConfState old = ConfState.ofVoters(NodeId.of(1), NodeId.of(2), N4);
        long forgotten = ReplicaLifecycle.UNADDED_DROP_FACTOR * GRACE;
        assertDropDecisions(List.of(
                new DropRow("no evidence kept (the rule before the fix): dropped", 1, 30, old, 0, UNKNOWN,
                        8, 480, 10 * GRACE, true),
                new DropRow("a leader's append announced commit 495: report at 480 is older", 1, 30, old, 0, 495,
                        8, 480, 10 * GRACE, false),
                new DropRow("report at 495 or later: after the addition, so a removal", 1, 30, old, 0, 495,
                        8, 500, 10 * GRACE, true),
                new DropRow("opened, no append yet (a snapshot only): kept", 1, 30, old, 0, 0,
                        8, 480, 10 * GRACE, false),
                new DropRow("opened, no append for 20 graces: a move called off, dropped", 1, 30, old, forgotten, 0,
                        8, 480, 10 * GRACE, true)));
    }

    /** Sharded simulator seed 68: a leader report from before n4 was added read as its removal. */
    @Test
    void aReportFromBeforeAReplicaWasAddedNeverDropsIt() {
        // n4 was added as a learner at index 10 and applied it; the joint change making it a voter
        // (index 12) has committed too, so its commit index is 12. Its leader's last report was
        // taken at index 9, before the addition, with a configuration long held.
        ConfState promoting = new ConfState(new TreeSet<>(List.of(NodeId.of(1), NodeId.of(2), N4)),
                new TreeSet<>(List.of(NodeId.of(1), NodeId.of(2), NodeId.of(3))), new TreeSet<>());
        assertDropDecisions(List.of(
                new DropRow("report at 9, before the addition at 10", 8, 12, promoting, 0, 8, 9, 10 * GRACE, false),
                new DropRow("report at 11, before the commit n4 knows", 8, 12, promoting, 0, 8, 11, 10 * GRACE, false),
                new DropRow("report at 12: as new as what n4 knows, so trusted", 8, 12, promoting, 0, 8, 12, 10 * GRACE, true),
                new DropRow("report at 30, a later removal", 8, 12, promoting, 0, 8, 30, 10 * GRACE, true)));
    }

    /**
     * Sharded simulator seeds 1145 and 1651: the leader died right after reporting the change
     * that removed n4, before its followers learned it had committed.
     */
    @Test
    void anOutgoingVoterIsDroppedOnlyOnceItsLeaderHasHeldTheNewConfigurationForThreeElectionTimeouts() {
        // n4 was the outgoing voter of a joint change and still applies the joint configuration,
        // in which the other members may campaign and need its vote. GRACE stands for
        // DROP_AFTER_ELECTION_TIMEOUTS election timeouts of 100 ms.
        ConfState leaving = new ConfState(new TreeSet<>(List.of(NodeId.of(1), NodeId.of(2), NodeId.of(3))),
                new TreeSet<>(List.of(NodeId.of(1), NodeId.of(2), N4)), new TreeSet<>());
        assertDropDecisions(List.of(
                new DropRow("configuration just committed", 8, 20, leaving, 0, 8, 21, 0, false),
                new DropRow("held for two election timeouts", 8, 20, leaving, 0, 8, 21, 200, false),
                new DropRow("held for just under three", 8, 20, leaving, 0, 8, 21, GRACE - 1, false),
                new DropRow("held for three", 8, 20, leaving, 0, 8, 21, GRACE, true)));
    }

    /**
     * Found by the sharded simulator (no seed recorded): a removed replica that campaigned alone
     * raised its own term above its leader's, and the report never looked new enough. The rule
     * compares the report with the term of the replica's last entry. That the host passes exactly
     * that, not the current term, is pinned by HostControlTest; this is the rule's side.
     */
    @Test
    void aRemovedReplicaIsJudgedByItsLastEntrysTermNotTheTermItCampaignedTo() {
        // Cut off before it applied its removal, n4 still runs the old configuration and campaigns
        // (its current term climbs past 8); the leader reports from term 8.
        ConfState before = ConfState.ofVoters(NodeId.of(1), NodeId.of(2), N4);
        assertDropDecisions(List.of(
                new DropRow("last entry of the reporting leader's term", 8, 40, before, 0, 8, 41, GRACE, true),
                new DropRow("last entry of an older term", 5, 40, before, 0, 8, 41, GRACE, true),
                new DropRow("last entry of a newer leader's term", 9, 40, before, 0, 8, 41, GRACE, false)));
    }
}
