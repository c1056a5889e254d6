package io.cairn.raft.golden;

import io.cairn.common.Bytes;
import io.cairn.common.NodeId;
import io.cairn.consensus.ConfChange;
import io.cairn.consensus.ConfState;
import io.cairn.consensus.LogEntry;
import io.cairn.consensus.MemoryLogStorage;
import io.cairn.consensus.ReadMode;
import io.cairn.consensus.Role;
import io.cairn.consensus.Status;
import io.cairn.raft.RaftConfig;
import io.cairn.raft.RaftMessage;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.Predicate;

/**
 * Runs the commands of a golden script against a cluster of {@link NodeHost}s joined by a
 * {@link Network} that delivers nothing unless told. Nothing is random but the seeded election
 * jitter, and nothing iterates in hash order, so a script prints the same trace every run.
 * The command language is described in {@code src/test/resources/golden/README.md}.
 */
final class Interaction {
    /** Bounds the loops that wait for something, so a livelock fails instead of hanging. */
    private static final int MAX_ROUNDS = 1000;

    private final TreeMap<NodeId, NodeHost> hosts = new TreeMap<>();
    private final Network network = new Network();
    private final Trace out = new Trace();

    /**
     * Runs one command line and returns its output. A script mistake prints as
     * {@code error: ...}, even under {@code trace off}; anything the engine throws propagates.
     */
    String run(String line) {
        Command cmd = Command.parse(line);
        try {
            dispatch(cmd);
            cmd.checkAllOptionsRead();
        } catch (ScriptError e) {
            out.error(e.getMessage());
        }
        return out.take();
    }

    private void dispatch(Command c) {
        switch (c.name) {
            case "trace" -> out.setMuted(c.arg(0).equals("off"));
            case "add-nodes" -> addNodes(c);
            case "campaign" -> campaign(host(c.longArg(0)));
            case "tick" -> tick(c.idArgs(0), (int) c.longOption("n", 1));
            case "tick-election" -> c.idArgs(0).forEach(id -> tick(List.of(id), host(id).config().electionTicks()));
            case "tick-heartbeat" -> c.idArgs(0).forEach(id -> tick(List.of(id), host(id).config().heartbeatTicks()));
            case "process-ready" -> processReady(c.idArgs(0));
            case "deliver-msgs" -> deliverMsgs(c);
            case "drop-msgs" -> dropMsgs(c);
            case "stabilize" -> stabilize(hostsOrAll(c.idArgs(0)));
            case "propose" -> out.line(host(c.longArg(0)).node.propose(Bytes.utf8(c.arg(1))).toString());
            case "propose-conf-change" -> proposeConfChange(c);
            case "transfer-leadership" -> transferLeadership(host(c.longArg(0)), NodeId.of(c.longArg(1)));
            case "read-index" -> readIndex(c);
            case "partition" -> partition(c);
            case "isolate" -> c.idArgs(0).forEach(this::isolate);
            case "heal" -> network.heal();
            case "compact" -> compact(c);
            case "restart" -> restart(host(c.longArg(0)), c.boolOption("lose-unsynced", false));
            case "recreate" -> recreate(host(c.longArg(0)));
            case "status" -> hostsOrAll(c.idArgs(0)).forEach(this::printStatus);
            case "raft-log" -> printLog(host(c.longArg(0)));
            default -> throw new ScriptError("unknown command " + c.name);
        }
    }

    // ------------------------------------------------------------------ cluster set-up

    /**
     * {@code add-nodes N [voters=(..)] [learners=(..)] [options]}: adds N nodes numbered after
     * the existing ones, all starting from the given configuration (empty: a node that will
     * learn it from the leader).
     */
    private void addNodes(Command c) {
        long count = c.longArg(0);
        TreeSet<NodeId> voters = toNodeIds(c.idsOption("voters"));
        TreeSet<NodeId> learners = toNodeIds(c.idsOption("learners"));
        ConfState conf = new ConfState(voters, new TreeSet<>(), learners);
        long seed = c.longOption("seed", 0);
        long first = hosts.isEmpty() ? 1 : hosts.lastKey().value() + 1;
        for (long i = first; i < first + count; i++) {
            RaftConfig cfg = config(c, NodeId.of(i));
            hosts.put(cfg.id(), new NodeHost(cfg, conf, seed * 1_000_003 + i));
        }
    }

