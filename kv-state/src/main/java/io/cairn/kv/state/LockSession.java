package io.cairn.kv.state;

import io.cairn.common.Bytes;
import io.cairn.common.InvariantViolation;

/**
 * A lock session as one shard knows it, under {@link Keyspace#lockSessionKey}: its TTL (what the
 * shard's leader waits without a keep-alive before it ends the session) and, once ended, when.
 * A session is known to a shard while it has entries in the shard's locks, and for
 * {@link LockTable#ENDED_SESSION_KEEP_MILLIS} after it ended there.
 *
 * <pre>u8 format version (1), varint ttlMillis, varint endedAtMillis (0: live)</pre>
 */
record LockSession(long ttlMillis, long endedAtMillis) {
    private static final int FORMAT_VERSION = 1;

    boolean ended() {
        return endedAtMillis != 0;
    }

    byte[] encode() {
        return new Encoder(24).writeByte(FORMAT_VERSION).writeVarLong(ttlMillis).writeVarLong(endedAtMillis).toArray();
    }

    static LockSession decode(byte[] data, byte[] engineKey) {
        try {
            Decoder in = new Decoder(data, "lock session");
            in.readVersion(FORMAT_VERSION);
            LockSession s = new LockSession(in.readVarLong("ttlMillis"), in.readVarLong("endedAtMillis"));
            in.finish();
            return s;
        } catch (CodecException e) {
            throw new InvariantViolation("engine holds a corrupt lock session under 0x"
                    + Bytes.copyOf(engineKey).toHex() + ": " + e.getMessage());
        }
    }
}
