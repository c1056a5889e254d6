package io.cairn.kv.state;

import io.cairn.common.Bytes;

/**
 * A live key with its metadata, as etcd has it. {@code createRevision} is the revision of the
 * write that created the key, {@code modRevision} that of its last write, and a revision is the
 * log index of the entry that applied the write. {@code version} is 1 on creation and grows by
 * 1 with each write; a delete removes the key, so a re-created key starts at 1 again.
 * {@code expiresAtMillis} is 0 when the key has no TTL; otherwise reads at or after it no
 * longer see the key.
 */
public record KeyValue(Bytes key, Bytes value, long createRevision, long modRevision, long version,
                       long expiresAtMillis) {
    public KeyValue {
        if (key == null || value == null) {
            throw new IllegalArgumentException("key and value are required");
        }
        if (createRevision < 1 || modRevision < createRevision) {
            throw new IllegalArgumentException(String.format(
                    "revisions must satisfy 1 <= createRevision <= modRevision: %d, %d", createRevision, modRevision));
        }
        if (version < 1) {
            throw new IllegalArgumentException("version must be at least 1: " + version);
        }
    }

    public boolean hasTtl() {
        return expiresAtMillis != 0;
    }
}
