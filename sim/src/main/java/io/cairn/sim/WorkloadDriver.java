package io.cairn.sim;

import io.cairn.sim.kv.ClientOp;
import io.cairn.sim.kv.OpResult;

/**
 * A workload a {@link SimClient} runs instead of random key-value operations: it picks each
 * operation and the pause before it, and learns every outcome. The client carries the operation
 * over the faulty network with its session and retries.
 */
interface WorkloadDriver {
    /** The next operation; null: nothing now (the client asks again after the pause). */
    ClientOp next();

    /** How long to wait before the next operation. */
    long pauseMicros();

    /** The answer to {@code op}. */
    void onResult(ClientOp op, OpResult answer);

    /** {@code op} was given up in the fault phase: it may or may not take effect. */
    void onAbandoned(ClientOp op);

    /**
     * Healing has begun: from now on no operation is given up. A driver that must not stop
     * halfway (a lock client holding or waiting in line) winds its work down; the others stop
     * after the operation in flight.
     */
    default void healing() {}

    /**
     * After healing: whether the driver has nothing left to do. Its client stops issuing once it
     * has, and the run is not quiet before every driver has ({@link Object#toString()} says
     * what an unfinished one is still doing).
     */
    default boolean finished() {
        return true;
    }
}
