package io.cairn.sim;

import io.cairn.common.GroupId;
import io.cairn.common.NodeId;
import io.cairn.common.SeededRandom;
import io.cairn.consensus.ConfState;
import io.cairn.consensus.ConsensusMessage;
import io.cairn.consensus.Role;
import io.cairn.consensus.Status;
import io.cairn.sim.kv.ClientOp;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * One deterministic run: a Raft group of 3 or 5 voters (plus 2 spare ids), clients, a faulty
 * network and a nemesis, all on one scheduler and one seeded PRNG. The run has a fault phase,
 * then heals everything and must quiesce (a leader, every client operation answered, every
 * member caught up and equal) within a bound; then final reads go through the leader and the
 * whole client history is checked for linearizability. Invariants are checked after every event.
 *
 * <p>Nothing here reads a clock, starts a thread or iterates a hash map, so a seed and the options
 * fix the run; {@link TraceDigest} proves it.
 */
public final class Simulation {
    /** Addresses at and above this are clients; nodes use their id. */
    static final int CLIENT_BASE = 16;
    private static final long MAX_EVENTS = 20_000_000;
    private static final long QUIESCENCE_POLL_MICROS = 10_000;
    private static final long FINAL_READS_BOUND_MICROS = 3_000_000;

    enum Phase { FAULTS, HEALING, FINAL_READS, DONE }

    private final long seed;
    private final SimOptions options;
    private final CoreFactory factory;
    private final PrintStream trace;
    private final SeededRandom random;
    private final SimParams params;
    private final Stalls stalls;
    private final Scheduler scheduler = new Scheduler();
    private final TraceDigest digest = new TraceDigest();
    private final InvariantChecker checker = new InvariantChecker();
    private final Coverage coverage = new Coverage();
    private final SimFaultPoints faultPoints;
    private final Network network;
    private final SimNode[] nodes;
    /** The one group of a single-group run, as its nodes' stores name it. */
    static final GroupId GROUP = new GroupId(1);
    private final List<SimClient> clients = new ArrayList<>();
    private final List<HistoryOp> history = new ArrayList<>();
    private final List<String> keys = new ArrayList<>();
    /** Watchers of every key, checked against {@link #appliedEvents} at the end. */
    private final List<SimWatcher> watchers = new ArrayList<>();
    /** Per log index, the changes the first node to apply it made; every other node must agree. */
    private final java.util.TreeMap<Long, List<io.cairn.kv.state.WatchEvent>> appliedEvents = new java.util.TreeMap<>();
    static final int WATCHERS = 2;
    private final Nemesis nemesis;
    private SimClient auditor;
    private Phase phase = Phase.FAULTS;
    private long healMicros;
    private long finalReadsMicros;
    private long healToQuiescenceMicros = -1;
    /** The last time since healing the cluster itself was quiet (lock clients may still be finishing); -1: never. */
    private long clusterQuietMicros = -1;
    private long nextReadContext;
    /** Each node's wall clock; skewed in lock runs only. */
    private ClockSkew skew = ClockSkew.NONE;
    /** The lock as the leader held it once the run quiesced (lock runs). */
    private LockCheck.End lockEnd;

    public Simulation(long seed, SimOptions options) {
        this(seed, options, CoreFactory.RAFT, null);
    }

    /** @param trace where to print every event, or null */
    public Simulation(long seed, SimOptions options, CoreFactory factory, PrintStream trace) {
        this.seed = seed;
        this.faultPoints = SimFaultPoints.derive(seed, coverage);
        if (options.workload().crossShard()) {
            throw new IllegalArgumentException("--workload " + options.workload().name().toLowerCase(java.util.Locale.ROOT)
                    .replace('_', '-') + " spans shards: run it with --sharded");
        }
        this.options = options;
        this.factory = factory;
        this.trace = trace;
        this.random = new SeededRandom(seed);
        this.params = SimParams.derive(options, random);
        this.stalls = Stalls.derive(seed, options.faults(), options.sabotage() == SimOptions.Sabotage.LEASE_AFTER_PAUSE);
        this.network = new Network(CLIENT_BASE + params.clients() + 2, scheduler, random, this::receive);
        this.nodes = new SimNode[params.maxNodeId() + 1];
        this.nemesis = new Nemesis(this);
    }

