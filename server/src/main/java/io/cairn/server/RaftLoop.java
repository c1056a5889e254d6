package io.cairn.server;

import io.cairn.api.proto.ShardReport;
import io.cairn.common.Clock;
import io.cairn.common.GroupId;
import io.cairn.common.NodeId;
import io.cairn.consensus.ConfState;
import io.cairn.consensus.ReadMode;
import io.cairn.consensus.Status;
import io.cairn.kv.state.Command;
import io.cairn.kv.state.KvStateMachine;
import io.cairn.kv.state.Result;
import io.cairn.kv.state.WatchHub;
import io.cairn.multiraft.MultiRaftHost;
import io.cairn.multiraft.PendingRequests;
import io.cairn.multiraft.WalLogStore;
import io.cairn.placement.HostControl;
import io.cairn.placement.ReplicaLifecycle;
import io.cairn.placement.ShardGroups;
import io.cairn.placement.Topology;
import io.cairn.raft.RaftMessage;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * The one thread that drives every group this node hosts: it steps messages, ticks, proposes,
 * and lets a {@link MultiRaftHost} persist the Readies of all groups with one WAL append and one
 * fsync, send, and apply each group's committed entries to its state machine. Everything
 * touching a core or a state machine happens here, so neither needs locks; other threads talk
 * to it through {@link #submit}.
 */
final class RaftLoop implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(RaftLoop.class.getName());
    /** Bound on queued work from other threads; beyond it requests fail fast as UNAVAILABLE. */
    private static final int INBOX_CAPACITY = 100_000;
    /** Tasks taken from the inbox per turn, so Readies are handled between long bursts. */
    private static final int TASKS_PER_TURN_MAX = 4_096;

    /** Opens replicas the placement gives this node while it runs, and deletes what it takes away. */
    interface ReplicaFactory {
        /** Opens this node's replica of {@code group}, creating an empty one with {@code confIfNew} if it has none. */
        GroupReplica open(GroupId group, ConfState confIfNew) throws IOException;

        /** Writes a round's engine writes of every group as one batch (see {@link GroupReplica#apply}). */
        void write(io.cairn.kv.engine.WriteBatch round);
    }

    /** Where outbound messages go. */
    interface Outbox {
        void send(NodeId to, GroupId group, RaftMessage message);

        /** After the sends to {@code to} of one step of a round: they may leave now. */
        default void flush(NodeId to) {}
    }

    /** Why a request could not be served here. */
    static final class NotServedException extends RuntimeException {
        private static final long serialVersionUID = 1L;

        enum Kind { NOT_LEADER, TIMEOUT, UNAVAILABLE, WRONG_GROUP }

        final Kind kind;
        /** The leader as this node knows it, or null. */
        final NodeId leader;

        NotServedException(Kind kind, String message, NodeId leader) {
            super(message, null, false, false);
            this.kind = kind;
            this.leader = leader;
        }
    }

    private final NodeId self;
    private final Clock clock;
    private final ServerConfig config;
    private final MultiRaftHost host;
    private final WalLogStore store;
    private final ClusterMap map;
    private final ReplicaFactory factory;
    /** Changed only by the loop thread (and before {@link #start}); read by every thread. */
    private final ConcurrentSkipListMap<GroupId, GroupReplica> replicas = new ConcurrentSkipListMap<>();

    /** Loop thread: the engine writes of the round being applied, and the replicas they belong to. */
    private io.cairn.kv.engine.WriteBatch roundWrites = new io.cairn.kv.engine.WriteBatch();
    private final List<GroupReplica> roundApplied = new ArrayList<>();
    /** Sends every replica's watch streams, one task at a time, off the loop thread. */
    private final java.util.concurrent.ScheduledExecutorService watchFanOut;
    /** Keep-alives received and clients waiting for locks, for every replica here. */
    private final LockSessions lockSessions;

    /**
     * Flushes RocksDB and writes and packs compaction snapshots, so the loop does not wait on
     * them (they caused the loop's longest pauses: 100-200 ms at 32 clients).
     */
    private final java.util.concurrent.ExecutorService snapshotPacker;
    private final NodeEvents events;

    /** How long a replica may know no leader before its watchers resume elsewhere ({@link WatchHub#leaderlessNanosMax}). */
    private final long watchLeaderlessNanos;

    private final LinkedBlockingQueue<Runnable> inbox = new LinkedBlockingQueue<>(INBOX_CAPACITY);
    private volatile boolean running = true;
    private final Thread thread;

    RaftLoop(NodeId self, WalLogStore store, Outbox outbox, Clock clock, ServerConfig config, ClusterMap map,
             ReplicaFactory factory, NodeEvents events) {
        this.self = self;
        this.events = events;
        this.clock = clock;
        this.config = config;
        this.store = store;
        this.map = map;
        this.factory = factory;
        this.host = new MultiRaftHost(self, store, (to, batch) -> {
            for (MultiRaftHost.Envelope e : batch) {
                outbox.send(to, e.group(), (RaftMessage) e.message());
            }
            outbox.flush(to);
        }, new MultiRaftHost.Applier() {
            @Override
            public void apply(GroupId group, io.cairn.consensus.Ready ready) throws IOException {
                GroupReplica replica = replicas.get(group);
                io.cairn.kv.engine.WriteBatch writes = replica.apply(ready);
                if (writes != null) {
                    roundWrites.addAll(writes);
                    roundApplied.add(replica);
                }
            }

            @Override
            public void roundApplied() {
                // Every group that committed in this round, in one engine write: the data and
                // applied index of all of them are durable together or not at all.
                if (!roundWrites.isEmpty()) {
                    factory.write(roundWrites);
                    roundWrites = new io.cairn.kv.engine.WriteBatch();
                }
                for (GroupReplica r : roundApplied) {
                    r.applied();
                }
                roundApplied.clear();
            }
        });
        this.watchLeaderlessNanos = WatchHub.leaderlessNanosMax(config.electionTicks(),
                TimeUnit.MILLISECONDS.toNanos(config.tickMillis()));
        this.control = new HostControl(self, (long) config.electionTicks() * config.tickMillis(),
                MetaHeartbeat.INTERVAL_MILLIS);
        this.thread = new Thread(this::run, "raft-loop-" + self);
        this.watchFanOut = java.util.concurrent.Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "cairn-watch-" + self);
            t.setDaemon(true);
            return t;
        });
        watchFanOut.scheduleWithFixedDelay(this::watchProgress, 1, 1, TimeUnit.SECONDS);
        this.lockSessions = new LockSessions(this, clock, watchFanOut);
        this.snapshotPacker = java.util.concurrent.Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "cairn-snapshot-" + self);
            t.setDaemon(true);
            return t;
        });
    }

    /** Hosts {@code replica}; only before {@link #start}. */
    void addGroup(GroupReplica replica) {
        if (thread.isAlive()) {
            throw new IllegalStateException("groups are added before the loop starts");
        }
        replica.attach(watchFanOut, lockSessions.keepalives(), lockSessions);
        host.addGroup(replica.id, replica.node);
        replicas.put(replica.id, replica);
    }

    LockSessions lockSessions() {
        return lockSessions;
    }

    /** Any thread: the watch hub of this node's replica of {@code group}, or null when it has none. */
    WatchHub watches(GroupId group) {
        GroupReplica r = replicas.get(group);
        return r == null ? null : r.watches();
    }

    /**
     * Once a second: quiet watchers learn how far their stream is complete; the watchers of a
     * replica that has known no leader for {@link #watchLeaderlessNanos} resume elsewhere.
     */
    private void watchProgress() {
        for (GroupReplica r : replicas.values()) {
            WatchHub hub = r.watches();
            Status s = r.publishedStatus();
            if (hub != null && s != null) {
                hub.progress(s.leader() != null, watchLeaderlessNanos);
            }
        }
    }

    void start() {
        thread.start();
    }

    /** The group's status as of the last loop turn, or null if the group is not hosted here. */
    Status status(GroupId group) {
        GroupReplica r = replicas.get(group);
        return r == null ? null : r.publishedStatus();
    }

    /** Approximate bytes of this node's replica of {@code group}; 0 if it has none. */
    long sizeBytes(GroupId group) {
        GroupReplica r = replicas.get(group);
        return r == null ? 0 : r.sizeBytes();
    }

    /** Any thread: the census of this node's replica of {@code group}, or null if it has none. */
    io.cairn.kv.state.KvStateMachine.Census census(GroupId group, int perKindMax) {
        GroupReplica r = replicas.get(group);
        return r == null ? null : r.census(perKindMax);
    }

    /** Runs {@code task} on the loop thread; false if the loop is saturated or stopped. */
    boolean submit(Runnable task) {
        return running && inbox.offer(task);
    }

    /**
     * A message from a peer; dropped when the loop is saturated (Raft tolerates loss). A message
     * for a shard this node does not host yet but should (by the current placement) opens an
     * empty replica: the shard's leader is adding it as a learner and will send it the log.
     */
    void deliver(GroupId group, RaftMessage message) {
        submit(() -> {
            if (!replicas.containsKey(group)) {
                openPlacedReplica(group, message);
            }
            control.heard(group, message);
            host.step(group, message);
        });
    }

    /** The groups hosted here, in id order. */
    List<GroupId> hostedGroups() {
        return List.copyOf(replicas.keySet());
    }

    /** Loop thread. */
    private void openPlacedReplica(GroupId group, RaftMessage message) {
        Topology t = map.current();
        if (!ReplicaLifecycle.shouldOpen(t, group, self, message)) {
            return;
        }
        try {
            GroupReplica replica = factory.open(group, ConfState.EMPTY);
            replica.attach(watchFanOut, lockSessions.keepalives(), lockSessions);
            host.addGroup(replica.id, replica.node);
            replicas.put(replica.id, replica);
            control.openedOnMessage(group);
            events.replicaOpened(group);
            LOG.log(System.Logger.Level.INFO, "{0}: opened a replica of shard {1} (epoch {2}), waiting for its leader",
                    self, ShardGroups.shardOfGroup(group), t.epoch);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot open a replica of " + group, e);
        }
    }

    /** Loop thread: stops hosting {@code group} and deletes its log and state from this node. */
    private void dropReplica(GroupId group, String why) throws IOException {
        GroupReplica replica = replicas.remove(group);
        control.forget(group);
        host.removeGroup(group);
        // UNAVAILABLE, not NOT_LEADER: a write waiting here may have been appended, and NOT_LEADER
        // promises it was not (KvService then sends it again).
        replica.failAll(new NotServedException(NotServedException.Kind.UNAVAILABLE, "the replica moved away", null));
        if (replica.watches() != null) {
            replica.watches().close("this node's replica of " + ShardGroups.describe(group) + " moved away");
        }
        lockSessions.replicaGone(group);
        store.dropGroup(group);
        replica.deleteState();
        replica.close();
        events.replicaRemoved(group, why);
        LOG.log(System.Logger.Level.INFO, "{0}: removed its replica of shard {1}: {2}", self,
                ShardGroups.shardOfGroup(group), why);
    }

    /** Asks {@code group}'s replica here, if it leads, to hand leadership to {@code target}. */
    void transferLeadership(GroupId group, NodeId target) {
        GroupReplica replica = replicas.get(group);
        if (replica != null) {
            submit(() -> replica.node.transferLeadership(target));
        }
    }

    /** Proposes a client command to {@code group}; completes with its result once applied. */
    CompletableFuture<Result> propose(GroupId group, long clientId, long sequence, Command command) {
        CompletableFuture<Result> future = new CompletableFuture<>();
        onLoop(group, future, r -> r.propose(clientId, sequence, command, future));
        return future;
    }

    /**
     * A linearizable read: confirmed through ReadIndex (on a follower, by asking the leader),
     * then run against the state machine once it has applied the confirmed index.
     */
    <T> CompletableFuture<T> readLinearizable(GroupId group, Function<KvStateMachine, T> read) {
        GroupReplica replica = replicas.get(group);
        return replica == null ? CompletableFuture.failedFuture(notHosted(group))
                : readConfirmed(replica, ReadMode.READ_INDEX, read);
    }

    /**
     * A read at {@code level}: EVENTUAL from the applied state; LINEARIZABLE through ReadIndex;
     * LEASE through the leader's lease (the core falls back to ReadIndex without one, and a
     * follower always asks the leader); BOUNDED from the applied state while this replica can
     * prove it fresh enough ({@link io.cairn.multiraft.PendingRequests#boundedRead}), else
     * confirmed like a linearizable read.
     */
    <T> CompletableFuture<ReadLevel.Served<T>> read(GroupId group, ReadLevel level, Function<KvStateMachine, T> read) {
        GroupReplica replica = replicas.get(group);
        if (replica == null) {
            return CompletableFuture.failedFuture(notHosted(group));
        }
        switch (level.level()) {
            case CONSISTENCY_EVENTUAL -> {
                return readLocal(group, read).thenApply(v -> new ReadLevel.Served<>(v, level.level(), -1));
            }
            case CONSISTENCY_LEASE -> {
                return readConfirmed(replica, ReadMode.LEASE, read).thenApply(v -> new ReadLevel.Served<>(v, level.level(), 0));
            }
            case CONSISTENCY_BOUNDED -> {
                return readBounded(group, replica, TimeUnit.MILLISECONDS.toNanos(level.maxStalenessMillis()), read);
            }
            default -> {
                return readConfirmed(replica, ReadMode.READ_INDEX, read)
                        .thenApply(v -> new ReadLevel.Served<>(v, io.cairn.api.proto.Consistency.CONSISTENCY_LINEARIZABLE, 0));
            }
        }
    }

    private <T> CompletableFuture<ReadLevel.Served<T>> readBounded(GroupId group, GroupReplica replica, long boundNanos,
                                                                  Function<KvStateMachine, T> read) {
        long freshSince = replica.freshSinceNanos();
        long now = clock.nanoTime();
        PendingRequests.BoundedRead how = PendingRequests.boundedRead(freshSince, now, boundNanos, replica.refreshing());
        if (how == PendingRequests.BoundedRead.CONFIRM) {
            return readConfirmed(replica, ReadMode.READ_INDEX, read)
                    .thenApply(v -> new ReadLevel.Served<>(v, io.cairn.api.proto.Consistency.CONSISTENCY_LINEARIZABLE, 0));
        }
        if (how == PendingRequests.BoundedRead.SERVE_LOCAL_AND_REFRESH && replica.startRefresh()) {
            // A read of nothing: its confirmation alone renews the proof for the reads to come.
            readConfirmed(replica, ReadMode.READ_INDEX, sm -> null).whenComplete((v, e) -> replica.refreshDone());
        }
        long stalenessMillis = (now - freshSince + 999_999) / 1_000_000;
        return readLocal(group, read).thenApply(v -> new ReadLevel.Served<>(v,
                io.cairn.api.proto.Consistency.CONSISTENCY_BOUNDED, stalenessMillis));
    }

    private <T> CompletableFuture<T> readConfirmed(GroupReplica replica, ReadMode mode, Function<KvStateMachine, T> read) {
        CompletableFuture<T> future = new CompletableFuture<>();
        if (replica.queueConfirmed(mode, read, future)
                && !submit(() -> replica.registerReads(mode, mode == ReadMode.LEASE && !leaseTrusted() ? ReadMode.READ_INDEX : mode))) {
            replica.failQueuedReads(new NotServedException(NotServedException.Kind.UNAVAILABLE,
                    "node is overloaded or stopping", null));
        }
        return future;
    }

    /** A read of whatever this replica has applied, without confirming anything, on the caller's thread. */
    <T> CompletableFuture<T> readLocal(GroupId group, Function<KvStateMachine, T> read) {
        CompletableFuture<T> future = new CompletableFuture<>();
        GroupReplica replica = replicas.get(group);
        if (replica == null) {
            future.completeExceptionally(notHosted(group));
        } else if (!running) {
            future.completeExceptionally(stopping());
        } else {
            replica.readLocal(read, future);
        }
        return future;
    }

    private void onLoop(GroupId group, CompletableFuture<?> future, Consumer<GroupReplica> work) {
        GroupReplica replica = replicas.get(group);
        if (replica == null) {
            future.completeExceptionally(notHosted(group));
            return;
        }
        if (!submit(() -> work.accept(replica))) {
            future.completeExceptionally(new NotServedException(NotServedException.Kind.UNAVAILABLE,
                    "node is overloaded or stopping", null));
        }
    }

    private static NotServedException notHosted(GroupId group) {
        return new NotServedException(NotServedException.Kind.WRONG_GROUP, ShardGroups.describe(group) + " is not hosted here", null);
    }

    private static NotServedException stopping() {
        return new NotServedException(NotServedException.Kind.UNAVAILABLE, "node is stopping", null);
    }

    /**
     * Loop thread: whether the cores' tick counts keep up with true time, so a leader lease
     * counted in ticks is one in time ({@link io.cairn.multiraft.TickSchedule#leaseTrusted}).
     * Checked right before the lease is used; a pause after the check delays the answer, not the
     * instant the read was served at.
     */
    boolean leaseTrusted() {
        return ticks.leaseTrusted(clock.nanoTime());
    }

    /** Loop thread: set when the loop starts. */
    private io.cairn.multiraft.TickSchedule ticks;

    private void run() {
        long tickNanos = TimeUnit.MILLISECONDS.toNanos(config.tickMillis());
        // Starting is like a pause: the cores' counts begin now, whatever a lease was before.
        ticks = new io.cairn.multiraft.TickSchedule(tickNanos, config.electionTicks(), clock.nanoTime(),
                clock.nanoTime() + tickNanos);
        List<Runnable> batch = new ArrayList<>();
        try {
            while (running) {
                long wait = ticks.nanosUntilDue(clock.nanoTime());
                Runnable first = wait > 0 ? inbox.poll(wait, TimeUnit.NANOSECONDS) : inbox.poll();
                if (first != null) {
                    first.run();
                    inbox.drainTo(batch, TASKS_PER_TURN_MAX);
                    for (Runnable task : batch) {
                        task.run();
                    }
                    batch.clear();
                }
                long now = clock.nanoTime();
                if (ticks.takeDue(now)) {
                    host.tick();
                    for (GroupReplica r : replicas.values()) {
                        r.onTick(now);
                    }
                    control(now);
                }
                host.handleReadies();
                for (GroupReplica r : replicas.values()) {
                    r.afterAdvance(snapshotPacker);
                    r.publishStatus();
                }
            }
        } catch (Throwable t) {
            // Stopping beats going on in a wrong state: the node exits and restarts from disk.
            LOG.log(System.Logger.Level.ERROR, "Raft loop failed; stopping the node", t);
            running = false;
            Runtime.getRuntime().halt(70);
        }
    }

    /** Loop thread: the control decisions (reconcile, drop, balance) and their soft state. */
    private final HostControl control;

    /** Loop thread: carries out what {@link #control} decides. */
    private final HostControl.Actions actions = new HostControl.Actions() {
        @Override
        public void transferLeadership(GroupId group, NodeId target, String why) {
            LOG.log(System.Logger.Level.INFO, "{0}: handing leadership to {1}, {2}", describe(group), target, why);
            replicas.get(group).node.transferLeadership(target);
        }

        @Override
        public void proposeConfChange(GroupId group, io.cairn.consensus.ConfChange change) {
            var result = replicas.get(group).node.proposeConfChange(change);
            LOG.log(System.Logger.Level.INFO, "{0}: {1} towards epoch {2}: {3}", describe(group),
                    change.changes(), map.current().epoch, result);
        }

        @Override
        public void drop(GroupId group, String why) {
            try {
                dropReplica(group, why);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot drop the replica of " + group, e);
            }
        }
    };

    private static String describe(GroupId group) {
        return ShardGroups.describe(group);
    }

    /** Loop thread, every tick: the control decisions, each at its own interval. */
    private void control(long nowNanos) {
        long nowMillis = TimeUnit.NANOSECONDS.toMillis(nowNanos);
        Topology placed = map.current();
        TreeMap<GroupId, NodeId> reportedLeaders = new TreeMap<>();
        for (ShardReport report : map.reports()) {
            reportedLeaders.put(ShardGroups.groupOfShard(report.getShard()), NodeId.of(report.getLeader()));
        }
        control.maybeBalance(nowMillis, placed, replicas, reportedLeaders, actions);
        control.maybeReconcile(nowMillis, placed, replicas, this::reportOf, actions);
    }

    /** The last report of the shard's leader, as the metadata leader relayed it. */
    private Optional<ReplicaLifecycle.LeaderReport> reportOf(GroupId group) {
        if (group.equals(ShardGroups.META_GROUP)) {
            return Optional.ofNullable(map.metaReport()).map(RaftLoop::toLeaderReport);
        }
        int shard = ShardGroups.shardOfGroup(group);
        for (ShardReport report : map.reports()) {
            if (report.getShard() == shard) {
                return Optional.of(toLeaderReport(report));
            }
        }
        return Optional.empty();
    }

    private static ReplicaLifecycle.LeaderReport toLeaderReport(ShardReport report) {
        return new ReplicaLifecycle.LeaderReport(report.getTerm(), report.getAppliedIndex(),
                PlacementDriver.confOf(report), report.getConfAgeMs());
    }

    @Override
    public void close() throws InterruptedException {
        running = false;
        inbox.offer(() -> { }); // wakes the loop; an interrupt could break a WAL write mid-way
        thread.join(10_000);
        snapshotPacker.shutdown();
        snapshotPacker.awaitTermination(10, TimeUnit.SECONDS);
        for (GroupReplica r : replicas.values()) {
            r.failAll(stopping());
            if (r.watches() != null) {
                r.watches().close("the node is stopping");
            }
            r.close();
        }
        watchFanOut.shutdown();
        watchFanOut.awaitTermination(5, TimeUnit.SECONDS);
    }
}
