package io.cairn.client;

import java.util.List;
import java.util.Optional;

/**
 * What a {@link Txn} did: which branch ran and one result per operation of that branch.
 *
 * @param succeeded every comparison held, so the success branch ran
 * @param failedCompare the index of the first comparison that did not hold; -1 when succeeded
 * @param revision the transaction's revision in its shard: every write it made has it as mod revision
 * @param servedBy the node whose replica applied it (the shard leader)
 */
public record TxnResult(boolean succeeded, int failedCompare, List<OpResult> results, long revision, long servedBy) {
    public TxnResult {
        results = List.copyOf(results);
    }

    /** The result of one operation, in the order of the branch. */
    public sealed interface OpResult permits Written, Deleted, Read {}

    public record Written(long modRevision, long version) implements OpResult {}

    public record Deleted(boolean existed) implements OpResult {}

    public record Read(Optional<KeyValue> kv) implements OpResult {}

    /** The result of operation {@code index}, which must be a read. */
    public Optional<KeyValue> read(int index) {
        if (!(results.get(index) instanceof Read r)) {
            throw new IllegalArgumentException("operation " + index + " is not a get: " + results.get(index));
        }
        return r.kv();
    }
}