    /**
     * The engine's defaults, overridden by the options a script gives; but a heartbeat every
     * tick unless a script says otherwise, as the scripts were written for (tick-heartbeat
     * steps one heartbeat interval).
     */
    private static RaftConfig config(Command c, NodeId id) {
        RaftConfig d = RaftConfig.defaults(id);
        return new RaftConfig(id,
                (int) c.longOption("election", d.electionTicks()),
                (int) c.longOption("heartbeat", 1),
                c.boolOption("prevote", d.preVote()),
                c.boolOption("checkquorum", d.checkQuorum()),
                (int) c.longOption("max-inflight", d.maxInflightMsgs()),
                (int) c.longOption("max-entries", d.maxEntriesPerMsg()),
                c.longOption("max-bytes", d.maxBytesPerMsg()),
                (int) c.longOption("max-snapshot-chunk", d.maxSnapshotChunkBytes()),
                d.maxApplyBytesPerReady(),
                d.maxPendingReads(),
                0,
                RaftConfig.NO_FLOOR);
    }

    private static TreeSet<NodeId> toNodeIds(List<Long> ids) {
        TreeSet<NodeId> out = new TreeSet<>();
        ids.forEach(id -> out.add(NodeId.of(id)));
        return out;
    }

    private NodeHost host(long id) {
        NodeHost h = hosts.get(NodeId.of(id));
        if (h == null) {
            throw new ScriptError("no node " + id);
        }
        return h;
    }

    private List<NodeHost> hostsOrAll(List<Long> ids) {
        if (ids.isEmpty()) {
            return List.copyOf(hosts.values());
        }
        return ids.stream().map(this::host).toList();
    }

    // ------------------------------------------------------------------ time

    /** Ticks each node {@code times} times, in id order per tick, printing any state change. */
    private void tick(List<Long> ids, int times) {
        for (int t = 0; t < times; t++) {
            for (long id : ids) {
                NodeHost h = host(id);
                h.node.tick();
                h.noteStateChange(out);
            }
        }
    }

    /**
     * Ticks the node until its election timer fires (the engine has no "campaign now" input, on
     * purpose): until its role, term or leader changes, or, for a node that is already a
     * (pre-)candidate, until it has vote requests to send. Other nodes' clocks stand still.
     */
    private void campaign(NodeHost h) {
        Status before = h.node.status();
        if (before.role() == Role.LEADER) {
            throw new ScriptError(h.id + " leads; a leader does not campaign");
        }
        if (h.node.hasReady()) {
            throw new ScriptError(h.id + " has a Ready to process first");
        }
        for (int i = 0; i < MAX_ROUNDS; i++) {
            h.node.tick();
            Status now = h.node.status();
            boolean changed = now.role() != before.role() || now.term() != before.term()
                    || !Objects.equals(now.leader(), before.leader());
            // A follower's tick produces no output except by campaigning.
            if (changed || h.node.hasReady()) {
                h.noteStateChange(out);
                return;
            }
        }
        throw new AssertionError(h.id + " did not campaign in " + MAX_ROUNDS + " ticks: " + h.node.status());
    }

    // ------------------------------------------------------------------ Ready and messages

    private void processReady(List<Long> ids) {
        for (NodeHost h : hostsOrAll(ids)) {
            if (!h.processReady(out, network)) {
                out.line("> " + h.id + " has no Ready");
            }
        }
    }

    /**
     * {@code deliver-msgs [ids] [drop=(ids)] [type=(Kinds)] [from=(ids)]}: delivers the queued
     * messages to the given nodes (all by default); those addressed to a node in {@code drop}
     * are discarded instead. {@code type} (message records by name, e.g.
     * {@code type=(Heartbeat,AppendEntries)}) and {@code from} (senders) select some of the
     * messages; the others stay queued, in order. {@code reverse=true} delivers each node's
     * selected messages last sent first, as a network that reorders them would;
     * {@code dup=true} delivers each of them twice in a row, as a network that duplicates them would.
     */
    private void deliverMsgs(Command c) {
        List<Long> drop = c.idsOption("drop");
        boolean reverse = c.boolOption("reverse", false);
        boolean dup = c.boolOption("dup", false);
        Predicate<RaftMessage> filter = messageFilter(c);
        List<NodeHost> targets = new ArrayList<>(hostsOrAll(c.idArgs(0)));
        for (long d : drop) {
            if (!targets.contains(host(d))) {
                targets.add(host(d));
            }
        }
        targets.sort((a, b) -> a.id.compareTo(b.id));
        for (NodeHost h : targets) {
            deliver(h, filter, drop.contains(h.id.value()), reverse, dup);
        }
    }