    public SimParams params() {
        return params;
    }

    public SimResult run() {
        String failure = null;
        try {
            setUp();
            loop();
            checkHistory();
            checkWatches();
        } catch (InvariantFailure f) {
            failure = f.getMessage();
        } catch (VirtualMachineError e) {
            throw e;
        } catch (Throwable t) {
            failure = "exception at " + InvariantFailure.formatTime(scheduler.nowMicros()) + ": " + SimRun.describe(t, 6);
        }
        if (trace != null && failure != null) {
            trace.println("FAIL: " + failure);
        }
        return new SimResult(seed, failure, digest.hex(), digest.events(), healToQuiescenceMicros,
                params.voters(), completedOps(), history.stream().filter(HistoryOp::isPending).count(), coverage);
    }


    // ---- Set-up ----------------------------------------------------------------------------------

    private void setUp() {
        if (trace != null) {
            trace.println("seed " + seed + " " + params + " " + faultPoints + " " + stalls);
        }
        configureNetwork(true);
        createNodes();
        for (int id = 1; id <= params.voters(); id++) {
            startNode(nodes[id]);
        }
        for (int k = 1; k <= params.keys(); k++) {
            keys.add("k" + k);
        }
        LockClient.Params lockParams = SimRun.lockParams(options, random, params);
        skew = SimRun.clockSkew(options, seed, params.maxNodeId());
        if (trace != null && lockParams != null) {
            trace.println(lockParams);
            trace.println(skew);
        }
        for (int c = 1; c <= params.clients(); c++) {
            SimClient client = new SimClient(c, CLIENT_BASE + c, scheduler, network, random, history, keys,
                    params.maxNodeId(), params.thinkMaxMicros(), params.clientAttemptTimeoutMicros(),
                    params.clientWanderProbability(), null);
            WorkloadDriver driver = SimRun.driverFor(options, lockParams, c, params.clients(), random,
                    params.thinkMaxMicros(), coverage, 1, scheduler::nowMicros, key -> 0);
            if (driver != null) {
                client.runWorkload(driver);
            }
            clients.add(client);
            client.start(1 + random.nextInt(params.voters()), random.nextLong(50_000));
            SimRun.keepSessionAlive(scheduler, driver, CLIENT_BASE + c, nodes.length - 1, network::send);
        }
        for (int w = 1; w <= WATCHERS; w++) {
            SimWatcher watcher = new SimWatcher(w, CLIENT_BASE + params.clients() + 1 + w, scheduler, random, this::node,
                    params.maxNodeId(), options.sabotage() == SimOptions.Sabotage.WATCH_RESUME_GAP);
            watchers.add(watcher);
            watcher.start(random.nextLong(2_000_000));
        }
        nemesis.start();
        if (stalls.active()) {
            pauseNodesNowAndThen();
        }
        scheduler.at(options.faultPhaseMicros(), EventKind.HEAL, 0, 0, null, this::heal);
    }

    private void configureNetwork(boolean faulty) {
        network.setDropProbability(faulty ? params.dropProbability() : 0);
        network.setDuplicateProbability(params.duplicateProbability());
        network.setDelays(params.minDelayMicros(), params.maxDelayMicros(),
                faulty ? params.spikeProbability() : 0, faulty ? params.spikeMaxMicros() : 0);
    }

