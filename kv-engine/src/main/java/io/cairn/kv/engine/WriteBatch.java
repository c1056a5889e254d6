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
