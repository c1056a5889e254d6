package io.cairn.sim;

import io.cairn.client.CairnUnavailableException;
import io.cairn.client.Compare;
import io.cairn.client.TxnCoordinator;
import io.cairn.client.TxnOp;
import io.cairn.common.Bytes;
import io.cairn.kv.state.Command;
import io.cairn.kv.state.Result;
import io.cairn.sim.kv.ClientOp;
import io.cairn.sim.kv.OpResult;
import io.cairn.sim.kv.TxnRoundOp;
import io.cairn.sim.kv.TxnRoundResult;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;
import java.util.function.ToIntFunction;

/**
 * The Java client's cross-shard coordinator ({@link TxnCoordinator}) with its rounds carried as
 * one simulated client's operations: each call the coordinator makes becomes a
 * {@link TxnRoundOp} in an outbox, which the workload hands its client one at a time (a legal
 * schedule of the real client's parallel calls); the answer kv-state applied completes the call,
 * and the coordinator goes on in that same event. A client that gives an operation up fails its
 * call as the real client's deadline does ({@link CairnUnavailableException}). A crash drops
 * every call in flight unanswered, so the coordinator's transaction stops dead.
 */
final class SimTxnRounds implements TxnCoordinator.Rounds {
    /** A round the coordinator asked for, with the future its answer completes. */
    private record Round(TxnRoundOp op, CompletableFuture<Result> answer) {}

    private final ToIntFunction<String> shardOfKey;
    private final ArrayDeque<Round> outbox = new ArrayDeque<>();
    private Round inFlight;
    private final TxnCoordinator coordinator;
    private long txnIds;
    /** Bumped at each crash: a commit of an earlier generation belongs to nobody. */
    private int generation;
    /**
     * An answer no server gives to a round, or a failure no client gives to a commit: kept here,
     * since the coordinator swallows what fails in its best-effort abort and forget, and thrown by
     * {@link #rethrowSurprise}, failing the run.
     */
    private IllegalStateException surprise;

    /** Transaction ids unique in the run: the client's id, then a counter. */
    SimTxnRounds(ToIntFunction<String> shardOfKey, int clientId) {
        this.shardOfKey = shardOfKey;
        this.coordinator = new TxnCoordinator(this, () -> {
            java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(16);
            b.putLong(clientId).putLong(++txnIds);
            return b.array();
        });
    }

    /**
     * Commits through the coordinator; {@code then} learns the outcome as a history records it,
     * unless the coordinator crashed meanwhile (then nobody hears of that commit again). A commit
     * that fails as the client never fails is kept for {@link #rethrowSurprise}.
     */
    void commit(List<Compare> reads, List<TxnOp> writes, Consumer<io.cairn.sim.elle.ListTxn.Outcome> then) {
        int mine = generation;
        coordinator.commit(reads, writes).whenComplete((result, error) -> {
            if (generation != mine) {
                return;
            }
            io.cairn.sim.elle.ListTxn.Outcome outcome = outcome(error);
            if (outcome == null) {
                keep(new IllegalStateException("a commit failed as the client never fails: " + error, error));
                return;
            }
            then.accept(outcome);
        });
    }

