/**
 * Durable Raft logs for many groups on one node, over one shared write-ahead log, and
 * {@link io.cairn.multiraft.MultiRaftHost}, which drives all of a node's groups from one thread
 * and performs the duties below for all of them at once: one persist (one fsync) per round,
 * one message batch per destination node.
 *
 * <p>Host duties with {@link io.cairn.multiraft.WalLogStore}:
 * <ol>
 *   <li>open the store once per node; every group's log is rebuilt from the WAL;</li>
 *   <li>create a group with its founding configuration ({@code createGroup}) or take its
 *       recovered log ({@code group}) and give it to the group's consensus core as its
 *       {@link io.cairn.consensus.LogStorage};</li>
 *   <li>gather the Readies of all groups and {@code persist} them together: one WAL append and at
 *       most one fsync; then send each group's messages that waited for the persist;</li>
 *   <li>after the state machine has made an applied index durable, {@code compact} the group
 *       there with a snapshot of that state; WAL segments behind every group's snapshot are
 *       deleted.</li>
 * </ol>
 */
package io.cairn.multiraft;
