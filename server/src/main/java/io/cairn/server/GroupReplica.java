package io.cairn.server;

import io.cairn.common.Bytes;
import io.cairn.common.Clock;
import io.cairn.common.GroupId;
import io.cairn.common.NodeId;
import io.cairn.consensus.DropReason;
import io.cairn.consensus.LogEntry;
import io.cairn.consensus.ProposeResult;
import io.cairn.consensus.ReadMode;
import io.cairn.consensus.ReadState;
import io.cairn.consensus.Ready;
import io.cairn.consensus.Role;
import io.cairn.consensus.Status;
import io.cairn.kv.engine.PrefixedKvEngine;
import io.cairn.kv.engine.WriteBatch;
import io.cairn.kv.state.Command;
import io.cairn.kv.state.CommandEnvelope;
import io.cairn.kv.state.KvStateMachine;
import io.cairn.kv.state.Result;
import io.cairn.kv.state.WatchHub;
import io.cairn.multiraft.GroupLog;
import io.cairn.multiraft.PendingRequests;
import io.cairn.multiraft.WalLogStore;
import io.cairn.placement.ShardGroups;
import io.cairn.raft.RaftNode;
import io.cairn.server.RaftLoop.NotServedException;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/**
 * This node's replica of one group: its consensus core, state machine and the requests waiting
 * on them. Everything but {@link #status} and {@link #readLocal} runs on the {@link RaftLoop}
 * thread, so nothing here needs a lock.
 */
final class GroupReplica implements AutoCloseable, io.cairn.placement.HostControl.Replica {
    private static final System.Logger LOG = System.getLogger(GroupReplica.class.getName());

    private record PendingRead<T>(Function<KvStateMachine, T> read, CompletableFuture<T> future) {
        void serve(KvStateMachine sm) {
            try {
                future.complete(read.apply(sm));
            } catch (RuntimeException e) {
                future.completeExceptionally(e);
            }
        }
    }

    final GroupId id;
    final RaftNode node;
    private final GroupLog log;
    private final WalLogStore store;
    private final KvStateMachine stateMachine;
    /** This replica's range of the node's one engine. */
    private final PrefixedKvEngine engine;
    private final Clock clock;
    private final ServerConfig config;
    private final Path scratch;

    /** Client requests waiting on Raft, and when each is answered (the rules the simulator runs too). */
    /** Linearizable reads that share one ReadIndex round: confirmed, failed and served together. */
    private record ReadBatch(List<PendingRead<?>> reads) {
        void fail(RuntimeException why) {
            reads.forEach(r -> r.future().completeExceptionally(why));
        }

        void serve(KvStateMachine sm) {
            reads.forEach(r -> r.serve(sm));
        }
    }

