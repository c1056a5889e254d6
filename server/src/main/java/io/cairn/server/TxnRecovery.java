package io.cairn.server;

import com.google.protobuf.ByteString;
import io.cairn.common.Bytes;
import io.cairn.common.Clock;
import io.cairn.common.GroupId;
import io.cairn.common.NodeId;
import io.cairn.consensus.Role;
import io.cairn.consensus.Status;
import io.cairn.kv.state.Command;
import io.cairn.kv.state.CommandEnvelope;
import io.cairn.kv.state.IntentMeeting;
import io.cairn.kv.state.KvStateMachine;
import io.cairn.kv.state.Result;
import io.cairn.kv.state.TxnCleanup;
import io.cairn.transport.grpc.GrpcErrors;
import io.grpc.Deadline;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Function;

/**
 * Finishes cross-shard transactions their coordinators left behind (docs/transactions.md).
 *
 * <p>Two ways: a write that meets an intent older than the transaction timeout ends it at once
 * ({@link #push}: abort in the record unless decided, resolve the intent as the record says);
 * and, for what nobody meets, each shard leader looks over its records and intents every
 * {@link #PASS_MILLIS}: an intent or a record older than {@link TxnCleanup#CLEANUP_AFTER_TIMEOUTS}
 * transaction timeouts is ended here. A committed record's intents, in every shard it names, are
 * resolved as committed, then the record is removed; an aborted record is removed: its decision
 * dropped the primary's intent, and a prepare arriving in the primary's shard after it places
 * nothing, so nothing can commit the transaction later; any other intent is aborted by whoever
 * meets it.
 */
