package io.cairn.kv.state;

import io.cairn.common.Bytes;
import java.util.Arrays;

/**
 * The user keys {@code fromInclusive <= key < toExclusive}, compared as unsigned bytes;
 * {@code toExclusive} null means no upper bound. Resume a paged scan with
 * {@link #resumeAt(Bytes)} and the page's next key.
 */
public record KeyRange(Bytes fromInclusive, Bytes toExclusive) {
    public KeyRange {
        if (fromInclusive == null) {
            throw new IllegalArgumentException("fromInclusive is required (Bytes.EMPTY for the first key)");
        }
        if (toExclusive != null && fromInclusive.compareTo(toExclusive) > 0) {
            throw new IllegalArgumentException("range starts after it ends: " + fromInclusive + " > " + toExclusive);
        }
    }

    /** Every key. */
    public static KeyRange all() {
        return new KeyRange(Bytes.EMPTY, null);
    }

    /** Every key that starts with {@code prefix}. */
    public static KeyRange prefix(Bytes prefix) {
        return new KeyRange(prefix, prefixEnd(prefix));
    }

    /**
     * The first key after every key that starts with {@code prefix}, or null if there is none
     * (the prefix is empty or all 0xFF bytes).
     */
    public static Bytes prefixEnd(Bytes prefix) {
        byte[] end = prefix.toArray();
        for (int i = end.length - 1; i >= 0; i--) {
            if (end[i] != (byte) 0xFF) {
                end[i]++;
                return Bytes.wrap(Arrays.copyOf(end, i + 1));
            }
        }
        return null;
    }

    /** The same range starting at {@code nextKey}, a page's {@link ScanPage#nextKey()}. */
    public KeyRange resumeAt(Bytes nextKey) {
        if (nextKey.compareTo(fromInclusive) < 0) {
            throw new IllegalArgumentException("next key " + nextKey + " is before the range start " + fromInclusive);
        }
        return new KeyRange(nextKey, toExclusive);
    }

    public boolean contains(Bytes key) {
        return key.compareTo(fromInclusive) >= 0 && (toExclusive == null || key.compareTo(toExclusive) < 0);
    }
}