    private final PendingRequests<CompletableFuture<Result>, ReadBatch> pending =
            new PendingRequests<>(new PendingRequests.Answers<>() {
                @Override
                public void writeFailed(CompletableFuture<Result> write, PendingRequests.Failure why) {
                    NodeId leader = node.status().leader();
                    write.completeExceptionally(switch (why) {
                        case LOST -> new NotServedException(NotServedException.Kind.UNAVAILABLE,
                                "proposal lost to a leader change", leader);
                        case UNKNOWN -> new NotServedException(NotServedException.Kind.UNAVAILABLE,
                                "outcome unknown: leadership changed while the write waited; it may still commit", leader);
                        case NOT_LEADER -> notLeader(node.status());
                        case TIMED_OUT -> new NotServedException(NotServedException.Kind.TIMEOUT,
                                "timed out waiting for commit", leader);
                    });
                }

                @Override
                public void readFailed(ReadBatch batch, PendingRequests.Failure why) {
                    NodeId leader = node.status().leader();
                    batch.fail(switch (why) {
                        case NOT_LEADER -> notLeader(node.status());
                        case TIMED_OUT -> new NotServedException(NotServedException.Kind.TIMEOUT,
                                "timed out confirming the read", leader);
                        case LOST, UNKNOWN -> new NotServedException(NotServedException.Kind.UNAVAILABLE,
                                "read lost to a leader change", leader);
                    });
                }
            });
    /** Entries of this round applied in memory, waiting for the round's one engine write. */
    private KvStateMachine.Staged staged;
    private java.util.List<LogEntry> stagedEntries;
    private long nextReadContext = 1;
    /** Loop thread: set once the loop stopped driving this replica. */
    private boolean closed;
    /** Loop thread: a compaction's image is being packed off the loop. */
    private boolean compacting;
    /** Set by the background thread, taken by the loop thread. */
    private final java.util.concurrent.atomic.AtomicReference<PackedSnapshot> packedCompaction =
            new java.util.concurrent.atomic.AtomicReference<>();
    /** Per {@link ReadMode}: reads queued by other threads, not yet registered for a ReadIndex round. */
    @SuppressWarnings("unchecked")
    private final java.util.concurrent.ConcurrentLinkedQueue<PendingRead<?>>[] queuedReads =
            new java.util.concurrent.ConcurrentLinkedQueue[] {
                new java.util.concurrent.ConcurrentLinkedQueue<>(), new java.util.concurrent.ConcurrentLinkedQueue<>()};
    private final java.util.concurrent.atomic.AtomicBoolean[] registrationAsked = {
        new java.util.concurrent.atomic.AtomicBoolean(), new java.util.concurrent.atomic.AtomicBoolean()};
    /** {@link PendingRequests#freshSince} for other threads, republished after reads are served. */
    private volatile long freshSinceNanos = Long.MIN_VALUE;
    private final java.util.concurrent.atomic.AtomicBoolean refreshing = new java.util.concurrent.atomic.AtomicBoolean();
    private final io.cairn.kv.state.ExpiryCadence expiryCadence = new io.cairn.kv.state.ExpiryCadence();
    /** Recent changes and their watchers; set once by {@link #attach} before the first apply. */
    private volatile WatchHub watches;
    /** Loop thread: when this replica, as leader, ends its shard's lock sessions. */
    private final io.cairn.kv.state.SessionExpiry sessionExpiry = new io.cairn.kv.state.SessionExpiry();
    private io.cairn.kv.state.Keepalives keepalives;
    private LockChanges lockChanges;
    /** Loop thread: the term in which this replica last judged sessions as leader; 0: not yet. */
    private long sessionsJudgedTerm;
    /** Unsent bytes a watcher may lag by before it is cut off. */
    static final long WATCH_PENDING_BYTES_MAX = 16L << 20;

    /** The core's status for other threads, republished after every loop turn. */
    private volatile Status status;
    private final NodeEvents events;
    /** Loop thread: the last leader this replica knew of, to count changes rather than turns. */
    private io.cairn.common.NodeId lastLeaderSeen;

    GroupReplica(GroupId id, RaftNode node, WalLogStore store, KvStateMachine stateMachine, PrefixedKvEngine engine,
                 Clock clock, ServerConfig config, Path scratch, NodeEvents events) {
        this.id = id;
        this.events = events;
        this.node = node;
        this.store = store;
        this.log = store.group(id);
        this.stateMachine = stateMachine;
        this.engine = engine;
        this.clock = clock;
        this.config = config;
        this.scratch = scratch;
        this.status = node.status();
    }

    /**
     * Loop thread, before the first apply: the watchers of this replica are served on
     * {@code fanOut}; lock sessions are kept alive by {@code keepalives}, and {@code lockChanges}
     * hears of every lock an apply changed.
     */
    void attach(java.util.concurrent.Executor fanOut, io.cairn.kv.state.Keepalives keepalives, LockChanges lockChanges) {
        watches = new WatchHub(stateMachine.appliedIndex(), fanOut, config.watchRetention(), WATCH_PENDING_BYTES_MAX,
                clock::nanoTime);
        this.keepalives = keepalives;
        this.lockChanges = lockChanges;
        sessionExpiry.reset(stateMachine.lockSessions(), clock.nanoTime());
    }

    /** Who hears, after each apply, which locks of a replica changed: the waiters' side. */
    interface LockChanges {
        /** {@code names} of {@code group}'s locks changed; null: any may have (a snapshot was installed). */
        void changed(GroupId group, List<Bytes> names);
    }

