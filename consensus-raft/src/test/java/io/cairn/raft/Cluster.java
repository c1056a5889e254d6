package io.cairn.raft;

import io.cairn.common.Bytes;
import io.cairn.common.NodeId;
import io.cairn.common.SeededRandom;
import io.cairn.consensus.ConfState;
import io.cairn.consensus.ConsensusMessage;
import io.cairn.consensus.LogEntry;
import io.cairn.consensus.MemoryLogStorage;
import io.cairn.consensus.Ready;
import io.cairn.consensus.ReadState;
import io.cairn.consensus.Role;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.UnaryOperator;

/**
 * A small in-memory cluster for unit tests: messages go into one FIFO queue and are delivered
 * by {@link #stabilize()}; links can be cut. Deterministic for a given seed.
 */
final class Cluster {
    final TreeMap<NodeId, RaftNode> nodes = new TreeMap<>();
    final TreeMap<NodeId, MemoryLogStorage> storages = new TreeMap<>();
    final TreeMap<NodeId, List<LogEntry>> applied = new TreeMap<>();
    final TreeMap<NodeId, List<ReadState>> reads = new TreeMap<>();
    final ArrayDeque<ConsensusMessage> inFlight = new ArrayDeque<>();
    final Set<String> cut = new HashSet<>();
    final List<String> trace = new ArrayList<>();
    private final SeededRandom random;
    private final UnaryOperator<RaftConfig> configurer;

    Cluster(int size, long seed) {
        this(size, seed, c -> c);
    }

    Cluster(int size, long seed, UnaryOperator<RaftConfig> configurer) {
        this.random = new SeededRandom(seed);
        this.configurer = configurer;
        List<NodeId> ids = new ArrayList<>();
        for (int i = 1; i <= size; i++) {
            ids.add(NodeId.of(i));
        }
        for (NodeId id : ids) {
            add(id, ConfState.ofVoters(ids));
        }
    }

    void add(NodeId id, ConfState initial) {
        MemoryLogStorage storage = new MemoryLogStorage(initial);
        storages.put(id, storage);
        applied.put(id, new ArrayList<>());
        reads.put(id, new ArrayList<>());
        start(id);
    }

    /** (Re)starts a node from its storage, as after a crash: volatile state is gone. */
    void start(NodeId id) {
        applied.get(id).clear();
        RaftConfig cfg = configurer.apply(RaftConfig.defaults(id));
        nodes.put(id, new RaftNode(cfg, storages.get(id), random.fork()));
    }

    RaftNode node(long id) {
        return nodes.get(NodeId.of(id));
    }

    void isolate(long id) {
        for (NodeId other : nodes.keySet()) {
            cut(id, other.value());
            cut(other.value(), id);
        }
    }

    void cut(long from, long to) {
        cut.add(from + ">" + to);
    }

    void heal() {
        cut.clear();
    }

    /** Handles every node's Ready, then delivers messages until none are left. */
    void stabilize() {
        for (int round = 0; round < 10_000; round++) {
            boolean progress = false;
            for (NodeId id : nodes.keySet()) {
                progress |= processReady(id);
            }
            if (!inFlight.isEmpty()) {
                deliverAll();
                progress = true;
            }
            if (!progress) {
                return;
            }
        }
        throw new AssertionError("cluster did not stabilize");
    }

    void deliverAll() {
        List<ConsensusMessage> batch = new ArrayList<>(inFlight);
        inFlight.clear();
        for (ConsensusMessage m : batch) {
            if (cut.contains(m.from().value() + ">" + m.to().value())) {
                trace.add("drop " + m);
                continue;
            }
            RaftNode to = nodes.get(m.to());
            if (to != null) {
                trace.add(m.toString());
                to.step(m);
            }
        }
    }

    boolean processReady(NodeId id) {
        RaftNode n = nodes.get(id);
        if (!n.hasReady()) {
            return false;
        }
        Ready rd = n.ready();
        inFlight.addAll(rd.messages());
        MemoryLogStorage s = storages.get(id);
        if (rd.snapshot() != null) {
            s.applySnapshot(rd.snapshot());
        }
        s.append(rd.entries());
        if (rd.hardState() != null) {
            s.setHardState(rd.hardState());
        }
        inFlight.addAll(rd.messagesAfterPersist());
        applied.get(id).addAll(rd.committedEntries());
        reads.get(id).addAll(rd.readStates());
        n.advance(rd);
        return true;
    }

    void tick(long id, int times) {
        for (int i = 0; i < times; i++) {
            node(id).tick();
        }
    }

    void tickAll(int times) {
        for (int i = 0; i < times; i++) {
            for (RaftNode n : nodes.values()) {
                n.tick();
            }
            stabilize();
        }
    }

    /** Ticks one node until it campaigns, then lets the election finish. */
    void elect(long id) {
        for (int i = 0; i < 100 && node(id).status().role() != Role.LEADER; i++) {
            node(id).tick();
            stabilize();
        }
        if (node(id).status().role() != Role.LEADER) {
            throw new AssertionError("n" + id + " did not become leader: " + node(id).status());
        }
    }

    long propose(long id, String value) {
        var r = node(id).propose(Bytes.utf8(value));
        stabilize();
        return r instanceof io.cairn.consensus.ProposeResult.Accepted a ? a.index() : -1;
    }

    List<String> appliedValues(long id) {
        List<String> out = new ArrayList<>();
        for (LogEntry e : applied.get(NodeId.of(id))) {
            if (e.type() == io.cairn.consensus.EntryType.NORMAL && !e.data().isEmpty()) {
                out.add(e.data().toUtf8());
            }
        }
        return out;
    }
}
