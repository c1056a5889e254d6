package io.cairn.kv.state;

import io.cairn.common.Bytes;
import io.cairn.common.InvariantViolation;
import java.util.ArrayList;
import java.util.List;

/**
 * A cross-shard transaction's outcome, stored under {@link Keyspace#txnKey} in the shard of its
 * primary key. It is written once, by the first {@link Command.Decide} to apply (the coordinator
 * committing, or anyone aborting a transaction whose coordinator went quiet), and never changes
 * until it is removed. A commit keeps the keys the transaction holds intents on, so the record's
 * shard can resolve them if the coordinator never does; {@code intentKeys} is null for a record
 * that cannot say (written before decisions named their keys), which is kept for good.
 *
 * <pre>
 * version 1: u8 1, u8 committed (0 or 1), varint decidedAtMillis
 * version 2: u8 2, u8 committed, varint decidedAtMillis, varint keyCount, then each key as bytes
 * </pre>
 */
record TxnRecord(boolean committed, long decidedAtMillis, List<Bytes> intentKeys) {
    private static final int LEGACY_VERSION = 1;
    private static final int FORMAT_VERSION = 2;

    TxnRecord {
        intentKeys = intentKeys == null ? null : List.copyOf(intentKeys);
    }

    byte[] encode() {
        if (intentKeys == null) {
            return new Encoder(12).writeByte(LEGACY_VERSION).writeBoolean(committed).writeVarLong(decidedAtMillis)
                    .toArray();
        }
        Encoder out = new Encoder(16).writeByte(FORMAT_VERSION).writeBoolean(committed).writeVarLong(decidedAtMillis)
                .writeVarLong(intentKeys.size());
        intentKeys.forEach(out::writeBytes);
        return out.toArray();
    }

    /**
     * Whether the record's shard may end this transaction by itself: an abort needs nothing
     * resolved (its decision dropped the primary's intent, and any other intent is aborted by
     * whoever meets it); a commit needs the keys of its intents.
     */
    boolean cleanable() {
        return intentKeys != null && (!committed || !intentKeys.isEmpty());
    }

    static TxnRecord decode(byte[] data, byte[] engineKey) {
        try {
            Decoder in = new Decoder(data, "transaction record");
            int version = data.length == 0 ? -1 : data[0];
            in.readVersion(version == LEGACY_VERSION ? LEGACY_VERSION : FORMAT_VERSION);
            boolean committed = in.readBoolean("committed");
            long decidedAtMillis = in.readVarLong("decidedAtMillis");
            List<Bytes> keys = null;
            if (version == FORMAT_VERSION) {
                int count = in.readVarInt("keyCount");
                keys = new ArrayList<>(Math.min(count, 2 * Limits.TXN_OPS_MAX));
                for (int i = 0; i < count; i++) {
                    keys.add(in.readBytes("key"));
                }
            }
            in.finish();
            return new TxnRecord(committed, decidedAtMillis, keys);
        } catch (CodecException e) {
            throw new InvariantViolation("engine holds a corrupt transaction record under 0x"
                    + Bytes.copyOf(engineKey).toHex() + ": " + e.getMessage());
        }
    }
}
