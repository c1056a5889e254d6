package io.cairn.placement;

import static org.assertj.core.api.Assertions.assertThat;

import io.cairn.common.GroupId;
import io.cairn.common.NodeId;
import io.cairn.consensus.ConfState;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class ReplicaLifecycleTest {
    private static final NodeId N4 = NodeId.of(4);
    private static final GroupId G = ShardGroups.groupOfShard(0);
    private static final long GRACE = 300;

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
        assertThat(ReplicaLifecycle.shouldDrop(WITHOUT_N4, G, N4, 8, 40, report(41, GRACE), GRACE, own, 0)).isTrue();
        assertThat(ReplicaLifecycle.shouldDrop(WITHOUT_N4, G, N4, 8, 40, report(41, GRACE - 1), GRACE, own, 0))
                .as("the leader may die before its followers learn the change").isFalse();
        assertThat(ReplicaLifecycle.shouldDrop(WITHOUT_N4, G, N4, 8, 40, report(39, GRACE), GRACE, own, 0))
                .as("a report older than what the replica knows").isFalse();
        assertThat(ReplicaLifecycle.shouldDrop(WITHOUT_N4, G, N4, 9, 40, report(41, GRACE), GRACE, own, 0))
                .as("the replica has entries of a newer leader").isFalse();
    }

    /** Found by the sharded simulator (seed 200108): the report predated the replica's addition. */
    @Test
    void aReplicaThatHasNotAppliedItsAdditionStaysUnlessLongForgotten() {
        ConfState notYet = ConfState.ofVoters(NodeId.of(1), NodeId.of(2), NodeId.of(3));
        assertThat(ReplicaLifecycle.shouldDrop(WITHOUT_N4, G, N4, 8, 9, report(9, GRACE), GRACE, notYet, GRACE)).isFalse();
        long forgotten = ReplicaLifecycle.UNADDED_DROP_FACTOR * GRACE;
        assertThat(ReplicaLifecycle.shouldDrop(WITHOUT_N4, G, N4, 8, 9, report(9, GRACE), GRACE, notYet, forgotten)).isTrue();
    }
}
