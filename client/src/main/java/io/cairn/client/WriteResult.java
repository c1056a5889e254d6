package io.cairn.client;

/**
 * What a put or compare-and-set wrote.
 *
 * @param modRevision shard log index of the write
 * @param version the key's version after the write (1 when it created the key)
 * @param servedBy id of the node (the shard leader) that answered
 */
public record WriteResult(long modRevision, long version, long servedBy) {}
