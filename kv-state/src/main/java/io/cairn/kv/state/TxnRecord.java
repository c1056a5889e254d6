package io.cairn.kv.state;

import io.cairn.common.Bytes;
import io.cairn.common.InvariantViolation;

/**
 * A cross-shard transaction's outcome, stored under {@link Keyspace#txnKey} in the shard of its
 * primary key. It is written once, by the first {@link Command.Decide} to apply (the coordinator
 * committing, or anyone aborting a transaction whose coordinator went quiet), and never changes.
 *
 * <pre>u8 format version (1), u8 committed (0 or 1), varint decidedAtMillis</pre>
 */
record TxnRecord(boolean committed, long decidedAtMillis) {
    private static final int FORMAT_VERSION = 1;

    byte[] encode() {
        return new Encoder(12).writeByte(FORMAT_VERSION).writeBoolean(committed).writeVarLong(decidedAtMillis).toArray();
    }

    static TxnRecord decode(byte[] data, byte[] engineKey) {
        try {
            Decoder in = new Decoder(data, "transaction record");
            in.readVersion(FORMAT_VERSION);
            TxnRecord r = new TxnRecord(in.readBoolean("committed"), in.readVarLong("decidedAtMillis"));
            in.finish();
            return r;
        } catch (CodecException e) {
            throw new InvariantViolation("engine holds a corrupt transaction record under 0x"
                    + Bytes.copyOf(engineKey).toHex() + ": " + e.getMessage());
        }
    }
}
