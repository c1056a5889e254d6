package io.cairn.client;

import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * An optimistic, serializable transaction from {@link CairnClient#begin()}: reads go to the
 * shard at once (linearizable) and remember the mod revision they saw; writes wait in the
 * transaction; {@link #commit()} writes them in one Raft entry only if no key read has changed
 * since, else throws {@link TransactionConflictException} and writes nothing. A key read twice
 * gives the first answer again, and a key written earlier in the transaction reads as written.
 * Not thread-safe; closing without commit discards the writes.
 *
 * <pre>{@code
 * try (Transaction tx = client.begin()) {
 *     long a = Long.parseLong(tx.get("{bank}a").orElseThrow().valueUtf8());
 *     long b = Long.parseLong(tx.get("{bank}b").orElseThrow().valueUtf8());
 *     tx.put("{bank}a", Long.toString(a - 10));
 *     tx.put("{bank}b", Long.toString(b + 10));
 *     tx.commit();
 * }
 * }</pre>
 *
 * When every key read or written hashes to one shard (give them the same {@code {tag}}), the
 * commit is one Raft entry there. Otherwise it is a two-phase commit across the shards
 * ({@link TxnCoordinator}): three rounds instead of one, still serializable and atomic.
 */
public final class Transaction implements AutoCloseable {
    private final CairnClient client;
    /** Keys read, with what was read: the commit checks each is still at its mod revision. */
    private final Map<ByteBuffer, Optional<KeyValue>> reads = new LinkedHashMap<>();
    private final Map<ByteBuffer, TxnOp> writes = new LinkedHashMap<>();
    private final List<Compare> fences = new ArrayList<>();
    private boolean finished;

    Transaction(CairnClient client) {
        this.client = client;
    }

    /** The key's value in this transaction: as written here, else as first read. */
    public Optional<KeyValue> get(byte[] key) {
        checkOpen();
        ByteBuffer k = ByteBuffer.wrap(key.clone());
        TxnOp written = writes.get(k);
        if (written instanceof TxnOp.Put put) {
            return Optional.of(new KeyValue(put.key(), put.value(), 0, 0, 0, 0, 0));
        }
        if (written instanceof TxnOp.Delete) {
            return Optional.empty();
        }
        Optional<KeyValue> read = reads.get(k);
        if (read == null) {
            read = client.get(key);
            reads.put(k, read);
        }
        return read;
    }

    public Optional<KeyValue> get(String key) {
        return get(CairnClient.utf8(key));
    }

    public void put(byte[] key, byte[] value) {
        put(key, value, Duration.ZERO);
    }

    public void put(byte[] key, byte[] value, Duration ttl) {
        checkOpen();
        writes.put(ByteBuffer.wrap(key.clone()), new TxnOp.Put(key.clone(), value.clone(), ttl));
        checkSize();
    }

    public void put(String key, String value) {
        put(CairnClient.utf8(key), CairnClient.utf8(value));
    }

    public void delete(byte[] key) {
        checkOpen();
        writes.put(ByteBuffer.wrap(key.clone()), new TxnOp.Delete(key.clone()));
        checkSize();
    }

    public void delete(String key) {
        delete(CairnClient.utf8(key));
    }

    /**
     * Commits only while {@code fence}'s token is its lock's current grant, as a fenced write
     * does. In one shard the token is checked in the commit's own entry; across shards, when the
     * lock's shard prepares (the lock may lapse before the writes are resolved).
     */
    public void fence(Fence fence) {
        checkOpen();
        if (fence == null) {
            throw new IllegalArgumentException("fence is required");
        }
        fences.add(Compare.lockToken(fence.lock(), Compare.Relation.EQUAL, fence.token()));
    }

    /**
     * Writes everything at once if no key read has changed; returns the outcome (its revision is
     * that of every write). Throws {@link TransactionConflictException} naming a changed key, in
     * which case nothing was written. A read-only transaction commits too: success means every
     * read saw one state of the shard. Throws {@link CairnUnavailableException} when the outcome is
     * unknown (the deadline passed while the shard had no leader): the commit is exactly-once,
     * never applied twice, but may or may not have applied.
     */
    public TxnResult commit() {
        checkOpen();
        finished = true;
        if (reads.isEmpty() && writes.isEmpty() && fences.isEmpty()) {
            return new TxnResult(true, -1, List.of(), 0, 0);
        }
        List<Compare> compares = new ArrayList<>(reads.size());
        for (Map.Entry<ByteBuffer, Optional<KeyValue>> read : reads.entrySet()) {
            long revision = read.getValue().map(KeyValue::modRevision).orElse(0L);
            compares.add(Compare.modRevision(bytes(read.getKey()), Compare.Relation.EQUAL, revision));
        }
        compares.addAll(fences);
        if (!oneShard(compares)) {
            return CairnClient.join(new TxnCoordinator(client.txnRounds(), CairnClient::newTxnId)
                    .commit(compares, List.copyOf(writes.values())));
        }
        TxnResult result = client.txn().when(compares.toArray(Compare[]::new))
                .then(writes.values().toArray(TxnOp[]::new)).commit();
        if (!result.succeeded()) {
            Compare failed = compares.get(result.failedCompare());
            if (failed.target() == Compare.Target.LOCK_TOKEN) {
                throw StaleTokenException.ofFence(failed);
            }
            throw TransactionConflictException.changed(failed.key(), client.shardOf(failed.key()), failed.number());
        }
        return result;
    }

    /** Discards the writes of a transaction that did not commit. */
    @Override
    public void close() {
        finished = true;
    }

    private boolean oneShard(List<Compare> compares) {
        List<byte[]> keys = new ArrayList<>();
        compares.forEach(c -> keys.add(c.key()));
        writes.values().forEach(op -> keys.add(op.key()));
        int shard = client.shardOf(keys.get(0));
        for (byte[] key : keys) {
            if (client.shardOf(key) != shard) {
                return false;
            }
        }
        return true;
    }

    private void checkSize() {
        if (writes.size() > Txn.OPS_MAX) {
            throw new IllegalArgumentException("a transaction writes at most " + Txn.OPS_MAX + " keys");
        }
    }

    private void checkOpen() {
        if (finished) {
            throw new IllegalStateException("the transaction was committed or closed");
        }
    }

    private static byte[] bytes(ByteBuffer b) {
        byte[] out = new byte[b.remaining()];
        b.duplicate().get(out);
        return out;
    }
}
