package io.cairn.kv.state;

import io.cairn.common.Bytes;

/**
 * One operation of a {@link Command.Txn} branch: a put, a delete or a read of one key. The
 * writes of a branch all take the transaction's revision (its log index), as in etcd; a read
 * sees the writes of the operations before it in the branch.
 */
public sealed interface TxnOp permits Command.Put, Command.Delete, TxnOp.Get {
    /** The key the operation touches. */
    Bytes key();

    /** Reads the live key; the result is a {@link Result.Read}. */
    record Get(Bytes key) implements TxnOp {
        public Get {
            if (key == null) {
                throw new IllegalArgumentException("key is required");
            }
        }
    }
}
