/**
 * The contract between a consensus engine and its host, engine-neutral so Raft and (later)
 * Multi-Paxos can stand behind it and be held to the same simulator.
 *
 * <p>An engine ({@link io.cairn.consensus.ConsensusCore}) is a pure state machine. The host
 * owns time, disk and network, and drives it in a loop:
 * <ol>
 *   <li>Call {@code tick()} at a fixed interval; call {@code step(message)} for each message
 *       from a peer of the group.</li>
 *   <li>Submit work: {@code propose}, {@code proposeConfChange}, {@code readIndex},
 *       {@code transferLeadership}. Each answers at once; a proposal's fate is known only when
 *       the entry at the returned (term, index) is applied, or another entry is.</li>
 *   <li>When {@code hasReady()}, take {@code ready()} and do the work in the order
 *       {@link io.cairn.consensus.Ready} lists: send the early messages, persist snapshot, entries
 *       and hard state (fsync if {@code mustSync}), send the messages that needed the persist,
 *       install the snapshot and apply committed entries, serve read states once applied; then
 *       call {@code advance(ready)}.</li>
 * </ol>
 * Many groups on one node may persist their Readies with a single fsync: step 3's messages of
 * every group wait for that fsync, and nothing else needs to.
 *
 * <p>{@link io.cairn.consensus.LogStorage} is the engine's read-only view of the durable log;
 * its ranges are half-open and documented per method. {@link io.cairn.consensus.MemoryLogStorage}
 * is the in-memory implementation the simulator and tests use.
 */
package io.cairn.consensus;
