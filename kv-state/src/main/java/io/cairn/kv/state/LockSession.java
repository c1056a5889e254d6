package io.cairn.kv.state;

import io.cairn.common.Bytes;
import io.cairn.common.InvariantViolation;

/**
 * A lock session as one shard knows it, under {@link Keyspace#lockSessionKey}: its TTL (what the
 * shard's leader waits without a keep-alive before it ends the session), once ended, when, and
 * how many of the shard's locks it has entries in ({@code locks}: the session leaves the shard
 * when that reaches 0, found without scanning its index, whose deleted keys a scan would have to
 * step over). A session is known to a shard while it has entries in the shard's locks, and for
 * {@link LockTable#ENDED_SESSION_KEEP_MILLIS} after it ended there.
 *
 * <pre>u8 format version (2), varint ttlMillis, varint endedAtMillis (0: live), varint locks
 * version 1 (older releases): no locks field; {@link #LOCKS_UNKNOWN} when read</pre>
 */
record LockSession(long ttlMillis, long endedAtMillis, long locks) {
    private static final int FORMAT_VERSION = 2;
    private static final int FORMAT_VERSION_WITHOUT_LOCKS = 1;
    /** A record of an older release does not count its locks: the table counts them once. */
    static final long LOCKS_UNKNOWN = -1;

    LockSession(long ttlMillis, long endedAtMillis) {
        this(ttlMillis, endedAtMillis, 0);
    }

    boolean ended() {
        return endedAtMillis != 0;
    }

    LockSession withLocks(long count) {
        return new LockSession(ttlMillis, endedAtMillis, count);
    }

    byte[] encode() {
        if (locks < 0) {
            throw new IllegalStateException("a session is stored with its lock count known: " + this);
        }
        return new Encoder(32).writeByte(FORMAT_VERSION).writeVarLong(ttlMillis).writeVarLong(endedAtMillis)
                .writeVarLong(locks).toArray();
    }

    static LockSession decode(byte[] data, byte[] engineKey) {
        try {
            Decoder in = new Decoder(data, "lock session");
            int version = in.readByte("format version");
            if (version != FORMAT_VERSION && version != FORMAT_VERSION_WITHOUT_LOCKS) {
                throw new CodecException("unknown lock session format version " + version + "; this build reads "
                        + FORMAT_VERSION_WITHOUT_LOCKS + " and " + FORMAT_VERSION);
            }
            long ttl = in.readVarLong("ttlMillis");
            long endedAt = in.readVarLong("endedAtMillis");
            long locks = version == FORMAT_VERSION ? in.readVarLong("locks") : LOCKS_UNKNOWN;
            in.finish();
            return new LockSession(ttl, endedAt, locks);
        } catch (CodecException e) {
            throw new InvariantViolation("engine holds a corrupt lock session under 0x"
                    + Bytes.copyOf(engineKey).toHex() + ": " + e.getMessage());
        }
    }
}
