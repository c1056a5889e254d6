package io.cairn.kv.engine;

import java.util.ArrayList;
import java.util.List;

/** Puts and deletes applied atomically by {@link KvEngine#write}. Arrays are copied in. */
public final class WriteBatch {
    /** One operation; {@code value} is null for a delete. */
    public record Op(byte[] key, byte[] value) {
        public boolean isDelete() {
            return value == null;
        }
    }

    private final List<Op> ops = new ArrayList<>();
    private long bytes;

    public WriteBatch put(byte[] key, byte[] value) {
        if (value == null) {
            throw new IllegalArgumentException("value must not be null; use delete");
        }
        ops.add(new Op(key.clone(), value.clone()));
        bytes += key.length + value.length;
        return this;
    }

    public WriteBatch delete(byte[] key) {
        ops.add(new Op(key.clone(), null));
        bytes += key.length;
        return this;
    }

    /** Adds every operation of {@code other}, after this batch's own. */
    public WriteBatch addAll(WriteBatch other) {
        ops.addAll(other.ops);
        bytes += other.bytes;
        return this;
    }

    /** A put of arrays the caller gives up (no copy); for engines in this package. */
    WriteBatch putOwned(byte[] key, byte[] value) {
        ops.add(new Op(key, value));
        bytes += key.length + value.length;
        return this;
    }

    /** A delete of an array the caller gives up (no copy); for engines in this package. */
    WriteBatch deleteOwned(byte[] key) {
        ops.add(new Op(key, null));
        bytes += key.length;
        return this;
    }

    public List<Op> ops() {
        return List.copyOf(ops);
    }

    public int size() {
        return ops.size();
    }

    public long sizeBytes() {
        return bytes;
    }

    public boolean isEmpty() {
        return ops.isEmpty();
    }
}
