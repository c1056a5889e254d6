package io.cairn.sim;

import io.cairn.common.NodeId;
import io.cairn.common.SeededRandom;
import io.cairn.consensus.ConfChange;
import io.cairn.consensus.ConfState;
import io.cairn.consensus.ProposeResult;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;

/**
 * Injects the node-level faults of the fault phase, each on its own random rhythm drawn from the
 * seed: partitions (symmetric and one-way) that come and go, crashes with restarts after a random
 * downtime, membership changes and leadership transfers through the current leader, and log
 * compaction. Network-level faults (drop, delay, duplication) live in {@link Network}.
 */
final class Nemesis {
    private final Simulation sim;
    private final SeededRandom random;
    private final SimParams params;
    private boolean partitioned;
    /** Nodes a REMOVE was accepted for: never re-added (ids are not reused), stopped once removed. */
    private final TreeSet<Integer> removalProposed = new TreeSet<>();

    Nemesis(Simulation sim) {
        this.sim = sim;
        this.random = sim.random();
        this.params = sim.paramsInternal();
    }

    void start() {
        every(EventKind.PARTITION, params.partitionGapMicros(), this::togglePartition);
        every(EventKind.CRASH, params.crashGapMicros(), this::crashSomeNode);
        every(EventKind.MEMBERSHIP, params.membershipGapMicros(), this::changeMembership);
        every(EventKind.TRANSFER, params.transferGapMicros(), this::transferLeadership);
        every(EventKind.COMPACT, params.compactGapMicros(), this::compactSomeNode);
        every(EventKind.CRASH, params.diskFullGapMicros(), this::fillSomeDisk);
    }

    /** Runs {@code step} at random gaps averaging {@code meanGapMicros} while faults last; 0 = never. */
    private void every(EventKind kind, long meanGapMicros, Runnable step) {
        if (meanGapMicros <= 0) {
            return;
        }
        long gap = meanGapMicros / 2 + random.nextLong(meanGapMicros + 1);
        sim.scheduler().after(gap, kind, 0, 0, null, () -> {
            if (sim.inFaultPhase()) {
                step.run();
                every(kind, meanGapMicros, step);
            }
        });
    }

    // ---- Partitions ------------------------------------------------------------------------------

    /**
     * Alternates between a healed network and a new partition. Partitions are drawn among the
     * running nodes and, half of the time, aimed at the leader (isolated, deaf or mute), since
     * a cut that spares the leader changes little.
     */
    private void togglePartition() {
        Network network = sim.network();
        network.healAll();
        if (partitioned) {
            partitioned = false;
            sim.note("partition healed");
            return;
        }
        List<Integer> running = shuffledRunningNodeIds();
        if (running.size() < 2) {
            return;
        }
        partitioned = true;
        sim.coverage().add(Coverage.Item.PARTITIONS);
        SimNode leader = random.chance(0.5) ? sim.leader() : null;
        boolean oneWay = params.oneWayPartitions() && (!params.symmetricPartitions() || random.chance(0.5));
        if (oneWay) {
            cutOneWay(network, running, leader);
        } else {
            splitInTwo(network, running, leader);
        }
    }

    private void splitInTwo(Network network, List<Integer> ids, SimNode leader) {
        if (leader != null) {
            ids.remove(Integer.valueOf(leader.address()));
            ids.add(0, leader.address());
        }
        int cut = leader != null ? 1 : 1 + random.nextInt(ids.size() - 1);
        List<Integer> sideA = ids.subList(0, cut);
        List<Integer> sideB = ids.subList(cut, ids.size());
        for (int a : sideA) {
            for (int b : sideB) {
                network.block(a, b);
                network.block(b, a);
            }
        }
        sim.note("partition " + sideA + " | " + sideB);
    }

    /** The leader deaf (hears nobody) or mute (reaches nobody), or a few random one-way links. */
    private void cutOneWay(Network network, List<Integer> ids, SimNode leader) {
        if (leader != null) {
            boolean deaf = random.chance(0.5);
            for (int other : ids) {
                if (other != leader.address()) {
                    network.block(deaf ? other : leader.address(), deaf ? leader.address() : other);
                }
            }
            sim.note("leader " + leader.id() + (deaf ? " deaf" : " mute"));
            return;
        }
        int links = 1 + random.nextInt(3);
        StringBuilder sb = new StringBuilder("one-way cuts");
        for (int i = 0; i < links; i++) {
            int from = ids.get(random.nextInt(ids.size()));
            int to = ids.get(random.nextInt(ids.size()));
            if (from != to) {
                network.block(from, to);
                sb.append(' ').append(from).append("-x->").append(to);
            }
        }
        sim.note(sb.toString());
    }

    /** Nodes that are up or down but not stopped for good, in random order. */
    private List<Integer> shuffledRunningNodeIds() {
        List<Integer> ids = new ArrayList<>();
        for (int id = 1; id <= sim.maxNodeId(); id++) {
            SimNode.State state = sim.node(id).state();
            if (state == SimNode.State.UP || state == SimNode.State.DOWN) {
                ids.add(id);
            }
        }
        for (int i = ids.size() - 1; i > 0; i--) {
            int j = random.nextInt(i + 1);
            ids.set(j, ids.set(i, ids.get(j)));
        }
        return ids;
    }

    // ---- Crashes ---------------------------------------------------------------------------------

    private void crashSomeNode() {
        List<SimNode> up = upNodes();
        if (up.isEmpty()) {
            return;
        }
        SimNode victim = up.get(random.nextInt(up.size()));
        victim.crash();
        sim.note(victim.id() + " crashes");
        sim.scheduleRestart(victim);
    }

