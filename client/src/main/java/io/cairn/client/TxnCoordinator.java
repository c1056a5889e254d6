package io.cairn.client;

import io.cairn.api.proto.TxnPrepareRequest;
import io.cairn.api.proto.TxnPrepareResponse;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;

/**
 * Commits a {@link Transaction} whose keys span shards, in three rounds, each on every shard at
 * once:
 * <ol>
 *   <li>prepare: each shard checks that the keys read there are unchanged and holds them, and
 *       places an intent on each key written there (a read-only transaction only checks);</li>
 *   <li>decide: the transaction's record, in the shard of its primary key (the first key
 *       written), says committed, unless a write that met a stale intent aborted it first;</li>
 *   <li>resolve: each shard applies (or drops) the intents, and only then does commit return, so
 *       a read after it sees every write.</li>
 * </ol>
 * If the coordinator dies between rounds, the servers finish for it: a write that meets an intent
 * older than the transaction timeout aborts the transaction unless its record says committed, and
 * resolves the intent as the record says; what nobody meets, the shard leaders end after a while
 * (the commit decision names every key holding an intent, for that). No transaction is ever partly
 * applied.
 */
final class TxnCoordinator {
    private static final SecureRandom IDS = new SecureRandom();
    private static final int TXN_ID_BYTES = 16;

    private final CairnClient client;

    TxnCoordinator(CairnClient client) {
        this.client = client;
    }

    /** The keys a read-write transaction holds intents on, named in its commit decision (the servers' limit). */
    static final int INTENT_KEYS_MAX = 2 * Txn.OPS_MAX;

    /** Every key read or written once (a lock fence's name holds no intent). */
    private static List<byte[]> intentKeys(List<Compare> reads, List<TxnOp> writes) {
        Map<java.nio.ByteBuffer, byte[]> keys = new java.util.LinkedHashMap<>();
        for (Compare c : reads) {
            if (c.target() != Compare.Target.LOCK_TOKEN) {
                keys.putIfAbsent(java.nio.ByteBuffer.wrap(c.key()), c.key());
            }
        }
        writes.forEach(w -> keys.putIfAbsent(java.nio.ByteBuffer.wrap(w.key()), w.key()));
        return new ArrayList<>(keys.values());
    }

    /** One shard's part: the versions read there and the writes there. */
    private static final class Part {
        final List<Compare> compares = new ArrayList<>();
        final List<TxnOp> writes = new ArrayList<>();
        final List<byte[]> keys = new ArrayList<>();
    }