    private void createNodes() {
        List<NodeId> voters = new ArrayList<>();
        for (int id = 1; id <= params.voters(); id++) {
            voters.add(NodeId.of(id));
        }
        NodeEnv env = new Env();
        for (int id = 1; id <= params.maxNodeId(); id++) {
            // A spare starts with an empty configuration and learns its membership from the leader.
            ConfState conf = id <= params.voters() ? ConfState.ofVoters(voters) : ConfState.EMPTY;
            NodeId nodeId = NodeId.of(id);
            SimDisk disk = new SimDisk(random.fork());
            try {
                disk.store().createGroup(GROUP, conf);
            } catch (IOException e) {
                throw new UncheckedIOException("the simulated disk failed before any fault", e);
            }
            nodes[id] = new SimNode(nodeId, params.raftConfig(nodeId), disk, GROUP, true, env, factory,
                    params.readMode(), params.followerReads(), options.sabotage(), params.drawClockDriftPpm(id, random));
        }
    }

    /**
     * Starts or restarts a node from its disk, with a random source forked off the one PRNG. A
     * node whose disk is full may fail to start: it tries again after another downtime.
     */
    void startNode(SimNode node) {
        boolean first = node.state() == SimNode.State.NOT_STARTED;
        try {
            node.start(random.fork());
        } catch (IOException e) {
            if (!node.disk().isFull() || !inFaultPhase()) {
                throw new UncheckedIOException(node.id() + " cannot start: " + e.getMessage(), e);
            }
            note(node.id() + " cannot start: " + e.getMessage());
            coverage.add(Coverage.Item.DISK_FULL_STOPS);
            scheduleRestart(node);
            return;
        }
        if (!first) {
            coverage.add(Coverage.Item.RESTARTS);
        }
        note(node.id() + (first ? " starts" : " restarts") + " (incarnation " + node.incarnation() + ")");
        if (first) {
            scheduleTick(node, scheduler.nowMicros() + random.nextLong(SimParams.TICK_MICROS));
        }
        nodeEvent(node, n -> { });
    }

    private void scheduleTick(SimNode node, long atMicros) {
        scheduler.at(atMicros, EventKind.TICK, node.address(), 0, null, () -> {
            if (node.state() == SimNode.State.DECOMMISSIONED) {
                return;
            }
            // A stalled process misses the tick: the loop's schedule finds the ticks owed (or
            // skips them) at its first tick after the stall, on the same phase as before.
            if (!node.stalledAt(scheduler.nowMicros())) {
                nodeEvent(node, SimNode::tick);
            }
            scheduleTick(node, atMicros + node.tickMicros());
        });
    }

    // ---- The event loop --------------------------------------------------------------------------

    private void loop() {
        SimRun.loop(scheduler, digest, trace, MAX_EVENTS, () -> phase == Phase.DONE);
    }

    /**
     * Runs an input on a live node, then its host loop, then the invariants: everything that
     * touches a node goes through here. A message or tick for a node that is down is lost.
     */
    void nodeEvent(SimNode node, Consumer<SimNode> input) {
        if (!node.isUp()) {
            return;
        }
        if (node.stalledAt(scheduler.nowMicros())) {
            // A stalled process takes nothing in; what reached it waits, in order, and is lost if it crashes.
            int incarnation = node.incarnation();
            scheduler.at(node.stalledUntilMicros(), EventKind.STALL, node.address(), 0, null, () -> {
                if (node.incarnation() == incarnation) {
                    nodeEvent(node, input);
                }
            });
            return;
        }
        runInput(node, input);
    }

    /** {@link #nodeEvent}'s work once the process takes input; a stall's end comes straight here. */
    private void runInput(SimNode node, Consumer<SimNode> input) {
        if (!node.isUp()) {
            return;
        }
        input.accept(node);
        if (node.isUp()) {
            node.drain();
        }
        // A process inside a Ready's fsync is between states (the core ahead of its disk): it is
        // judged once the Ready is done, as the server publishes its status only then.
        if (node.isUp() && !node.syncing()) {
            Status status = node.status();
            if (checker.observe(scheduler.nowMicros(), node.id(), status, node.appliedIndex())) {
                coverage.add(Coverage.Item.ELECTIONS);
                note(node.id() + " leads term " + status.term());
            }
        }
    }

