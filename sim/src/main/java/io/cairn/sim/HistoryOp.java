package io.cairn.sim;

import io.cairn.sim.kv.KvOp;
import io.cairn.sim.kv.KvResult;

/**
 * One client operation as the linearizability checker sees it: invoked at {@code invokeMicros},
 * returned at {@code returnMicros} with {@code result}; an operation whose outcome the client
 * never learned is pending, with returnMicros = Long.MAX_VALUE and a null result.
 */
public record HistoryOp(int client, long seq, KvOp op, long invokeMicros, long returnMicros, KvResult result) {
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
