package io.cairn.client;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.function.Supplier;

/**
 * Commits a transaction whose keys span shards, in three rounds, each on every shard at once:
 * <ol>
 *   <li>prepare: each shard checks that the keys read there are unchanged and holds them, and
 *       places an intent on each key written there (a read-only transaction only checks);</li>
 *   <li>decide: the transaction's record, in the shard of its primary key (the first key
 *       written), says committed, unless a write that met a stale intent aborted it first;</li>
 *   <li>resolve: each shard applies (or drops) the intents, and only then does commit complete, so
 *       a read after it sees every write.</li>
 * </ol>
 * If the coordinator dies between rounds, the servers finish for it: a write that meets an intent
 * older than the transaction timeout aborts the transaction unless its record says committed, and
 * resolves the intent as the record says; what nobody meets, the shard leaders end after a while
 * (the commit decision names every key holding an intent, for that). No transaction is ever partly
 * applied.
 *
 * <p>The coordinator blocks nowhere: each round is a call on {@link Rounds} whose answer
 * continues the commit. {@link CairnClient} carries the rounds over gRPC; the simulator carries
 * the same coordinator's rounds over its faulty network, so the rules here are the ones it checks.
 */
public final class TxnCoordinator {
    /** The keys a read-write transaction holds intents on, named in its commit decision (the servers' limit). */
    public static final int INTENT_KEYS_MAX = 2 * Txn.OPS_MAX;

    /**
     * One call per round and shard. Each completes with the shard's answer, or fails with the
     * exception a caller of the client would see ({@link CairnUnavailableException} when the
     * answer is lost: the call may or may not have applied). Every call is applied at most once.
     */
    public interface Rounds {
        /** The shard {@code key} hashes to. */
        int shardOf(byte[] key);

        /** The transaction's part in one shard: its reads there checked and held, intents on its writes there. */
        CompletableFuture<Prepared> prepare(byte[] txnId, byte[] primaryKey, List<Compare> compares, List<TxnOp> writes,
                                            boolean lockReads);

        /** Records the outcome in the shard of {@code primaryKey} unless one is recorded; answers the recorded one. */
        CompletableFuture<Decision> decide(byte[] txnId, byte[] primaryKey, boolean commit, List<byte[]> intentKeys);

        /** Resolves the decided transaction's intents on {@code keys} (one shard); answers the shard's revision. */
        CompletableFuture<Long> resolve(byte[] txnId, boolean commit, List<byte[]> keys);

        /** Removes the record once every intent is resolved; true when it existed. */
        CompletableFuture<Boolean> forget(byte[] txnId, byte[] primaryKey);
    }

    /**
     * A shard's answer to a prepare: held ({@code ok}), or the index of the compare that failed,
     * or the transaction already decided in its record (prepare in the primary's shard after an
     * abort), or a key held by another transaction's intent.
     */
    public record Prepared(boolean ok, int failedCompare, boolean alreadyDecided, byte[] heldKey, byte[] holderTxnId) {
        public static Prepared held() {
            return new Prepared(true, -1, false, null, null);
        }

        public static Prepared compareFailed(int index) {
            return new Prepared(false, index, false, null, null);
        }

        public static Prepared decidedBefore() {
            return new Prepared(false, -1, true, null, null);
        }

        public static Prepared heldByOther(byte[] key, byte[] otherTxnId) {
            return new Prepared(false, -1, false, key.clone(), otherTxnId.clone());
        }
    }

    /** What a transaction's record says, as a decision call learns it. */
    public enum Decision {
        COMMITTED, ABORTED,
        /** The servers finished the transaction and removed its record long ago: its outcome is not known any more. */
        FORGOTTEN
    }

    private final Rounds rounds;
    private final Supplier<byte[]> txnIds;

    /** {@code txnIds}: a fresh, unique transaction id per call (16 random bytes in the client). */
    public TxnCoordinator(Rounds rounds, Supplier<byte[]> txnIds) {
        this.rounds = rounds;
        this.txnIds = txnIds;
    }

    /** Every key read or written once (a lock fence's name holds no intent). */
    private static List<byte[]> intentKeys(List<Compare> reads, List<TxnOp> writes) {
        Map<ByteBuffer, byte[]> keys = new LinkedHashMap<>();
        for (Compare c : reads) {
            if (c.target() != Compare.Target.LOCK_TOKEN) {
                keys.putIfAbsent(ByteBuffer.wrap(c.key()), c.key());
            }
        }
        writes.forEach(w -> keys.putIfAbsent(ByteBuffer.wrap(w.key()), w.key()));
        return new ArrayList<>(keys.values());
    }

