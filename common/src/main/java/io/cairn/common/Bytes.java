package io.cairn.common;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HexFormat;

/**
 * An immutable byte string with value equality. The array is never exposed: {@link #toArray()}
 * copies. Commands, keys and snapshot chunks travel as Bytes so records holding them compare by
 * content.
 */
public final class Bytes implements Comparable<Bytes> {
    public static final Bytes EMPTY = new Bytes(new byte[0]);

    private final byte[] data;
    private int hash;

    private Bytes(byte[] data) {
        this.data = data;
    }

    /** Copies the array. */
    public static Bytes copyOf(byte[] data) {
        return data.length == 0 ? EMPTY : new Bytes(data.clone());
    }

    /** Copies {@code length} bytes starting at {@code offset}. */
    public static Bytes copyOf(byte[] data, int offset, int length) {
        return length == 0 ? EMPTY : new Bytes(Arrays.copyOfRange(data, offset, offset + length));
    }

    /**
     * Takes ownership of the array without copying. The caller must not modify it afterwards;
     * use only on freshly built arrays.
     */
    public static Bytes wrap(byte[] data) {
        return data.length == 0 ? EMPTY : new Bytes(data);
    }

    public static Bytes utf8(String s) {
        return wrap(s.getBytes(StandardCharsets.UTF_8));
    }

    public int size() {
        return data.length;
    }

    public boolean isEmpty() {
        return data.length == 0;
    }

    public byte get(int index) {
        return data[index];
    }

    public byte[] toArray() {
        return data.clone();
    }

    /** The bytes in [fromIndex, toIndexExclusive). */
    public Bytes slice(int fromIndex, int toIndexExclusive) {
        if (fromIndex == 0 && toIndexExclusive == data.length) {
            return this;
        }
        return copyOf(data, fromIndex, toIndexExclusive - fromIndex);
    }

    /** Copies the content into {@code target} at {@code targetOffset}. */
    public void copyTo(byte[] target, int targetOffset) {
        System.arraycopy(data, 0, target, targetOffset, data.length);
    }

    public String toUtf8() {
        return new String(data, StandardCharsets.UTF_8);
    }

    public String toHex() {
        return HexFormat.of().formatHex(data);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Bytes other && Arrays.equals(data, other.data);
    }

    @Override
    public int hashCode() {
        int h = hash;
        if (h == 0 && data.length > 0) {
            h = Arrays.hashCode(data);
            hash = h;
        }
        return h;
    }

    @Override
    public int compareTo(Bytes other) {
        return Arrays.compareUnsigned(data, other.data);
    }

    @Override
    public String toString() {
        for (byte b : data) {
            if (b < 0x20 || b > 0x7e) {
                return "0x" + toHex();
            }
        }
        return new String(data, StandardCharsets.US_ASCII);
    }
}
