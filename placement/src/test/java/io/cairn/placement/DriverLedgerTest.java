package io.cairn.placement;

import static org.assertj.core.api.Assertions.assertThat;

import io.cairn.common.GroupId;
import io.cairn.common.NodeId;
import io.cairn.consensus.ConfState;
import java.util.List;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/** The placement driver's memory and decision, as the server and the simulator both run them. */
class DriverLedgerTest {
    private static final long BEAT_MS = 1_000;
    private static final long DEAD_AFTER_MS = 10_000;
    private static final NodeId N1 = NodeId.of(1);
    private static final NodeId N2 = NodeId.of(2);
    private static final NodeId N3 = NodeId.of(3);
    private static final NodeId N4 = NodeId.of(4);

    /** A report: just a term and the group's voters. */
    private record Report(long term, List<NodeId> voters) {
        ConfState conf() {
            return new ConfState(new TreeSet<>(voters), new TreeSet<>(), new TreeSet<>());
        }
    }

    private static DriverLedger<Report> ledger() {
        return new DriverLedger<>(BEAT_MS, Report::term, Report::conf);
    }

    private static MemberInfo member(NodeId id, MemberInfo.State state) {
        return new MemberInfo(id, "h:" + id.value(), "", state);
    }

    private static List<MemberInfo> founders() {
        return List.of(member(N1, MemberInfo.State.UP), member(N2, MemberInfo.State.UP), member(N3, MemberInfo.State.UP));
    }

    /** Issue 12: a node that joined with --join went leaving, removed, then up again, because it kept asking to join. */
    @Test
    void aDecommissionedJoinerThatKeepsAskingToJoinStaysOut() {
        DriverLedger<Report> ledger = ledger();
        ledger.leads(true, 0);
        List<MemberInfo> members = List.of(member(N1, MemberInfo.State.UP), member(N2, MemberInfo.State.UP),
                member(N3, MemberInfo.State.UP), member(N4, MemberInfo.State.REMOVED));
        ledger.heard(N4, 100, List.of(), true, "h:4", 0);
        assertThat(ledger.decide(5, members, founders(), 200, DEAD_AFTER_MS, 1)).isEmpty();

        ledger.join(member(N4, MemberInfo.State.UP));
        assertThat(ledger.decide(5, members, founders(), 300, DEAD_AFTER_MS, 1)).as("nor does an operator's add-node")
                .isEmpty();
    }

    /**
     * Issue 12, the other half: a metadata leader that took over heard the removed joiner before
     * it had read the membership, and queued its join as if it were new.
     */
    @Test
    void aJoinHeardBeforeTheMembershipWasReadIsCheckedAgainstTheStoredOne() {
        DriverLedger<Report> ledger = ledger();
        ledger.leads(true, 0);
        ledger.heard(N4, 10, List.of(), true, "h:4", 0);
        List<MemberInfo> members = List.of(member(N1, MemberInfo.State.UP), member(N2, MemberInfo.State.UP),
                member(N3, MemberInfo.State.UP), member(N4, MemberInfo.State.REMOVED));
        assertThat(ledger.decide(7, members, founders(), 500, DEAD_AFTER_MS, 1)).isEmpty();
        assertThat(ledger.decide(7, members, founders(), 1_000, DEAD_AFTER_MS, 1)).isEmpty();
    }

    @Test
    void aNewNodeAskingToJoinIsAdmitted() {
        DriverLedger<Report> ledger = ledger();
        ledger.leads(true, 0);
        List<MemberInfo> members = founders();
        ledger.heard(N4, 100, List.of(), true, "h:4", 0);
        assertThat(ledger.decide(1, members, founders(), 200, DEAD_AFTER_MS, 1))
                .hasValueSatisfying(next -> assertThat(next).contains(member(N4, MemberInfo.State.UP)));
    }