    /** One shard's part: the versions read there and the writes there. */
    private static final class Part {
        final List<Compare> compares = new ArrayList<>();
        final List<TxnOp> writes = new ArrayList<>();
        final List<byte[]> keys = new ArrayList<>();
    }

    /** What one commit knows. */
    private record Commit(byte[] txnId, byte[] primary, Map<Integer, Part> parts, boolean readOnly,
                          List<byte[]> intentKeys) {}

    /**
     * Commits; the future fails with {@link TransactionConflictException} with nothing written,
     * or {@link CairnUnavailableException} when a round could not finish (see
     * {@link Transaction#commit}). Throws IllegalArgumentException at once for a transaction
     * past the limits, having sent nothing.
     */
    public CompletableFuture<TxnResult> commit(List<Compare> reads, List<TxnOp> writes) {
        if (reads.isEmpty() && writes.isEmpty()) {
            throw new IllegalArgumentException("a transaction to commit across shards reads or writes a key");
        }
        Map<Integer, Part> parts = new TreeMap<>();
        for (Compare c : reads) {
            Part p = parts.computeIfAbsent(rounds.shardOf(c.key()), s -> new Part());
            p.compares.add(c);
            p.keys.add(c.key());
        }
        for (TxnOp w : writes) {
            Part p = parts.computeIfAbsent(rounds.shardOf(w.key()), s -> new Part());
            p.writes.add(w);
            p.keys.add(w.key());
        }
        boolean readOnly = writes.isEmpty();
        List<byte[]> intentKeys = readOnly ? List.of() : intentKeys(reads, writes);
        if (intentKeys.size() > INTENT_KEYS_MAX) {
            throw new IllegalArgumentException("a transaction across shards reads and writes at most "
                    + INTENT_KEYS_MAX + " distinct keys, not " + intentKeys.size());
        }
        byte[] primary = readOnly ? reads.get(0).key() : writes.get(0).key();
        Commit commit = new Commit(txnIds.get(), primary, parts, readOnly, intentKeys);

        Map<Integer, CompletableFuture<Prepared>> prepared = new TreeMap<>();
        for (Map.Entry<Integer, Part> e : parts.entrySet()) {
            Part part = e.getValue();
            prepared.put(e.getKey(), rounds.prepare(commit.txnId(), primary, List.copyOf(part.compares),
                    List.copyOf(part.writes), !readOnly));
        }
        return settled(prepared.values()).thenCompose(x -> afterPrepare(commit, prepared));
    }

    private CompletableFuture<TxnResult> afterPrepare(Commit commit, Map<Integer, CompletableFuture<Prepared>> prepared) {
        RuntimeException failure = null;
        for (Map.Entry<Integer, CompletableFuture<Prepared>> e : prepared.entrySet()) {
            RuntimeException f = prepareFailure(e.getKey(), commit.parts().get(e.getKey()), commit.primary(), e.getValue());
            failure = failure == null ? f : failure;
        }
        if (failure != null) {
            RuntimeException thrown = failure;
            CompletableFuture<Void> aborted = commit.readOnly() ? CompletableFuture.completedFuture(null) : abort(commit);
            return aborted.thenApply(x -> {
                throw thrown;
            });
        }
        if (commit.readOnly()) {
            return CompletableFuture.completedFuture(new TxnResult(true, -1, List.of(), 0, 0));
        }
        return decideCommit(commit).thenCompose(committed -> resolveAll(commit, committed).thenApply(revision -> {
            forgetLater(commit);
            if (!committed) {
                throw TransactionConflictException.abortedByOthers(commit.primary(), rounds.shardOf(commit.primary()));
            }
            return new TxnResult(true, -1, List.of(), revision, 0);
        }));
    }

