package io.cairn.kv.state;

import io.cairn.common.Bytes;
import io.cairn.common.InvariantViolation;
import java.util.ArrayList;
import java.util.List;

/**
 * A prepared cross-shard transaction's hold on one key: which transaction, where its record
 * lives (the shard of {@code primaryKey}), when its shard prepared it (leader time), and what it
 * will do to the key if it commits. A {@code READ} intent only keeps the key from changing until
 * the transaction is decided.
 *
 * <p>A key's slot under {@link Keyspace#intentKey} holds one write intent (PUT or DELETE), or
 * READ intents of one or more transactions (readers share a key; a writer excludes everyone).
 *
 * <pre>
 * one intent:    u8 format version (1), bytes txnId, bytes primaryKey, varint preparedAtMillis,
 *                u8 kind (1 READ, 2 PUT, 3 DELETE), then for PUT: varint ttlMillis, bytes value
 * shared reads:  u8 format version (2), varint count (2 or more), then each READ intent's
 *                one-intent encoding as bytes
 * </pre>
 */
record Intent(Bytes txnId, Bytes primaryKey, long preparedAtMillis, Kind kind, Bytes value, long ttlMillis) {
    private static final int FORMAT_VERSION = 1;
    private static final int SHARED_FORMAT_VERSION = 2;

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
            return decode(new Decoder(data, "intent"));
        } catch (CodecException e) {
            throw corrupt(engineKey, e);
        }
    }

    private static Intent decode(Decoder in) {
        in.readVersion(FORMAT_VERSION);
        Bytes txnId = in.readBytes("txnId");
        Bytes primaryKey = in.readBytes("primaryKey");
        long preparedAt = in.readVarLong("preparedAtMillis");
        Kind kind = Kind.ofCode(in.readByte("kind"));
        long ttlMillis = kind == Kind.PUT ? in.readVarLong("ttlMillis") : 0;
        Bytes value = kind == Kind.PUT ? in.readBytes("value") : null;
        in.finish();
        return new Intent(txnId, primaryKey, preparedAt, kind, value, ttlMillis);
    }

    /** A key's slot: one intent of any kind, or two or more READ intents of distinct transactions. */
    static byte[] encodeSlot(List<Intent> intents) {
        checkSlot(intents);
        if (intents.size() == 1) {
            return intents.get(0).encode();
        }
        Encoder out = new Encoder(16 + 48 * intents.size()).writeByte(SHARED_FORMAT_VERSION).writeVarLong(intents.size());
        intents.forEach(i -> out.writeBytes(Bytes.wrap(i.encode())));
        return out.toArray();
    }

    static List<Intent> decodeSlot(byte[] data, byte[] engineKey) {
        try {
            if (data.length == 0 || data[0] != SHARED_FORMAT_VERSION) {
                return List.of(decode(new Decoder(data, "intent")));
            }
            Decoder in = new Decoder(data, "shared read intents");
            in.readVersion(SHARED_FORMAT_VERSION);
            int count = in.readVarInt("count");
            if (count < 2) {
                throw new CodecException("a shared slot holds 2 or more read intents, not " + count);
            }
            List<Intent> intents = new ArrayList<>(Math.min(count, 64));
            for (int i = 0; i < count; i++) {
                intents.add(decode(new Decoder(in.readBytes("intent").toArray(), "intent")));
            }
            in.finish();
            checkSlot(intents);
            return intents;
        } catch (IllegalArgumentException e) {
            throw corrupt(engineKey, e);
        }
    }

    private static void checkSlot(List<Intent> intents) {
        if (intents.isEmpty()) {
            throw new IllegalArgumentException("an intent slot holds at least one intent");
        }
        boolean shared = intents.size() > 1;
        if (shared && (intents.stream().anyMatch(Intent::isWrite)
                || intents.stream().map(Intent::txnId).distinct().count() != intents.size())) {
            throw new IllegalArgumentException("a shared slot holds READ intents of distinct transactions only");
        }
    }

    private static InvariantViolation corrupt(byte[] engineKey, RuntimeException e) {
        return new InvariantViolation("engine holds a corrupt intent under 0x" + Bytes.copyOf(engineKey).toHex() + ": "
                + e.getMessage());
    }
}
