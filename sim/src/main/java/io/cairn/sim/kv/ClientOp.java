package io.cairn.sim.kv;

import io.cairn.kv.state.Command;
import io.cairn.kv.state.Result;

/**
 * What a simulated client asks of the store: a key-value operation of the linearizability
 * workload ({@link KvOp}) or a step of the lock workload ({@link LockOp}). Writes become kv-state
 * {@link Command}s proposed through Raft; reads are served by {@code KvStateMachine.get}.
 */
public sealed interface ClientOp permits KvOp, LockOp, BankOp, ListOp, AggOp, TxnRoundOp {
    /** The key that routes the operation to its shard, and the key a read reads. */
    String key();

    /** Served by a read (ReadIndex or lease), not through the log. */
    boolean isRead();

    /** The kv-state command of a write. */
    Command toCommand();

    /**
     * The answer to this write, which kv-state applied with {@code result}.
     *
     * @throws IllegalStateException if the result cannot answer this operation
     */
    OpResult answer(Result result);
}