    /**
     * Fills a running node's disk for up to the longest downtime: its process dies at its next
     * write (as the server halts on a failed fsync or append) and stays down while it is full.
     */
    private void fillSomeDisk() {
        List<SimNode> up = upNodes();
        if (up.isEmpty()) {
            return;
        }
        SimNode victim = up.get(random.nextInt(up.size()));
        victim.disk().fill();
        sim.note(victim.id() + "'s disk is full");
        sim.scheduler().after(1_000 + random.nextLong(params.maxDowntimeMicros()), EventKind.RESTART, 0, 0, null, () -> {
            victim.disk().free();
            sim.note(victim.id() + "'s disk has space again");
        });
    }

    private List<SimNode> upNodes() {
        List<SimNode> up = new ArrayList<>();
        for (int id = 1; id <= sim.maxNodeId(); id++) {
            if (sim.node(id).isUp()) {
                up.add(sim.node(id));
            }
        }
        return up;
    }

    // ---- Membership --------------------------------------------------------------------------------

    /**
     * Through the leader: add a spare as learner, promote a learner, remove a voter (keeping at
     * least 3) or a learner, or promote and remove at once. Also stops nodes whose removal the
     * leader has applied.
     */
    private void changeMembership() {
        SimNode leader = sim.leader();
        if (leader == null) {
            return;
        }
        ConfState conf = leader.status().conf();
        stopRemovedNodes(conf);
        if (conf.isJoint() || !leader.isUp()) {
            return;
        }
        List<ConfChange> candidates = candidateChanges(conf);
        if (candidates.isEmpty()) {
            return;
        }
        ConfChange change = candidates.get(random.nextInt(candidates.size()));
        propose(leader, change);
    }

    private List<ConfChange> candidateChanges(ConfState conf) {
        List<ConfChange> candidates = new ArrayList<>();
        for (int id = params.firstSpareId(); id <= params.maxNodeId(); id++) {
            if (!conf.members().contains(NodeId.of(id)) && !removalProposed.contains(id)) {
                candidates.add(ConfChange.of(ConfChange.Change.addLearner(NodeId.of(id))));
            }
        }
        List<NodeId> voters = new ArrayList<>(conf.voters());
        for (NodeId learner : conf.learners()) {
            candidates.add(ConfChange.of(ConfChange.Change.addVoter(learner)));
            candidates.add(ConfChange.of(ConfChange.Change.remove(learner)));
            NodeId voter = voters.get(random.nextInt(voters.size()));
            candidates.add(ConfChange.of(ConfChange.Change.addVoter(learner), ConfChange.Change.remove(voter)));
        }
        if (voters.size() >= 4) {
            candidates.add(ConfChange.of(ConfChange.Change.remove(voters.get(random.nextInt(voters.size())))));
        }
        return candidates;
    }

    private void propose(SimNode leader, ConfChange change) {
        for (ConfChange.Change c : change.changes()) {
            SimNode target = sim.node((int) c.node().value());
            if (c.type() == ConfChange.Type.ADD_LEARNER && target.state() == SimNode.State.NOT_STARTED) {
                sim.startNode(target);
            }
        }
        sim.nodeEvent(leader, n -> {
            ProposeResult result;
            try {
                result = n.proposeConfChange(change);
            } catch (IllegalArgumentException e) {
                sim.note(n.id() + " rejects conf change " + change + ": " + e.getMessage());
                return;
            }
            sim.note(n.id() + " conf change " + change.changes() + " -> " + result);
            sim.coverage().add(Coverage.Item.CONF_CHANGES_PROPOSED);
            if (result.accepted()) {
                recordRemovals(change);
            }
        });
    }

    private void recordRemovals(ConfChange change) {
        for (ConfChange.Change c : change.changes()) {
            if (c.type() == ConfChange.Type.REMOVE) {
                removalProposed.add((int) c.node().value());
            }
        }
    }

    /** A node whose removal the leader has applied may be stopped for good. */
    private void stopRemovedNodes(ConfState conf) {
        if (conf.isJoint()) {
            return;
        }
        for (int id : removalProposed) {
            SimNode node = sim.node(id);
            boolean stoppable = node.state() == SimNode.State.UP || node.state() == SimNode.State.DOWN;
            if (stoppable && !conf.members().contains(node.id())) {
                node.decommission();
                sim.coverage().add(Coverage.Item.DECOMMISSIONS);
                sim.note(node.id() + " decommissioned after its removal");
            }
        }
    }

    // ---- Leadership transfer and compaction ----------------------------------------------------------

    private void transferLeadership() {
        SimNode leader = sim.leader();
        if (leader == null) {
            return;
        }
        List<NodeId> others = new ArrayList<>(leader.status().conf().voters());
        others.remove(leader.id());
        if (others.isEmpty()) {
            return;
        }
        NodeId target = others.get(random.nextInt(others.size()));
        sim.note(leader.id() + " transfers leadership to " + target);
        sim.coverage().add(Coverage.Item.TRANSFERS);
        sim.nodeEvent(leader, n -> n.transferLeadership(target));
    }

    /** Takes a state machine image on some node and now and then compacts its log to one. */
    private void compactSomeNode() {
        List<SimNode> up = upNodes();
        // A stalled process compacts nothing: the server compacts on its loop thread.
        up.removeIf(n -> n.stalledAt(sim.scheduler().nowMicros()));
        if (up.isEmpty()) {
            return;
        }
        SimNode node = up.get(random.nextInt(up.size()));
        node.takeCheckpoint();
        if (random.chance(0.5)) {
            long index = node.compact(random.chance(0.5));
            if (index > 0) {
                sim.note(node.id() + " compacts its log to index " + index);
                sim.coverage().add(Coverage.Item.COMPACTIONS);
            }
        }
    }
}
