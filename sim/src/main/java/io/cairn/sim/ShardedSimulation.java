package io.cairn.sim;

import io.cairn.common.GroupId;
import io.cairn.common.NodeId;
import io.cairn.common.SeededRandom;
import io.cairn.consensus.ConfState;
import io.cairn.consensus.ConsensusMessage;
import io.cairn.consensus.Role;
import io.cairn.consensus.Status;
import io.cairn.placement.MemberInfo;
import io.cairn.placement.ShardGroups;
import io.cairn.placement.ShardMap;
import io.cairn.placement.Topology;
import io.cairn.sim.kv.ClientOp;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.Consumer;

/**
 * One deterministic run of a sharded cluster: five founders and two spare machines, a few to ten
 * shards (each a Raft group of three) plus the metadata group on the first three founders, the
 * placement driver and every node's control loops ({@link SimHost}, {@link SimDriver}), clients
 * routing each key to its shard, and a nemesis. Besides the single-group simulator's faults
 * (loss, delay, duplication, partitions, crashes, leadership transfers, compaction), nodes join,
 * one dies for good (a metadata replica too) and one founder may be decommissioned, so replicas
 * of the shards and of the metadata group move between nodes while the clients run.
 *
 * <p>After the fault phase everything heals except the machine that died for good. The run must
 * then quiesce within the liveness bound: the driver has declared the dead node DEAD (or the
 * decommissioned one REMOVED) and every node runs the newest epoch; every shard has a leader
 * whose configuration is exactly its placement (three live nodes, no learner, not joint), every
 * replica caught up and byte-for-byte equal; no node keeps a replica the placement moved away.
 * Final reads of every key go through the shards' leaders, and the history is checked for
 * per-key linearizability, so an acknowledged write lost in a move fails the run. Raft's
 * invariants are checked after every event, per group.
 */
public final class ShardedSimulation {
    static final int FOUNDERS = 5;
    static final int DRIVER_BASE = 16;
    static final int CLIENT_BASE = 32;
    /** How often a host looks for transactions nobody met: the server's second, a tenth as long here. */
    static final long TXN_CLEANUP_PASS_MICROS = 100_000;
    static final long HEARTBEAT_MICROS = 200_000;
    static final long DRIVER_PASS_MICROS = 100_000;
    /** The server's --dead-node-timeout, scaled to the simulated fault phase. */
    static final long DEAD_NODE_TIMEOUT_MICROS = 1_500_000;
    public static final long DEFAULT_LIVENESS_BOUND_MICROS = 30_000_000;
    private static final int KEYS = 24;
    private static final long MAX_EVENTS = 40_000_000;
    private static final long POLL_MICROS = 10_000;
    private static final long FINAL_READS_BOUND_MICROS = 5_000_000;

    enum Phase { FAULTS, HEALING, FINAL_READS, DONE }

    private final long seed;
    private final SimOptions options;
    private final long livenessBoundMicros;
    private final PrintStream trace;
    private final SeededRandom random;
    private final SimParams params;
    private final Stalls stalls;
    /** Draws for disk damage, a stream of the seed of its own (added after seeds were pinned). */
    private final SeededRandom damage;
    private static final long DAMAGE_STREAM = 0x6461_6d61_6765_0000L;
    private final int shards;
    private final ShardMap shardMap;
    private final TreeMap<NodeId, String> founders = new TreeMap<>();
    private final Scheduler scheduler = new Scheduler();
    private final TraceDigest digest = new TraceDigest();
    private final Coverage coverage = new Coverage();
    private final SimFaultPoints faultPoints;
    private final TreeMap<GroupId, InvariantChecker> checkers = new TreeMap<>();
    private final Network network;
    private final SimHost[] hosts;
    private final List<SimClient> clients = new ArrayList<>();
    private final List<HistoryOp> history = new ArrayList<>();
    private final List<String> keys = new ArrayList<>();
    private SimClient auditor;
    private Phase phase = Phase.FAULTS;
    private long healMicros;
    private long finalReadsMicros;
    private long healToQuiescenceMicros = -1;
    /** The last time since healing the cluster itself was quiet (lock clients may still be finishing); -1: never. */
    private long clusterQuietMicros = -1;
    private long nextReadContext;
    /** Each machine's wall clock; skewed in lock runs only. */
    private ClockSkew skew = ClockSkew.NONE;
    /** The lock as its shard's leader held it once the run quiesced (lock runs). */
    private LockCheck.End lockEnd;
    /** The machine that died for good, or null. */
    private NodeId destroyed;
    /** The node being decommissioned, or null. */
    private NodeId removing;
    /** Spares started with another shard count: never members, never hosts of a replica. */
    private final TreeSet<NodeId> misconfigured = new TreeSet<>();

    public ShardedSimulation(long seed, SimOptions options, PrintStream trace) {
        this.seed = seed;
        this.faultPoints = SimFaultPoints.derive(seed, coverage);
        this.options = options;
        this.livenessBoundMicros = options.livenessBoundMicros() == SimOptions.DEFAULT_LIVENESS_BOUND_MICROS
                ? DEFAULT_LIVENESS_BOUND_MICROS : options.livenessBoundMicros();
        this.trace = trace;
        this.random = new SeededRandom(seed);
        this.params = SimParams.derive(options.withNodes(FOUNDERS), random);
        this.stalls = Stalls.derive(seed, options.faults(), false);
        this.damage = new SeededRandom(Hashing.combine(seed, DAMAGE_STREAM));
        this.shards = 4 + random.nextInt(7);
        this.shardMap = ShardMap.of(shards);
        for (int id = 1; id <= FOUNDERS; id++) {
            founders.put(NodeId.of(id), SimHost.addressOf(NodeId.of(id)));
        }
        this.network = new Network(CLIENT_BASE + params.clients() + 2, scheduler, random, this::receive);
        this.hosts = new SimHost[params.maxNodeId() + 1];
    }

