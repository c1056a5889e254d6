package io.cairn.consensus;

/** How a linearizable read confirms that the leader still leads. */
public enum ReadMode {
    /** A heartbeat round acknowledged by a quorum after the read arrived (ReadIndex). */
    READ_INDEX,
    /**
     * The leader's lease: no round trip while a quorum acknowledged a heartbeat within the
     * lease. Only honoured with CheckQuorum on; otherwise, or when the lease has lapsed, the
     * engine falls back to {@link #READ_INDEX}.
     */
    LEASE
}
