package io.cairn.client;

/**
 * How a client spreads the reads any replica may serve (BOUNDED and EVENTUAL) over a shard's
 * replicas. Linearizable, lease reads and writes always go to the leader. Whatever the policy, a
 * replica that failed is skipped until its quarantine ends ({@link ReplicaBalancer}).
 */
public enum ReadBalancing {
    /** Every read to the shard's leader, as linearizable reads go: no spreading (the default). */
    LEADER,
    /** The replicas in turn. */
    ROUND_ROBIN,
    /** A replica drawn uniformly at random for each read. */
    RANDOM,
    /** A replica drawn at random in proportion to its configured weight (default 1; 0 never). */
    WEIGHTED,
    /** The replica this client has the fewest reads in flight with (ties in turn). */
    LEAST_OUTSTANDING,
    /**
     * The same key to the same replica while the replicas stay the same (rendezvous hashing: a
     * replica that leaves moves only its own keys), for the replicas' cache locality.
     */
    KEY_HASH
}