    public SimResult run() {
        String failure = null;
        try {
            setUp();
            loop();
            checkHistory();
        } catch (InvariantFailure f) {
            failure = f.getMessage();
        } catch (VirtualMachineError e) {
            throw e;
        } catch (Throwable t) {
            failure = "exception at " + InvariantFailure.formatTime(scheduler.nowMicros()) + ": " + SimRun.describe(t, 8);
        }
        if (trace != null && failure != null) {
            trace.println("FAIL: " + failure);
        }
        long pending = history.stream().filter(HistoryOp::isPending).count();
        return new SimResult(seed, failure, digest.hex(), digest.events(), healToQuiescenceMicros, FOUNDERS,
                completedOps(), pending, coverage);
    }

    public int shardCount() {
        return shards;
    }


    // ---- Set-up ----------------------------------------------------------------------------------

    private void setUp() {
        if (trace != null) {
            trace.println("seed " + seed + " sharded shards=" + shards + " " + params + " " + faultPoints + " " + stalls);
        }
        configureNetwork(true);
        checkers.put(ShardGroups.META_GROUP, new InvariantChecker());
        for (int s = 0; s < shards; s++) {
            checkers.put(ShardGroups.groupOfShard(s), new InvariantChecker());
        }
        List<NodeId> metaVoters = Topology.metaVoters(founders);
        for (int id = 1; id < hosts.length; id++) {
            hosts[id] = new SimHost(NodeId.of(id), this, id > FOUNDERS);
            hosts[id].found(metaVoters);
        }
        for (int id = 1; id <= FOUNDERS; id++) {
            hosts[id].start();
        }
        for (int k = 1; k <= KEYS; k++) {
            keys.add("k" + k);
        }
        LockClient.Params lockParams = SimRun.lockParams(options, random, params);
        skew = SimRun.clockSkew(options, seed, params.maxNodeId());
        if (trace != null && lockParams != null) {
            trace.println(lockParams);
            trace.println(skew);
        }
        for (int c = 1; c <= params.clients(); c++) {
            SimClient client = newClient(c, params.thinkMaxMicros(), params.clientWanderProbability(), null);
            WorkloadDriver driver = SimRun.driverFor(options, lockParams, c, params.clients(), random,
                    params.thinkMaxMicros(), coverage, shards, scheduler::nowMicros, this::shardOfKey);
            if (driver != null) {
                client.runWorkload(driver);
            }
            clients.add(client);
            client.start(1 + random.nextInt(FOUNDERS), random.nextLong(50_000));
            SimRun.keepSessionAlive(scheduler, driver, client.address(), hosts.length - 1, network::send);
        }
        startNemesis();
        scheduler.at(options.faultPhaseMicros(), EventKind.HEAL, 0, 0, null, this::heal);
    }

    private SimClient newClient(int id, long thinkMaxMicros, double wander, List<ClientOp> script) {
        return new SimClient(id, CLIENT_BASE + id, scheduler, network, random, history, keys, params.maxNodeId(),
                thinkMaxMicros, params.clientAttemptTimeoutMicros(), wander, script, this::shardOfKey);
    }

    GroupId groupOfKey(String key) {
        return ShardGroups.groupOfShard(shardOfKey(key));
    }

    /** What {@code host}'s wall clock reads now, in milliseconds. */
    long wallMillis(SimHost host) {
        return skew.wallMicros(host.address(), scheduler.nowMicros()) / 1_000;
    }

    int maxNodeId() {
        return params.maxNodeId();
    }

    Scheduler scheduler() {
        return scheduler;
    }

    private int shardOfKey(String key) {
        return shardMap.shardOfKey(key.getBytes(StandardCharsets.UTF_8));
    }

    private void configureNetwork(boolean faulty) {
        network.setDropProbability(faulty ? params.dropProbability() : 0);
        network.setDuplicateProbability(params.duplicateProbability());
        network.setDelays(params.minDelayMicros(), params.maxDelayMicros(),
                faulty ? params.spikeProbability() : 0, faulty ? params.spikeMaxMicros() : 0);
    }

    SimOptions options() {
        return options;
    }

    SortedMap<NodeId, String> founders() {
        return founders;
    }

    Topology initialTopology() {
        return Topology.initial(founders, shards);
    }

    /**
     * A replica of {@code group} on {@code host}: a founding one with its configuration, or one
     * opened for a placement move with an empty log. The host's store creates the log, and a
     * replica the host dropped before left its term, vote and vote floor there for this one.
     */
    SimNode newReplica(SimHost host, GroupId group, ConfState conf) throws java.io.IOException {
        if (conf.members().isEmpty()) {
            coverage.add(Coverage.Item.REPLICAS_OPENED);
        }
        host.disk().store().createGroup(group, conf);
        return openReplica(host, group);
    }

    /** A replica of {@code group} whose log {@code host}'s store holds. */
    SimNode openReplica(SimHost host, GroupId group) {
        SimNode replica = new SimNode(host.id(), params.raftConfig(host.id()), host.disk(), group, false,
                new ReplicaEnv(host, group), CoreFactory.RAFT, params.readMode(), params.followerReads(),
                options.sabotage(), 0);
        replica.useKeepalives(host::keepalives);
        return replica;
    }

