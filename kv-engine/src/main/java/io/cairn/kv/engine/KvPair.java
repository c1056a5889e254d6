package io.cairn.kv.engine;

/** A key and its value, as returned by a scan. The arrays belong to the caller. */
public record KvPair(byte[] key, byte[] value) {}