    /** Any thread: the state's census (see {@link KvStateMachine#census}), read from the engine. */
    KvStateMachine.Census census(int perKindMax) {
        return stateMachine.census(perKindMax);
    }

    /** Any thread: this replica's watch hub, or null before {@link #attachWatches}. */
    WatchHub watches() {
        return watches;
    }

    /** Any thread: the status as of the last loop turn. */
    Status publishedStatus() {
        return status;
    }

    /** Loop thread: the status now. */
    @Override
    public Status status() {
        return node.status();
    }

    /** Loop thread: a replica of the server runs as long as the loop does. */
    @Override
    public boolean serving() {
        return true;
    }

    /** Loop thread, while leading: the leader's record of {@code voter}'s log. */
    @Override
    public long matchIndex(NodeId voter) {
        return node.matchIndex(voter);
    }

    /** Any thread: approximate bytes of this replica's state. */
    long sizeBytes() {
        return engine.approximateSizeBytes();
    }

    /** Loop thread: the term of the last entry in this replica's log. */
    @Override
    public long lastLogTerm() {
        return log.term(log.lastIndex());
    }

    /** Loop thread, after every round: publishes the status readers see, and acts on a step-down. */
    void publishStatus() {
        Status s = node.status();
        releaseOnStepDown(s);
        noteLeadershipChange(status, s);
        WatchHub hub = watches;
        if (hub != null && !s.conf().members().isEmpty()) {
            boolean member = s.conf().members().contains(config.nodeId());
            hub.serving(member, member ? null
                    : config.nodeId() + " is no longer in " + ShardGroups.describe(id) + "'s configuration");
        }
        status = s;
    }

    /**
     * Counts a leader this replica had not known, records a leadership it takes for the
     * dashboard, and logs one line when it takes or loses its group's leadership: what an
     * operator looks for first.
     */
    private void noteLeadershipChange(Status before, Status now) {
        if (now.leader() != null && !now.leader().equals(lastLeaderSeen)) {
            lastLeaderSeen = now.leader();
            events.leaderSeen(id);
        }
        boolean led = before.role() == Role.LEADER;
        boolean leads = now.role() == Role.LEADER;
        if (led == leads) {
            return;
        }
        String group = ShardGroups.describe(id);
        if (leads) {
            events.becameLeader(id, now.term());
            LOG.log(System.Logger.Level.INFO, "{0} leads {1} (term {2})", config.nodeId(), group, now.term());
        } else {
            LOG.log(System.Logger.Level.INFO, "{0} no longer leads {1} (term {2}, leader {3})", config.nodeId(), group,
                    now.term(), now.leader() == null ? "unknown" : now.leader());
        }
    }

    /** Loop thread: proposes a client command; {@code future} completes once it is applied. */
    void propose(long clientId, long sequence, Command command, CompletableFuture<Result> future) {
        Status s = node.status();
        if (s.role() != Role.LEADER) {
            future.completeExceptionally(notLeader(s));
            return;
        }
        Bytes data = new CommandEnvelope(clientId, sequence, clock.epochMillis(), command).encode();
        ProposeResult r = node.propose(data);
        if (r instanceof ProposeResult.Accepted a) {
            pending.proposed(a.index(), a.term(), deadline(), future);
        } else {
            future.completeExceptionally(new NotServedException(NotServedException.Kind.UNAVAILABLE,
                    "proposal dropped: " + ((ProposeResult.Dropped) r).reason(), s.leader()));
        }
    }

    /**
     * Any thread: queues a read to confirm with a ReadIndex round in {@code mode}. Returns true
     * when the caller must have {@link #registerReads} run on the loop thread for that mode: the
     * first read queued since the last registration asks for it, and every read queued until it
     * runs shares its round, so a burst of reads costs the loop one task and one round, not one
     * of each per read.
     */
    <T> boolean queueConfirmed(ReadMode mode, Function<KvStateMachine, T> read, CompletableFuture<T> future) {
        queuedReads[mode.ordinal()].add(new PendingRead<>(read, future));
        return registrationAsked[mode.ordinal()].compareAndSet(false, true);
    }

