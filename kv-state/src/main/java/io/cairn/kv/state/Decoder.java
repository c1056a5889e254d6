package io.cairn.kv.state;

import io.cairn.common.Bytes;

/**
 * Reads what {@link Encoder} wrote. Every read checks the bytes left first and throws a
 * {@link CodecException} naming the field and offset, so truncated input never reads past the
 * end and a corrupt length never allocates more than the input holds.
 */
final class Decoder {
    private static final int VARLONG_BYTES_MAX = 10;

    private final byte[] data;
    private final String what;
    private int pos;

    /** {@code what} names the encoding in error messages, e.g. "command envelope". */
    Decoder(byte[] data, String what) {
        this.data = data;
        this.what = what;
    }

    Decoder(Bytes data, String what) {
        this(data.toArray(), what);
    }

    int readByte(String field) {
        need(1, field);
        return data[pos++] & 0xFF;
    }

    boolean readBoolean(String field) {
        int at = pos;
        int b = readByte(field);
        if (b > 1) {
            throw corrupt(field + " is " + b + ", not a boolean", at);
        }
        return b == 1;
    }

    long readLong(String field) {
        need(8, field);
        long v = 0;
        for (int i = 0; i < 8; i++) {
            v = (v << 8) | (data[pos++] & 0xFF);
        }
        return v;
    }

    /** An unsigned LEB128 varint; rejects encodings longer than 10 bytes or above 2^63-1. */
    long readVarLong(String field) {
        int at = pos;
        long v = 0;
        for (int i = 0; i < VARLONG_BYTES_MAX; i++) {
            int b = readByte(field);
            v |= (long) (b & 0x7F) << (7 * i);
            if ((b & 0x80) == 0) {
                // The tenth byte may contribute only bit 63, which would make v negative.
                if (i == VARLONG_BYTES_MAX - 1 && b > 0) {
                    throw corrupt(field + " varint overflows a signed long", at);
                }
                return v;
            }
        }
        throw corrupt(field + " varint is longer than " + VARLONG_BYTES_MAX + " bytes", at);
    }

    /** A varint that must fit an int, e.g. a count. */
    int readVarInt(String field) {
        int at = pos;
        long v = readVarLong(field);
        if (v > Integer.MAX_VALUE) {
            throw corrupt(field + " is " + v + ", above " + Integer.MAX_VALUE, at);
        }
        return (int) v;
    }

    /** A varint length followed by that many bytes. */
    Bytes readBytes(String field) {
        int at = pos;
        long length = readVarLong(field + " length");
        if (length > remaining()) {
            throw new CodecException(String.format(
                    "truncated %s: %s needs %d bytes at offset %d, only %d left",
                    what, field, length, at, remaining()));
        }
        Bytes b = Bytes.copyOf(data, pos, (int) length);
        pos += (int) length;
        return b;
    }

    /** Every byte left: only for the last field of a record. */
    Bytes readRest() {
        Bytes b = Bytes.copyOf(data, pos, remaining());
        pos = data.length;
        return b;
    }

    int remaining() {
        return data.length - pos;
    }

    int position() {
        return pos;
    }

    /** Reads the format version byte and rejects any other than {@code expected}. */
    void readVersion(int expected) {
        int version = readByte("format version");
        if (version != expected) {
            throw new CodecException(String.format(
                    "unknown %s format version %d; this build reads version %d", what, version, expected));
        }
    }

    /** Rejects bytes after the last field: they mean a corrupt or misframed input. */
    void finish() {
        if (remaining() != 0) {
            throw corrupt(remaining() + " trailing bytes after the last field", pos);
        }
    }

    CodecException corrupt(String detail, int offset) {
        return new CodecException(String.format("corrupt %s at offset %d: %s", what, offset, detail));
    }

    private void need(int bytes, String field) {
        if (remaining() < bytes) {
            throw new CodecException(String.format(
                    "truncated %s: %s needs %d bytes at offset %d, only %d left",
                    what, field, bytes, pos, remaining()));
        }
    }
}
