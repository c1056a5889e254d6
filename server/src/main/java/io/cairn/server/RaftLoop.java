package io.cairn.server;

import io.cairn.common.Bytes;
import io.cairn.common.Clock;
import io.cairn.common.GroupId;
import io.cairn.common.NodeId;
import io.cairn.consensus.ConsensusMessage;
import io.cairn.consensus.LogEntry;
import io.cairn.consensus.ProposeResult;
import io.cairn.consensus.ReadMode;
import io.cairn.consensus.ReadState;
import io.cairn.consensus.Ready;
import io.cairn.consensus.Role;
import io.cairn.consensus.Status;
import io.cairn.kv.state.Command;
import io.cairn.kv.state.CommandEnvelope;
import io.cairn.kv.state.KvStateMachine;
import io.cairn.kv.state.Result;
import io.cairn.multiraft.GroupLog;
import io.cairn.multiraft.WalLogStore;
import io.cairn.raft.RaftMessage;
import io.cairn.raft.RaftNode;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.PriorityQueue;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/**
 * The one thread that drives a group's consensus core: it steps messages, ticks, proposes,
 * persists each Ready to the WAL (one fsync), sends, applies to the state machine and answers
 * the waiting requests. Everything touching the core or the state machine happens here, so
 * neither needs locks; other threads talk to it through {@link #submit}.
 */
