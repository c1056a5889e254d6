/**
 * The simulator's side of the real state machine: operations the simulated clients issue
 * ({@link io.cairn.sim.kv.KvOp} for the key-value workload, {@link io.cairn.sim.kv.LockOp} for the
 * lock workload), the results they see, and {@link io.cairn.sim.kv.KvReplica}, which runs kv-state's
 * KvStateMachine on an in-memory engine and turns its image into snapshot bytes.
 */
package io.cairn.sim.kv;
