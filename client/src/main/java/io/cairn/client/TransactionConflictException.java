package io.cairn.client;

import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import java.util.Optional;

/**
 * A transaction did not commit because of another writer, and nothing of it was written: a key
 * it read changed before the commit, or another transaction held one of its keys, or (across
 * shards) it outlived the servers' transaction timeout and was aborted by a write that met it.
 * Running it again from the start, as {@link CairnClient#inTransaction} does, usually succeeds.
 */
public final class TransactionConflictException extends CairnException {
    private final byte[] key;
    private final int shard;
    private final long readRevision;
    private final byte[] otherTxnId;

    private TransactionConflictException(String message, byte[] key, int shard, long readRevision, byte[] otherTxnId) {
        super(message);
        this.key = key.clone();
        this.shard = shard;
        this.readRevision = readRevision;
        this.otherTxnId = otherTxnId == null ? null : otherTxnId.clone();
    }

    /** A key read at {@code readRevision} (0: absent) changed before the commit. */
    static TransactionConflictException changed(byte[] key, int shard, long readRevision) {
        return new TransactionConflictException("transaction conflict: key " + utf8(key) + " (shard " + shard
                + ") changed after the transaction read it at mod revision " + readRevision
                + (readRevision == 0 ? " (absent)" : "") + "; nothing was written", key, shard, readRevision, null);
    }

    /** Another transaction, {@code otherTxnId}, holds an intent on {@code key}. */
    static TransactionConflictException held(byte[] key, int shard, byte[] otherTxnId) {
        return new TransactionConflictException("transaction conflict: key " + utf8(key) + " (shard " + shard
                + ") is held by transaction " + HexFormat.of().formatHex(otherTxnId) + "; nothing was written",
                key, shard, -1, otherTxnId);
    }

    /** The transaction was aborted in its record (shard of {@code primaryKey}) before it could commit. */
    static TransactionConflictException abortedByOthers(byte[] primaryKey, int shard) {
        return new TransactionConflictException("transaction aborted: a write that met one of its intents found it"
                + " older than the servers' transaction timeout and aborted it (record in shard " + shard
                + ", key " + utf8(primaryKey) + "); nothing was written", primaryKey, shard, -1, null);
    }

    /** The same conflict, with the shard the coordinator knows the key is in. */
    TransactionConflictException inShard(int knownShard) {
        return new TransactionConflictException(getMessage().replace("(shard -1)", "(shard " + knownShard + ")"),
                key, knownShard, readRevision, otherTxnId);
    }

    /** The key that changed or was held (for an abort by others: the transaction's primary key). */
    public byte[] key() {
        return key.clone();
    }

    /** The shard of {@link #key()}. */
    public int shard() {
        return shard;
    }

    /** The key's mod revision when the transaction read it (0: absent); -1 when the key was held instead. */
    public long readRevision() {
        return readRevision;
    }

    /** The transaction that held the key, when that was the conflict. */
    public Optional<byte[]> otherTransaction() {
        return Optional.ofNullable(otherTxnId).map(byte[]::clone);
    }

    private static String utf8(byte[] b) {
        return new String(b, StandardCharsets.UTF_8);
    }
}
