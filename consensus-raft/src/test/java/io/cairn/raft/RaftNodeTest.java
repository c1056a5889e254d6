package io.cairn.raft;

import static org.assertj.core.api.Assertions.assertThat;

import io.cairn.common.NodeId;
import io.cairn.consensus.ConfChange;
import io.cairn.consensus.ReadMode;
import io.cairn.consensus.Role;
import org.junit.jupiter.api.Test;

class RaftNodeTest {
    /**
     * A replica recreated on a node that held one before grants no vote to a log behind what
     * the old one held: a stale candidate whose configuration still lists the old replica would
     * otherwise win with the new, empty one's vote (found by the sharded simulator).
     */
    @Test
    void aVoteFloorRefusesCandidatesBehindIt() {
        io.cairn.consensus.MemoryLogStorage empty = new io.cairn.consensus.MemoryLogStorage(io.cairn.consensus.ConfState.EMPTY);
        RaftConfig cfg = RaftConfig.defaults(NodeId.of(3)).withVoteFloor(new io.cairn.consensus.EntryId(4, 30));
        RaftNode fresh = new RaftNode(cfg, empty, new io.cairn.common.SeededRandom(1));
        fresh.step(new RaftMessage.VoteRequest(NodeId.of(1), NodeId.of(3), 5, false, 25, 2, false));
        fresh.step(new RaftMessage.VoteRequest(NodeId.of(2), NodeId.of(3), 6, false, 30, 4, false));
        java.util.List<RaftMessage.VoteResponse> answers = new java.util.ArrayList<>();
        while (fresh.hasReady()) {
            io.cairn.consensus.Ready rd = fresh.ready();
            java.util.stream.Stream.concat(rd.messages().stream(), rd.messagesAfterPersist().stream())
                    .filter(m -> m instanceof RaftMessage.VoteResponse).forEach(m -> answers.add((RaftMessage.VoteResponse) m));
            fresh.advance(rd);
        }
        assertThat(answers).extracting(RaftMessage.VoteResponse::to, RaftMessage.VoteResponse::granted)
                .containsExactly(org.assertj.core.groups.Tuple.tuple(NodeId.of(1), false),
                        org.assertj.core.groups.Tuple.tuple(NodeId.of(2), true));
    }
    @Test
    void electsLeaderAndReplicates() {
        Cluster c = new Cluster(3, 1);
        c.elect(1);
        assertThat(c.node(2).status().leader()).isEqualTo(NodeId.of(1));
        c.propose(1, "a");
        c.propose(1, "b");
        c.tickAll(2);
        for (long id = 1; id <= 3; id++) {
            assertThat(c.appliedValues(id)).containsExactly("a", "b");
        }
    }

    @Test
    void singleNodeCommitsAlone() {
        Cluster c = new Cluster(1, 2);
        c.elect(1);
        c.propose(1, "x");
        assertThat(c.appliedValues(1)).containsExactly("x");
    }

    @Test
    void partitionedNodeCannotDeposeHealthyLeaderWhenItReturns() {
        Cluster c = new Cluster(3, 3);
        c.elect(1);
        long term = c.node(1).status().term();
        c.isolate(3);
        for (int i = 0; i < 50; i++) {
            c.node(3).tick();
            c.node(1).tick();
            c.node(2).tick();
            c.stabilize();
        }
        c.heal();
        c.tickAll(30);
        assertThat(c.node(1).status().role()).isEqualTo(Role.LEADER);
        assertThat(c.node(1).status().term()).isEqualTo(term);
    }

    @Test
    void leaderWithoutQuorumStepsDown() {
        Cluster c = new Cluster(3, 4);
        c.elect(1);
        c.isolate(1);
        c.tickAll(25);
        assertThat(c.node(1).status().role()).isNotEqualTo(Role.LEADER);
    }

    @Test
    void readIndexConfirmsWithHeartbeatRound() {
        Cluster c = new Cluster(3, 5);
        c.elect(1);
        c.propose(1, "a");
        c.node(1).readIndex(42, ReadMode.READ_INDEX);
        c.stabilize();
        assertThat(c.reads.get(NodeId.of(1))).extracting(r -> r.context()).containsExactly(42L);
        c.node(2).readIndex(43, ReadMode.READ_INDEX);
        c.stabilize();
        assertThat(c.reads.get(NodeId.of(2))).extracting(r -> r.context()).containsExactly(43L);
    }

    @Test
    void membershipChangeAddsAndRemoves() {
        Cluster c = new Cluster(3, 6);
        c.elect(1);
        c.add(NodeId.of(4), io.cairn.consensus.ConfState.EMPTY);
        c.node(1).proposeConfChange(ConfChange.of(ConfChange.Change.addLearner(NodeId.of(4))));
        c.stabilize();
        c.tickAll(3);
        assertThat(c.node(4).status().conf().learners()).contains(NodeId.of(4));
        c.node(1).proposeConfChange(ConfChange.of(ConfChange.Change.addVoter(NodeId.of(4)),
                ConfChange.Change.remove(NodeId.of(1))));
        c.stabilize();
        c.tickAll(40);
        assertThat(c.node(2).status().conf().voters()).containsExactly(NodeId.of(2), NodeId.of(3), NodeId.of(4));
        assertThat(c.node(1).status().role()).isNotEqualTo(Role.LEADER);
        boolean someLeader = c.nodes.values().stream().anyMatch(n -> n.status().role() == Role.LEADER);
        assertThat(someLeader).isTrue();
    }

    @Test
    void leadershipTransfer() {
        Cluster c = new Cluster(3, 7);
        c.elect(1);
        c.propose(1, "a");
        c.node(1).transferLeadership(NodeId.of(3));
        c.stabilize();
        assertThat(c.node(3).status().role()).isEqualTo(Role.LEADER);
    }
}
