package io.cairn.sim.kv;

import io.cairn.common.Bytes;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/** A write as it travels in the Raft log: who sent it (client id and sequence) and what it does. */
public record KvCommand(int clientId, long seq, KvOp op) {
    public Bytes encode() {
        byte[] key = op.key().getBytes(StandardCharsets.UTF_8);
        ByteBuffer buf = ByteBuffer.allocate(4 + 8 + 1 + 4 + key.length + 8 + 1 + 8);
        buf.putInt(clientId).putLong(seq).put((byte) op.kind().ordinal());
        buf.putInt(key.length).put(key).putLong(op.value());
        buf.put((byte) (op.expected() == null ? 0 : 1)).putLong(op.expected() == null ? 0 : op.expected());
        return Bytes.wrap(buf.array());
    }

    public static KvCommand decode(Bytes data) {
        ByteBuffer buf = ByteBuffer.wrap(data.toArray());
        int clientId = buf.getInt();
        long seq = buf.getLong();
        KvOp.Kind kind = KvOp.Kind.values()[buf.get()];
        byte[] key = new byte[buf.getInt()];
        buf.get(key);
        long value = buf.getLong();
        boolean hasExpected = buf.get() != 0;
        long expected = buf.getLong();
        KvOp op = new KvOp(kind, new String(key, StandardCharsets.UTF_8), value, hasExpected ? expected : null);
        return new KvCommand(clientId, seq, op);
    }
}
