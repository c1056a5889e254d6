package io.cairn.sim.kv;

/**
 * A shard's answer to an {@link AggOp}: the revision the read was at; for a PART the shard's sum
 * and the write intents it met, for a CHECK whether the range may have changed.
 */
public record AggResult(long revision, long sum, long writeIntents, boolean changed) implements OpResult {}
