/**
 * The simulator's side of the real state machine: operations the simulated clients issue, the
 * results they see, and {@link io.cairn.sim.kv.KvReplica}, which runs kv-state's
 * KvStateMachine on an in-memory engine and turns its image into snapshot bytes.
 */
package io.cairn.sim.kv;