    /**
     * {@code n} names, {@code prefix + i + "." + k}, the i-th in the i-th n-th of the hash slots:
     * with any shard count they lie in as many shards as they can (similar names hash to nearby
     * slots, and shards own slot ranges).
     */
    static List<String> spread(String prefix, int n) {
        io.cairn.placement.ShardMap parts = io.cairn.placement.ShardMap.of(n);
        List<String> names = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            int k = 0;
            while (parts.shardOfKey((prefix + i + "." + k).getBytes(StandardCharsets.UTF_8)) != i) {
                k++;
            }
            names.add(prefix + i + "." + k);
        }
        return List.copyOf(names);
    }

    /**
     * How a commit ended, as a history records it: committed (OK), a conflict or a stale token
     * (FAILED: nothing written), the outcome unknown (INFO: a round given up). Null for any other
     * failure, which the client never gives: a bug the run must report.
     */
    private static io.cairn.sim.elle.ListTxn.Outcome outcome(Throwable error) {
        Throwable cause = error;
        while (cause instanceof java.util.concurrent.CompletionException && cause.getCause() != null) {
            cause = cause.getCause();
        }
        if (cause == null) {
            return io.cairn.sim.elle.ListTxn.Outcome.OK;
        }
        if (cause instanceof io.cairn.client.TransactionConflictException
                || cause instanceof io.cairn.client.StaleTokenException) {
            return io.cairn.sim.elle.ListTxn.Outcome.FAILED;
        }
        return cause instanceof CairnUnavailableException ? io.cairn.sim.elle.ListTxn.Outcome.INFO : null;
    }

    /** Fails the run if a round was answered, or a commit failed, as no server and no client would. */
    void rethrowSurprise() {
        if (surprise != null) {
            throw surprise;
        }
    }

    private IllegalStateException keep(IllegalStateException e) {
        if (surprise == null) {
            surprise = e;
        }
        return e;
    }

    private IllegalStateException unexpected(String round, Result answer) {
        return keep(new IllegalStateException(round + " answered " + answer));
    }

    /** The next round to send, or null when none waits or one is in flight. */
    ClientOp next() {
        if (inFlight != null || outbox.isEmpty()) {
            return null;
        }
        inFlight = outbox.poll();
        return inFlight.op();
    }

    /** Whether a round is in flight or waiting. */
    boolean busy() {
        return inFlight != null || !outbox.isEmpty();
    }

    /** The round in flight was answered. */
    void answered(OpResult answer) {
        Round round = inFlight;
        inFlight = null;
        round.answer().complete(((TxnRoundResult) answer).result());
    }

    /** The round in flight was given up: its outcome is unknown. */
    void abandoned(ClientOp op) {
        Round round = inFlight;
        inFlight = null;
        round.answer().completeExceptionally(new CairnUnavailableException("the simulated client gave up " + op
                + " (its outcome is unknown)", List.of(), null));
    }

    /** The coordinator's process died: nothing it asked for is sent or answered any more. */
    void crash() {
        inFlight = null;
        outbox.clear();
        generation++;
    }

    @Override
    public int shardOf(byte[] key) {
        return shardOfKey.applyAsInt(new String(key, StandardCharsets.UTF_8));
    }

    private CompletableFuture<Result> send(byte[] routeKey, Command command) {
        CompletableFuture<Result> answer = new CompletableFuture<>();
        outbox.add(new Round(new TxnRoundOp(new String(routeKey, StandardCharsets.UTF_8), command, false), answer));
        return answer;
    }

    @Override
    public CompletableFuture<TxnCoordinator.Prepared> prepare(byte[] txnId, byte[] primaryKey, List<Compare> compares,
                                                              List<TxnOp> writes, boolean lockReads) {
        List<io.cairn.kv.state.Compare> checks = new ArrayList<>();
        compares.forEach(c -> checks.add(toState(c)));
        List<io.cairn.kv.state.TxnOp> ops = new ArrayList<>();
        writes.forEach(w -> ops.add(toState(w)));
        byte[] route = compares.isEmpty() ? writes.get(0).key() : compares.get(0).key();
        return send(route, new Command.Prepare(Bytes.wrap(txnId), Bytes.wrap(primaryKey), checks, ops, lockReads))
                .thenApply(r -> {
                    if (r instanceof Result.Prepared p) {
                        return p.ok() ? TxnCoordinator.Prepared.held()
                                : TxnCoordinator.Prepared.compareFailed(p.failedCompare());
                    }
                    if (r instanceof Result.Decided) {
                        return TxnCoordinator.Prepared.decidedBefore();
                    }
                    if (r instanceof Result.Locked l) {
                        return TxnCoordinator.Prepared.heldByOther(l.key().toArray(), l.txnId().toArray());
                    }
                    throw unexpected("a prepare", r);
                });
    }

    @Override
    public CompletableFuture<TxnCoordinator.Decision> decide(byte[] txnId, byte[] primaryKey, boolean commit,
                                                             List<byte[]> intentKeys) {
        List<Bytes> keys = intentKeys.stream().map(Bytes::wrap).toList();
        return send(primaryKey, Command.Decide.of(Bytes.wrap(txnId), commit, Bytes.wrap(primaryKey), keys))
                .thenApply(r -> {
                    if (r instanceof Result.Decided d) {
                        return d.committed() ? TxnCoordinator.Decision.COMMITTED : TxnCoordinator.Decision.ABORTED;
                    }
                    if (r instanceof Result.OutcomeUnknown) {
                        return TxnCoordinator.Decision.FORGOTTEN;
                    }
                    throw unexpected("a decision", r);
                });
    }

    @Override
    public CompletableFuture<Long> resolve(byte[] txnId, boolean commit, List<byte[]> keys) {
        List<Bytes> resolved = keys.stream().map(Bytes::wrap).toList();
        return send(keys.get(0), new Command.Resolve(Bytes.wrap(txnId), commit, resolved)).thenApply(r -> {
            if (!(r instanceof Result.Resolved)) {
                throw unexpected("a resolve", r);
            }
            return 0L;
        });
    }

    @Override
    public CompletableFuture<Boolean> forget(byte[] txnId, byte[] primaryKey) {
        return send(primaryKey, new Command.Forget(Bytes.wrap(txnId))).thenApply(r -> {
            if (!(r instanceof Result.Deleted d)) {
                throw unexpected("a forget", r);
            }
            return d.existed();
        });
    }

    /** The client's comparison as kv-state's (the server's codec does the same from the wire). */
    private static io.cairn.kv.state.Compare toState(Compare c) {
        Bytes key = Bytes.wrap(c.key());
        io.cairn.kv.state.Compare.Relation relation = io.cairn.kv.state.Compare.Relation.valueOf(c.relation().name());
        io.cairn.kv.state.Compare.Target target = io.cairn.kv.state.Compare.Target.valueOf(c.target().name());
        return target == io.cairn.kv.state.Compare.Target.VALUE
                ? io.cairn.kv.state.Compare.value(key, relation, Bytes.wrap(c.value()))
                : io.cairn.kv.state.Compare.of(key, target, relation, c.number());
    }

    private static io.cairn.kv.state.TxnOp toState(TxnOp op) {
        if (op instanceof TxnOp.Put put) {
            return new Command.Put(Bytes.wrap(put.key()), Bytes.wrap(put.value()), put.ttl().toMillis());
        }
        if (op instanceof TxnOp.Delete delete) {
            return new Command.Delete(Bytes.wrap(delete.key()));
        }
        return new io.cairn.kv.state.TxnOp.Get(Bytes.wrap(op.key()));
    }

    @Override
    public String toString() {
        return (inFlight == null ? "" : "waiting for " + inFlight.op() + ", ") + outbox.size() + " rounds to send";
    }
}