    /**
     * Loop thread: the reads queued in {@code mode}, as one batch, ask for one ReadIndex round in
     * {@code round} mode (the host downgrades LEASE to READ_INDEX when its tick count may lag
     * true time, see {@link RaftLoop#leaseTrusted}).
     */
    void registerReads(ReadMode mode, ReadMode round) {
        // Cleared before draining: a read queued after this point asks for the next registration.
        registrationAsked[mode.ordinal()].set(false);
        List<PendingRead<?>> reads = new ArrayList<>();
        for (PendingRead<?> r; (r = queuedReads[mode.ordinal()].poll()) != null; ) {
            reads.add(r);
        }
        if (reads.isEmpty()) {
            return;
        }
        ReadBatch batch = new ReadBatch(reads);
        if (closed) {
            // Queued on this replica just before the loop dropped it.
            batch.fail(new NotServedException(NotServedException.Kind.UNAVAILABLE, "the replica moved away", null));
            return;
        }
        long ctx = nextReadContext++;
        // Taken before the round starts: the leader fixes the confirmed index after this instant.
        long requestedNanos = clock.nanoTime();
        ProposeResult r = node.readIndex(ctx, round);
        if (r instanceof ProposeResult.Dropped d) {
            batch.fail(d.reason() == DropReason.NOT_LEADER
                    ? notLeader(node.status())
                    : new NotServedException(NotServedException.Kind.UNAVAILABLE, "read dropped: " + d.reason(),
                            node.status().leader()));
            return;
        }
        pending.readRequested(ctx, requestedNanos, deadline(), batch);
    }

    /** Any thread: fails the reads queued and not yet registered (the loop will not run them). */
    void failQueuedReads(NotServedException reason) {
        for (ReadMode mode : ReadMode.values()) {
            registrationAsked[mode.ordinal()].set(false);
            for (PendingRead<?> r; (r = queuedReads[mode.ordinal()].poll()) != null; ) {
                r.future().completeExceptionally(reason);
            }
        }
    }

    /**
     * Any thread: since when ({@link Clock#nanoTime}) this replica's applied state holds every
     * acknowledged write, as {@link PendingRequests#freshSince} proves it; what BOUNDED reads
     * are judged by.
     */
    long freshSinceNanos() {
        return freshSinceNanos;
    }

    /** Any thread: whether a background confirmation for BOUNDED reads is under way. */
    boolean refreshing() {
        return refreshing.get();
    }

    /**
     * Any thread: claims the one background confirmation that keeps BOUNDED reads local; false
     * when one is already under way. The claimant calls {@link #refreshDone} when it ends.
     */
    boolean startRefresh() {
        return refreshing.compareAndSet(false, true);
    }

    void refreshDone() {
        refreshing.set(false);
    }

    /**
     * Any thread: a read of whatever this replica has applied, without confirming anything. The
     * engine takes concurrent reads and applies each batch atomically, so the read sees the state
     * after some applied entry; a hop to the loop thread would cost more than the read.
     */
    <T> void readLocal(Function<KvStateMachine, T> read, CompletableFuture<T> future) {
        new PendingRead<>(read, future).serve(stateMachine);
    }

    /** Loop thread, on every tick: times requests out and proposes expiry when something is due. */
    void onTick(long nowNanos) {
        pending.expire(nowNanos);
        sessionExpiry.tick(nowNanos);
        if (node.status().role() != Role.LEADER) {
            return;
        }
        endLapsedSessions(nowNanos);
        if (!expiryCadence.lookNow(java.util.concurrent.TimeUnit.NANOSECONDS.toMillis(nowNanos))) {
            return;
        }
        // Expiry is decided by the leader and replicated, so every replica deletes the same keys;
        // it is proposed only when something can expire, so an idle group writes nothing.
        long nowMillis = clock.epochMillis();
        if (nowMillis >= stateMachine.nextExpiryMillis()) {
            node.propose(CommandEnvelope.withoutSession(nowMillis, new Command.Expire(nowMillis)).encode());
        }
    }