final class TxnRecovery implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(TxnRecovery.class.getName());

    /** How often each shard leader looks for what coordinators left behind. */
    static final long PASS_MILLIS = 1_000;
    private static final int PAGE = TxnCleanup.PAGE;

    private final RaftLoop loop;
    private final ClusterMap map;
    private final ServerConfig config;
    private final Clock clock;
    private final Forwarder forwarder;
    private final Function<GroupId, NodeId> replicaElsewhere;
    private final Map<GroupId, Bytes> recordCursors = new ConcurrentHashMap<>();
    private final Map<GroupId, Bytes> intentCursors = new ConcurrentHashMap<>();
    private final AtomicBoolean passing = new AtomicBoolean();
    private volatile java.util.concurrent.ScheduledFuture<?> passes;

    /** {@code replicaElsewhere}: another node to send a shard's request to (its leader if known), or null. */
    TxnRecovery(RaftLoop loop, ClusterMap map, ServerConfig config, Clock clock, Forwarder forwarder,
                Function<GroupId, NodeId> replicaElsewhere) {
        this.loop = loop;
        this.map = map;
        this.config = config;
        this.clock = clock;
        this.forwarder = forwarder;
        this.replicaElsewhere = replicaElsewhere;
    }

    void start() {
        passes = forwarder.timer().scheduleWithFixedDelay(this::pass, PASS_MILLIS, PASS_MILLIS, TimeUnit.MILLISECONDS);
    }

    long cleanupAfterMillis() {
        return TxnCleanup.cleanupAfterMillis(config.txnTimeoutMillis());
    }

    /**
     * Ends a stale intent: aborts its transaction in the record (the primary key's shard) unless
     * it was decided, then resolves the intent here as the record says.
     */
    CompletableFuture<Result> push(GroupId group, Result.Locked locked) {
        GroupId recordGroup = map.current().groupOfKey(locked.primaryKey().toArray());
        return decide(recordGroup, locked).thenCompose(committed ->
                loop.propose(group, CommandEnvelope.NO_SESSION, 0,
                        IntentMeeting.pushResolve(locked, committed)));
    }

    /** Records an abort for the transaction unless it is decided already; completes with the outcome recorded. */
    private CompletableFuture<Boolean> decide(GroupId recordGroup, Result.Locked locked) {
        Command.Decide decide = IntentMeeting.pushDecision(locked);
        Bytes primaryKey = decide.primaryKey();
        if (leads(recordGroup)) {
            return loop.propose(recordGroup, CommandEnvelope.NO_SESSION, 0, decide)
                    .thenApply(r -> ((Result.Decided) r).committed());
        }
        NodeId target = replicaElsewhere.apply(recordGroup);
        if (target == null) {
            return CompletableFuture.failedFuture(GrpcErrors.unavailable("no node is known to hold the shard of"
                    + " transaction record " + primaryKey.toUtf8()));
        }
        io.cairn.api.proto.TxnDecideRequest request = io.cairn.api.proto.TxnDecideRequest.newBuilder()
                .setTxnId(ByteString.copyFrom(decide.txnId().toArray()))
                .setPrimaryKey(ByteString.copyFrom(primaryKey.toArray())).setCommit(decide.commit()).build();
        return forwarder.call(io.cairn.api.proto.TxnGrpc.getDecideMethod(), request, map.current().address(target),
                        deadline())
                .thenApply(io.cairn.api.proto.TxnDecideResponse::getCommitted);
    }

    /** Resolves the transaction's intents on {@code keys} of one shard, here if this node leads it. */
    private CompletableFuture<Void> resolve(GroupId group, Bytes txnId, boolean commit, List<Bytes> keys) {
        if (leads(group)) {
            return loop.propose(group, CommandEnvelope.NO_SESSION, 0, new Command.Resolve(txnId, commit, keys))
                    .thenApply(r -> null);
        }
        NodeId target = replicaElsewhere.apply(group);
        if (target == null) {
            return CompletableFuture.failedFuture(GrpcErrors.unavailable("no node is known to hold " + group));
        }
        io.cairn.api.proto.TxnResolveRequest.Builder request = io.cairn.api.proto.TxnResolveRequest.newBuilder()
                .setTxnId(ByteString.copyFrom(txnId.toArray())).setCommit(commit);
        keys.forEach(k -> request.addKeys(ByteString.copyFrom(k.toArray())));
        return forwarder.call(io.cairn.api.proto.TxnGrpc.getResolveMethod(), request.build(),
                map.current().address(target), deadline()).thenApply(r -> null);
    }

    private Deadline deadline() {
        return Deadline.after(config.requestTimeoutMillis(), TimeUnit.MILLISECONDS);
    }

    private boolean leads(GroupId group) {
        Status status = loop.status(group);
        return status != null && status.role() == Role.LEADER;
    }

    /**
     * One look over every shard this node leads; a pass still running skips the next. Nothing
     * may escape: an exception thrown out of a scheduled task would end every later pass.
     */
    private void pass() {
        if (!passing.compareAndSet(false, true)) {
            return;
        }
        try {
            CompletableFuture<Void> all = CompletableFuture.completedFuture(null);
            for (GroupId group : loop.hostedGroups()) {
                if (group.value() > 0 && leads(group)) {
                    all = all.thenCompose(x -> cleanShard(group)).exceptionally(e -> {
                        LOG.log(System.Logger.Level.DEBUG, "transaction cleanup of {0} stopped this pass: {1}", group, e);
                        return null;
                    });
                }
            }
            all.whenComplete((x, e) -> passing.set(false));
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.WARNING, "transaction cleanup pass failed; trying again in a second", e);
            passing.set(false);
        }
    }

    private CompletableFuture<Void> cleanShard(GroupId group) {
        long nowMillis = clock.epochMillis();
        long timeoutMillis = config.txnTimeoutMillis();
        return loop.read(group, io.cairn.server.ReadLevel.EVENTUAL, sm -> sm.intents(intentCursors.get(group), PAGE))
                .thenCompose(served -> {
                    KvStateMachine.Page<Result.Locked> page = served.value();
                    advance(intentCursors, group, page.next());
                    CompletableFuture<Void> done = CompletableFuture.completedFuture(null);
                    for (Result.Locked intent : page.items()) {
                        if (TxnCleanup.intentDue(intent, nowMillis, timeoutMillis)) {
                            done = done.thenCompose(x -> push(group, intent).thenApply(r -> null));
                        }
                    }
                    return done;
                })
                .thenCompose(x -> loop.read(group, io.cairn.server.ReadLevel.EVENTUAL,
                        sm -> sm.txnRecords(recordCursors.get(group), PAGE)))
                .thenCompose(served -> {
                    KvStateMachine.Page<KvStateMachine.TxnRecordView> page = served.value();
                    advance(recordCursors, group, page.next());
                    CompletableFuture<Void> done = CompletableFuture.completedFuture(null);
                    for (KvStateMachine.TxnRecordView record : page.items()) {
                        if (TxnCleanup.recordDue(record, nowMillis, timeoutMillis)) {
                            done = done.thenCompose(x -> finish(group, record));
                        }
                    }
                    return done;
                });
    }

    private static void advance(Map<GroupId, Bytes> cursors, GroupId group, Bytes next) {
        if (next == null) {
            cursors.remove(group); // the next pass starts over
        } else {
            cursors.put(group, next);
        }
    }

    /** Resolves a committed record's intents in every shard it names, then removes the record. */
    private CompletableFuture<Void> finish(GroupId group, KvStateMachine.TxnRecordView record) {
        Map<GroupId, List<Bytes>> byShard = TxnCleanup.committedIntentsByShard(record,
                key -> map.current().groupOfKey(key.toArray()));
        List<CompletableFuture<Void>> resolved = new ArrayList<>();
        byShard.forEach((g, keys) -> resolved.add(resolve(g, record.txnId(), true, keys)));
        return CompletableFuture.allOf(resolved.toArray(CompletableFuture[]::new))
                .thenCompose(x -> loop.propose(group, CommandEnvelope.NO_SESSION, 0, new Command.Forget(record.txnId())))
                .thenAccept(r -> LOG.log(System.Logger.Level.INFO, "transaction {0} ({1}) left by its coordinator {2} ms ago: {3}",
                        record.txnId().toHex(), record.committed() ? "committed" : "aborted",
                        clock.epochMillis() - record.decidedAtMillis(),
                        record.committed() ? "intents resolved in " + byShard.size() + " shard(s), record removed"
                                : "record removed"));
    }

    @Override
    public void close() {
        if (passes != null) {
            passes.cancel(false);
        }
    }
}
