package io.cairn.sim;

import io.cairn.common.Bytes;
import io.cairn.common.GroupId;
import io.cairn.common.InvariantViolation;
import io.cairn.common.NodeId;
import io.cairn.common.RandomSource;
import io.cairn.consensus.ConfState;
import io.cairn.consensus.ConsensusCore;
import io.cairn.consensus.ConsensusMessage;
import io.cairn.consensus.EntryType;
import io.cairn.consensus.LogEntry;
import io.cairn.consensus.ProposeResult;
import io.cairn.consensus.ReadMode;
import io.cairn.consensus.ReadState;
import io.cairn.consensus.Ready;
import io.cairn.consensus.Role;
import io.cairn.consensus.Snapshot;
import io.cairn.consensus.SnapshotMeta;
import io.cairn.consensus.Status;
import io.cairn.kv.state.Command;
import io.cairn.kv.state.CommandEnvelope;
import io.cairn.kv.state.ExpiryCadence;
import io.cairn.kv.state.Result;
import io.cairn.multiraft.GroupLog;
import io.cairn.multiraft.PendingRequests;
import io.cairn.multiraft.WalLogStore;
import io.cairn.raft.RaftConfig;
import io.cairn.kv.state.WatchHub;
import io.cairn.kv.state.WatchRetention;
import io.cairn.sim.kv.AggOp;
import io.cairn.sim.kv.KvOp;
import io.cairn.sim.kv.KvReplica;
import io.cairn.sim.kv.KvResult;
import io.cairn.sim.kv.OpResult;
import java.io.IOException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * One simulated replica of a group: a consensus engine, its log and the real kv-state state
 * machine ({@link KvReplica}), driven exactly as {@link io.cairn.consensus.Ready} prescribes. The
 * log is the server's {@link io.cairn.multiraft.WalLogStore} on the machine's {@link SimDisk}: what
 * was synced survives a crash, the rest is lost or torn. Everything else (engine, state machine,
 * pending requests) dies with the process and is rebuilt from the disk on restart.
 *
 * <p>Writes are proposed as kv-state {@link CommandEnvelope}s carrying the client's (id, seq), so
 * kv-state's session table makes them exactly-once, and the node's wall clock in milliseconds
 * (virtual time, offset in lock runs: {@link ClockSkew}) as the leader's timestamp, the only
 * clock the state machine sees.
 */
final class SimNode {
    enum State { NOT_STARTED, UP, DOWN, DECOMMISSIONED }

    /** A client request waiting on Raft, and whom to answer. */
    private record Waiting(ClientRequest request, int clientAddress) {}

    /** A state machine image the node took, as snapshot data, and may later compact its log to. */
    private record Checkpoint(long index, ConfState conf, Bytes data) {}

    private static final int MAX_READY_ROUNDS = 10_000;
    private static final long READ_EXPIRY_MICROS = 1_000_000;
    private static final int MAX_CHECKPOINTS = 4;
    /** How often a leader looks for due expiries, as the server's GroupReplica does. */