    /**
     * Asks the record to say committed. When the answer is lost (the deadline passed while the
     * primary's shard had no leader), the decision may or may not have applied, so the record is
     * asked again, to say aborted: it answers whichever applied first, and only if that call too
     * is lost does the commit end as unknown ({@link CairnUnavailableException}).
     */
    private CompletableFuture<Boolean> decideCommit(Commit commit) {
        return rounds.decide(commit.txnId(), commit.primary(), true, commit.intentKeys())
                .handle((decision, error) -> {
                    Throwable cause = unwrap(error);
                    if (cause == null) {
                        return CompletableFuture.completedFuture(decision);
                    }
                    if (!(cause instanceof CairnUnavailableException lost)) {
                        return CompletableFuture.<Decision>failedFuture(cause);
                    }
                    return rounds.decide(commit.txnId(), commit.primary(), false, List.of())
                            .handle((again, againError) -> {
                                Throwable second = unwrap(againError);
                                if (second != null) {
                                    lost.addSuppressed(second);
                                    throw lost;
                                }
                                return again;
                            });
                })
                .thenCompose(f -> f)
                .thenApply(decision -> {
                    if (decision == Decision.FORGOTTEN) {
                        throw new CairnUnavailableException("the transaction's outcome is unknown: the servers finished"
                                + " it and removed its record before this commit decision arrived (the commit took"
                                + " longer than the servers keep a quiet coordinator's transaction)", List.of(), null);
                    }
                    return decision == Decision.COMMITTED;
                });
    }

    /** Resolves every shard's intents; the revision is the highest of the shards' answers. */
    private CompletableFuture<Long> resolveAll(Commit commit, boolean committed) {
        List<CompletableFuture<Long>> resolved = new ArrayList<>();
        for (Part p : commit.parts().values()) {
            resolved.add(rounds.resolve(commit.txnId(), committed, p.keys));
        }
        return settled(resolved).thenApply(x -> {
            long revision = 0;
            for (CompletableFuture<Long> r : resolved) {
                revision = Math.max(revision, r.join()); // the first failure, in shard order, is the one thrown
            }
            return revision;
        });
    }

    /**
     * Every intent is resolved: the record has nobody left to answer, so it goes, in the
     * background (commit has its outcome already). If this fails the record stays, which is
     * safe, and the servers remove it after a while.
     */
    private void forgetLater(Commit commit) {
        try {
            rounds.forget(commit.txnId(), commit.primary()).exceptionally(e -> false);
        } catch (RuntimeException e) {
            // The client is closing or out of sessions: the record stays, which costs its bytes only.
        }
    }

    /** Why a shard's prepare did not hold its keys, or null when it did. */
    private RuntimeException prepareFailure(int shard, Part part, byte[] primary, CompletableFuture<Prepared> future) {
        try {
            Prepared r = future.join();
            if (r.ok()) {
                return null;
            }
            if (r.alreadyDecided()) {
                return TransactionConflictException.abortedByOthers(primary, rounds.shardOf(primary));
            }
            if (r.heldKey() != null) {
                return TransactionConflictException.held(r.heldKey(), shard, r.holderTxnId());
            }
            Compare failed = part.compares.get(r.failedCompare());
            if (failed.target() == Compare.Target.LOCK_TOKEN) {
                return StaleTokenException.ofFence(failed);
            }
            return TransactionConflictException.changed(failed.key(), shard, failed.number());
        } catch (CompletionException | CancellationException e) {
            Throwable cause = unwrap(e);
            if (cause instanceof TransactionConflictException c) {
                return c.inShard(shard);
            }
            return cause instanceof RuntimeException re ? re : e;
        }
    }

    /**
     * Records the abort (so no late prepare's intent outlives it unresolved for long) and drops
     * whatever intents the prepares placed. Best effort, and never fails: what is not done here
     * the servers abort after the transaction timeout.
     */
    private CompletableFuture<Void> abort(Commit commit) {
        try {
            return rounds.decide(commit.txnId(), commit.primary(), false, List.of())
                    .thenCompose(decision -> resolveAll(commit, decision == Decision.COMMITTED))
                    .thenApply(revision -> {
                        forgetLater(commit);
                        return (Void) null;
                    })
                    // The record never says committed (only this coordinator would write that), so the
                    // intents left behind are aborted by the first write that meets them after the timeout.
                    .exceptionally(e -> null);
        } catch (RuntimeException e) {
            return CompletableFuture.completedFuture(null);
        }
    }

    /** Completes, never exceptionally, once every future is done. */
    private static CompletableFuture<Void> settled(java.util.Collection<? extends CompletableFuture<?>> futures) {
        return CompletableFuture.allOf(futures.toArray(CompletableFuture[]::new)).handle((x, e) -> null);
    }

    private static Throwable unwrap(Throwable e) {
        while ((e instanceof CompletionException || e instanceof java.util.concurrent.ExecutionException)
                && e.getCause() != null) {
            e = e.getCause();
        }
        return e;
    }
}
