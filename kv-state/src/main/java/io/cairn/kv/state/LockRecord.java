package io.cairn.kv.state;

import io.cairn.common.Bytes;
import io.cairn.common.InvariantViolation;

/**
 * A lock's current grant as the engine stores it under {@link Keyspace#lockKey}: who holds it,
 * its fencing token (the log index of the grant) and when it expires by leader time. A grant
 * whose time has passed is free, whether or not an Expire has removed it yet.
 *
 * <pre>u8 format version (1), varint token, varint expiresAtMillis, then the owner's bytes to the end</pre>
 */
record LockRecord(Bytes owner, long token, long expiresAtMillis) {
    private static final int FORMAT_VERSION = 1;

    boolean isHeldAt(long nowMillis) {
        return nowMillis < expiresAtMillis;
    }

    byte[] encode() {
        return new Encoder(20 + owner.size()).writeByte(FORMAT_VERSION).writeVarLong(token)
                .writeVarLong(expiresAtMillis).writeRaw(owner).toArray();
    }

    static LockRecord decode(byte[] data, byte[] engineKey) {
        try {
            Decoder in = new Decoder(data, "lock record");
            in.readVersion(FORMAT_VERSION);
            long token = in.readVarLong("token");
            long expiresAt = in.readVarLong("expiresAtMillis");
            return new LockRecord(in.readRest(), token, expiresAt);
        } catch (CodecException e) {
            throw new InvariantViolation("engine holds a corrupt lock record under 0x"
                    + Bytes.copyOf(engineKey).toHex() + ": " + e.getMessage());
        }
    }
}