    private final NodeId id;
    private final RaftConfig config;
    /** The machine's disk: this replica's own in a single-group run, shared by the host's replicas in a sharded one. */
    private final SimDisk disk;
    private final GroupId group;
    private final boolean ownsDisk;
    private final NodeEnv env;
    private final CoreFactory factory;
    private final ReadMode readMode;
    private final boolean followerReads;
    private final SimOptions.Sabotage sabotage;
    /** How much faster than true time this node's clock runs, in parts per million (negative: slower). */
    private final long clockDriftPpm;
    /** The process's watch history and watchers, the server's own (memory: gone at a crash). */
    private WatchHub watches;
    /** Small, so that resuming watchers meet COMPACTED now and then. */
    static final WatchRetention WATCH_RETENTION = new WatchRetention(300, 1L << 20, 0);
    private State state = State.NOT_STARTED;
    private ConsensusCore core;
    private KvReplica kv;
    /** The server's rules for waiting requests ({@link PendingRequests}), answered over the simulated network. */
    private final PendingRequests<Waiting, Waiting> pending = new PendingRequests<>(new PendingRequests.Answers<>() {
        @Override
        public void writeFailed(Waiting write, PendingRequests.Failure why) {
            if (why == PendingRequests.Failure.NOT_LEADER) {
                replyNotLeader(write.clientAddress(), write.request(), core.status());
            } else {
                reply(write.clientAddress(), write.request(), ClientReply.Outcome.RETRY, null);
            }
        }

        @Override
        public void readFailed(Waiting read, PendingRequests.Failure why) {
            if (read.request() == null) {
                return; // a refresh of this replica's freshness, which nobody waits for
            }
            if (why == PendingRequests.Failure.NOT_LEADER) {
                replyNotLeader(read.clientAddress(), read.request(), core.status());
            } else if (why != PendingRequests.Failure.TIMED_OUT) {
                reply(read.clientAddress(), read.request(), ClientReply.Outcome.RETRY, null);
            }
            // A read that timed out is forgotten: its client has retried by then.
        }
    });
    private final ArrayDeque<Checkpoint> checkpoints = new ArrayDeque<>();
    /** The entries of the persist the machine crashed in, if it did: any prefix may have survived. */
    private List<LogEntry> inDoubt = List.of();
    private int incarnation;
    /** When this process last looked for due expiries (soft state). */
    private ExpiryCadence expiryCadence;
    /** The server's rule for ending lock sessions (soft state, rebuilt from the replica at start). */
    private io.cairn.kv.state.SessionExpiry sessionExpiry;
    /** The keep-alives this process received: its own, or its host's in a sharded run. */
    private java.util.function.Supplier<io.cairn.kv.state.Keepalives> keepalives;
    private io.cairn.kv.state.Keepalives ownKeepalives;
    /** The term in which this process last judged sessions as leader; 0: not yet. */
    private long sessionsJudgedTerm;
    /**
     * The server loop's tick and lease rule, in a run whose nodes can stall ({@link NodeEnv#stalls}),
     * new at each start. Null otherwise: every tick event ticks.
     */
    private ProcessTicks ticksByLoop;
    /** Until when (true time) the process is stalled and takes no input; 0: running. */
    private long stalledUntilMicros;
    /** The Ready whose fsync is stalling the process, finished when the stall ends. */
    private Ready syncing;

    /**
     * @param disk the machine's disk, whose store already holds {@code group}
     * @param ownsDisk this replica is its process's only one: its crash is the machine's
     */
    SimNode(NodeId id, RaftConfig config, SimDisk disk, GroupId group, boolean ownsDisk, NodeEnv env,
            CoreFactory factory, ReadMode readMode, boolean followerReads, SimOptions.Sabotage sabotage,
            long clockDriftPpm) {
        this.id = id;
        this.config = config;
        this.disk = disk;
        this.group = group;
        this.ownsDisk = ownsDisk;
        this.env = env;
        this.factory = factory;
        this.readMode = readMode;
        this.followerReads = followerReads;
        this.sabotage = sabotage;
        this.clockDriftPpm = clockDriftPpm;
    }

    /** How long this node's clock takes for one tick, in true time: a fast clock ticks sooner. */
    long tickMicros() {
        return SimParams.TICK_MICROS * 1_000_000 / (1_000_000 + clockDriftPpm);
    }

    /** This node's own monotonic clock: what it measures intervals with (BOUNDED reads' freshness, session expiry). */
    private long localMicros() {
        long now = env.nowMicros();
        return now + now / 1_000_000 * clockDriftPpm + now % 1_000_000 * clockDriftPpm / 1_000_000;
    }

    NodeId id() {
        return id;
    }

    /** As the server does about once a second: quiet watchers are told how far they are complete. */
    private static final int WATCH_PROGRESS_TICKS = 100;
    private long ticks;

    /**
     * Registers a watcher of {@code range} from {@code startRevision} (0: from the next change),
     * as the server's Watch service does; the sink is called at once with what is retained.
     */
    WatchHub.Watcher watch(io.cairn.kv.state.KeyRange range, long startRevision, WatchHub.Sink sink)
            throws WatchHub.CompactedException, WatchHub.NotServingException {
        WatchHub.Watcher w = watches.watch(range, startRevision, sink);
        watches.progress();
        return w;
    }

    /** The revision a watch from now starts at on this node. */
    long watchStartNow() {
        return watches.appliedRevision() + 1;
    }

    int address() {
        return (int) id.value();
    }

    State state() {
        return state;
    }

    boolean isUp() {
        return state == State.UP;
    }

    Status status() {
        return core.status();
    }

    long appliedIndex() {
        return kv.appliedIndex();
    }

