package io.cairn.sim.kv;

import io.cairn.kv.state.Result;

/** kv-state's answer to a {@link TxnRoundOp}, as applied. */
public record TxnRoundResult(Result result) implements OpResult {
    public TxnRoundResult {
        if (result == null) {
            throw new IllegalArgumentException("result is required");
        }
    }

    @Override
    public String toString() {
        return result.toString();
    }
}