final class RaftLoop implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(RaftLoop.class.getName());
    /** Bound on queued work from other threads; beyond it requests fail fast as UNAVAILABLE. */
    private static final int INBOX_CAPACITY = 100_000;
    private static final long EXPIRE_INTERVAL_MILLIS = 1_000;

    /** Where outbound messages go. */
    interface Outbox {
        void send(NodeId to, GroupId group, RaftMessage message);
    }

    /** Why a request could not be served here. */
    static final class NotServedException extends RuntimeException {
        private static final long serialVersionUID = 1L;

        enum Kind { NOT_LEADER, TIMEOUT, UNAVAILABLE }

        final Kind kind;
        /** The leader as this node knows it, or null. */
        final NodeId leader;

        NotServedException(Kind kind, String message, NodeId leader) {
            super(message, null, false, false);
            this.kind = kind;
            this.leader = leader;
        }
    }

    private record PendingWrite(long term, long deadlineNanos, CompletableFuture<Result> future) {}

    private record PendingRead<T>(long deadlineNanos, Function<KvStateMachine, T> read, CompletableFuture<T> future) {
        void serve(KvStateMachine sm) {
            try {
                future.complete(read.apply(sm));
            } catch (RuntimeException e) {
                future.completeExceptionally(e);
            }
        }
    }

    private record ConfirmedRead(long index, PendingRead<?> read) {}

    private final GroupId group;
    private final RaftNode node;
    private final WalLogStore store;
    private final GroupLog log;
    private final KvStateMachine stateMachine;
    private final io.cairn.kv.engine.KvEngine engine;
    private final Outbox outbox;
    private final Clock clock;
    private final ServerConfig config;
    private final Path scratch;

    private final LinkedBlockingQueue<Runnable> inbox = new LinkedBlockingQueue<>(INBOX_CAPACITY);
    private final TreeMap<Long, PendingWrite> pendingWrites = new TreeMap<>();
    private final TreeMap<Long, PendingRead<?>> pendingReads = new TreeMap<>();
    private final PriorityQueue<ConfirmedRead> confirmedReads =
            new PriorityQueue<>(Comparator.comparingLong(ConfirmedRead::index));
    private long nextReadContext = 1;
    private long lastExpireMillis;
    /** The core's status for other threads, republished after every loop iteration. */
    private volatile Status status;
    private volatile boolean running = true;
    private final Thread thread;

    RaftLoop(GroupId group, RaftNode node, WalLogStore store, KvStateMachine stateMachine,
             io.cairn.kv.engine.KvEngine engine, Outbox outbox, Clock clock, ServerConfig config, Path scratch) {
        this.group = group;
        this.node = node;
        this.store = store;
        this.log = store.group(group);
        this.stateMachine = stateMachine;
        this.engine = engine;
        this.outbox = outbox;
        this.clock = clock;
        this.config = config;
        this.scratch = scratch;
        status = node.status();
        this.thread = new Thread(this::run, "raft-loop-" + group);
    }

    void start() {
        thread.start();
    }

    Status status() {
        return status;
    }

    /** Runs {@code task} on the loop thread; false if the loop is saturated or stopped. */
    boolean submit(Runnable task) {
        return running && inbox.offer(task);
    }

    /** A message from a peer; dropped when the loop is saturated (Raft tolerates loss). */
    void deliver(RaftMessage message) {
        submit(() -> node.step(message));
    }

    /** Proposes a client command; completes with its result once applied. */
    CompletableFuture<Result> propose(long clientId, long sequence, Command command) {
        CompletableFuture<Result> future = new CompletableFuture<>();
        boolean queued = submit(() -> {
            Status s = node.status();
            if (s.role() != Role.LEADER) {
                future.completeExceptionally(notLeader(s));
                return;
            }
            Bytes data = new CommandEnvelope(clientId, sequence, clock.epochMillis(), command).encode();
            ProposeResult r = node.propose(data);
            if (r instanceof ProposeResult.Accepted a) {
                long deadline = clock.nanoTime() + TimeUnit.MILLISECONDS.toNanos(config.requestTimeoutMillis());
                pendingWrites.put(a.index(), new PendingWrite(a.term(), deadline, future));
            } else {
                future.completeExceptionally(new NotServedException(NotServedException.Kind.UNAVAILABLE,
                        "proposal dropped: " + ((ProposeResult.Dropped) r).reason(), s.leader()));
            }
        });
        if (!queued) {
            future.completeExceptionally(new NotServedException(NotServedException.Kind.UNAVAILABLE, "node is overloaded or stopping", null));
        }
        return future;
    }

    /**
     * A linearizable read: confirmed through ReadIndex (on a follower, by asking the leader),
     * then run against the state machine once it has applied the confirmed index.
     */
    <T> CompletableFuture<T> readLinearizable(Function<KvStateMachine, T> read) {
        CompletableFuture<T> future = new CompletableFuture<>();
        boolean queued = submit(() -> {
            long ctx = nextReadContext++;
            ProposeResult r = node.readIndex(ctx, ReadMode.READ_INDEX);
            if (r instanceof ProposeResult.Dropped d) {
                future.completeExceptionally(d.reason() == io.cairn.consensus.DropReason.NOT_LEADER
                        ? notLeader(node.status())
                        : new NotServedException(NotServedException.Kind.UNAVAILABLE, "read dropped: " + d.reason(),
                                node.status().leader()));
                return;
            }
            long deadline = clock.nanoTime() + TimeUnit.MILLISECONDS.toNanos(config.requestTimeoutMillis());
            pendingReads.put(ctx, new PendingRead<>(deadline, read, future));
        });
        if (!queued) {
            future.completeExceptionally(new NotServedException(NotServedException.Kind.UNAVAILABLE, "node is overloaded or stopping", null));
        }
        return future;
    }

    /**
     * A read of whatever this replica has applied, without confirming anything. It runs on the
     * caller's thread, not the loop's: the engine takes concurrent reads and applies each batch
     * atomically, so the read sees the state after some applied entry, and a hop to the loop
     * thread would cost more than the read.
     */
    <T> CompletableFuture<T> readLocal(Function<KvStateMachine, T> read) {
        CompletableFuture<T> future = new CompletableFuture<>();
        if (!running) {
            future.completeExceptionally(new NotServedException(NotServedException.Kind.UNAVAILABLE, "node is stopping", null));
            return future;
        }
        new PendingRead<>(0, read, future).serve(stateMachine);
        return future;
    }

    private static NotServedException notLeader(Status s) {
        return new NotServedException(NotServedException.Kind.NOT_LEADER, "not the leader", s.leader());
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
                    inbox.drainTo(batch, 4096);
                    for (Runnable task : batch) {
                        task.run();
                    }
                    batch.clear();
                }
                long now = clock.nanoTime();
                if (now - nextTick >= 0) {
                    node.tick();
                    nextTick += tickNanos;
                    if (now - nextTick > 10 * tickNanos) {
                        nextTick = now + tickNanos; // after a long pause, do not replay missed ticks
                    }
                    onTick(now);
                }
                handleReady();
                status = node.status();
            }
        } catch (Throwable t) {
            // Stopping beats going on in a wrong state: the node exits and restarts from disk.
            LOG.log(System.Logger.Level.ERROR, "Raft loop of " + group + " failed; stopping the node", t);
            running = false;
            Runtime.getRuntime().halt(70);
        }
    }

    private void onTick(long nowNanos) {
        expireTimedOut(nowNanos);
        Status s = node.status();
        long nowMillis = clock.epochMillis();
        boolean due = nowMillis - lastExpireMillis >= EXPIRE_INTERVAL_MILLIS;
        // Expiry is decided by the leader and replicated, so every replica deletes the same keys;
        // it is proposed only when something can expire, so an idle group writes nothing.
        if (s.role() == Role.LEADER && due && nowMillis >= stateMachine.nextExpiryMillis()) {
            lastExpireMillis = nowMillis;
            node.propose(CommandEnvelope.withoutSession(nowMillis, new Command.Expire(nowMillis)).encode());
        }
    }

    private void expireTimedOut(long nowNanos) {
        NodeId leader = node.status().leader();
        pendingWrites.values().removeIf(p -> {
            if (nowNanos - p.deadlineNanos() < 0) {
                return false;
            }
            p.future().completeExceptionally(new NotServedException(NotServedException.Kind.TIMEOUT, "timed out waiting for commit", leader));
            return true;
        });
        pendingReads.values().removeIf(p -> {
            if (nowNanos - p.deadlineNanos() < 0) {
                return false;
            }
            p.future().completeExceptionally(new NotServedException(NotServedException.Kind.TIMEOUT, "timed out confirming the read", leader));
            return true;
        });
    }

    private void handleReady() throws IOException {
        while (node.hasReady()) {
            Ready rd = node.ready();
            send(rd.messages());
            store.persist(List.of(new WalLogStore.GroupReady(group, rd)));
            send(rd.messagesAfterPersist());
            if (rd.snapshot() != null) {
                installSnapshot(rd.snapshot().data());
            }
            if (!rd.committedEntries().isEmpty()) {
                apply(rd.committedEntries());
            }
            for (ReadState rs : rd.readStates()) {
                PendingRead<?> read = pendingReads.remove(rs.context());
                if (read != null) {
                    confirmedReads.add(new ConfirmedRead(rs.index(), read));
                }
            }
            node.advance(rd);
            serveConfirmedReads();
            maybeCompact();
        }
    }

    private void send(List<ConsensusMessage> messages) {
        for (ConsensusMessage m : messages) {
            outbox.send(m.to(), group, (RaftMessage) m);
        }
    }

    private void apply(List<LogEntry> entries) {
        List<Result> results = stateMachine.apply(entries);
        for (int i = 0; i < entries.size(); i++) {
            LogEntry e = entries.get(i);
            PendingWrite p = pendingWrites.remove(e.index());
            if (p == null) {
                continue;
            }
            if (p.term() == e.term()) {
                p.future().complete(results.get(i));
            } else {
                // Another leader's entry took this index: ours was lost and the client retries.
                p.future().completeExceptionally(new NotServedException(NotServedException.Kind.UNAVAILABLE,
                        "proposal lost to a leader change", node.status().leader()));
            }
        }
    }

    private void serveConfirmedReads() {
        long applied = stateMachine.appliedIndex();
        while (!confirmedReads.isEmpty() && confirmedReads.peek().index() <= applied) {
            confirmedReads.poll().read().serve(stateMachine);
        }
    }

    private void installSnapshot(Bytes data) throws IOException {
        SnapshotPacker.restore(data, stateMachine, scratch);
        LOG.log(System.Logger.Level.INFO, "installed snapshot at index {0}", stateMachine.appliedIndex());
    }

    private void maybeCompact() throws IOException {
        long applied = stateMachine.appliedIndex();
        long behind = applied - (log.firstIndex() - 1);
        if (behind <= 0 || (behind < config.compactEntries() && log.entryBytes() < config.compactBytes())) {
            return;
        }
        // The log may be cut only behind state the engine has made durable (its WAL is off).
        engine.flush();
        Path dir = scratch.resolve("snapshot-" + applied);
        SnapshotPacker.deleteTree(dir);
        KvStateMachine.SnapshotFiles files = stateMachine.snapshot(dir);
        try {
            Bytes packed = SnapshotPacker.pack(dir, files.files());
            store.compact(group, files.appliedIndex(), node.status().conf(), packed);
        } finally {
            SnapshotPacker.deleteTree(dir);
        }
        LOG.log(System.Logger.Level.INFO, "compacted the log of {0} through index {1}", group, files.appliedIndex());
    }

    @Override
    public void close() throws InterruptedException {
        running = false;
        inbox.offer(() -> { }); // wakes the loop; an interrupt could break a WAL write mid-way
        thread.join(10_000);
        NotServedException stopping = new NotServedException(NotServedException.Kind.UNAVAILABLE, "node is stopping", null);
        for (PendingWrite p : pendingWrites.values()) {
            p.future().completeExceptionally(stopping);
        }
        for (PendingRead<?> p : pendingReads.values()) {
            p.future().completeExceptionally(stopping);
        }
    }
}
