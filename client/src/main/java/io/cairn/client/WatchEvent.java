package io.cairn.client;

import java.util.Arrays;

/**
 * One change a watch reports: what happened to which key, in which shard, at which revision
 * (that shard's log index: revisions of different shards do not compare). {@code value},
 * {@code version}, {@code createRevision} are set for a PUT only.
 */
public record WatchEvent(Type type, int shard, long revision, byte[] key, byte[] value, long version,
                         long createRevision) {
    public enum Type {
        PUT,
        DELETE,
        /** The key was removed because its TTL ran out. */
        EXPIRE
    }

    public String keyUtf8() {
        return new String(key, java.nio.charset.StandardCharsets.UTF_8);
    }

    public String valueUtf8() {
        return value == null ? null : new String(value, java.nio.charset.StandardCharsets.UTF_8);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof WatchEvent e && type == e.type && shard == e.shard && revision == e.revision
                && Arrays.equals(key, e.key) && Arrays.equals(value, e.value) && version == e.version
                && createRevision == e.createRevision;
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(key) * 31 + Long.hashCode(revision) * 7 + shard;
    }

    @Override
    public String toString() {
        return type + " " + keyUtf8() + (value == null ? "" : "=" + valueUtf8()) + " (shard " + shard + ", revision "
                + revision + ")";
    }
}