    @Test
    void aNewLeaderGivesEveryNodeAFullTimeoutFromWhenItTookOver() {
        List<MemberInfo> members = List.of(member(N1, MemberInfo.State.UP), member(N2, MemberInfo.State.UP),
                member(N3, MemberInfo.State.UP), member(N4, MemberInfo.State.UP));
        DriverLedger<Report> ledger = ledger();
        ledger.leads(true, 50_000);
        for (NodeId n : List.of(N1, N2, N3)) {
            ledger.heard(n, 59_000, List.of(), false, "h:" + n.value(), 0);
        }
        assertThat(ledger.decide(1, members, founders(), 59_999, DEAD_AFTER_MS, 1)).as("n4 silent only 9.999 s").isEmpty();
        assertThat(ledger.decide(1, members, founders(), 60_001, DEAD_AFTER_MS, 1))
                .hasValueSatisfying(next -> assertThat(next).contains(member(N4, MemberInfo.State.DEAD)));
    }

    @Test
    void onlyFreshReportsArePassedOnAndANewerTermWins() {
        DriverLedger<Report> ledger = ledger();
        GroupId g1 = new GroupId(1);
        ledger.heard(N1, 0, List.of(new DriverLedger.GroupReport<>(g1, new Report(3, List.of(N1, N2, N3)))), false, "h:1", 0);
        ledger.heard(N2, 10, List.of(new DriverLedger.GroupReport<>(g1, new Report(2, List.of(N2)))), false, "h:2", 0);
        assertThat(ledger.freshReports(DriverLedger.REPORT_FRESH_BEATS * BEAT_MS)).containsExactly(new Report(3, List.of(N1, N2, N3)));
        assertThat(ledger.freshReports(DriverLedger.REPORT_FRESH_BEATS * BEAT_MS + 1)).isEmpty();
    }

    /** A node still voting in the metadata group holds something: it is neither removed nor replaced yet. */
    @Test
    void theMetadataGroupCountsWhenDecidingANodeHoldsNothing() {
        DriverLedger<Report> ledger = ledger();
        ledger.leads(true, 0);
        GroupId shard0 = new GroupId(1);
        ledger.heard(N1, 100, List.of(new DriverLedger.GroupReport<>(shard0, new Report(2, List.of(N1, N2, N3))),
                new DriverLedger.GroupReport<>(ShardGroups.META_GROUP, new Report(2, List.of(N1, N2, N4)))), false, "h:1", 9);
        List<MemberInfo> members = List.of(member(N1, MemberInfo.State.UP), member(N2, MemberInfo.State.UP),
                member(N3, MemberInfo.State.UP), member(N4, MemberInfo.State.LEAVING));
        assertThat(ledger.decide(9, members, founders(), 200, DEAD_AFTER_MS, 1)).as("n4 still votes in the metadata group")
                .isEmpty();
        assertThat(ledger.freshReports(200)).as("the metadata group's report is not a shard's")
                .containsExactly(new Report(2, List.of(N1, N2, N3)));

        ledger.heard(N1, 300, List.of(new DriverLedger.GroupReport<>(ShardGroups.META_GROUP,
                new Report(2, List.of(N1, N2, N3)))), false, "h:1", 9);
        assertThat(ledger.decide(9, members, founders(), 400, DEAD_AFTER_MS, 1)).hasValueSatisfying(
                next -> assertThat(next).contains(member(N4, MemberInfo.State.REMOVED)));
    }