    /** A hash of the state machine's whole image: data, sessions and applied position. */
    long kvDigest() {
        return Hashing.ofBytes(kv.image());
    }

    String describeKv() {
        return kv.describe(nowMillis());
    }

    /** Lock {@code name}'s holders and waiters as a read on this node sees them now. */
    java.util.Optional<io.cairn.kv.state.LockState> lockState(String name) {
        return kv.lockState(name, readTimeMillis());
    }

    /** Checks the state machine's own indexes against its records. */
    void checkKvConsistency() {
        try {
            kv.checkConsistency();
        } catch (InvariantViolation e) {
            throw new InvariantFailure("State machine consistency", env.nowMicros(), id + ": " + e.getMessage());
        }
    }

    int incarnation() {
        return incarnation;
    }

    SimDisk disk() {
        return disk;
    }

    /** This replica's log as the store holds it (the process is up). */
    GroupLog log() {
        return disk.openStore().group(group);
    }

    /**
     * Starts (or restarts) the process from what is on disk, as the server opens a replica: the
     * state machine from the log's snapshot, the vote floor from the tombstone of a replica of
     * the group this machine dropped before.
     */
    void start(RandomSource random) throws IOException {
        WalLogStore store = disk.store();
        GroupLog log = store.group(group);
        if (env.checker().onRecovered(env.nowMicros(), id, log, inDoubt) > 0) {
            env.coverage().add(Coverage.Item.TORN_WRITES_KEPT);
        }
        inDoubt = List.of();
        Snapshot snapshot = log.snapshot();
        kv = replicaOf(snapshot);
        watches = new WatchHub(kv.appliedIndex(), Runnable::run, WATCH_RETENTION, 1L << 20, () -> env.nowMicros() * 1_000);
        RaftConfig startConfig = config.withAppliedIndex(0)
                .withVoteFloor(store.tombstone(group).map(WalLogStore.Tombstone::lastEntry).orElse(RaftConfig.NO_FLOOR));
        core = factory.create(startConfig, log, random, env.faultPoints());
        state = State.UP;
        incarnation++;
        expiryCadence = new ExpiryCadence();
        sessionExpiry = new io.cairn.kv.state.SessionExpiry();
        sessionExpiry.reset(kv.lockSessions(), nowNanos());
        sessionsJudgedTerm = 0;
        ticksByLoop = env.stalls() ? new ProcessTicks(tickMicros() * 1_000, config.electionTicks(), env.coverage()) : null;
        stalledUntilMicros = 0;
        syncing = null;
        if (keepalives == null || ownKeepalives != null) {
            ownKeepalives = new io.cairn.kv.state.Keepalives();
            keepalives = () -> ownKeepalives;
        }
    }

    /** In a sharded run: the keep-alives are the host process's, shared by its replicas. */
    void useKeepalives(java.util.function.Supplier<io.cairn.kv.state.Keepalives> hostKeepalives) {
        this.keepalives = hostKeepalives;
        this.ownKeepalives = null;
    }

    /** A lock session's keep-alive reached this process (a server counts it for every shard it leads). */
    void onKeepalive(long sessionId) {
        keepalives.get().seen(sessionId, nowNanos());
    }

    /**
     * The monotonic clock keep-alives and session expiry are measured on: the same one that
     * ticks, as the server reads both from {@code Clock.nanoTime()} (so the SKEW fault's rate
     * drift applies to it, and a wall clock's offset does not).
     */
    private long nowNanos() {
        return localMicros() * 1_000;
    }

    /** Kills the process: only what its disk synced remains. */
    void crash() {
        core = null;
        kv = null;
        if (watches != null) {
            watches.close(id + " crashed");
            watches = null;
        }
        pending.forget();
        checkpoints.clear();
        syncing = null; // its fsync never returned: only what was synced before remains
        stalledUntilMicros = 0;
        state = State.DOWN;
        if (ownsDisk) {
            disk.crash();
        }
    }

    /** Stops a node whose removal from the group is applied; it never comes back. */
    void decommission() {
        if (state == State.UP) {
            crash();
        }
        state = State.DECOMMISSIONED;
    }

    /**
     * A tick event: in a run whose nodes stall, the server loop's schedule decides how many ticks
     * are due (those owed after a short stall are replayed, a long stall's skipped); else one.
     */
    void tick() {
        if (ticksByLoop == null) {
            tickOnce();
        } else {
            ticksByLoop.tick(env.nowMicros() * 1_000, this::isUp, this::tickOnce);
        }
    }

