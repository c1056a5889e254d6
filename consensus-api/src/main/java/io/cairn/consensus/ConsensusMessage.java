package io.cairn.consensus;

import io.cairn.common.NodeId;

/** A message between the engines of one group. Engines define their own kinds. */
public interface ConsensusMessage {
    NodeId from();

    NodeId to();

    /** The sender's term (or ballot) when it sent the message. */
    long term();

    /**
     * Whether only a leader sends this kind (log entries, heartbeats, snapshots). A host opens a
     * new replica of a group only for such a message: a vote request from a stale candidate must
     * not bring back a replica that was removed and wiped, which could then vote twice in a term.
     */
    boolean isFromLeader();

    /**
     * For a message that carries the leader's whole commit index (a Raft append): that index,
     * else 0. The leader sends to a member only once it applied the change that made it one, so
     * a new replica that received this knows it was added at or before this index.
     */
    long leaderCommit();
}