    /** A host's periodic work, at a random phase, for as long as the machine exists. */
    void startHostLoops(SimHost host) {
        repeat(host, EventKind.TICK, SimParams.TICK_MICROS, SimHost::tick);
        repeat(host, EventKind.CONTROL, HEARTBEAT_MICROS, SimHost::heartbeat);
        // As often as the host's control decisions may act; they keep their own intervals.
        repeat(host, EventKind.CONTROL, newHostControl(host.id()).reconcileIntervalMillis() * 1_000, SimHost::control);
        // Any machine may come to hold the metadata group; the driver idles unless its replica leads.
        repeat(host, EventKind.CONTROL, DRIVER_PASS_MICROS, h -> h.driver().pass());
        if (options.workload().crossShard()) {
            // Only where transactions run: another timer would shift every other run's draws.
            repeat(host, EventKind.CONTROL, TXN_CLEANUP_PASS_MICROS, SimHost::txnCleanup);
        }
    }

    private void repeat(SimHost host, EventKind kind, long periodMicros, Consumer<SimHost> action) {
        scheduleRepeat(host, kind, scheduler.nowMicros() + random.nextLong(periodMicros), periodMicros, action);
    }

    private void scheduleRepeat(SimHost host, EventKind kind, long atMicros, long periodMicros, Consumer<SimHost> action) {
        scheduler.at(atMicros, kind, host.address(), 0, null, () -> {
            if (host.state() == SimHost.State.GONE) {
                return;
            }
            // A stalled process misses its timers' turns (a fixed-delay timer runs once when it
            // wakes, at its next turn here), and its loop finds the ticks owed at its first tick.
            if (host.isUp() && !host.stalledAt(scheduler.nowMicros())) {
                action.accept(host);
            }
            scheduleRepeat(host, kind, atMicros + periodMicros, periodMicros, action);
        });
    }

    // ---- The event loop --------------------------------------------------------------------------

    private void loop() {
        SimRun.loop(scheduler, digest, trace, MAX_EVENTS, () -> phase == Phase.DONE);
    }

    /**
     * Runs {@code work} now, or, while {@code host} is stalled, when the stall ends (unless the
     * process crashed in between): a stalled process takes nothing in, and what reached it waits
     * in order.
     */
    private void whenRunning(SimHost host, Runnable work) {
        if (!host.stalledAt(scheduler.nowMicros())) {
            work.run();
            return;
        }
        int incarnation = host.incarnation();
        scheduler.at(host.stalledUntilMicros(), EventKind.STALL, host.address(), 0, null, () -> {
            if (host.isUp() && host.incarnation() == incarnation) {
                whenRunning(host, work);
            }
        });
    }

    boolean stallsProcesses() {
        return stalls.active();
    }

    int electionTicks() {
        return params.raftConfig(NodeId.of(1)).electionTicks();
    }

    /** At random gaps while faults last: a machine's process stops whole, sometimes past the dead-node timeout. */
    private void pauseHostsNowAndThen() {
        scheduler.after(stalls.nextPauseGapMicros(), EventKind.STALL, 0, 0, null, () -> {
            if (phase != Phase.FAULTS) {
                return;
            }
            List<SimHost> up = new ArrayList<>();
            for (int id = 1; id < hosts.length; id++) {
                if (hosts[id].isUp() && !hosts[id].stalledAt(scheduler.nowMicros())) {
                    up.add(hosts[id]);
                }
            }
            if (!up.isEmpty()) {
                SimHost host = up.get(stalls.random().nextInt(up.size()));
                long micros = 10_000 + stalls.random().nextLong(Stalls.SHARDED_PAUSE_MICROS_MAX);
                note(host.id() + " pauses for " + micros / 1_000 + " ms");
                coverage.add(Coverage.Item.PAUSES);
                host.stall(micros);
            }
            pauseHostsNowAndThen();
        });
    }

    /** Runs an input on a live replica, then its host loop, then its group's invariants. */
    void replicaEvent(SimHost host, GroupId group, SimNode replica, Consumer<SimNode> input) {
        whenRunning(host, () -> runReplicaInput(host, group, replica, input));
    }

    /** {@link #replicaEvent}'s work once the host takes input; the end of a replica's slow fsync comes straight here. */
    private void runReplicaInput(SimHost host, GroupId group, SimNode replica, Consumer<SimNode> input) {
        if (!host.isUp() || !replica.isUp()) {
            return;
        }
        input.accept(replica);
        if (replica.isUp()) {
            replica.drain();
        }
        // A replica inside a Ready's fsync is judged once the Ready is done (see Simulation.nodeEvent).
        if (replica.isUp() && !replica.syncing()) {
            Status status = replica.status();
            if (checker(group).observe(scheduler.nowMicros(), replica.id(), status, replica.appliedIndex())) {
                coverage.add(Coverage.Item.ELECTIONS);
                note(replica.id() + " leads g" + group.value() + " term " + status.term());
            }
        }
    }

    private void receive(int from, int to, Object message) {
        if (to >= CLIENT_BASE) {
            clientAt(to).onReply(from, (ClientReply) message);
            return;
        }
        if (to >= DRIVER_BASE) {
            SimHost host = hosts[to - DRIVER_BASE];
            if (host.isUp()) {
                host.driver().onReply((ClientReply) message);
            }
            return;
        }
        SimHost host = hosts[to];
        if (!host.isUp()) {
            return;
        }
        if (host.stalledAt(scheduler.nowMicros())) {
            whenRunning(host, () -> receive(from, to, message));
            return;
        }
        if (message instanceof SimHost.GroupMessage m) {
            host.onGroupMessage(m);
        } else if (message instanceof ClientRequest request) {
            GroupId group = from >= DRIVER_BASE && from < CLIENT_BASE ? ShardGroups.META_GROUP
                    : request.op() instanceof io.cairn.sim.kv.TxnRoundOp r && r.group() != null ? r.group()
                    : ShardGroups.groupOfShard(shardOfKey(request.op().key()));
            host.onClientRequest(from, request, group);
        } else if (message instanceof ClientReply reply) {
            host.onClientReply(reply);
        } else if (message instanceof SimKeepalive k) {
            host.onKeepalive(k);
        } else if (message instanceof SimHost.Heartbeat hb) {
            host.onHeartbeat(hb);
        } else if (message instanceof SimHost.HeartbeatAck ack) {
            host.onHeartbeatAck(ack);
        }
    }