    /**
     * Whether a LEASE read may use the lease now, as the server's loop judges it: not right after
     * the process started or stalled past what ticks can make up.
     */
    private boolean leaseTrusted() {
        if (sabotage == SimOptions.Sabotage.LEASE_AFTER_PAUSE) {
            return true;
        }
        return ticksByLoop != null ? ticksByLoop.leaseTrusted(env.nowMicros() * 1_000) : env.leaseTrusted();
    }

    /** Whether the process is stalled at true time {@code nowMicros} (a pause, a slow fsync): its input waits. */
    boolean stalledAt(long nowMicros) {
        return stalledUntilMicros > nowMicros;
    }

    /** Whether the process is inside a Ready's slow fsync. */
    boolean syncing() {
        return syncing != null;
    }

    long stalledUntilMicros() {
        return stalledUntilMicros;
    }

    /** Stalls the process for {@code micros} (SIGSTOP, a GC pause): it takes no input until then. */
    void stall(long micros) {
        stalledUntilMicros = Math.max(stalledUntilMicros, env.nowMicros() + micros);
    }

    /** The stall is over: a Ready whose fsync was slow is finished (its later messages sent, applied). */
    void resume() {
        if (stalledAt(env.nowMicros())) {
            return; // stalled again since: a later resume finishes it
        }
        stalledUntilMicros = 0;
        Ready ready = syncing;
        syncing = null;
        if (ready != null) {
            finishReady(ready);
        }
    }

    private void tickOnce() {
        core.tick();
        pending.expire(env.nowMicros());
        if (++ticks % WATCH_PROGRESS_TICKS == 0) {
            long leaderlessMax = WatchHub.leaderlessNanosMax(config.electionTicks(), SimParams.TICK_MICROS * 1_000);
            if (watches.progress(core.status().leader() != null, leaderlessMax) > 0) {
                env.coverage().add(Coverage.Item.WATCHERS_SENT_ON);
            }
        }
        maybeProposeExpire();
        endLapsedSessions();
    }

    /** As the server's replica does on its tick: a leader ends the sessions without keep-alives for their TTL. */
    private void endLapsedSessions() {
        sessionExpiry.tick(nowNanos());
        if (core.status().role() != Role.LEADER) {
            return;
        }
        if (core.status().term() != sessionsJudgedTerm) {
            // As the server: a leadership begins (perhaps within this very tick), every session gets a full TTL.
            sessionExpiry.becameLeader(nowNanos());
            sessionsJudgedTerm = core.status().term();
        }
        List<Long> lapsed = sessionExpiry.due(nowNanos(), keepalives.get()::lastSeen, Command.EndSessions.SESSIONS_MAX);
        if (!lapsed.isEmpty()) {
            core.propose(CommandEnvelope.withoutSession(nowMillis(), new Command.EndSessions(lapsed, true)).encode());
            env.coverage().add(Coverage.Item.SESSIONS_ENDED);
        }
    }

    /**
     * As the server's replica does on its tick, by the same {@link ExpiryCadence}: a leader
     * proposes kv-state's Expire, stamped with its time, when something is due: the TTL
     * workload's keys, lock grants (sessions idle for ten minutes, longer than a run).
     */
    private void maybeProposeExpire() {
        if (core.status().role() != Role.LEADER || !expiryCadence.lookNow(env.nowMicros() / 1_000)) {
            return;
        }
        long nowMillis = nowMillis();
        if (nowMillis >= kv.nextExpiryMillis()) {
            core.propose(CommandEnvelope.withoutSession(nowMillis, new Command.Expire(nowMillis)).encode());
            env.coverage().add(Coverage.Item.EXPIRES_PROPOSED);
        }
    }

    void step(ConsensusMessage message) {
        core.step(message);
    }

    // ---- The host loop -----------------------------------------------------------------------

