package io.cairn.server;

import io.cairn.common.Clock;
import io.cairn.common.GroupId;
import io.cairn.common.NodeId;
import io.cairn.consensus.Status;
import io.cairn.kv.state.Command;
import io.cairn.kv.state.KvStateMachine;
import io.cairn.kv.state.Result;
import io.cairn.multiraft.MultiRaftHost;
import io.cairn.multiraft.WalLogStore;
import io.cairn.raft.RaftMessage;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
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
    /** Time between two leadership transfers this node may start to balance leaders. */
    private static final long BALANCE_INTERVAL_MILLIS = 2_000;
    /** Tasks taken from the inbox per turn, so Readies are handled between long bursts. */
    private static final int TASKS_PER_TURN_MAX = 4_096;

    /** Where outbound messages go. */
    interface Outbox {
        void send(NodeId to, GroupId group, RaftMessage message);
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
    /** Written before {@link #start}, read by every thread after: never changed while running. */
    private final TreeMap<GroupId, GroupReplica> replicas = new TreeMap<>();

    private final LinkedBlockingQueue<Runnable> inbox = new LinkedBlockingQueue<>(INBOX_CAPACITY);
    private volatile boolean running = true;
    private final Thread thread;

    RaftLoop(NodeId self, WalLogStore store, Outbox outbox, Clock clock, ServerConfig config) {
        this.self = self;
        this.clock = clock;
        this.config = config;
        this.host = new MultiRaftHost(self, store, (to, batch) -> {
            for (MultiRaftHost.Envelope e : batch) {
                outbox.send(to, e.group(), (RaftMessage) e.message());
            }
        }, (group, ready) -> replicas.get(group).apply(ready));
        this.thread = new Thread(this::run, "raft-loop-" + self);
    }

    /** Hosts {@code replica}; only before {@link #start}. */
    void addGroup(GroupReplica replica) {
        if (thread.isAlive()) {
            throw new IllegalStateException("groups are added before the loop starts");
        }
        host.addGroup(replica.id, replica.node);
        replicas.put(replica.id, replica);
    }

    void start() {
        thread.start();
    }

    /** The group's status as of the last loop turn, or null if the group is not hosted here. */
    Status status(GroupId group) {
        GroupReplica r = replicas.get(group);
        return r == null ? null : r.status();
    }

    /** Approximate bytes of this node's replica of {@code group}; 0 if it has none. */
    long sizeBytes(GroupId group) {
        GroupReplica r = replicas.get(group);
        return r == null ? 0 : r.sizeBytes();
    }

    /** Runs {@code task} on the loop thread; false if the loop is saturated or stopped. */
    boolean submit(Runnable task) {
        return running && inbox.offer(task);
    }

    /** A message from a peer; dropped when the loop is saturated (Raft tolerates loss). */
    void deliver(GroupId group, RaftMessage message) {
        submit(() -> host.step(group, message));
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
        CompletableFuture<T> future = new CompletableFuture<>();
        onLoop(group, future, r -> r.readLinearizable(read, future));
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
        return new NotServedException(NotServedException.Kind.WRONG_GROUP, "group " + group.value() + " is not hosted here", null);
    }

    private static NotServedException stopping() {
        return new NotServedException(NotServedException.Kind.UNAVAILABLE, "node is stopping", null);
    }

    private void run() {
        long tickNanos = TimeUnit.MILLISECONDS.toNanos(config.tickMillis());
        long nextTick = clock.nanoTime() + tickNanos;
        List<Runnable> batch = new ArrayList<>();
        try {
            while (running) {
                long wait = nextTick - clock.nanoTime();
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
                if (now - nextTick >= 0) {
                    host.tick();
                    nextTick += tickNanos;
                    if (now - nextTick > 10 * tickNanos) {
                        nextTick = now + tickNanos; // after a long pause, do not replay missed ticks
                    }
                    for (GroupReplica r : replicas.values()) {
                        r.onTick(now);
                    }
                    maybeBalanceLeaders(now);
                }
                host.handleReadies();
                for (GroupReplica r : replicas.values()) {
                    r.afterAdvance();
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

    private long lastBalanceNanos;

    /** At most once per interval, hands one group's leadership to a voter that leads fewer. */
    private void maybeBalanceLeaders(long nowNanos) {
        if (replicas.size() < 2 || nowNanos - lastBalanceNanos < TimeUnit.MILLISECONDS.toNanos(BALANCE_INTERVAL_MILLIS)) {
            return;
        }
        lastBalanceNanos = nowNanos;
        TreeMap<GroupId, LeaderBalancer.GroupView> views = new TreeMap<>();
        for (GroupReplica r : replicas.values()) {
            Status s = r.node.status();
            views.put(r.id, new LeaderBalancer.GroupView(s.leader(), s.conf().voters()));
        }
        LeaderBalancer.next(self, views).ifPresent(t -> {
            LOG.log(System.Logger.Level.INFO, "balancing leaders: handing shard {0} to {1}",
                    ServerIds.shardOfGroup(t.group()), t.target());
            replicas.get(t.group()).node.transferLeadership(t.target());
        });
    }

    @Override
    public void close() throws InterruptedException {
        running = false;
        inbox.offer(() -> { }); // wakes the loop; an interrupt could break a WAL write mid-way
        thread.join(10_000);
        for (GroupReplica r : replicas.values()) {
            r.failAll(stopping());
        }
    }
}