    private void receive(int from, int to, Object message) {
        if (to >= CLIENT_BASE) {
            clientAt(to).onReply(from, (ClientReply) message);
            return;
        }
        if (to >= nodes.length) {
            return;
        }
        if (message instanceof ClientRequest request) {
            nodeEvent(nodes[to], n -> n.onClientRequest(from, request));
        } else if (message instanceof SimKeepalive k) {
            nodeEvent(nodes[to], n -> n.onKeepalive(k.sessionId()));
        } else {
            nodeEvent(nodes[to], n -> n.step((ConsensusMessage) message));
        }
    }

    private SimClient clientAt(int address) {
        int id = address - CLIENT_BASE;
        return id <= clients.size() ? clients.get(id - 1) : auditor;
    }

    // ---- Stalls (the PAUSE fault) -------------------------------------------------------------

    /** At random gaps while faults last: a process (the leader half of the time) stops for up to 6 election timeouts. */
    private void pauseNodesNowAndThen() {
        scheduler.after(stalls.nextPauseGapMicros(), EventKind.STALL, 0, 0, null, () -> {
            if (!inFaultPhase()) {
                return;
            }
            List<SimNode> up = new ArrayList<>();
            for (SimNode n : nodes) {
                if (n != null && n.isUp() && !n.stalledAt(scheduler.nowMicros())) {
                    up.add(n);
                }
            }
            SimNode leader = leader();
            leader = leader != null && leader.stalledAt(scheduler.nowMicros()) ? null : leader;
            // The LEASE_AFTER_PAUSE control pauses leaders only: that is where its stale reads are.
            boolean atLeader = options.sabotage() == SimOptions.Sabotage.LEASE_AFTER_PAUSE || stalls.random().chance(0.5);
            SimNode node = leader != null && atLeader ? leader
                    : up.isEmpty() ? null : up.get(stalls.random().nextInt(up.size()));
            if (node != null && node.isUp()) {
                long micros = 10_000 + stalls.random().nextLong(Stalls.PAUSE_MICROS_MAX);
                note(node.id() + " pauses for " + micros / 1_000 + " ms");
                coverage.add(Coverage.Item.PAUSES);
                node.stall(micros);
                resumeLater(node);
            }
            pauseNodesNowAndThen();
        });
    }

    /** When {@code node}'s stall ends, it resumes, unless it crashed in between. */
    private void resumeLater(SimNode node) {
        int incarnation = node.incarnation();
        scheduler.at(node.stalledUntilMicros(), EventKind.STALL, node.address(), 0, null, () -> {
            if (node.incarnation() == incarnation) {
                runInput(node, SimNode::resume);
            }
        });
    }

    /** What nodes see of the world. */
    private final class Env implements NodeEnv {
        @Override
        public boolean stalls() {
            return stalls.active();
        }

        @Override
        public long slowSyncMicros() {
            return stalls.slowSyncMicros(phase == Phase.FAULTS);
        }

        @Override
        public void stalled(SimNode node) {
            resumeLater(node);
        }

        @Override
        public void watchEvents(NodeId node, long fromIndex, long toIndex, List<io.cairn.kv.state.WatchEvent> events) {
            java.util.TreeMap<Long, List<io.cairn.kv.state.WatchEvent>> byIndex = new java.util.TreeMap<>();
            for (long index = fromIndex; index <= toIndex; index++) {
                byIndex.put(index, new ArrayList<>());
            }
            for (io.cairn.kv.state.WatchEvent e : events) {
                byIndex.get(e.revision()).add(e);
            }
            byIndex.forEach((index, at) -> {
                List<io.cairn.kv.state.WatchEvent> first = appliedEvents.putIfAbsent(index, at);
                if (first != null && !first.equals(at)) {
                    throw new InvariantFailure("Watch events agree", scheduler.nowMicros(), node + " applied index "
                            + index + " as " + describe(at) + ", another node as " + describe(first));
                }
            });
        }