    /** Does every Ready the engine has, in the order Ready's javadoc prescribes. */
    void drain() {
        int rounds = 0;
        while (state == State.UP && syncing == null && core.hasReady()) {
            if (++rounds > MAX_READY_ROUNDS) {
                throw new InvariantFailure("Ready loop terminates", env.nowMicros(), id
                        + " still has a Ready after " + MAX_READY_ROUNDS + " rounds");
            }
            Ready ready = core.ready();
            sendAll(ready.messages());
            if (sabotage == SimOptions.Sabotage.ACK_BEFORE_FSYNC) {
                sendAll(ready.messagesAfterPersist());
            }
            if (env.crashBeforePersist()) {
                env.note(id + " crashes before persisting a Ready");
                env.coverage().add(Coverage.Item.CRASHES_BEFORE_PERSIST);
                crash();
                env.crashed(this);
                return;
            }
            long slowMicros = ready.mustSync() ? env.slowSyncMicros() : 0;
            if (slowMicros > 0) {
                // The loop blocks in the fsync: nothing else happens on this node until it returns.
                env.note(id + " fsync takes " + slowMicros / 1_000 + " ms");
                env.coverage().add(Coverage.Item.SLOW_SYNCS);
                syncing = ready;
                stall(slowMicros);
                env.stalled(this);
                return;
            }
            if (!finishReady(ready)) {
                return;
            }
        }
    }

    /** Persists a Ready whose earlier messages are out, then does the rest; false when the node died. */
    private boolean finishReady(Ready ready) {
        if (ready.mustSync() && env.crashDuringPersist()) {
            env.coverage().add(Coverage.Item.CRASHES_DURING_PERSIST);
            disk.crashAtNextSync();
        }
        try {
            persist(ready);
        } catch (IOException e) {
            inDoubt = ready.entries();
            diedOf(e, "persisting a Ready");
            return false;
        }
        if (sabotage != SimOptions.Sabotage.ACK_BEFORE_FSYNC) {
            sendAll(ready.messagesAfterPersist());
        }
        installAndApply(ready);
        serveReads(ready.readStates());
        core.advance(ready);
        releaseOnStepDown();
        boolean committed = ready.hardState() != null && !ready.committedEntries().isEmpty();
        if (committed && core.status().role() == Role.LEADER && env.crashAfterCommit()) {
            env.note(id + " crashes right after committing");
            env.coverage().add(Coverage.Item.CRASHES_BEFORE_PERSIST);
            crash();
            env.crashed(this);
            return false;
        }
        return true;
    }

    /** As the server: a replica that stops leading answers the requests waiting on it at once. */
    private void releaseOnStepDown() {
        Status s = core.status();
        pending.observe(s.role() == Role.LEADER, s.leader());
    }

    private void sendAll(List<ConsensusMessage> messages) {
        for (ConsensusMessage m : messages) {
            env.send(m);
        }
    }

    /**
     * The server's persist, by the server's store: snapshot file, then one WAL append of the
     * snapshot, entries and hard state, one fsync when mustSync.
     */
    private void persist(Ready ready) throws IOException {
        InvariantChecker checker = env.checker();
        WalLogStore store = disk.openStore();
        checker.beforePersist(env.nowMicros(), id, core.status(), ready, store.group(group).hardState());
        store.persist(List.of(new WalLogStore.GroupReady(group, ready)));
        if (ready.snapshot() != null) {
            long chain = KvReplica.chainHashOf(ready.snapshot().data());
            checker.onSnapshotPersisted(env.nowMicros(), id, ready.snapshot().meta(), chain);
            env.coverage().add(Coverage.Item.SNAPSHOTS_INSTALLED);
        }
        if (!ready.entries().isEmpty()) {
            checker.onEntriesPersisted(env.nowMicros(), id, ready.entries());
        }
    }

    /**
     * The disk failed under the process ({@link SimDisk#crashAtNextSync}, a full disk): as the
     * server's loop halts on any I/O error and restarts from its disk, the process dies.
     */
    private void diedOf(IOException e, String doing) {
        env.note(id + " dies " + doing + ": " + e.getMessage());
        if (disk.isFull()) {
            env.coverage().add(Coverage.Item.DISK_FULL_STOPS);
        }
        crash();
        env.crashed(this);
    }

    private void installAndApply(Ready ready) {
        if (ready.snapshot() != null) {
            installSnapshot(ready.snapshot());
        }
        if (!ready.committedEntries().isEmpty()) {
            apply(ready.committedEntries());
        }
    }

