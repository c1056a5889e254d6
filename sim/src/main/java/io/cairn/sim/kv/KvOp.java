package io.cairn.sim.kv;

import io.cairn.common.Bytes;
import io.cairn.kv.state.Command;
import io.cairn.kv.state.Result;
import java.nio.ByteBuffer;

/**
 * A client operation on the simulated key-value store: keys are short strings, values longs
 * (8 bytes big-endian in kv-state). Writes become kv-state {@link Command}s; a GET is served by
 * {@code KvStateMachine.get}.
 *
 * @param value the value PUT or CAS writes (unused by GET and DELETE)
 * @param expectedVersion the version CAS requires, 0 for "the key is absent" (unused otherwise)
 * @param staleMicrosMax a GET that may be this stale (a BOUNDED read); 0 for a linearizable GET
 * @param ttlMillis a PUT's TTL (0: none); keys with a TTL are {@link #isTtlKey} ones, checked by
 *     the TTL check rather than the linearizability checker (whose model has no clock)
 */
public record KvOp(Kind kind, String key, long value, long expectedVersion, long staleMicrosMax, long ttlMillis)
        implements ClientOp {
    public enum Kind { PUT, GET, CAS, DELETE }

    public KvOp {
        if (kind == null || key == null) {
            throw new IllegalArgumentException("kind and key are required");
        }
        if (expectedVersion < 0) {
            throw new IllegalArgumentException("expectedVersion must not be negative: " + expectedVersion);
        }
        if (ttlMillis < 0 || (ttlMillis > 0 && kind != Kind.PUT)) {
            throw new IllegalArgumentException("only a PUT may carry a TTL, of 0 or more: " + kind + " " + ttlMillis);
        }
        if (staleMicrosMax < 0 || (staleMicrosMax > 0 && kind != Kind.GET)) {
            throw new IllegalArgumentException("only a GET may be stale, by 0 or more: " + kind + " " + staleMicrosMax);
        }
    }

    public static KvOp put(String key, long value) {
        return new KvOp(Kind.PUT, key, value, 0, 0, 0);
    }

    public static KvOp get(String key) {
        return new KvOp(Kind.GET, key, 0, 0, 0, 0);
    }

    /** A BOUNDED read: may miss writes acknowledged less than {@code staleMicrosMax} before it. */
    public static KvOp boundedGet(String key, long staleMicrosMax) {
        if (staleMicrosMax < 1) {
            throw new IllegalArgumentException("a bounded read needs a bound of at least 1 us: " + staleMicrosMax);
        }
        return new KvOp(Kind.GET, key, 0, 0, staleMicrosMax, 0);
    }

    /** Sets {@code key} to {@code value} if its version is {@code expectedVersion} (0: absent). */
    public static KvOp cas(String key, long expectedVersion, long value) {
        return new KvOp(Kind.CAS, key, value, expectedVersion, 0, 0);
    }

    public static KvOp delete(String key) {
        return new KvOp(Kind.DELETE, key, 0, 0, 0, 0);
    }

    /** Sets {@code key} (a {@link #isTtlKey}) to {@code value} for {@code ttlMillis}. */
    public static KvOp putWithTtl(String key, long value, long ttlMillis) {
        if (ttlMillis < 1 || !isTtlKey(key)) {
            throw new IllegalArgumentException("a TTL put needs a TTL key and a positive TTL: " + key + " " + ttlMillis);
        }
        return new KvOp(Kind.PUT, key, value, 0, 0, ttlMillis);
    }

    /** Keys of the TTL workload: t1, t2, ... */
    public static boolean isTtlKey(String key) {
        return key.startsWith("t");
    }

    public boolean bounded() {
        return staleMicrosMax > 0;
    }

    @Override
    public boolean isRead() {
        return kind == Kind.GET;
    }

    public Bytes keyBytes() {
        return Bytes.utf8(key);
    }

    /** The kv-state command of a write, without TTL. Reads do not go through the log. */
    @Override
    public Command toCommand() {
        return switch (kind) {
            case PUT -> new Command.Put(keyBytes(), encodeValue(value), ttlMillis);
            case CAS -> new Command.CompareAndSet(keyBytes(), expectedVersion, encodeValue(value), 0);
            case DELETE -> new Command.Delete(keyBytes());
            case GET -> throw new IllegalStateException("reads do not go through the log: " + this);
        };
    }

    @Override
    public OpResult answer(Result result) {
        return KvResult.ofWrite(this, result);
    }

    public static Bytes encodeValue(long value) {
        return Bytes.wrap(ByteBuffer.allocate(Long.BYTES).putLong(value).array());
    }

    /** The inverse of {@link #encodeValue}; anything but 8 bytes is not a value the workload wrote. */
    public static long decodeValue(Bytes bytes) {
        if (bytes.size() != Long.BYTES) {
            throw new IllegalStateException("a stored value has " + bytes.size() + " bytes, not " + Long.BYTES);
        }
        return ByteBuffer.wrap(bytes.toArray()).getLong();
    }

    @Override
    public String toString() {
        return switch (kind) {
            case PUT -> ttlMillis > 0 ? "put(" + key + "," + value + ",ttl=" + ttlMillis + "ms)" : "put(" + key + "," + value + ")";
            case GET -> staleMicrosMax > 0 ? "get(" + key + ",stale<=" + staleMicrosMax / 1_000 + "ms)" : "get(" + key + ")";
            case CAS -> "cas(" + key + "," + (expectedVersion == 0 ? "absent" : "v" + expectedVersion)
                    + "->" + value + ")";
            case DELETE -> "delete(" + key + ")";
        };
    }
}
