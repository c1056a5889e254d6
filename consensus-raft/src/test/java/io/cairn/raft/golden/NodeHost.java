package io.cairn.raft.golden;

import io.cairn.common.NodeId;
import io.cairn.common.SeededRandom;
import io.cairn.consensus.ConfState;
import io.cairn.consensus.ConsensusMessage;
import io.cairn.consensus.EntryId;
import io.cairn.consensus.HardState;
import io.cairn.consensus.LogEntry;
import io.cairn.consensus.MemoryLogStorage;
import io.cairn.consensus.Ready;
import io.cairn.consensus.Snapshot;
import io.cairn.consensus.Status;
import io.cairn.raft.RaftConfig;
import io.cairn.raft.RaftNode;
import java.util.List;
import java.util.Objects;

/**
 * One node as its host runs it: the engine, its durable storage and its state machine. It
 * carries out a Ready in the order {@link Ready}'s javadoc prescribes and prints it, and it
 * notices when the engine's role, term or leader changed so the trace can say so.
 */
final class NodeHost {
    final NodeId id;
    private final RaftConfig config;
    final MemoryLogStorage storage;
    /** Forked on each start, so a restarted node draws new election timeouts, reproducibly. */
    private final SeededRandom randomRoot;
    RaftNode node;
    StateMachine stateMachine;
    /** The role, term and leader last printed; a change is printed once. */
    private String lastState;
    /**
     * The hard state as of the last Ready that asked for an fsync. A Ready with
     * {@code mustSync=false} may write its hard state without one, as the server's WAL does, so
     * a crash may lose it: this is what such a crash leaves ({@link #crash}).
     */
    private HardState syncedHardState;

    NodeHost(RaftConfig config, ConfState initialConf, long seed) {
        this(config, new MemoryLogStorage(initialConf), new SeededRandom(seed));
    }

    private NodeHost(RaftConfig config, MemoryLogStorage storage, SeededRandom randomRoot) {
        this.id = config.id();
        this.config = config;
        this.storage = storage;
        this.randomRoot = randomRoot;
        this.syncedHardState = storage.hardState();
        start();
    }

    /** Builds the engine from storage alone, as after a crash: everything volatile is gone. */
    void start() {
        node = new RaftNode(config, storage, randomRoot.fork());
        stateMachine = new StateMachine(storage.snapshot());
        lastState = describeState(node.status());
    }

    /**
     * A crash and restart. With {@code loseUnsynced} the hard state falls back to the last one
     * written with an fsync; entries and snapshots are never written without one.
     */
    void crash(boolean loseUnsynced) {
        if (loseUnsynced) {
            storage.setHardState(syncedHardState);
        }
        start();
    }

    /**
     * The replica is dropped and its log wiped, and a new, empty one of the same group opens on
     * this node, as the server does with its WAL tombstones: the new one keeps the durable term
     * and vote, and refuses votes to logs behind the last entry the old one held (or behind its
     * own floor, if the old one never got past it).
     */
    NodeHost recreated() {
        EntryId last = new EntryId(storage.term(storage.lastIndex()), storage.lastIndex());
        EntryId earlier = config.voteFloor();
        boolean earlierHigher = earlier.term() > last.term()
                || (earlier.term() == last.term() && earlier.index() > last.index());
        MemoryLogStorage fresh = new MemoryLogStorage(ConfState.EMPTY);
        fresh.setHardState(new HardState(syncedHardState.term(), syncedHardState.votedFor(), 0));
        return new NodeHost(config.withVoteFloor(earlierHigher ? earlier : last), fresh, randomRoot);
    }

    RaftConfig config() {
        return config;
    }

    /** Prints "nX is now ..." if the role, term or leader changed since it was last printed. */
    void noteStateChange(Trace out) {
        String state = describeState(node.status());
        if (!state.equals(lastState)) {
            lastState = state;
            out.line(id + " is now " + state);
        }
    }

    private static String describeState(Status s) {
        return s.role() + " at term " + s.term() + " (" + (s.leader() == null ? "no leader" : "leader " + s.leader()) + ")";
    }

    /** Handles one Ready if there is one; returns whether there was. */
    boolean processReady(Trace out, Network network) {
        if (!node.hasReady()) {
            return false;
        }
        Ready rd = node.ready();
        out.line("> " + id + " handling Ready");
        out.indented(() -> {
            print(rd, out);
            carryOut(rd, network);
            node.advance(rd);
            // advance() applies configuration changes, which can make a removed leader step down.
            noteStateChange(out);
        });
        return true;
    }

    /** The host duties of {@link Ready}, in its order. */
    private void carryOut(Ready rd, Network network) {
        // 1. Messages that promise nothing durable may leave before the write.
        network.send(rd.messages());
        // 2. One atomic write: snapshot, then entries, then hard state.
        if (rd.snapshot() != null) {
            storage.applySnapshot(rd.snapshot());
        }
        storage.append(rd.entries());
        if (rd.hardState() != null) {
            storage.setHardState(rd.hardState());
        }
        if (rd.mustSync()) {
            syncedHardState = storage.hardState(); // the fsync covers earlier unsynced writes too
        }
        // 3. Votes and acknowledgements vouch for the write, so they leave after it.
        network.send(rd.messagesAfterPersist());
        // 4. The state machine: snapshot first, then committed entries in order.
        if (rd.snapshot() != null) {
            stateMachine.restore(rd.snapshot());
        }
        for (LogEntry e : rd.committedEntries()) {
            stateMachine.apply(e);
        }
        // 5. Read states are only printed: a host would serve each once it applied the index.
    }

    private void print(Ready rd, Trace out) {
        out.line("Ready mustSync=" + rd.mustSync());
        if (rd.hardState() != null) {
            out.line("HardState " + rd.hardState());
        }
        if (rd.snapshot() != null) {
            out.line("Snapshot " + describe(rd.snapshot()));
        }
        printList(out, "Entries:", rd.entries());
        printList(out, "Messages:", rd.messages());
        printList(out, "MessagesAfterPersist:", rd.messagesAfterPersist());
        printList(out, "CommittedEntries:", rd.committedEntries());
        printList(out, "ReadStates:", rd.readStates().stream().map(r -> "ctx=" + r.context() + " index=" + r.index()).toList());
    }

    static String describe(Snapshot s) {
        return s.meta() + " data=" + (s.data().isEmpty() ? "-" : s.data().toUtf8());
    }

    private static void printList(Trace out, String title, List<?> items) {
        if (items.isEmpty()) {
            return;
        }
        out.line(title);
        out.indented(() -> items.forEach(item -> out.line(Objects.toString(item))));
    }

    void step(ConsensusMessage m) {
        node.step(m);
    }
}
