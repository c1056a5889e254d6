package io.cairn.client;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * A key as one replica saw it. Revisions are indexes in the key's shard log, so they only grow
 * and compare only between keys of one shard.
 *
 * @param key the key; callers must not modify the array
 * @param value the value; callers must not modify the array
 * @param createRevision shard log index of the write that created the key (since it was last absent)
 * @param modRevision shard log index of the latest write
 * @param version writes since creation: 1 after the creating write
 * @param servedBy id of the node that answered (its name is {@code n<id>})
 * @param appliedIndex how far that node's replica of the shard had applied when it answered
 * @param servedAt the level the read was served at (a BOUNDED read that had to confirm with the
 *     leader is LINEARIZABLE); null when the server did not say
 * @param stalenessMillisMax the answer holds every write acknowledged more than this long ago: 0
 *     for LINEARIZABLE and LEASE reads, -1 when unknown (EVENTUAL)
 * @param expiresAtMillis when the key expires, in the shard leader's time (ms since the epoch); 0: never
 * @param ttlRemainingMillis how long it had left by the serving node's clock; 0: no TTL
 */
public record KeyValue(byte[] key, byte[] value, long createRevision, long modRevision, long version,
                       long servedBy, long appliedIndex, Consistency.Level servedAt, long stalenessMillisMax,
                       long expiresAtMillis, long ttlRemainingMillis) {
    public KeyValue {
        if (key == null || value == null) {
            throw new IllegalArgumentException("key and value are required");
        }
    }

    /** A key-value whose freshness is not known (not from a read). */
    public KeyValue(byte[] key, byte[] value, long createRevision, long modRevision, long version, long servedBy,
                    long appliedIndex) {
        this(key, value, createRevision, modRevision, version, servedBy, appliedIndex, null, -1, 0, 0);
    }

    /** The key decoded as UTF-8. */
    public String keyUtf8() {
        return new String(key, StandardCharsets.UTF_8);
    }

    /** The value decoded as UTF-8. */
    public String valueUtf8() {
        return new String(value, StandardCharsets.UTF_8);
    }

    // Records compare arrays by identity; a key-value is equal to another with equal contents.
    @Override
    public boolean equals(Object o) {
        return o instanceof KeyValue other
                && Arrays.equals(key, other.key)
                && Arrays.equals(value, other.value)
                && createRevision == other.createRevision
                && modRevision == other.modRevision
                && version == other.version
                && servedBy == other.servedBy
                && appliedIndex == other.appliedIndex
                && servedAt == other.servedAt
                && stalenessMillisMax == other.stalenessMillisMax
                && expiresAtMillis == other.expiresAtMillis
                && ttlRemainingMillis == other.ttlRemainingMillis;
    }

    @Override
    public int hashCode() {
        return 31 * Arrays.hashCode(key) + Arrays.hashCode(value) + Long.hashCode(modRevision);
    }

    @Override
    public String toString() {
        return "KeyValue[key=" + keyUtf8() + ", value=" + value.length + " bytes, createRevision=" + createRevision
                + ", modRevision=" + modRevision + ", version=" + version + ", servedBy=n" + servedBy
                + ", appliedIndex=" + appliedIndex + ", servedAt=" + servedAt + ", stalenessMillisMax="
                + stalenessMillisMax + ", expiresAtMillis=" + expiresAtMillis + ", ttlRemainingMillis="
                + ttlRemainingMillis + "]";
    }
}
