package io.cairn.kv.state;

import io.cairn.common.Bytes;
import io.cairn.common.InvariantViolation;

/**
 * A prepared cross-shard transaction's hold on one key, stored under {@link Keyspace#intentKey}:
 * which transaction, where its record lives (the shard of {@code primaryKey}), when its shard
 * prepared it (leader time), and what it will do to the key if it commits. A {@code READ}
 * intent only keeps the key from changing until the transaction is decided.
 *
 * <pre>
 * u8 format version (1), bytes txnId, bytes primaryKey, varint preparedAtMillis, u8 kind
 * (1 READ, 2 PUT, 3 DELETE), then for PUT: varint ttlMillis, bytes value
 * </pre>
 */
record Intent(Bytes txnId, Bytes primaryKey, long preparedAtMillis, Kind kind, Bytes value, long ttlMillis) {
    private static final int FORMAT_VERSION = 1;

    enum Kind {
        READ(1), PUT(2), DELETE(3);

        final int code;

        Kind(int code) {
            this.code = code;
        }

        static Kind ofCode(int code) {
            for (Kind k : values()) {
                if (k.code == code) {
                    return k;
                }
            }
            throw new CodecException("unknown intent kind " + code);
        }
    }

    Intent {
        if (txnId == null || primaryKey == null || kind == null) {
            throw new IllegalArgumentException("txnId, primaryKey and kind are required");
        }
        if ((kind == Kind.PUT) != (value != null)) {
            throw new IllegalArgumentException("a PUT intent carries a value, others none");
        }
    }

    boolean isWrite() {
        return kind != Kind.READ;
    }

    byte[] encode() {
        Encoder out = new Encoder(32 + txnId.size() + primaryKey.size() + (value == null ? 0 : value.size()))
                .writeByte(FORMAT_VERSION).writeBytes(txnId).writeBytes(primaryKey).writeVarLong(preparedAtMillis)
                .writeByte(kind.code);
        if (kind == Kind.PUT) {
            out.writeVarLong(ttlMillis).writeBytes(value);
        }
        return out.toArray();
    }

    static Intent decode(byte[] data, byte[] engineKey) {
        try {
            Decoder in = new Decoder(data, "intent");
            in.readVersion(FORMAT_VERSION);
            Bytes txnId = in.readBytes("txnId");
            Bytes primaryKey = in.readBytes("primaryKey");
            long preparedAt = in.readVarLong("preparedAtMillis");
            Kind kind = Kind.ofCode(in.readByte("kind"));
            long ttlMillis = kind == Kind.PUT ? in.readVarLong("ttlMillis") : 0;
            Bytes value = kind == Kind.PUT ? in.readBytes("value") : null;
            in.finish();
            return new Intent(txnId, primaryKey, preparedAt, kind, value, ttlMillis);
        } catch (CodecException e) {
            throw new InvariantViolation("engine holds a corrupt intent under 0x"
                    + Bytes.copyOf(engineKey).toHex() + ": " + e.getMessage());
        }
    }
}
