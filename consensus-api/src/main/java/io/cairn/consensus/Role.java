package io.cairn.consensus;

/** The role a node plays in its group. */
public enum Role {
    FOLLOWER,
    PRE_CANDIDATE,
    CANDIDATE,
    LEADER
}
