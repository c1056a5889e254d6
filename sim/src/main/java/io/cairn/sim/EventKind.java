package io.cairn.sim;

/**
 * What a scheduled event does. The digest folds the ordinal, which (unlike an enum's hash code)
 * is the same in every run; append new kinds at the end so old digests stay comparable.
 */
public enum EventKind {
    /** A node's logical clock ticks. */
    TICK,
    /** A message arrives at a node or a client. */
    DELIVER,
    /** A client issues its next operation. */
    CLIENT_NEXT,
    /** A client's attempt timed out; it retries elsewhere or abandons the operation. */
    CLIENT_TIMEOUT,
    /** A client retries after a short backoff. */
    CLIENT_RETRY,
    CRASH,
    RESTART,
    PARTITION,
    /** Membership change or removal of a node whose removal is applied. */
    MEMBERSHIP,
    TRANSFER,
    COMPACT,
    /** End of the fault phase: heal the network and restart crashed members. */
    HEAL,
    /** After healing: has the cluster quiesced? */
    CHECK_QUIESCENCE,
    /** Test hook: an arbitrary action. */
    CUSTOM,
    /** Sharded runs: a heartbeat to the metadata group, a placement driver pass, a replica move step. */
    CONTROL,
    /** A watcher (re)opens its stream at a node. */
    WATCH,
    /** A process stalls (the PAUSE fault), resumes, or takes the input that waited for it. */
    STALL
}