    /**
     * Leader: proposes the end of the sessions that sent this node no keep-alive for their TTL.
     * An end lost to a leader change is proposed again a TTL later, or by the next leader.
     */
    private void endLapsedSessions(long nowNanos) {
        if (keepalives == null) {
            return;
        }
        long term = node.status().term();
        if (term != sessionsJudgedTerm) {
            // A leadership begins (perhaps within this very tick): every session gets a full TTL first.
            sessionExpiry.becameLeader(nowNanos);
            sessionsJudgedTerm = term;
        }
        List<Long> lapsed = sessionExpiry.due(nowNanos, keepalives::lastSeen, Command.EndSessions.SESSIONS_MAX);
        if (!lapsed.isEmpty()) {
            LOG.log(System.Logger.Level.INFO, "{0}: ending {1} lock session(s) without keep-alives, first {2}",
                    id, lapsed.size(), Long.toHexString(lapsed.get(0)));
            node.propose(CommandEnvelope.withoutSession(clock.epochMillis(), new Command.EndSessions(lapsed, true)).encode());
        }
    }

    /**
     * Loop thread: what a persisted Ready hands to the state machine, before the core advances.
     * A snapshot is installed at once; committed entries are applied in memory and their engine
     * writes returned, in the shared engine's keys, for the host to write with every other
     * group's of the round; {@link #applied()} follows that write. Null when nothing is to write.
     */
    WriteBatch apply(Ready rd) throws IOException {
        if (rd.snapshot() != null) {
            SnapshotPacker.restore(rd.snapshot().data(), stateMachine, scratch);
            pending.snapshotInstalled(stateMachine.appliedIndex());
            if (watches != null) {
                watches.snapshotInstalled(stateMachine.appliedIndex());
            }
            sessionExpiry.reset(stateMachine.lockSessions(), clock.nanoTime());
            if (lockChanges != null) {
                lockChanges.changed(id, null);
            }
            LOG.log(System.Logger.Level.INFO, "{0}: installed snapshot at index {1}", id, stateMachine.appliedIndex());
        }
        for (ReadState rs : rd.readStates()) {
            pending.readConfirmed(rs.context(), rs.index());
        }
        if (rd.committedEntries().isEmpty()) {
            return null;
        }
        io.cairn.common.Invariants.check(staged == null, "%s staged twice in one round", id);
        staged = stateMachine.stage(rd.committedEntries());
        stagedEntries = rd.committedEntries();
        return engine.toShared(staged.writes());
    }

    /** Loop thread, once the round's engine write holds this replica's writes: answers the writers. */
    void applied() {
        if (staged == null) {
            return;
        }
        KvStateMachine.Staged done = staged;
        java.util.List<LogEntry> entries = stagedEntries;
        staged = null;
        stagedEntries = null;
        done.commit();
        if (watches != null) {
            watches.published(done.events(), stateMachine.appliedIndex());
        }
        long now = clock.nanoTime();
        done.sessionsOpened().forEach((session, ttl) -> sessionExpiry.track(session, ttl, now));
        done.sessionsLeft().forEach(sessionExpiry::forget);
        List<Bytes> locks = done.locksChanged();
        if (!locks.isEmpty() && lockChanges != null) {
            lockChanges.changed(id, locks);
        }
        var results = done.results();
        for (int i = 0; i < entries.size(); i++) {
            LogEntry e = entries.get(i);
            Result result = results.get(i);
            expiryCadence.applied(result);
            pending.applied(e.index(), e.term(), w -> w.complete(result));
        }
    }

    /** Loop thread, after the core advanced: serves reads now applied and compacts when due. */
    void afterAdvance(java.util.concurrent.Executor background) throws IOException {
        long applied = stateMachine.appliedIndex();
        pending.serveConfirmed(applied, batch -> batch.serve(stateMachine));
        freshSinceNanos = pending.freshSince();
        maybeCompact(background);
    }

    /**
     * When this replica stops leading, its waiting requests are answered at once instead of at
     * their timeout, so clients move to the new leader after an election rather than after
     * their attempt timeout (a cut-off leader steps down through CheckQuorum). A write may still
     * commit under the new leader: it fails as UNAVAILABLE, which promises nothing, and a
     * client's retry with the same sequence is applied once. A read not yet confirmed fails as
     * NOT_LEADER with the new leader, where it is safe to send again. Confirmed reads stay: their
     * index was confirmed while this replica led. On a follower whose leader changed, reads
     * still waiting for the old leader's confirmation fail the same way.
     */
    private void releaseOnStepDown(Status s) {
        pending.observe(s.role() == Role.LEADER, s.leader());
    }

