/**
 * Raft as a pure state machine: no threads, no I/O, no clock, no hidden randomness. Time is the
 * number of {@code tick()} calls; election jitter comes from the injected RandomSource.
 *
 * <p>{@link io.cairn.raft.RaftNode} implements {@link io.cairn.consensus.ConsensusCore}; read
 * that interface and {@link io.cairn.consensus.Ready} for the host's duties. What this engine
 * adds, with the reason for each choice, is in {@code docs/raft.md}:
 * <ul>
 *   <li>PreVote and CheckQuorum (with leader stickiness), so a node that was cut off cannot
 *       depose a healthy leader when it returns, and a leader without a quorum steps down;</li>
 *   <li>replication per follower in PROBE, REPLICATE (pipelined, bounded inflight window) or
 *       SNAPSHOT (chunked) state, with a back-off that skips whole conflicting terms;</li>
 *   <li>commitment only by counting replicas of a current-term entry (Figure 8), a no-op at
 *       the start of each term;</li>
 *   <li>joint consensus for membership, applied when the configuration entry is applied, with
 *       an automatic leave step; learners;</li>
 *   <li>leadership transfer, ReadIndex with batched heartbeat rounds, and a leader lease that
 *       is only honoured with CheckQuorum.</li>
 * </ul>
 * A leader's own log counts towards a quorum only once the host reports it durable (in
 * {@code advance}), so hosts that step messages between {@code ready()} and {@code advance()}
 * stay safe.
 */
package io.cairn.raft;