        @Override
        public long nowMicros() {
            return scheduler.nowMicros();
        }

        @Override
        public long wallMicros(NodeId node) {
            return skew.wallMicros((int) node.value(), scheduler.nowMicros());
        }

        @Override
        public void send(ConsensusMessage message) {
            checker.onSend(scheduler.nowMicros(), message);
            network.send((int) message.from().value(), (int) message.to().value(), message);
        }

        @Override
        public void reply(int fromNode, int clientAddress, ClientReply reply) {
            network.send(fromNode, clientAddress, reply);
        }

        @Override
        public boolean crashBeforePersist() {
            return phase == Phase.FAULTS && params.crashReadyProbability() > 0
                    && random.chance(params.crashReadyProbability());
        }

        @Override
        public boolean crashAfterCommit() {
            return phase == Phase.FAULTS && params.crashReadyProbability() > 0 && random.chance(0.02);
        }

        @Override
        public boolean crashDuringPersist() {
            return phase == Phase.FAULTS && params.crashReadyProbability() > 0
                    && random.chance(params.crashReadyProbability());
        }

        @Override
        public InvariantChecker checker() {
            return checker;
        }

        @Override
        public long nextReadContext() {
            return ++nextReadContext;
        }

        @Override
        public void note(String text) {
            Simulation.this.note(text);
        }

        @Override
        public void crashed(SimNode node) {
            scheduleRestart(node);
        }

        @Override
        public Coverage coverage() {
            return coverage;
        }

        @Override
        public io.cairn.common.FaultPoints faultPoints() {
            return faultPoints;
        }
    }

    /** A crashed node comes back after a random downtime, unless healing restarts it first. */
    void scheduleRestart(SimNode node) {
        coverage.add(Coverage.Item.CRASHES);
        long downtime = 1_000 + random.nextLong(params.maxDowntimeMicros());
        scheduler.after(downtime, EventKind.RESTART, node.address(), 0, null, () -> {
            if (node.state() == SimNode.State.DOWN && inFaultPhase()) {
                startNode(node);
            }
        });
    }

    Coverage coverage() {
        return coverage;
    }

    void note(String text) {
        digest.note(text);
        if (trace != null) {
            trace.println("    . " + text);
        }
    }

    // ---- Accessors for the nemesis -----------------------------------------------------------------

    boolean inFaultPhase() {
        return phase == Phase.FAULTS;
    }

    SeededRandom random() {
        return random;
    }

    Scheduler scheduler() {
        return scheduler;
    }

    Network network() {
        return network;
    }

    SimParams paramsInternal() {
        return params;
    }

    SimNode node(int id) {
        return nodes[id];
    }

    int maxNodeId() {
        return params.maxNodeId();
    }

    /** The live leader with the highest term, or null. */
    SimNode leader() {
        SimNode best = null;
        long bestTerm = -1;
        for (int id = 1; id < nodes.length; id++) {
            SimNode n = nodes[id];
            if (n.isUp()) {
                Status s = n.status();
                if (s.role() == Role.LEADER && s.term() > bestTerm) {
                    best = n;
                    bestTerm = s.term();
                }
            }
        }
        return best;
    }

    // ---- Healing and liveness ----------------------------------------------------------------------

    private void heal() {
        phase = Phase.HEALING;
        healMicros = scheduler.nowMicros();
        network.healAll();
        configureNetwork(false);
        for (int id = 1; id < nodes.length; id++) {
            nodes[id].disk().free();
        }
        for (int id = 1; id < nodes.length; id++) {
            if (nodes[id].state() == SimNode.State.DOWN) {
                startNode(nodes[id]);
            }
        }
        for (SimClient client : clients) {
            client.stopAfterCurrent();
        }
        scheduler.after(QUIESCENCE_POLL_MICROS, EventKind.CHECK_QUIESCENCE, 0, 0, null, this::checkQuiescence);
    }

