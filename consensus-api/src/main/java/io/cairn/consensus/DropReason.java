package io.cairn.consensus;

/** Why the engine refused a proposal or read. These are operating outcomes, not errors. */
public enum DropReason {
    /** This node is not the leader; {@link Status#leader()} says who is, when known. */
    NOT_LEADER,
    /** A leadership transfer is under way; retry shortly. */
    TRANSFERRING_LEADERSHIP,
    /** A membership change is not yet applied; only one may be in flight. */
    CONF_CHANGE_PENDING,
    /** Too many reads are waiting for confirmation. */
    TOO_MANY_PENDING_READS
}