    private void installSnapshot(Snapshot snapshot) {
        long index = snapshot.meta().index();
        env.checker().onInstall(env.nowMicros(), id, index, kv.appliedIndex());
        kv = replicaOf(snapshot);
        sessionExpiry.reset(kv.lockSessions(), nowNanos());
        watches.snapshotInstalled(index);
        env.checker().onImage(env.nowMicros(), id, index, kvDigest());
        // Writes whose slots the snapshot covers may or may not be in it: let their clients retry.
        pending.snapshotInstalled(index);
    }

    /** The state machine in a snapshot, which must stand at the snapshot's index and term. */
    private KvReplica replicaOf(Snapshot snapshot) {
        KvReplica replica = KvReplica.fromSnapshotData(snapshot.data());
        SnapshotMeta meta = snapshot.meta();
        if (replica.appliedIndex() != meta.index() || replica.appliedTerm() != meta.term()) {
            throw new InvariantFailure("Snapshot image position", env.nowMicros(), id + " has snapshot " + meta
                    + " whose state machine image stands at index " + replica.appliedIndex() + ", term "
                    + replica.appliedTerm());
        }
        return replica;
    }

    /** Applies committed entries in one kv-state call (one engine write), then answers their clients. */
    private void apply(List<LogEntry> committed) {
        long appliedBefore = kv.appliedIndex();
        for (LogEntry entry : committed) {
            env.checker().onApply(env.nowMicros(), id, entry, appliedBefore);
            appliedBefore = entry.index();
        }
        KvReplica.Applied applied = kv.apply(committed);
        List<Result> results = applied.results();
        env.watchEvents(id, committed.get(0).index(), committed.get(committed.size() - 1).index(), applied.events());
        watches.published(applied.events(), kv.appliedIndex());
        applied.sessionsOpened().forEach((session, ttl) -> sessionExpiry.track(session, ttl, nowNanos()));
        applied.sessionsLeft().forEach(sessionExpiry::forget);
        for (int i = 0; i < committed.size(); i++) {
            LogEntry entry = committed.get(i);
            if (entry.type() == EntryType.CONFIG) {
                env.coverage().add(Coverage.Item.CONF_ENTRIES_APPLIED);
            }
            Result result = results.get(i);
            if (result instanceof Result.Expired x && x.more()) {
                env.coverage().add(Coverage.Item.EXPIRES_PARTIAL);
            }
            expiryCadence.applied(result);
            pending.applied(entry.index(), entry.term(), w -> answerWrite(w, entry, result));
        }
    }

    /**
     * Answers a write whose own entry was applied with kv-state's result. A stale result means
     * the client has moved on to a later sequence; nobody waits for it.
     */
    private void answerWrite(Waiting pending, LogEntry entry, Result result) {
        ClientRequest req = pending.request();
        // The shipped PendingRequests decides whose entry this is; judged here from the entry
        // itself, since a write answered with another's result is seldom visible in reads.
        CommandEnvelope applied = CommandEnvelope.decode(entry.data());
        boolean own = applied.clientId() == CommandEnvelope.NO_SESSION
                || (applied.clientId() == req.client() && applied.sequence() == req.seq());
        if (!own) {
            throw new InvariantFailure("Writes answered by their own entry", env.nowMicros(), id + " answered " + req
                    + " with the result of entry " + entry.index() + "/" + entry.term() + " of client "
                    + applied.clientId() + " seq " + applied.sequence());
        }
        if (result instanceof Result.Stale) {
            reply(pending.clientAddress(), req, ClientReply.Outcome.RETRY, null);
            return;
        }
        if (result instanceof Result.Rejected rejected) {
            throw new InvariantFailure("Commands within limits", env.nowMicros(), id + " applied " + req
                    + " at index " + entry.index() + " and kv-state rejected it: " + rejected);
        }
        if (result instanceof Result.Locked locked) {
            int clientAddress = pending.clientAddress();
            env.intentMet(req, locked, nowMillis(), (outcome, answer) -> {
                if (isUp()) {
                    reply(clientAddress, req, outcome, answer);
                }
            });
            return;
        }
        env.coverage().add(Coverage.Item.WRITES_OK);
        reply(pending.clientAddress(), req, ClientReply.Outcome.OK, req.op().answer(result));
    }

    // ---- Reads ---------------------------------------------------------------------------------

