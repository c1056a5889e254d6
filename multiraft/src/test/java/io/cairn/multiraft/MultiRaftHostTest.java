package io.cairn.multiraft;

import static org.assertj.core.api.Assertions.assertThat;

import io.cairn.common.Bytes;
import io.cairn.common.GroupId;
import io.cairn.common.NodeId;
import io.cairn.common.SeededRandom;
import io.cairn.consensus.ConfState;
import io.cairn.consensus.LogEntry;
import io.cairn.consensus.ProposeResult;
import io.cairn.consensus.Role;
import io.cairn.raft.RaftConfig;
import io.cairn.raft.RaftNode;
import io.cairn.wal.WalOptions;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Three nodes, each a {@link MultiRaftHost} over a real WAL in its own directory, host the same
 * hundred groups; a lossless in-memory network carries their batches in order.
 */
class MultiRaftHostTest {
    private static final int GROUPS = 100;
    private static final List<NodeId> NODES = List.of(new NodeId(1), new NodeId(2), new NodeId(3));

    @TempDir
    Path dir;

    private final TreeMap<NodeId, Node> nodes = new TreeMap<>();
    private final ArrayDeque<Delivery> network = new ArrayDeque<>();
    private long outboxCalls;
    private long envelopesSent;

    private record Delivery(NodeId to, List<MultiRaftHost.Envelope> batch) {}

    private final class Node {
        final WalLogStore store;
        final MultiRaftHost host;
        /** Commands applied per group, in order. */
        final TreeMap<GroupId, List<String>> applied = new TreeMap<>();
        final List<MultiRaftHost.Round> rounds = new ArrayList<>();

        Node(NodeId id) throws IOException {
            store = WalLogStore.open(dir.resolve("n" + id.value()), WalOptions.DEFAULTS);
            host = new MultiRaftHost(id, store, (to, batch) -> {
                outboxCalls++;
                envelopesSent += batch.size();
                network.add(new Delivery(to, batch));
            }, (group, ready) -> {
                for (LogEntry e : ready.committedEntries()) {
                    if (!e.data().isEmpty()) {
                        applied.computeIfAbsent(group, g -> new ArrayList<>())
                                .add(new String(e.data().toArray(), StandardCharsets.UTF_8));
                    }
                }
            });
            for (int g = 1; g <= GROUPS; g++) {
                GroupId group = new GroupId(g);
                GroupLog log = store.createGroup(group, ConfState.ofVoters(NODES));
                RaftConfig config = RaftConfig.defaults(id).withElection(10, 1);
                host.addGroup(group, new RaftNode(config, log, new SeededRandom(id.value() * 1_000 + g)));
            }
        }
    }

    @AfterEach
    void close() throws IOException {
        for (Node n : nodes.values()) {
            n.store.close();
        }
    }

    @Test
    void hundredGroupsElectCommitAndShareOneFsyncPerRound() throws IOException {
        for (NodeId id : NODES) {
            nodes.put(id, new Node(id));
        }
        int steps = 0;
        while (leaders().size() < GROUPS) {
            assertThat(steps++).as("every group elects a leader within 300 ticks").isLessThan(300);
            for (Node n : nodes.values()) {
                n.host.tick();
            }
            settle();
        }
        // Leadership spreads over the nodes by the cores' random timeouts alone.
        assertThat(new java.util.TreeSet<>(leaders().values())).hasSize(3);

        for (Node n : nodes.values()) {
            n.rounds.clear();
        }
        for (Map.Entry<GroupId, NodeId> e : leaders().entrySet()) {
            ProposeResult r = nodes.get(e.getValue()).host.propose(e.getKey(), Bytes.wrap(("v" + e.getKey().value()).getBytes(StandardCharsets.UTF_8)));
            assertThat(r).isInstanceOf(ProposeResult.Accepted.class);
        }
        long callsBefore = outboxCalls;
        long envelopesBefore = envelopesSent;
        settle();

        for (Node n : nodes.values()) {
            for (int g = 1; g <= GROUPS; g++) {
                assertThat(n.applied.get(new GroupId(g))).as("group %s on a node", g).containsExactly("v" + g);
            }
            // A hundred proposals and their acknowledgements cost each node a handful of synced
            // rounds (one fsync each), not one per group.
            long synced = n.rounds.stream().filter(MultiRaftHost.Round::synced).count();
            assertThat(synced).isBetween(1L, 4L);
        }
        // Envelopes of many groups to the same peer travel in one batch.
        assertThat(envelopesSent - envelopesBefore).isGreaterThan(10 * (outboxCalls - callsBefore));
    }

    @Test
    void messagesForAGroupNotHostedAreDroppedAndCounted() throws IOException {
        for (NodeId id : NODES) {
            nodes.put(id, new Node(id));
        }
        MultiRaftHost host = nodes.get(NODES.get(0)).host;
        host.removeGroup(new GroupId(7));
        for (int i = 0; i < 100; i++) {
            for (Node n : nodes.values()) {
                n.host.tick();
            }
            settle();
        }
        assertThat(host.droppedForUnknownGroup()).isPositive();
        assertThat(host.group(new GroupId(7))).isNull();
        // The other two still form a majority of group 7.
        assertThat(leaders()).containsKey(new GroupId(7));
    }

    /** Delivers every message and handles every Ready until the network is quiet. */
    private void settle() throws IOException {
        for (int i = 0; i < 1_000; i++) {
            for (Node n : nodes.values()) {
                MultiRaftHost.Round r = n.host.handleReadies();
                if (r.groups() > 0) {
                    n.rounds.add(r);
                }
            }
            if (network.isEmpty()) {
                return;
            }
            while (!network.isEmpty()) {
                Delivery d = network.poll();
                for (MultiRaftHost.Envelope e : d.batch()) {
                    nodes.get(d.to()).host.step(e.group(), e.message());
                }
            }
        }
        throw new AssertionError("the network did not settle");
    }

    /** The leader of every group that has exactly one, as the leaders see it. */
    private TreeMap<GroupId, NodeId> leaders() {
        TreeMap<GroupId, NodeId> out = new TreeMap<>();
        for (Map.Entry<NodeId, Node> n : nodes.entrySet()) {
            for (Map.Entry<GroupId, io.cairn.consensus.ConsensusCore> g : n.getValue().host.groups().entrySet()) {
                if (g.getValue().status().role() == Role.LEADER) {
                    out.put(g.getKey(), n.getKey());
                }
            }
        }
        return out;
    }
}