    private SimClient clientAt(int address) {
        int id = address - CLIENT_BASE;
        return id <= clients.size() ? clients.get(id - 1) : auditor;
    }

    void sendControl(int from, int to, Object message) {
        network.send(from, to, message);
    }

    void reply(int from, int clientAddress, ClientReply reply) {
        network.send(from, clientAddress, reply);
    }

    void driverRequest(SimHost host, ClientRequest request) {
        network.send(DRIVER_BASE + host.address(), host.address(), request);
    }

    /** The server's control decisions for {@code host}, with the simulated election timeout. */
    io.cairn.placement.HostControl newHostControl(NodeId host) {
        long electionMillis = params.raftConfig(host).electionTicks() * SimParams.TICK_MICROS / 1_000;
        return new io.cairn.placement.HostControl(host, electionMillis, HEARTBEAT_MICROS / 1_000);
    }

    InvariantChecker checker(GroupId group) {
        return checkers.get(group);
    }

    long nowMicros() {
        return scheduler.nowMicros();
    }

    SeededRandom random() {
        return random;
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

    /** What one replica sees of the world: its group's messages travel between its host and others. */
    private final class ReplicaEnv implements NodeEnv {
        private final SimHost host;
        private final GroupId group;

        ReplicaEnv(SimHost host, GroupId group) {
            this.host = host;
            this.group = group;
        }

        @Override
        public long nowMicros() {
            return scheduler.nowMicros();
        }

        /** The machine's wall clock, which all its replicas read. */
        @Override
        public long wallMicros(NodeId node) {
            return skew.wallMicros(host.address(), scheduler.nowMicros());
        }

        @Override
        public void send(ConsensusMessage message) {
            ShardedSimulation.this.checker(group).onSend(scheduler.nowMicros(), message);
            network.send(host.address(), (int) message.to().value(), new SimHost.GroupMessage(group, message));
        }

        @Override
        public void reply(int fromNode, int clientAddress, ClientReply reply) {
            network.send(fromNode, clientAddress, reply);
        }

        @Override
        public void intentMet(ClientRequest request, io.cairn.kv.state.Result.Locked locked, long nowMillis,
                              java.util.function.BiConsumer<ClientReply.Outcome, io.cairn.sim.kv.OpResult> answer) {
            host.onIntentMet(group, request, locked, nowMillis, answer);
        }

        @Override
        public boolean crashBeforePersist() {
            return phase == Phase.FAULTS && params.crashReadyProbability() > 0
                    && random.chance(params.crashReadyProbability() / 4);
        }

        @Override
        public boolean crashAfterCommit() {
            return phase == Phase.FAULTS && params.crashReadyProbability() > 0 && random.chance(0.005);
        }

        @Override
        public boolean crashDuringPersist() {
            return phase == Phase.FAULTS && params.crashReadyProbability() > 0
                    && random.chance(params.crashReadyProbability() / 4);
        }

        @Override
        public InvariantChecker checker() {
            return ShardedSimulation.this.checker(group);
        }

        @Override
        public long slowSyncMicros() {
            return stalls.slowSyncMicros(phase == Phase.FAULTS);
        }

        /** One replica's fsync blocks the host's loop: every replica on the machine waits. */
        @Override
        public void stalled(SimNode replica) {
            host.stall(replica.stalledUntilMicros() - scheduler.nowMicros());
            int incarnation = host.incarnation();
            // Hosts already stalled are never paused again, so this stall ends when the fsync does.
            scheduler.at(replica.stalledUntilMicros(), EventKind.STALL, host.address(), 0, null, () -> {
                if (host.isUp() && host.incarnation() == incarnation && host.replica(group) == replica) {
                    runReplicaInput(host, group, replica, SimNode::resume);
                }
            });
        }

        @Override
        public boolean leaseTrusted() {
            return host.leaseTrusted();
        }

        @Override
        public long nextReadContext() {
            return ++nextReadContext;
        }

        @Override
        public void note(String text) {
            ShardedSimulation.this.note(text);
        }

        @Override
        public void crashed(SimNode node) {
            // One replica's crash is its process's: every group on the machine goes down with it.
            host.crash();
            scheduleRestart(host);
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

    // ---- The nemesis -------------------------------------------------------------------------------

    private void startNemesis() {
        if (params.partitionGapMicros() > 0) {
            scheduleFault(params.partitionGapMicros(), EventKind.PARTITION, this::partition);
        }
        if (params.crashGapMicros() > 0) {
            scheduleFault(params.crashGapMicros(), EventKind.CRASH, this::crashOne);
        }
        if (params.transferGapMicros() > 0) {
            scheduleFault(params.transferGapMicros(), EventKind.TRANSFER, this::transferOne);
        }
        if (params.compactGapMicros() > 0) {
            scheduleFault(params.compactGapMicros(), EventKind.COMPACT, this::compactOne);
        }
        if (params.diskFullGapMicros() > 0) {
            scheduleFault(params.diskFullGapMicros(), EventKind.CRASH, this::fillOneDisk);
        }
        if (stalls.active()) {
            pauseHostsNowAndThen();
        }
        if (params.faults().contains(Fault.MEMBERSHIP)) {
            scheduleMembershipChanges();
        }
    }

    private void scheduleFault(long meanGapMicros, EventKind kind, Runnable action) {
        long gap = 1 + random.nextLong(2 * meanGapMicros);
        scheduler.after(gap, kind, 0, 0, null, () -> {
            if (phase == Phase.FAULTS) {
                action.run();
                scheduleFault(meanGapMicros, kind, action);
            }
        });
    }

    /**
     * Joins of the spares, one machine lost for good, perhaps one decommission (of a founder or
     * a joiner, perhaps of the machine that is then lost), and operator mistakes: a spare started
     * with another shard count, and add-node of a live member's id at another address.
     */
    private void scheduleMembershipChanges() {
        long phaseMicros = options.faultPhaseMicros();
        for (int id = FOUNDERS + 1; id < hosts.length; id++) {
            SimHost spare = hosts[id];
            boolean joins = id == FOUNDERS + 1 || random.chance(0.5);
            if (joins || random.chance(0.5)) {
                if (!joins) {
                    spare.misconfigure(shards * 2);
                    misconfigured.add(spare.id());
                }
                long at = phaseMicros / 10 + random.nextLong(phaseMicros / 2);
                scheduler.at(at, EventKind.MEMBERSHIP, spare.address(), 0, null, () -> {
                    coverage.add(Coverage.Item.JOINS);
                    note(spare.id() + " starts with --join" + (spare.misconfigured() ? " and --shards " + shards * 2 : ""));
                    spare.start();
                });
            }
        }
        if (random.chance(0.8)) {
            long at = phaseMicros / 5 + random.nextLong(phaseMicros * 3 / 5);
            scheduler.at(at, EventKind.MEMBERSHIP, 0, 0, null, this::destroyOne);
        }
        if (random.chance(0.4)) {
            long at = phaseMicros / 5 + random.nextLong(phaseMicros * 3 / 5);
            scheduler.at(at, EventKind.MEMBERSHIP, 0, 0, null, this::decommissionOne);
        }
        if (random.chance(0.3)) {
            long at = phaseMicros / 5 + random.nextLong(phaseMicros * 3 / 5);
            scheduler.at(at, EventKind.MEMBERSHIP, 0, 0, null, this::reAddElsewhere);
        }
    }

    /**
     * A machine (a metadata replica too) dies and never comes back; sometimes the one being
     * decommissioned, so the removal races with its death.
     */
    private void destroyOne() {
        List<SimHost> candidates = new ArrayList<>();
        for (int id = 1; id < hosts.length; id++) {
            SimHost h = hosts[id];
            if (h.state() != SimHost.State.NOT_STARTED && h.state() != SimHost.State.GONE && !h.id().equals(removing)
                    && !misconfigured.contains(h.id())) {
                candidates.add(h);
            }
        }
        boolean racing = removing != null && hosts[(int) removing.value()].state() != SimHost.State.GONE && random.chance(0.3);
        if (candidates.isEmpty() && !racing) {
            return;
        }
        SimHost victim = racing ? hosts[(int) removing.value()] : candidates.get(random.nextInt(candidates.size()));
        destroyed = victim.id();
        if (damage.chance(0.5)) {
            damageThenStart(victim);
        }
        victim.destroy();
        coverage.add(Coverage.Item.PERMANENT_DEATHS);
        note(victim.id() + " dies for good" + (racing ? " while being removed" : ""));
    }

    /**
     * Half the machines lost for good go by a damaged disk: the process stops, a bit flips in a
     * file every start reads whole (its tombstones, a WAL segment a newer one follows, a snapshot),
     * and a restart must refuse the store, naming the file, rather than start from a state it
     * never had; or, for a snapshot file no log stands on, remove it unread.
     */
    private void damageThenStart(SimHost victim) {
        victim.crash();
        SimDisk.Damage flipped;
        try {
            flipped = victim.disk().damage(damage);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        if (flipped == null) {
            return;
        }
        note(victim.id() + "'s disk has a flipped bit in " + flipped);
        try {
            victim.disk().store();
        } catch (java.io.IOException | IllegalStateException e) {
            String message = String.valueOf(e.getMessage());
            if (!message.contains(flipped.file().getFileName().toString())) {
                throw new InvariantFailure("Damaged disks are refused", scheduler.nowMicros(), victim.id()
                        + " failed to open its store with a flipped bit in " + flipped + " for another reason: " + e);
            }
            coverage.add(Coverage.Item.DAMAGE_REFUSED);
            note(victim.id() + " refuses to start: " + message);
            return;
        }
        // Recovering exactly is right too, for a file the store never reads: a snapshot no log
        // stands on (left by a crash), which the open removes.
        if (victim.disk().exists(flipped.file())) {
            throw new InvariantFailure("Damaged disks are refused", scheduler.nowMicros(), victim.id()
                    + " opened its store with a flipped bit in " + flipped);
        }
        coverage.add(Coverage.Item.DAMAGE_UNREAD);
        note(victim.id() + " opened its store: " + flipped.file().getFileName() + " was read by nothing and removed");
    }

    /** {@code cluster remove-node} for a founder or a joiner that started, sent until a driver serves it. */
    private void decommissionOne() {
        List<SimHost> candidates = new ArrayList<>();
        for (int id = 1; id < hosts.length; id++) {
            SimHost h = hosts[id];
            boolean started = h.state() == SimHost.State.UP || h.state() == SimHost.State.DOWN;
            if (started && !misconfigured.contains(h.id()) && (id <= FOUNDERS || isMember(h.id()))) {
                candidates.add(h);
            }
        }
        if (candidates.isEmpty()) {
            return;
        }
        removing = candidates.get(random.nextInt(candidates.size())).id();
        note("remove-node " + removing);
        coverage.add(Coverage.Item.REMOVALS);
        askToRemove();
    }

    private boolean isMember(NodeId id) {
        SimHost serving = servingDriverHost();
        return serving != null && member(serving, id) != null;
    }

    /**
     * {@code cluster add-node} of a live member's id at another address (a typo): the serving
     * driver must refuse it, by the rule the server's driver runs.
     */
    private void reAddElsewhere() {
        SimHost serving = servingDriverHost();
        if (serving == null) {
            return;
        }
        List<MemberInfo> up = serving.driver().members().stream().filter(m -> m.state() == MemberInfo.State.UP).toList();
        if (up.isEmpty()) {
            return;
        }
        MemberInfo target = up.get(random.nextInt(up.size()));
        String refused = serving.driver().addNode(new MemberInfo(target.id(), "elsewhere:" + target.id().value(), "",
                MemberInfo.State.UP));
        if (refused == null) {
            throw new InvariantFailure("Admission", scheduler.nowMicros(), "add-node " + target.id()
                    + " at another address was accepted while it is " + target.state());
        }
        coverage.add(Coverage.Item.ADDS_REFUSED);
        note("add-node " + target.id() + "=elsewhere refused: " + refused);
    }

    private void askToRemove() {
        SimHost serving = servingDriverHost();
        MemberInfo m = serving == null ? null : member(serving, removing);
        if (m != null && (m.state() == MemberInfo.State.LEAVING || m.state() == MemberInfo.State.REMOVED)) {
            return;
        }
        if (serving != null) {
            serving.driver().removeNode(removing);
        }
        scheduler.after(200_000, EventKind.MEMBERSHIP, 0, 0, null, this::askToRemove);
    }

    private static MemberInfo member(SimHost driverHost, NodeId id) {
        for (MemberInfo m : driverHost.driver().members()) {
            if (m.id().equals(id)) {
                return m;
            }
        }
        return null;
    }

    private SimHost servingDriverHost() {
        SimHost best = null;
        for (int id = 1; id < hosts.length; id++) {
            SimHost h = hosts[id];
            if (h.isUp() && h.driver().serving()
                    && (best == null || h.driver().epoch() > best.driver().epoch())) {
                best = h;
            }
        }
        return best;
    }

    private void partition() {
        network.healAll();
        if (!random.chance(0.7)) {
            return;
        }
        TreeSet<Integer> side = new TreeSet<>();
        int size = 1 + random.nextInt(2);
        while (side.size() < size) {
            side.add(1 + random.nextInt(hosts.length - 1));
        }
        boolean oneWay = params.oneWayPartitions() && (!params.symmetricPartitions() || random.chance(0.5));
        for (int a : side) {
            for (int b = 1; b < hosts.length; b++) {
                if (!side.contains(b)) {
                    network.block(a, b);
                    if (!oneWay) {
                        network.block(b, a);
                    }
                }
            }
        }
        coverage.add(Coverage.Item.PARTITIONS);
        note("partition " + side + (oneWay ? " (outbound only)" : ""));
    }

    /** A host that is up, drawn at random; null when none is. */
    private SimHost randomUpHost() {
        List<SimHost> up = new ArrayList<>();
        for (int id = 1; id < hosts.length; id++) {
            if (hosts[id].isUp()) {
                up.add(hosts[id]);
            }
        }
        return up.isEmpty() ? null : up.get(random.nextInt(up.size()));
    }

    private void crashOne() {
        SimHost victim = randomUpHost();
        if (victim == null) {
            return;
        }
        note(victim.id() + " crashes");
        victim.crash();
        scheduleRestart(victim);
    }

    boolean inFaultPhase() {
        return phase == Phase.FAULTS;
    }

    /** The CRASHREADY fault's coin for a replica drop: does the machine crash in the middle of it? */
    boolean crashDuringDrop() {
        return phase == Phase.FAULTS && params.crashReadyProbability() > 0 && random.chance(0.1);
    }

    void scheduleRestart(SimHost host) {
        coverage.add(Coverage.Item.CRASHES);
        scheduleStart(host);
    }

    /** A down host starts after a random downtime, and again after another if its disk is full. */
    private void scheduleStart(SimHost host) {
        long downtime = 1_000 + random.nextLong(params.maxDowntimeMicros());
        scheduler.after(downtime, EventKind.RESTART, host.address(), 0, null, () -> {
            if (host.state() == SimHost.State.DOWN && phase == Phase.FAULTS) {
                if (host.start()) {
                    coverage.add(Coverage.Item.RESTARTS);
                } else {
                    scheduleStart(host);
                }
            }
        });
    }

    /**
     * Fills a running host's disk for up to the longest downtime: its process dies at its next
     * write (as the server halts on a failed WAL write) and cannot start while it is full.
     */
    private void fillOneDisk() {
        SimHost victim = randomUpHost();
        if (victim == null) {
            return;
        }
        victim.disk().fill();
        note(victim.id() + "'s disk is full");
        scheduler.after(1_000 + random.nextLong(params.maxDowntimeMicros()), EventKind.RESTART, 0, 0, null, () -> {
            victim.disk().free();
            note(victim.id() + "'s disk has space again");
        });
    }

    private void transferOne() {
        SimHost h = hosts[1 + random.nextInt(hosts.length - 1)];
        if (!h.isUp()) {
            return;
        }
        for (GroupId group : h.groups()) {
            SimNode r = h.replica(group);
            if (r.isUp() && r.status().role() == Role.LEADER && random.chance(0.5)) {
                List<NodeId> voters = new ArrayList<>(r.status().conf().voters());
                NodeId target = voters.get(random.nextInt(voters.size()));
                coverage.add(Coverage.Item.TRANSFERS);
                note(h.id() + " transfers g" + group.value() + " to " + target);
                replicaEvent(h, group, r, n -> n.transferLeadership(target));
                return;
            }
        }
    }

    private void compactOne() {
        SimHost h = hosts[1 + random.nextInt(hosts.length - 1)];
        if (!h.isUp()) {
            return;
        }
        for (GroupId group : h.groups()) {
            SimNode r = h.replica(group);
            if (r.isUp()) {
                r.takeCheckpoint();
                if (r.compact(random.chance(0.5)) > 0) {
                    coverage.add(Coverage.Item.COMPACTIONS);
                }
            }
        }
    }

    // ---- Healing and liveness ----------------------------------------------------------------------

    private void heal() {
        phase = Phase.HEALING;
        healMicros = scheduler.nowMicros();
        network.healAll();
        configureNetwork(false);
        for (int id = 1; id < hosts.length; id++) {
            hosts[id].disk().free();
        }
        for (int id = 1; id < hosts.length; id++) {
            if (hosts[id].state() == SimHost.State.DOWN) {
                hosts[id].start();
            }
        }
        for (SimClient client : clients) {
            client.stopAfterCurrent();
        }
        note("healing; lost for good: " + (destroyed == null ? "none" : destroyed)
                + "; decommissioned: " + (removing == null ? "none" : removing));
        scheduler.after(POLL_MICROS, EventKind.CHECK_QUIESCENCE, 0, 0, null, this::checkQuiescence);
    }

    /** As the single group's: the cluster fully replicated and every lock client done with its turn. */
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
            lockEnd = SimRun.lockEnd(options, leaderOf(lockGroup()), healMicros);
            note("fully replicated " + sinceHeal + "us after healing");
            startFinalReads();
            return;
        }
        if (sinceHeal > livenessBoundMicros) {
            String unfinished = SimRun.unfinishedTurn(clients);
            if (clusterQuietMicros >= 0 && unfinished != null) {
                throw new InvariantFailure(LockCheck.LIVENESS, scheduler.nowMicros(), "the cluster was fully"
                        + " replicated at " + InvariantFailure.formatTime(clusterQuietMicros) + ", but "
                        + livenessBoundMicros / 1000 + " ms after healing a lock client has not finished its turn: "
                        + unfinished + (waitingFor == null ? "" : "; now " + waitingFor));
            }
            throw new InvariantFailure("Liveness", scheduler.nowMicros(), "not fully replicated "
                    + livenessBoundMicros / 1000 + " ms after healing: " + waitingFor);
        }
        scheduler.after(POLL_MICROS, EventKind.CHECK_QUIESCENCE, 0, 0, null, this::checkQuiescence);
    }

    /** What keeps the cluster from being healed and fully replicated, or null when it is. */
    private String quiescenceBlocker() {
        SimHost driverHost = servingDriverHost();
        if (driverHost == null) {
            return "no placement driver serves";
        }
        String membership = membershipBlocker(driverHost.driver());
        if (membership != null) {
            return membership;
        }
        Topology topology = driverHost.driver().topology();
        for (int id = 1; id < hosts.length; id++) {
            SimHost h = hosts[id];
            if (h.isUp() && h.topology().epoch != topology.epoch) {
                return h.id() + " runs epoch " + h.topology().epoch + ", not " + topology.epoch;
            }
        }
        String groups = groupBlocker(ShardGroups.META_GROUP, topology.replicasOf(ShardGroups.META_GROUP));
        for (int s = 0; groups == null && s < shards; s++) {
            GroupId group = ShardGroups.groupOfShard(s);
            groups = groupBlocker(group, topology.replicasOf(group));
        }
        if (groups != null) {
            return groups;
        }
        String leftovers = leftoverBlocker(topology);
        if (leftovers != null) {
            return leftovers;
        }
        for (SimClient client : clients) {
            if (!client.isIdle()) {
                return "client op in flight: " + client.describeCurrent();
            }
        }
        return null;
    }

    /** The membership must show every live node UP, the lost one DEAD and the decommissioned one REMOVED. */
    private String membershipBlocker(SimDriver driver) {
        TreeMap<NodeId, MemberInfo.State> states = new TreeMap<>();
        driver.members().forEach(m -> states.put(m.id(), m.state()));
        for (NodeId bad : misconfigured) {
            if (states.containsKey(bad)) {
                throw new InvariantFailure("Admission", scheduler.nowMicros(), bad + ", started with another shard count,"
                        + " is a member: " + SimDriver.describe(driver.members()));
            }
            if (hosts[(int) bad.value()].state() == SimHost.State.UP) {
                return bad + " (misconfigured) has not been refused yet";
            }
        }
        for (int id = 1; id < hosts.length; id++) {
            SimHost h = hosts[id];
            if (h.state() == SimHost.State.NOT_STARTED || misconfigured.contains(h.id())) {
                continue;
            }
            MemberInfo.State want = h.id().equals(removing) ? MemberInfo.State.REMOVED
                    : h.state() == SimHost.State.GONE ? MemberInfo.State.DEAD : MemberInfo.State.UP;
            MemberInfo.State has = states.get(h.id());
            // A machine lost for good may have been removed first, or never have finished joining.
            boolean gone = h.state() == SimHost.State.GONE && (has == MemberInfo.State.REMOVED || has == null);
            if (has != want && !gone) {
                return "membership epoch " + driver.epoch() + " has " + h.id() + " " + has + ", expected " + want
                        + " (" + SimDriver.describe(driver.members()) + "); driver's reports " + driver.freshReports();
            }
        }
        return null;
    }

    /** A group is done when its leader's configuration is exactly {@code target} and all have applied all. */
    private String groupBlocker(GroupId group, List<NodeId> target) {
        SimNode leader = leaderOf(group);
        if (leader == null) {
            return "g" + group.value() + " has no leader: " + describeGroup(group);
        }
        Status ls = leader.status();
        ConfState conf = ls.conf();
        if (conf.isJoint() || !conf.learners().isEmpty() || !conf.voters().equals(new TreeSet<>(target))) {
            return "g" + group.value() + " has configuration " + conf + ", placement wants " + target;
        }
        if (ls.commitIndex() < ls.lastIndex()) {
            return "g" + group.value() + " leader " + leader.id() + " has uncommitted entries";
        }
        for (NodeId member : target) {
            SimNode r = hosts[(int) member.value()].replica(group);
            if (r == null || !r.isUp() || r.appliedIndex() != ls.commitIndex()) {
                return "g" + group.value() + " replica on " + member + " not caught up to " + ls.commitIndex();
            }
        }
        return null;
    }

    private String describeGroup(GroupId group) {
        StringBuilder sb = new StringBuilder();
        for (int id = 1; id < hosts.length; id++) {
            SimNode r = hosts[id].replica(group);
            if (r == null) {
                continue;
            }
            sb.append(sb.length() == 0 ? "" : "; ").append(hosts[id].id()).append(' ');
            if (!r.isUp()) {
                sb.append(hosts[id].state());
                continue;
            }
            Status s = r.status();
            sb.append(s.role()).append(" t").append(s.term()).append(" commit=").append(s.commitIndex())
                    .append(" last=").append(s.lastIndex()).append(" conf=").append(s.conf());
        }
        return sb.toString();
    }

    /** No live node keeps a replica its placement moved away. */
    private String leftoverBlocker(Topology topology) {
        List<NodeId> metaReplicas = topology.replicasOf(ShardGroups.META_GROUP);
        for (int id = 1; id < hosts.length; id++) {
            SimHost h = hosts[id];
            if (!h.isUp()) {
                continue;
            }
            TreeSet<GroupId> wanted = new TreeSet<>(topology.groupsOf(h.id()));
            if (metaReplicas.contains(h.id())) {
                wanted.add(ShardGroups.META_GROUP);
            }
            if (!wanted.equals(h.groups())) {
                TreeSet<GroupId> extra = new TreeSet<>(h.groups());
                extra.removeAll(wanted);
                return h.id() + " holds " + h.groups() + ", placement gives it " + wanted
                        + (extra.isEmpty() ? "" : "; " + h.describe(extra.first()) + "; " + describeGroup(extra.first()));
            }
        }
        return null;
    }

    /** The live leader of {@code group} with the highest term, or null. */
    private SimNode leaderOf(GroupId group) {
        SimNode best = null;
        for (int id = 1; id < hosts.length; id++) {
            SimNode r = hosts[id].isUp() ? hosts[id].replica(group) : null;
            if (r != null && r.isUp() && r.status().role() == Role.LEADER
                    && (best == null || r.status().term() > best.status().term())) {
                best = r;
            }
        }
        return best;
    }

    /** Every replica of every group equals its leader's, byte for byte. */
    private void checkConvergence() {
        for (GroupId group : checkers.keySet()) {
            SimNode leader = leaderOf(group);
            for (NodeId member : leader.status().conf().members()) {
                SimNode r = hosts[(int) member.value()].replica(group);
                r.checkKvConsistency();
                if (r.kvDigest() != leader.kvDigest()) {
                    throw new InvariantFailure("Replica convergence", scheduler.nowMicros(), "g" + group.value()
                            + " on " + member + " state " + r.describeKv() + " differs from leader " + leader.id()
                            + " state " + leader.describeKv());
                }
            }
        }
    }

    private void startFinalReads() {
        phase = Phase.FINAL_READS;
        finalReadsMicros = scheduler.nowMicros();
        List<ClientOp> reads = SimRun.readsOf(keys, options);
        auditor = newClient(clients.size() + 1, 0, 0, reads);
        auditor.stopAfterCurrent();
        auditor.start(1 + random.nextInt(FOUNDERS), 0);
        scheduler.after(POLL_MICROS, EventKind.CHECK_QUIESCENCE, 0, 0, null, this::checkFinalReads);
    }

    private void checkFinalReads() {
        if (SimRun.finalReadsDone(auditor, finalReadsMicros, FINAL_READS_BOUND_MICROS, scheduler.nowMicros())) {
            phase = Phase.DONE;
            return;
        }
        scheduler.after(POLL_MICROS, EventKind.CHECK_QUIESCENCE, 0, 0, null, this::checkFinalReads);
    }

    // ---- The end -----------------------------------------------------------------------------------

    private void checkHistory() {
        SimRun.checkHistory(clients, history, scheduler.nowMicros(), options, shards, skew, lockEnd, coverage);
    }

    /** The group of the lock workload's shard. */
    private GroupId lockGroup() {
        return ShardGroups.groupOfShard(shardOfKey(LockClient.LOCK));
    }

    private long completedOps() {
        return SimRun.completedOps(clients);
    }

    /** The client history, for tests. */
    public List<HistoryOp> history() {
        return List.copyOf(history);
    }
}