    /**
     * Quiet means the cluster is (a leader, nothing in flight, every member caught up) and every
     * lock client finished its turn. A lock client still busy when the bound passes, though the
     * cluster was quiet since healing, breaks lock liveness rather than the cluster's.
     */
    private void checkQuiescence() {
        long sinceHeal = scheduler.nowMicros() - healMicros;
        String waitingFor = quiescenceBlocker();
        String turn = null;
        if (waitingFor == null) {
            clusterQuietMicros = scheduler.nowMicros();
            turn = SimRun.unfinishedTurn(clients);
        }
        if (waitingFor == null && turn == null) {
            checkConvergence();
            healToQuiescenceMicros = sinceHeal;
            lockEnd = SimRun.lockEnd(options, leader(), healMicros);
            note("quiescent " + sinceHeal + "us after healing");
            startFinalReads();
            return;
        }
        if (sinceHeal > options.livenessBoundMicros()) {
            String unfinished = SimRun.unfinishedTurn(clients);
            if (clusterQuietMicros >= 0 && unfinished != null) {
                throw new InvariantFailure(LockCheck.LIVENESS, scheduler.nowMicros(), "the cluster was quiet at "
                        + InvariantFailure.formatTime(clusterQuietMicros) + ", but " + options.livenessBoundMicros() / 1000
                        + " ms after healing a lock client has not finished its turn: " + unfinished
                        + (waitingFor == null ? "" : "; now " + waitingFor));
            }
            throw new InvariantFailure("Liveness", scheduler.nowMicros(), "not quiescent "
                    + options.livenessBoundMicros() / 1000 + " ms after healing: " + waitingFor);
        }
        scheduler.after(QUIESCENCE_POLL_MICROS, EventKind.CHECK_QUIESCENCE, 0, 0, null, this::checkQuiescence);
    }

    /** What keeps the cluster from being quiet, or null when it is. */
    private String quiescenceBlocker() {
        SimNode leader = leader();
        if (leader == null) {
            return "no leader (terms/roles: " + describeNodes() + ")";
        }
        for (SimClient client : clients) {
            if (!client.isIdle()) {
                return "client op in flight: " + client.describeCurrent() + "; leader " + leader.id();
            }
        }
        Status ls = leader.status();
        if (ls.conf().isJoint() || ls.commitIndex() < ls.lastIndex()) {
            return "leader " + leader.id() + " has uncommitted entries or a joint configuration: " + ls;
        }
        for (NodeId member : ls.conf().members()) {
            SimNode n = nodes[(int) member.value()];
            if (!n.isUp() || n.appliedIndex() != ls.commitIndex()) {
                return "member " + member + " not caught up to " + ls.commitIndex() + " (" + describeNode(n) + ")";
            }
        }
        return null;
    }

    /**
     * Every member has applied the same index; their state machines must be equal, byte for byte
     * (data, sessions, applied position), and each consistent with its own indexes.
     */
    private void checkConvergence() {
        SimNode leader = leader();
        Status ls = leader.status();
        for (NodeId member : ls.conf().members()) {
            SimNode n = nodes[(int) member.value()];
            n.checkKvConsistency();
            if (n.kvDigest() != leader.kvDigest()) {
                throw new InvariantFailure("Replica convergence", scheduler.nowMicros(), member + " state "
                        + n.describeKv() + " differs from leader " + leader.id() + " state " + leader.describeKv()
                        + " at applied index " + n.appliedIndex());
            }
        }
    }

    private String describeNodes() {
        StringBuilder sb = new StringBuilder();
        for (int id = 1; id < nodes.length; id++) {
            sb.append(id == 1 ? "" : ", ").append(describeNode(nodes[id]));
        }
        return sb.toString();
    }