    /**
     * Commits, or throws {@link TransactionConflictException} with nothing written, or
     * {@link CairnUnavailableException} when a round could not finish (see {@link Transaction#commit}).
     */
    TxnResult commit(List<Compare> reads, List<TxnOp> writes) {
        Map<Integer, Part> parts = new TreeMap<>();
        for (Compare c : reads) {
            Part p = parts.computeIfAbsent(client.shardOf(c.key()), s -> new Part());
            p.compares.add(c);
            p.keys.add(c.key());
        }
        for (TxnOp w : writes) {
            Part p = parts.computeIfAbsent(client.shardOf(w.key()), s -> new Part());
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
        byte[] txnId = new byte[TXN_ID_BYTES];
        IDS.nextBytes(txnId);

        Map<Integer, CompletableFuture<TxnPrepareResponse>> prepared = new TreeMap<>();
        for (Map.Entry<Integer, Part> e : parts.entrySet()) {
            prepared.put(e.getKey(), client.prepare(e.getValue().keys.get(0), prepareRequest(txnId, primary, e.getValue(),
                    !readOnly)));
        }
        RuntimeException failure = null;
        for (Map.Entry<Integer, CompletableFuture<TxnPrepareResponse>> e : prepared.entrySet()) {
            RuntimeException f = prepareFailure(e.getKey(), parts.get(e.getKey()), primary, e.getValue());
            failure = failure == null ? f : failure;
        }
        if (failure != null) {
            if (!readOnly) {
                abort(txnId, primary, parts);
            }
            throw failure;
        }
        if (readOnly) {
            return new TxnResult(true, -1, List.of(), 0, 0);
        }
        boolean committed = decideCommit(txnId, primary, intentKeys);
        List<CompletableFuture<Long>> resolved = new ArrayList<>();
        for (Part p : parts.values()) {
            resolved.add(client.resolve(txnId, committed, p.keys));
        }
        long revision = 0;
        for (CompletableFuture<Long> r : resolved) {
            revision = Math.max(revision, CairnClient.join(r));
        }
        forgetLater(txnId, primary);
        if (!committed) {
            throw TransactionConflictException.abortedByOthers(primary, client.shardOf(primary));
        }
        return new TxnResult(true, -1, List.of(), revision, 0);
    }

    /**
     * Asks the record to say committed. When the answer is lost (the deadline passed while the
     * primary's shard had no leader), the decision may or may not have applied, so the record is
     * asked again, to say aborted: it answers whichever applied first, and only if that call too
     * finds no leader does the commit end as unknown ({@link CairnUnavailableException}).
     */
    private boolean decideCommit(byte[] txnId, byte[] primary, List<byte[]> intentKeys) {
        CairnClient.Decision decision;
        try {
            decision = CairnClient.join(client.decide(txnId, primary, true, intentKeys));
        } catch (CairnUnavailableException lost) {
            try {
                decision = CairnClient.join(client.decide(txnId, primary, false, List.of()));
            } catch (RuntimeException again) {
                lost.addSuppressed(again);
                throw lost;
            }
        }
        if (decision == CairnClient.Decision.FORGOTTEN) {
            throw new CairnUnavailableException("the transaction's outcome is unknown: the servers finished it and"
                    + " removed its record before this commit decision arrived (the commit took longer than the"
                    + " servers keep a quiet coordinator's transaction)", List.of(), null);
        }
        return decision == CairnClient.Decision.COMMITTED;
    }

    /**
     * Every intent is resolved: the record has nobody left to answer, so it goes, in the
     * background (commit has its outcome already). If this fails the record stays, which is safe.
     */
    private void forgetLater(byte[] txnId, byte[] primary) {
        try {
            client.forget(txnId, primary);
        } catch (RuntimeException e) {
            // The client is closing or out of sessions: the record stays, which costs its bytes only.
        }
    }

    private static TxnPrepareRequest.Builder prepareRequest(byte[] txnId, byte[] primary, Part part, boolean lockReads) {
        TxnPrepareRequest.Builder b = TxnPrepareRequest.newBuilder()
                .setTxnId(com.google.protobuf.ByteString.copyFrom(txnId))
                .setPrimaryKey(com.google.protobuf.ByteString.copyFrom(primary)).setLockReads(lockReads);
        part.compares.forEach(c -> b.addCompare(c.toProto()));
        part.writes.forEach(w -> b.addWrite(Txn.toProto(w)));
        return b;
    }

    /** Why a shard's prepare did not hold its keys, or null when it did. */
    private RuntimeException prepareFailure(int shard, Part part, byte[] primary,
                                            CompletableFuture<TxnPrepareResponse> future) {
        try {
            TxnPrepareResponse r = future.join();
            if (r.getPrepared()) {
                return null;
            }
            if (r.getAlreadyDecided()) {
                return TransactionConflictException.abortedByOthers(primary, client.shardOf(primary));
            }
            Compare failed = part.compares.get(r.getFailedCompare());
            if (failed.target() == Compare.Target.LOCK_TOKEN) {
                return StaleTokenException.ofFence(failed);
            }
            return TransactionConflictException.changed(failed.key(), shard, failed.number());
        } catch (CompletionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof TransactionConflictException c) {
                return c.inShard(shard);
            }
            return cause instanceof RuntimeException re ? re : e;
        }
    }

    /**
     * Records the abort (so no late prepare's intent outlives it unresolved for long) and drops
     * whatever intents the prepares placed. Best effort: what fails here the servers abort after
     * the transaction timeout.
     */
    private void abort(byte[] txnId, byte[] primary, Map<Integer, Part> parts) {
        try {
            boolean committed = CairnClient.join(client.decide(txnId, primary, false, List.of()))
                    == CairnClient.Decision.COMMITTED;
            List<CompletableFuture<Long>> resolved = new ArrayList<>();
            for (Part p : parts.values()) {
                resolved.add(client.resolve(txnId, committed, p.keys));
            }
            resolved.forEach(CairnClient::join);
            forgetLater(txnId, primary);
        } catch (RuntimeException e) {
            // The record never says committed (only this coordinator would write that), so the
            // intents left behind are aborted by the first write that meets them after the timeout.
        }
    }
}