    /** Loop thread, when the node stops: every waiting request fails with {@code reason}. */
    void failAll(NotServedException reason) {
        pending.failAll(w -> w.completeExceptionally(reason), batch -> batch.fail(reason));
        failQueuedReads(reason);
    }

    /**
     * Compacts the log when it has grown past its bounds, in two halves so the loop never
     * waits on RocksDB: here, on the loop thread, the state's image is captured at the applied
     * index (a RocksDB snapshot, cheap); on {@code background}, the engine is flushed (the log
     * may be cut only behind state the engine made durable: its WAL is off), the image written
     * and packed; back here on a later turn, the log is cut. One compaction at a time.
     */
    private void maybeCompact(java.util.concurrent.Executor background) throws IOException {
        finishCompaction();
        if (compacting || closed) {
            return;
        }
        long applied = stateMachine.appliedIndex();
        long behind = applied - (log.firstIndex() - 1);
        if (behind <= 0 || (behind < config.compactEntries() && log.entryBytes() < config.compactBytes())) {
            return;
        }
        io.cairn.consensus.ConfState conf = node.status().conf();
        io.cairn.kv.engine.RangeImage image = engine.captureCheckpoint();
        compacting = true;
        Path dir = scratch.resolve("snapshot-" + id.value() + "-" + applied);
        try {
            background.execute(() -> packedCompaction.set(pack(applied, conf, image, dir)));
        } catch (java.util.concurrent.RejectedExecutionException e) {
            image.close();
            compacting = false; // the node is stopping
        }
    }

    /** Background thread: flushes the engine, writes and packs the captured image. */
    private PackedSnapshot pack(long index, io.cairn.consensus.ConfState conf, io.cairn.kv.engine.RangeImage image,
                                Path dir) {
        try (image) {
            engine.flush();
            SnapshotPacker.deleteTree(dir);
            List<Path> files = image.writeTo(dir);
            return new PackedSnapshot(index, conf, SnapshotPacker.pack(dir, files), null);
        } catch (IOException | RuntimeException e) {
            return new PackedSnapshot(index, conf, null, e);
        } finally {
            try {
                SnapshotPacker.deleteTree(dir);
            } catch (IOException e) {
                LOG.log(System.Logger.Level.WARNING, "cannot delete " + dir + ": " + e);
            }
        }
    }

    /** Loop thread: cuts the log behind a snapshot the background thread packed, if one is ready. */
    private void finishCompaction() throws IOException {
        PackedSnapshot done = packedCompaction.getAndSet(null);
        if (done == null) {
            return;
        }
        compacting = false;
        if (done.failure() != null) {
            // Nothing was cut: the log still holds everything; the next round tries again.
            LOG.log(System.Logger.Level.WARNING, "{0}: packing a snapshot at index {1} failed: {2}", id, done.index(),
                    done.failure().toString());
            return;
        }
        if (closed || done.index() <= log.firstIndex() - 1) {
            return; // dropped, or a snapshot installed meanwhile already moved the log past it
        }
        store.compact(id, done.index(), done.conf(), done.packed());
        LOG.log(System.Logger.Level.INFO, "compacted the log of {0} through index {1}", id, done.index());
    }

    /** A snapshot packed off the loop, or why it could not be. */
    private record PackedSnapshot(long index, io.cairn.consensus.ConfState conf, Bytes packed, Exception failure) {}

    /** Loop thread, when the replica is dropped: its range of the engine is deleted, durably. */
    void deleteState() {
        engine.deleteAll();
    }

    /** Closes this replica's view of the engine; the loop no longer drives this replica. */
    @Override
    public void close() {
        closed = true;
        engine.close();
    }

    private long deadline() {
        return clock.nanoTime() + TimeUnit.MILLISECONDS.toNanos(config.requestTimeoutMillis());
    }

    static NotServedException notLeader(Status s) {
        return new NotServedException(NotServedException.Kind.NOT_LEADER, "not the leader", s.leader());
    }
}