    /**
     * Found by the simulator (seed 4100395 --sharded): a leader two epochs behind reported its
     * shard without the leaving node, then, still on its old placement, added the node back; the
     * node was declared removed on that report and stopped, and with the shard's other voter
     * lost for good the shard never had a quorum again. Only a report from a leader that had
     * installed the membership being decided (where the node is leaving) proves it holds nothing.
     */
    @Test
    void aReportFromALeaderOnAnOlderMembershipDoesNotProveALeavingNodeHoldsNothing() {
        DriverLedger<Report> ledger = ledger();
        ledger.leads(true, 0);
        GroupId shard0 = new GroupId(1);
        List<MemberInfo> members = List.of(member(N1, MemberInfo.State.UP), member(N2, MemberInfo.State.UP),
                member(N3, MemberInfo.State.UP), member(N4, MemberInfo.State.LEAVING));
        long[][] rows = {
            // epoch the report's sender had installed, epoch decided on, removed?
            {5, 6, 0},
            {6, 6, 1},
            {7, 6, 1},
        };
        for (long[] row : rows) {
            ledger.heard(N1, 100, List.of(new DriverLedger.GroupReport<>(shard0, new Report(2, List.of(N1, N2, N3)))),
                    false, "h:1", row[0]);
            assertThat(ledger.decide(row[1], members, founders(), 200, DEAD_AFTER_MS, 1).isPresent())
                    .as("report at epoch %s, deciding at %s", row[0], row[1]).isEqualTo(row[2] == 1);
        }
    }

    /** Seen in the runbook test: a replaced id was marked dead again at once, by its old machine's silence. */
    @Test
    void aReplacedIdGetsAFullTimeoutFromItsReplacement() {
        DriverLedger<Report> ledger = ledger();
        ledger.leads(true, 0);
        ledger.heard(N4, 1_000, List.of(), false, "h:4", 0);
        List<MemberInfo> dead = List.of(member(N1, MemberInfo.State.UP), member(N2, MemberInfo.State.UP),
                member(N3, MemberInfo.State.UP), member(N4, MemberInfo.State.DEAD), member(NodeId.of(5), MemberInfo.State.UP));
        MemberInfo moved = new MemberInfo(N4, "new:4", "", MemberInfo.State.UP);
        ledger.replace(moved);
        java.util.function.LongConsumer othersBeat = at -> List.of(N1, N2, N3, NodeId.of(5))
                .forEach(n -> ledger.heard(n, at, List.of(), false, "h:" + n.value(), 0));
        othersBeat.accept(59_000);
        List<MemberInfo> replaced = ledger.decide(9, dead, founders(), 60_000, DEAD_AFTER_MS, 0).orElseThrow();
        assertThat(replaced).contains(moved);
        othersBeat.accept(64_000);
        assertThat(ledger.decide(10, replaced, founders(), 60_000 + DEAD_AFTER_MS / 2, DEAD_AFTER_MS, 0)).isEmpty();
        othersBeat.accept(70_000);
        assertThat(ledger.decide(10, replaced, founders(), 60_001 + DEAD_AFTER_MS, DEAD_AFTER_MS, 0))
                .hasValueSatisfying(next -> assertThat(next).contains(moved.withState(MemberInfo.State.DEAD)));
    }

    /** Seen in the fault suite: add-node of a node that had started with --join, at a typo address, was accepted. */
    @Test
    void anIdThatHeartbeatsFromOneAddressCannotBeAddedAtAnother() {
        DriverLedger<Report> ledger = ledger();
        ledger.leads(true, 0);
        ledger.heard(N4, 100, List.of(), true, "h:4", 0);
        MemberInfo typo = new MemberInfo(N4, "h:1", "", MemberInfo.State.UP);
        assertThat(ledger.refuseJoinOfRunning(typo, 200)).hasValueSatisfying(r -> assertThat(r).contains("running at h:4"));
        ledger.join(typo); // even if it got in: the decision admits it where it runs
        assertThat(ledger.decide(1, founders(), founders(), 300, DEAD_AFTER_MS, 1))
                .hasValueSatisfying(next -> assertThat(next).contains(member(N4, MemberInfo.State.UP)));
        assertThat(ledger.refuseJoinOfRunning(typo, 400 + DriverLedger.ALIVE_AGAIN_BEATS * BEAT_MS))
                .as("not heard lately: nothing proves it runs").isEmpty();
    }
}