    /** {@code drop-msgs ids [type=(Kinds)] [from=(ids)]}: discards queued messages to these nodes. */
    private void dropMsgs(Command c) {
        Predicate<RaftMessage> filter = messageFilter(c);
        for (long id : c.idArgs(0)) {
            deliver(host(id), filter, true, false, false);
        }
    }

    private static Predicate<RaftMessage> messageFilter(Command c) {
        List<String> types = c.listOption("type");
        List<Long> from = c.idsOption("from");
        return m -> (types.isEmpty() || types.contains(m.getClass().getSimpleName()))
                && (from.isEmpty() || from.contains(m.from().value()));
    }

    /** Delivers (or drops) the queued messages to one node; returns whether there were any. */
    private boolean deliver(NodeHost h, Predicate<RaftMessage> filter, boolean dropAll, boolean reverse, boolean dup) {
        List<RaftMessage> taken = network.take(h.id, filter);
        if (reverse) {
            java.util.Collections.reverse(taken);
        }
        List<RaftMessage> msgs = new ArrayList<>();
        taken.forEach(m -> msgs.addAll(dup ? List.of(m, m) : List.of(m)));
        if (msgs.isEmpty()) {
            return false;
        }
        out.line("> " + h.id + " receiving messages");
        out.indented(() -> {
            for (RaftMessage m : msgs) {
                if (dropAll || network.isCut(m)) {
                    out.line("dropped: " + m);
                } else {
                    out.line(m.toString());
                    // What the message did to the node prints under it.
                    out.indented(() -> {
                        h.step(m);
                        h.noteStateChange(out);
                    });
                }
            }
        });
        return true;
    }

    /**
     * Handles every Ready and delivers every message, in rounds (all Readies in id order, then
     * all messages per recipient in id order), until the nodes have nothing left to do.
     */
    private void stabilize(List<NodeHost> group) {
        for (int round = 0; round < MAX_ROUNDS; round++) {
            boolean busy = false;
            for (NodeHost h : group) {
                busy |= h.processReady(out, network);
            }
            for (NodeHost h : group) {
                busy |= deliver(h, m -> true, false, false, false);
            }
            if (!busy) {
                return;
            }
        }
        throw new AssertionError("no quiescence after " + MAX_ROUNDS + " rounds");
    }

    // ------------------------------------------------------------------ client requests

    /** {@code propose-conf-change 1 v4 l5 r2}: make 4 a voter, 5 a learner, remove 2. */
    private void proposeConfChange(Command c) {
        List<ConfChange.Change> changes = new ArrayList<>();
        for (int i = 1; i < c.argCount(); i++) {
            String s = c.arg(i);
            NodeId n = NodeId.of(Command.parseLong(s.substring(1)));
            changes.add(switch (s.charAt(0)) {
                case 'v' -> ConfChange.Change.addVoter(n);
                case 'l' -> ConfChange.Change.addLearner(n);
                case 'r' -> ConfChange.Change.remove(n);
                default -> throw new ScriptError("change must be v<id>, l<id> or r<id>: " + s);
            });
        }
        NodeHost h = host(c.longArg(0));
        try {
            out.line(h.node.proposeConfChange(new ConfChange(changes)).toString());
        } catch (IllegalArgumentException e) {
            // The documented answer to an invalid change, such as adding an existing voter.
            out.line("rejected: " + e.getMessage());
        }
    }

    private void transferLeadership(NodeHost h, NodeId target) {
        h.node.transferLeadership(target);
        h.noteStateChange(out);
    }

