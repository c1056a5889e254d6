package io.cairn.sim;

import java.util.Arrays;

/** A growable array of primitive longs: the checker keeps one slot per log index. */
final class LongList {
    private long[] values = new long[64];
    private int size;

    int size() {
        return size;
    }

    long get(int i) {
        if (i < 0 || i >= size) {
            throw new IndexOutOfBoundsException(i + " outside [0, " + size + ")");
        }
        return values[i];
    }

    void set(int i, long value) {
        if (i < 0 || i >= size) {
            throw new IndexOutOfBoundsException(i + " outside [0, " + size + ")");
        }
        values[i] = value;
    }

    void add(long value) {
        if (size == values.length) {
            values = Arrays.copyOf(values, size * 2);
        }
        values[size++] = value;
    }

    /** Keeps [0, newSize). */
    void truncate(int newSize) {
        if (newSize < 0 || newSize > size) {
            throw new IndexOutOfBoundsException("truncate to " + newSize + " of " + size);
        }
        size = newSize;
    }

    /** Drops [0, count), shifting the rest down. */
    void dropPrefix(int count) {
        if (count < 0 || count > size) {
            throw new IndexOutOfBoundsException("drop " + count + " of " + size);
        }
        System.arraycopy(values, count, values, 0, size - count);
        size -= count;
    }

    void clear() {
        size = 0;
    }
}