    private void serveReads(List<ReadState> readStates) {
        for (ReadState rs : readStates) {
            pending.readConfirmed(rs.context(), rs.index());
        }
        pending.serveConfirmed(kv.appliedIndex(), read -> {
            if (read.request() == null) {
                return;
            }
            env.coverage().add(Coverage.Item.READS_OK);
            OpResult result = read.request().op() instanceof AggOp agg ? kv.aggregate(agg, watches, readTimeMillis())
                    : kv.read(read.request().op().key(), readTimeMillis());
            reply(read.clientAddress(), read.request(), ClientReply.Outcome.OK, result);
        });
    }

    // ---- Client requests -------------------------------------------------------------------------

    void onClientRequest(int clientAddress, ClientRequest request) {
        Status status = core.status();
        if (request.op().isRead()) {
            startRead(clientAddress, request, status);
        } else {
            startWrite(clientAddress, request, status);
        }
    }

    private void startWrite(int clientAddress, ClientRequest request, Status status) {
        if (status.role() != Role.LEADER) {
            replyNotLeader(clientAddress, request, status);
            return;
        }
        Bytes data = envelope(request).encode();
        ProposeResult result = core.propose(data);
        if (result instanceof ProposeResult.Accepted accepted) {
            // Writes wait as long as it takes: a lost slot or a leader change answers them.
            pending.proposed(accepted.index(), accepted.term(), Long.MAX_VALUE, new Waiting(request, clientAddress));
        } else {
            replyNotLeader(clientAddress, request, core.status());
        }
    }

    /**
     * The write as kv-state's log entry, stamped with the leader's (virtual) time. It carries the
     * client's session, so kv-state applies a retried (client, seq) once; the SKIP_DEDUP sabotage
     * sends it without one, so every retry that commits is applied again.
     */
    private CommandEnvelope envelope(ClientRequest request) {
        io.cairn.kv.state.Command command = request.op().toCommand();
        if (sabotage == SimOptions.Sabotage.UNCHECKED_TXNS && command instanceof io.cairn.kv.state.Command.Txn txn) {
            command = new io.cairn.kv.state.Command.Txn(java.util.List.of(), txn.success(), txn.failure());
        }
        if (sabotage == SimOptions.Sabotage.UNCHECKED_TXNS && command instanceof io.cairn.kv.state.Command.Prepare p) {
            // As the server's --unsafe-unchecked-txns: the shard places intents without checking the reads.
            command = new io.cairn.kv.state.Command.Prepare(p.txnId(), p.primaryKey(), java.util.List.of(), p.writes(),
                    p.lockReads());
        }
        if (sabotage == SimOptions.Sabotage.SKIP_DEDUP
                || (request.op() instanceof io.cairn.sim.kv.TxnRoundOp round && round.sessionless())) {
            return CommandEnvelope.withoutSession(nowMillis(), command);
        }
        return new CommandEnvelope(request.client(), request.seq(), nowMillis(), command);
    }

    /**
     * The time a read judges expiry by, as the server's: this node's wall clock, or the latest
     * leader time its replica applied if that is later, so a replica whose clock runs behind the
     * leader's never shows what the leader already expired. The TTL_IGNORED sabotage reads as at
     * time 0, so an expired key shows until the leader's Expire entry removes it.
     */
    private long readTimeMillis() {
        return sabotage == SimOptions.Sabotage.TTL_IGNORED ? 0 : Math.max(nowMillis(), kv.clockMillis());
    }

    /**
     * This node's wall clock in milliseconds (true virtual time unless the run skews clocks,
     * {@link ClockSkew}): the leader's timestamp in proposals and the time of reads. Intervals
     * (ticks, keep-alives, session expiry) are measured on the monotonic clock instead.
     */
    private long nowMillis() {
        return env.wallMicros(id) / 1_000;
    }

    /**
     * A leader, or a follower that knows its leader when the seed allows follower reads. A
     * BOUNDED read is served by any replica that can prove its state fresh enough, by the rule
     * the server runs ({@link PendingRequests#boundedRead}), on this node's own clock.
     */
    private void startRead(int clientAddress, ClientRequest request, Status status) {
        boolean canConfirm = status.role() == Role.LEADER || (followerReads && status.leader() != null);
        if (request.op() instanceof KvOp op && op.bounded()) {
            PendingRequests.BoundedRead how = pending.boundedRead(localMicros(), op.staleMicrosMax());
            if (how != PendingRequests.BoundedRead.CONFIRM) {
                if (how == PendingRequests.BoundedRead.SERVE_LOCAL_AND_REFRESH && canConfirm) {
                    confirmRead(READ_INDEX_REFRESH);
                }
                env.coverage().add(Coverage.Item.BOUNDED_READS_LOCAL);
                reply(clientAddress, request, ClientReply.Outcome.OK, kv.read(op.key(), readTimeMillis()));
                return;
            }
        }
        if (!canConfirm) {
            replyNotLeader(clientAddress, request, status);
            return;
        }
        if (!confirmRead(new Waiting(request, clientAddress))) {
            replyNotLeader(clientAddress, request, core.status());
        }
    }

