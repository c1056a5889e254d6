package io.cairn.client;

/**
 * Makes a write apply only while {@code token} is the current grant of {@code lock}: the shard
 * refuses it with {@link StaleTokenException} otherwise, so a holder that paused past its TTL
 * cannot overwrite what the next holder wrote. The lock must hash to the key's shard: give both
 * the same {@code {tag}} (e.g. lock {@code {orders}lock}, key {@code {orders}/42}).
 */
public record Fence(byte[] lock, long token) {
    public Fence {
        if (lock == null || lock.length == 0) {
            throw new IllegalArgumentException("a fence names its lock");
        }
        if (token < 1) {
            throw new IllegalArgumentException("a fencing token is positive: " + token);
        }
        lock = lock.clone();
    }

    @Override
    public byte[] lock() {
        return lock.clone();
    }

    io.cairn.api.proto.Fence toProto() {
        return toProto(false);
    }

    /** With {@code release}: the write releases the grant in its own entry (a put or a delete). */
    io.cairn.api.proto.Fence toProto(boolean release) {
        return io.cairn.api.proto.Fence.newBuilder()
                .setLock(com.google.protobuf.ByteString.copyFrom(lock)).setToken(token).setRelease(release).build();
    }
}
