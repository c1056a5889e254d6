package io.cairn.kv.state;

import io.cairn.common.Bytes;

/**
 * A change to one key, as a watcher sees it: what happened at which revision (the log index of
 * the entry that made the change, so every replica of a shard emits the same events in the same
 * order). A PUT carries the key as it is after the write; a DELETE and an EXPIRE carry the key
 * only. An EXPIRE is the removal of a key whose TTL ran out, by a leader's {@code Expire} entry
 * or by a delete of a key already past its deadline; a write over such a key is a PUT with
 * version 1 (a new key).
 */
public record WatchEvent(Type type, long revision, Bytes key, KeyValue kv) {
    public enum Type { PUT, DELETE, EXPIRE }

    public WatchEvent {
        if (type == null || key == null) {
            throw new IllegalArgumentException("type and key are required");
        }
        if (revision < 1) {
            throw new IllegalArgumentException("revision must be positive: " + revision);
        }
        if ((type == Type.PUT) != (kv != null)) {
            throw new IllegalArgumentException("a PUT, and only a PUT, carries the key's value: " + type);
        }
    }

    static WatchEvent put(long revision, KeyValue kv) {
        return new WatchEvent(Type.PUT, revision, kv.key(), kv);
    }

    static WatchEvent removed(Type type, long revision, Bytes key) {
        return new WatchEvent(type, revision, key, null);
    }

    /** Bytes a watcher's buffer holds for this event, roughly: key, value and fixed fields. */
    public long sizeBytes() {
        return 48L + key.size() + (kv == null ? 0 : kv.value().size());
    }
}
