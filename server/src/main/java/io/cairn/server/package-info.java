/**
 * The composition root of a Cairn node: everything real (clock, disk, RocksDB, gRPC) is
 * created here and wired around the pure parts.
 *
 * <p>{@link io.cairn.server.CairnServer#start} does, in order, refusing with a one-line reason
 * at the first problem:
 * <ol>
 *   <li>open the data dir: take its lock, check it belongs to this cluster and node;</li>
 *   <li>replay the WAL into the group's Raft log (a corrupt WAL stops the node, naming file and
 *       byte); create the group with the founding members if it is new;</li>
 *   <li>open RocksDB and bring the state machine up to at least the log's snapshot;</li>
 *   <li>build the Raft node at the state machine's applied index, the peer transport and the
 *       Raft loop, then bind the one gRPC port for clients and peers.</li>
 * </ol>
 * The {@code RaftLoop} thread owns every hosted group's core and state machine (a
 * {@code GroupReplica} each) and persists the Readies of all of them with one fsync per round
 * ({@link io.cairn.multiraft.MultiRaftHost}); gRPC threads hand it work through a bounded
 * queue and get futures back. A node hosts one group per shard it replicates ({@code Topology}).
 */
package io.cairn.server;