    private String describeNode(SimNode n) {
        if (!n.isUp()) {
            return n.id() + " " + n.state();
        }
        Status s = n.status();
        return n.id() + " " + s.role() + " term=" + s.term() + " commit=" + s.commitIndex() + " applied="
                + n.appliedIndex() + " last=" + s.lastIndex() + " leader=" + s.leader() + " conf=" + s.conf();
    }

    /** Reads every key through the leader, so the history ends with what the store holds. */
    private void startFinalReads() {
        phase = Phase.FINAL_READS;
        finalReadsMicros = scheduler.nowMicros();
        List<ClientOp> reads = SimRun.readsOf(keys, options);
        int id = clients.size() + 1;
        auditor = new SimClient(id, CLIENT_BASE + id, scheduler, network, random, history, keys,
                params.maxNodeId(), 0, params.clientAttemptTimeoutMicros(), 0, reads);
        auditor.stopAfterCurrent();
        auditor.start((int) leader().id().value(), 0);
        scheduler.after(QUIESCENCE_POLL_MICROS, EventKind.CHECK_QUIESCENCE, 0, 0, null, this::checkFinalReads);
    }

    private void checkFinalReads() {
        if (SimRun.finalReadsDone(auditor, finalReadsMicros, FINAL_READS_BOUND_MICROS, scheduler.nowMicros())) {
            phase = Phase.DONE;
            return;
        }
        scheduler.after(QUIESCENCE_POLL_MICROS, EventKind.CHECK_QUIESCENCE, 0, 0, null, this::checkFinalReads);
    }

    // ---- The end -----------------------------------------------------------------------------------

    /**
     * Every watch segment received exactly the changes the nodes applied from its start through
     * the revision it was last told it was complete: in revision order, none missing, none twice.
     */
    private void checkWatches() {
        for (SimWatcher w : watchers) {
            for (SimWatcher.Segment s : w.segments()) {
                List<io.cairn.kv.state.WatchEvent> expected = new ArrayList<>();
                for (long index = s.start; index <= s.through; index++) {
                    List<io.cairn.kv.state.WatchEvent> at = appliedEvents.get(index);
                    if (at == null) {
                        throw new InvariantFailure("Watch streams", scheduler.nowMicros(), "watcher " + w.id()
                                + " was told revision " + s.through + " is complete, but no node applied index " + index);
                    }
                    expected.addAll(at);
                }
                if (!expected.equals(s.events)) {
                    throw new InvariantFailure("Watch streams", scheduler.nowMicros(), "watcher " + w.id() + " segment ["
                            + s.start + ", " + s.through + "] received " + describe(s.events) + " but the nodes applied "
                            + describe(expected));
                }
                coverage.add(Coverage.Item.WATCH_SEGMENTS);
                if (!s.events.isEmpty()) {
                    coverage.add(Coverage.Item.WATCH_EVENTS);
                }
            }
        }
    }

    private static String describe(List<io.cairn.kv.state.WatchEvent> events) {
        StringBuilder sb = new StringBuilder(events.size() + " events:");
        for (int i = 0; i < Math.min(events.size(), 12); i++) {
            io.cairn.kv.state.WatchEvent e = events.get(i);
            sb.append(' ').append(e.type()).append('@').append(e.revision()).append(':').append(e.key());
        }
        return events.size() > 12 ? sb + " ..." : sb.toString();
    }

    private void checkHistory() {
        SimRun.checkHistory(clients, history, scheduler.nowMicros(), options, 1, skew, lockEnd, coverage);
    }

    private long completedOps() {
        return SimRun.completedOps(clients);
    }

    /** The client history, for tests and tools. */
    public List<HistoryOp> history() {
        return List.copyOf(history);
    }

    /** Runs and returns the client history (whatever the outcome), for tests. */
    public List<HistoryOp> runAndKeepHistory() {
        run();
        return history();
    }
}
