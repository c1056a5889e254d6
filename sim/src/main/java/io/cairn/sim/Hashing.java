package io.cairn.sim;

import io.cairn.common.Bytes;
import io.cairn.consensus.LogEntry;

/**
 * The 64-bit hashes the simulator uses for digests and log identities. Every function here is
 * a pure function of its arguments' contents, never of identity or enum hash codes, so a digest
 * is the same on every JVM and every run.
 */
public final class Hashing {
    private static final long FNV_OFFSET = 0xcbf2_9ce4_8422_2325L;
    private static final long FNV_PRIME = 0x0000_0100_0000_01b3L;

    private Hashing() {}

    /** MurmurHash3's 64-bit finalizer: every input bit affects every output bit. */
    public static long mix(long h) {
        h ^= h >>> 33;
        h *= 0xff51_afd7_ed55_8ccdL;
        h ^= h >>> 33;
        h *= 0xc4ce_b9fe_1a85_ec53L;
        h ^= h >>> 33;
        return h;
    }

    /** Folds {@code value} into {@code h}; order matters, so (a, b) and (b, a) differ. */
    public static long combine(long h, long value) {
        return mix(h * 31 + value + 0x9E37_79B9_7F4A_7C15L);
    }

    public static long ofBytes(Bytes bytes) {
        long h = FNV_OFFSET;
        for (int i = 0; i < bytes.size(); i++) {
            h = (h ^ (bytes.get(i) & 0xff)) * FNV_PRIME;
        }
        return mix(h ^ bytes.size());
    }

    public static long ofString(CharSequence s) {
        long h = FNV_OFFSET;
        for (int i = 0; i < s.length(); i++) {
            h = (h ^ s.charAt(i)) * FNV_PRIME;
        }
        return mix(h ^ s.length());
    }

    /** Identity of one entry's content: term, type and data (the index is the caller's key). */
    public static long ofEntry(LogEntry entry) {
        long h = combine(entry.term(), entry.type().ordinal());
        return combine(h, ofBytes(entry.data()));
    }

    /**
     * The chain hash of a log at {@code entry}: h[i] = mix(h[i-1], term_i, hash(data_i)). Equal
     * chain hashes at an index mean (with overwhelming probability) equal logs up to it.
     */
    public static long chain(long previous, LogEntry entry) {
        return combine(previous, ofEntry(entry));
    }
}
