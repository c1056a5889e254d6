package io.cairn.kv.state;

import io.cairn.kv.engine.KvEngine;
import java.util.HashMap;
import java.util.Map;

/**
 * The session records of the engine, read through and kept in memory. Every write with a
 * session reads its client's record first; from the engine that is a second point lookup per
 * write (the first finds the key's old value), the dearest part of an apply. A client's record
 * changes only through applies of this state machine, so after a miss the cache stays exact as
 * long as each applied batch's session writes are {@link #publish published} once the engine
 * holds them, and the cache is {@link #clear cleared} when the engine's content is replaced.
 *
 * <p>Only point lookups by client id, never iteration: the map's order cannot leak into what is
 * applied. Absent records are cached too (a new client's first write).
 */
final class SessionCache {
    /** Beyond this many records the cache starts over: memory stays bounded whatever the load. */
    static final int RECORDS_MAX = 200_000;
    private static final byte[] ABSENT = new byte[0];

    private final KvEngine engine;
    private final Map<Long, byte[]> records = new HashMap<>();

    SessionCache(KvEngine engine) {
        this.engine = engine;
    }

    /** The engine's record under {@code sessionKey}, or null. Do not modify the array. */
    byte[] get(byte[] sessionKey) {
        Long clientId = Keyspace.clientIdOfSession(sessionKey);
        byte[] cached = records.get(clientId);
        if (cached == null) {
            byte[] stored = engine.get(sessionKey);
            cached = stored == null ? ABSENT : stored;
            remember(clientId, cached);
        }
        return cached == ABSENT ? null : cached;
    }

    /** The engine now holds {@code value} (null: nothing) under {@code sessionKey}. */
    void publish(byte[] sessionKey, byte[] value) {
        remember(Keyspace.clientIdOfSession(sessionKey), value == null ? ABSENT : value);
    }

    void clear() {
        records.clear();
    }

    private void remember(Long clientId, byte[] value) {
        if (records.size() >= RECORDS_MAX && !records.containsKey(clientId)) {
            records.clear();
        }
        records.put(clientId, value);
    }
}
