package io.cairn.kv.state;

import io.cairn.common.Bytes;
import io.cairn.common.InvariantViolation;

/**
 * What the engine holds under a data key. Layout, version 1: u8 version, varint createRevision,
 * varint modRevision, varint version, varint expiresAtMillis (0 = no TTL), then the value to
 * the end. A record that does not decode means the engine is corrupt: an {@link InvariantViolation}
 * stops the node rather than serve or build on it.
 */
record StoredValue(long createRevision, long modRevision, long version, long expiresAtMillis, Bytes value) {
    static final int FORMAT_VERSION = 1;

    /** Whether a read at {@code nowMillis} sees the key: expired keys vanish at their expiry. */
    boolean isLiveAt(long nowMillis) {
        return expiresAtMillis == 0 || nowMillis < expiresAtMillis;
    }

    boolean hasTtl() {
        return expiresAtMillis != 0;
    }

    KeyValue toKeyValue(Bytes key) {
        return new KeyValue(key, value, createRevision, modRevision, version, expiresAtMillis);
    }

    byte[] encode() {
        return new Encoder(24 + value.size())
                .writeByte(FORMAT_VERSION)
                .writeVarLong(createRevision)
                .writeVarLong(modRevision)
                .writeVarLong(version)
                .writeVarLong(expiresAtMillis)
                .writeRaw(value)
                .toArray();
    }

    static StoredValue decode(byte[] data, byte[] engineKey) {
        try {
            Decoder in = new Decoder(data, "stored value");
            in.readVersion(FORMAT_VERSION);
            return new StoredValue(in.readVarLong("createRevision"), in.readVarLong("modRevision"),
                    in.readVarLong("version"), in.readVarLong("expiresAtMillis"), in.readRest());
        } catch (IllegalArgumentException e) {
            throw new InvariantViolation("engine holds a corrupt value under key 0x"
                    + Bytes.copyOf(engineKey).toHex() + ": " + e.getMessage());
        }
    }
}
