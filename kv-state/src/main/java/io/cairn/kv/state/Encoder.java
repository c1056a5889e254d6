package io.cairn.kv.state;

import io.cairn.common.Bytes;
import java.util.Arrays;

/**
 * Appends primitives to a growing byte array, DataOutput style, big-endian. Variable-length
 * integers are unsigned LEB128 (7 bits a byte, low group first), so small lengths, revisions
 * and versions take one or two bytes.
 */
final class Encoder {
    private byte[] buf;
    private int size;

    Encoder(int initialCapacityBytes) {
        buf = new byte[Math.max(16, initialCapacityBytes)];
    }

    Encoder writeByte(int b) {
        ensure(1);
        buf[size++] = (byte) b;
        return this;
    }

    Encoder writeBoolean(boolean b) {
        return writeByte(b ? 1 : 0);
    }

    /** Eight bytes, big-endian: for values such as random client ids that are rarely small. */
    Encoder writeLong(long v) {
        ensure(8);
        for (int shift = 56; shift >= 0; shift -= 8) {
            buf[size++] = (byte) (v >>> shift);
        }
        return this;
    }

    /** An unsigned LEB128 varint of 1 to 10 bytes; {@code v} must not be negative. */
    Encoder writeVarLong(long v) {
        if (v < 0) {
            throw new IllegalArgumentException("varint must not be negative: " + v);
        }
        ensure(10);
        while ((v & ~0x7FL) != 0) {
            buf[size++] = (byte) ((v & 0x7F) | 0x80);
            v >>>= 7;
        }
        buf[size++] = (byte) v;
        return this;
    }

    /** A varint length followed by the bytes. */
    Encoder writeBytes(Bytes b) {
        writeVarLong(b.size());
        ensure(b.size());
        b.copyTo(buf, size);
        size += b.size();
        return this;
    }

    /** The bytes as they are, with no length: only for the last field of a record. */
    Encoder writeRaw(Bytes b) {
        ensure(b.size());
        b.copyTo(buf, size);
        size += b.size();
        return this;
    }

    Bytes toBytes() {
        return Bytes.wrap(Arrays.copyOf(buf, size));
    }

    byte[] toArray() {
        return Arrays.copyOf(buf, size);
    }

    private void ensure(int moreBytes) {
        if (size + moreBytes > buf.length) {
            buf = Arrays.copyOf(buf, Math.max(buf.length * 2, size + moreBytes));
        }
    }
}