    /** {@code read-index 1 ctx [lease]}: a ReadIndex read, or a lease read with {@code lease}. */
    private void readIndex(Command c) {
        ReadMode mode = c.argCount() > 2 && c.arg(2).equals("lease") ? ReadMode.LEASE : ReadMode.READ_INDEX;
        out.line(host(c.longArg(0)).node.readIndex(c.longArg(1), mode).toString());
    }

    // ------------------------------------------------------------------ faults

    /**
     * {@code partition (1,2) (3)}: replaces any earlier cut with one between the listed groups;
     * nodes not listed form one more group, so {@code partition 1} isolates node 1.
     */
    private void partition(Command c) {
        network.heal();
        List<List<Long>> groups = new ArrayList<>();
        TreeSet<Long> rest = new TreeSet<>();
        hosts.keySet().forEach(id -> rest.add(id.value()));
        for (int i = 0; i < c.argCount(); i++) {
            List<Long> g = Command.parseIds(c.arg(i));
            groups.add(g);
            rest.removeAll(g);
        }
        groups.add(new ArrayList<>(rest));
        for (int i = 0; i < groups.size(); i++) {
            for (int j = i + 1; j < groups.size(); j++) {
                network.cutBetween(groups.get(i), groups.get(j));
            }
        }
    }

    /** Cuts the node off from every other, adding to any existing cuts. */
    private void isolate(long id) {
        host(id);
        List<Long> others = new ArrayList<>();
        hosts.keySet().forEach(n -> others.add(n.value()));
        network.cutBetween(List.of(id), others);
    }

    /** {@code compact 1 [index]}: the host snapshots its state machine at an applied index (default: all applied). */
    private void compact(Command c) {
        NodeHost h = host(c.longArg(0));
        long index = c.argCount() > 1 ? c.longArg(1) : h.stateMachine.applied();
        if (index < h.storage.firstIndex()) {
            throw new ScriptError(h.id + " has compacted up to " + (h.storage.firstIndex() - 1) + " already");
        }
        h.storage.compact(index, h.stateMachine.confAt(index), h.stateMachine.imageAt(index));
        out.line(h.id + " snapshot " + NodeHost.describe(h.storage.snapshot()) + ", log now starts at " + h.storage.firstIndex());
    }

    /**
     * A crash and restart: what was not persisted, and the state machine, are lost; with
     * {@code lose-unsynced=true} so is a hard state written by a Ready that did not ask for an fsync.
     */
    private void restart(NodeHost h, boolean loseUnsynced) {
        h.crash(loseUnsynced);
        out.line(h.id + " restarted");
        printStatus(h);
    }

    /** {@code recreate 3}: the node's replica is dropped, its log wiped, and an empty one opened ({@link NodeHost#recreated}). */
    private void recreate(NodeHost h) {
        NodeHost fresh = h.recreated();
        hosts.put(h.id, fresh);
        out.line(h.id + " recreated, vote floor " + fresh.config().voteFloor());
        printStatus(fresh);
    }

    // ------------------------------------------------------------------ inspection

    private void printStatus(NodeHost h) {
        Status s = h.node.status();
        out.line(h.id + ": " + s.role() + " term=" + s.term() + " leader=" + orDash(s.leader())
                + " vote=" + orDash(s.votedFor()) + " commit=" + s.commitIndex() + " applied=" + s.appliedIndex()
                + " log=[" + s.firstIndex() + ", " + s.lastIndex() + "] conf: " + s.conf());
        out.indented(() -> out.line("state machine: applied=" + h.stateMachine.applied()
                + " values=" + h.stateMachine.values()));
    }

    private static String orDash(Object o) {
        return o == null ? "-" : o.toString();
    }

    /** The node's durable storage: what a restart would start from. */
    private void printLog(NodeHost h) {
        MemoryLogStorage s = h.storage;
        out.line("hard state " + s.hardState());
        out.line("snapshot " + NodeHost.describe(s.snapshot()));
        if (s.lastIndex() < s.firstIndex()) {
            out.line("(no entries after the snapshot)");
            return;
        }
        for (LogEntry e : s.entries(s.firstIndex(), s.lastIndex() + 1, Long.MAX_VALUE)) {
            out.line(e.toString());
        }
    }
}
