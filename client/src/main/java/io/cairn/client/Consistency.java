package io.cairn.client;

/** How fresh a read must be; see {@code kv.proto}. */
public enum Consistency {
    /** Confirmed with the shard's leader (ReadIndex): sees every write acknowledged before the read began. */
    LINEARIZABLE,
    /** Any replica's applied state, possibly stale; {@link KeyValue#servedBy()} says which node answered. */
    EVENTUAL
}
