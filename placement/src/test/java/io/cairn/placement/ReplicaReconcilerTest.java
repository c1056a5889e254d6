package io.cairn.placement;

import static org.assertj.core.api.Assertions.assertThat;

import io.cairn.common.NodeId;
import io.cairn.consensus.ConfChange;
import io.cairn.consensus.ConfState;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

class ReplicaReconcilerTest {
    private static final NodeId N1 = NodeId.of(1);
    private static final NodeId N2 = NodeId.of(2);
    private static final NodeId N3 = NodeId.of(3);
    private static final NodeId N4 = NodeId.of(4);

    private static ConfState conf(List<NodeId> voters, List<NodeId> learners) {
        return new ConfState(new TreeSet<>(voters), new TreeSet<>(), new TreeSet<>(learners));
    }

    /** Found by the sharded simulator (seed 121): the new replica's machine was down all along. */
    @Test
    void aLearnerThatNeverAnsweredIsNotPromotedInAYoungGroup() {
        ConfState withLearner = conf(List.of(N1, N2, N3), List.of(N4));
        List<NodeId> target = List.of(N1, N2, N4);
        assertThat(ReplicaReconciler.next(N1, withLearner, target, 30, n -> n.equals(N4) ? 0 : 30)).isEmpty();
        assertThat(ReplicaReconciler.next(N1, withLearner, target, 30, n -> n.equals(N4) ? 1 : 30)).contains(
                new ReplicaReconciler.Change(ConfChange.of(ConfChange.Change.addVoter(N4), ConfChange.Change.remove(N3))));
        ConfState leaving = conf(List.of(N1, N2, N3, N4), List.of());
        assertThat(ReplicaReconciler.next(N1, leaving, List.of(N2, N3, N4), 30, n -> n.equals(N1) ? 30 : 0))
                .as("leadership goes to no one that never answered").isEmpty();
    }

    /** Found by the sharded simulator (seed 306181): a dead voter looks caught up in a quiet group. */
    @Test
    void leadershipGoesToAnotherWantedVoterThanOneATransferDidNotReach() {
        ConfState leaving = conf(List.of(N1, N2, N3, N4), List.of());
        List<NodeId> target = List.of(N2, N3, N4);
        assertThat(ReplicaReconciler.next(N1, leaving, target, 30, n -> 30))
                .contains(new ReplicaReconciler.TransferLeadership(N2));
        assertThat(ReplicaReconciler.next(N1, leaving, target, 30, n -> 30, java.util.Set.of(N2)))
                .contains(new ReplicaReconciler.TransferLeadership(N3));
    }

    @Test
    void aDeadReplicaIsReplacedByALearnerThatIsPromotedOnceCaughtUp() {
        ConfState c = conf(List.of(N1, N2, N3), List.of());
        List<NodeId> target = List.of(N1, N2, N4); // n3 died
        assertThat(ReplicaReconciler.next(N1, c, target, 500, n -> 500))
                .contains(new ReplicaReconciler.Change(ConfChange.of(ConfChange.Change.addLearner(N4))));

        ConfState withLearner = conf(List.of(N1, N2, N3), List.of(N4));
        assertThat(ReplicaReconciler.next(N1, withLearner, target, 500, n -> n.equals(N4) ? 10 : 500))
                .as("a learner far behind is not promoted").isEmpty();
        assertThat(ReplicaReconciler.next(N1, withLearner, target, 500, n -> 450)).contains(new ReplicaReconciler.Change(
                ConfChange.of(ConfChange.Change.addVoter(N4), ConfChange.Change.remove(N3))));

        assertThat(ReplicaReconciler.next(N1, conf(List.of(N1, N2, N4), List.of()), target, 500, n -> 500)).isEmpty();
    }

