package io.cairn.client;

import java.nio.charset.StandardCharsets;

/**
 * A {@link Transaction} did not commit because a key it read changed before the commit (another
 * writer got there first). Nothing of the transaction was written; running it again from the
 * start, as {@link CairnClient#inTransaction} does, usually succeeds.
 */
public final class TransactionConflictException extends CairnException {
    private final byte[] key;
    private final int shard;
    private final long readRevision;

    TransactionConflictException(byte[] key, int shard, long readRevision) {
        super("transaction conflict: key " + new String(key, StandardCharsets.UTF_8) + " (shard " + shard
                + ") changed after the transaction read it at mod revision " + readRevision
                + (readRevision == 0 ? " (absent)" : "") + "; nothing was written");
        this.key = key.clone();
        this.shard = shard;
        this.readRevision = readRevision;
    }

    /** The key that changed. */
    public byte[] key() {
        return key.clone();
    }

    public int shard() {
        return shard;
    }

    /** The key's mod revision when the transaction read it; 0: it was absent. */
    public long readRevision() {
        return readRevision;
    }
}
