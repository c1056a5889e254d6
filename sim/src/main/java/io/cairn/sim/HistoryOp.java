package io.cairn.sim;

import io.cairn.sim.kv.ClientOp;
import io.cairn.sim.kv.OpResult;

/**
 * One client operation as the checkers see it (key-value operations go to the linearizability
 * checker, lock steps to {@link LockCheck}): invoked at {@code invokeMicros},
 * returned at {@code returnMicros} with {@code result}; an operation whose outcome the client
 * never learned is pending, with returnMicros = Long.MAX_VALUE and a null result.
 */
public record HistoryOp(int client, long seq, ClientOp op, long invokeMicros, long returnMicros, OpResult result) {
    public static final long PENDING = Long.MAX_VALUE;

    public boolean isPending() {
        return returnMicros == PENDING;
    }

    @Override
    public String toString() {
        return "c" + client + "#" + seq + " " + op + " [" + invokeMicros + ", "
                + (isPending() ? "pending" : returnMicros + "] -> " + result);
    }
}