    @Test
    void aLeaderThatMustGoHandsLeadershipToACaughtUpWantedVoterFirst() {
        List<NodeId> target = List.of(N2, N3, N4);
        ConfState c = conf(List.of(N1, N2, N3, N4), List.of());
        assertThat(ReplicaReconciler.next(N1, c, target, 900, n -> n.equals(N2) ? 10 : 900))
                .contains(new ReplicaReconciler.TransferLeadership(N3));
        // The new leader removes the old one.
        assertThat(ReplicaReconciler.next(N3, c, target, 900, n -> 900))
                .contains(new ReplicaReconciler.Change(ConfChange.of(ConfChange.Change.remove(N1))));
    }

    @Test
    void aJointConfigurationOrAnEmptyTargetMeansWait() {
        ConfState joint = new ConfState(new TreeSet<>(List.of(N1, N2, N4)), new TreeSet<>(List.of(N1, N2, N3)), new TreeSet<>());
        assertThat(ReplicaReconciler.next(N1, joint, List.of(N1, N2, N4), 1, n -> 1)).isEmpty();
        assertThat(ReplicaReconciler.next(N1, conf(List.of(N1), List.of()), List.of(), 1, n -> 1)).isEmpty();
    }

    @Test
    void anUnwantedLearnerIsRemovedBeforeAnythingElse() {
        ConfState c = conf(List.of(N1, N2, N3), List.of(N4));
        assertThat(ReplicaReconciler.next(N1, c, List.of(N1, N2, N3), 5, n -> 5))
                .contains(new ReplicaReconciler.Change(ConfChange.of(ConfChange.Change.remove(N4))));
    }

    /** Plays the steps out on a configuration model: every target is reached with a voter quorum of live nodes kept throughout. */
    @Test
    void everyMoveConvergesWithoutLeavingTheLiveVotersBelowAQuorum() {
        List<NodeId> all = List.of(N1, N2, N3, N4, NodeId.of(5));
        for (List<NodeId> from : triples(all)) {
            for (List<NodeId> to : triples(all)) {
                ConfState c = conf(from, List.of());
                NodeId leader = from.get(0);
                int steps = 0;
                while (true) {
                    Optional<ReplicaReconciler.Step> step = ReplicaReconciler.next(leader, c, to, 100, n -> 100);
                    if (step.isEmpty()) {
                        break;
                    }
                    assertThat(++steps).as("steps from %s to %s", from, to).isLessThan(20);
                    if (step.get() instanceof ReplicaReconciler.TransferLeadership t) {
                        assertThat(c.voters()).contains(t.target());
                        leader = t.target();
                        continue;
                    }
                    ConfState next = apply(c, ((ReplicaReconciler.Change) step.get()).change());
                    // Joint consensus: a majority of the old voters that are still wanted must survive in the new set.
                    assertThat(next.voters()).contains(leader);
                    c = next;
                }
                assertThat(c.voters()).as("from %s to %s", from, to).containsExactlyInAnyOrderElementsOf(to);
                assertThat(c.learners()).isEmpty();
            }
        }
    }

    private static ConfState apply(ConfState c, ConfChange change) {
        TreeSet<NodeId> voters = new TreeSet<>(c.voters());
        TreeSet<NodeId> learners = new TreeSet<>(c.learners());
        for (ConfChange.Change ch : change.changes()) {
            switch (ch.type()) {
                case ADD_VOTER -> {
                    learners.remove(ch.node());
                    voters.add(ch.node());
                }
                case ADD_LEARNER -> learners.add(ch.node());
                case REMOVE -> {
                    voters.remove(ch.node());
                    learners.remove(ch.node());
                }
            }
        }
        assertThat(voters.size()).as("voters after %s", change).isGreaterThanOrEqualTo(3);
        return new ConfState(voters, new TreeSet<>(), learners);
    }

    private static List<List<NodeId>> triples(List<NodeId> all) {
        List<List<NodeId>> out = new ArrayList<>();
        for (int a = 0; a < all.size(); a++) {
            for (int b = a + 1; b < all.size(); b++) {
                for (int c = b + 1; c < all.size(); c++) {
                    out.add(List.of(all.get(a), all.get(b), all.get(c)));
                }
            }
        }
        return out;
    }
}