    /** A refresh of this replica's freshness proof: a confirmed read nobody waits for. */
    private static final Waiting READ_INDEX_REFRESH = new Waiting(null, -1);

    /** Starts a ReadIndex round for {@code waiter}; false when the core refused it. */
    private boolean confirmRead(Waiting waiter) {
        long context = env.nextReadContext();
        ReadMode mode = readMode == ReadMode.LEASE && !leaseTrusted() ? ReadMode.READ_INDEX : readMode;
        if (mode != readMode) {
            env.coverage().add(Coverage.Item.LEASES_DISTRUSTED);
        }
        ProposeResult result = core.readIndex(context, mode);
        if (result.accepted()) {
            pending.readRequested(context, localMicros(), env.nowMicros() + READ_EXPIRY_MICROS, waiter);
        }
        return result.accepted();
    }

    private void replyNotLeader(int clientAddress, ClientRequest request, Status status) {
        NodeId hint = status.leader() != null && !status.leader().equals(id) ? status.leader() : null;
        env.reply(address(), clientAddress, new ClientReply(request.client(), request.seq(), request.attempt(),
                ClientReply.Outcome.NOT_LEADER, null, hint));
    }

    private void reply(int clientAddress, ClientRequest request, ClientReply.Outcome outcome, OpResult result) {
        env.reply(address(), clientAddress, new ClientReply(request.client(), request.seq(), request.attempt(),
                outcome, result, null));
    }

    // ---- Membership and leadership -------------------------------------------------------------

    /** Proposes a membership change; the engine throws IllegalArgumentException for an invalid one. */
    ProposeResult proposeConfChange(io.cairn.consensus.ConfChange change) {
        return core.proposeConfChange(change);
    }

    /** On a leader, how far {@code node}'s log is known to match (see ConsensusCore#matchIndex). */
    long matchIndex(NodeId node) {
        return core.matchIndex(node);
    }

    void transferLeadership(NodeId target) {
        core.transferLeadership(target);
    }

    // ---- Compaction ----------------------------------------------------------------------------

    /** Keeps an image of the state machine at the applied index, to compact to now or later. */
    void takeCheckpoint() {
        long applied = kv.appliedIndex();
        if (applied <= log().snapshot().meta().index()) {
            return;
        }
        Status status = core.status();
        Bytes image = kv.image();
        env.checker().onImage(env.nowMicros(), id, applied, Hashing.ofBytes(image));
        Bytes data = KvReplica.snapshotData(env.checker().chainAt(id, applied), image);
        checkpoints.addLast(new Checkpoint(applied, status.conf(), data));
        while (checkpoints.size() > MAX_CHECKPOINTS) {
            checkpoints.removeFirst();
        }
    }

    /**
     * Compacts the log to a checkpoint: the newest leaves no entries before the applied index
     * (laggards need a snapshot); an older one keeps a tail of entries after it. Returns the index.
     */
    long compact(boolean newest) {
        GroupLog log = log();
        long offset = log.snapshot().meta().index();
        checkpoints.removeIf(c -> c.index() <= offset || c.index() > log.lastIndex());
        if (checkpoints.isEmpty()) {
            return 0;
        }
        Checkpoint cp = newest ? checkpoints.peekLast() : checkpoints.peekFirst();
        try {
            disk.openStore().compact(group, cp.index(), cp.conf(), cp.data());
        } catch (IOException e) {
            diedOf(e, "compacting its log");
            return 0;
        }
        env.checker().onCompacted(env.nowMicros(), id, cp.index());
        checkpoints.removeIf(c -> c.index() <= cp.index());
        return cp.index();
    }

    /** This replica's applied state, for its host's transaction cleanup (a leader reads it as an eventual read). */
    KvReplica kv() {
        return kv;
    }

    /** Requests the node has not answered yet, for liveness reports. */
    int pendingRequests() {
        return pending.size();
    }
}
