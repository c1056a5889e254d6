package io.cairn.sim.lin;

import java.util.Arrays;

/**
 * A fixed-size bitset over a {@code long[]}, for the set of operations placed so far.
 *
 * <p>It tracks the leading words that are all ones and the last word with a bit set, so that
 * {@link #compact()} can describe the set by its count of full leading words and the words after
 * them. The checker numbers operations in call order, so placed operations form a long run of
 * ones and a short ragged tail: a memo key then costs a few longs, not one per 64 operations.
 */
final class LongBits {
    private final long[] words;
    /** The index of the first word that is not all ones; words.length if there is none. */
    private int fullWords;
    /** max(fullWords, 1 + the index of the last non-zero word). */
    private int usedWords;

    /** A set able to hold bits in the range [0, size). */
    LongBits(int size) {
        this.words = new long[(size + 63) >>> 6];
    }

    void set(int bit) {
        int word = bit >>> 6;
        words[word] |= 1L << bit;
        while (fullWords < words.length && words[fullWords] == -1L) {
            fullWords++;
        }
        usedWords = Math.max(usedWords, Math.max(word + 1, fullWords));
    }

    void clear(int bit) {
        int word = bit >>> 6;
        words[word] &= ~(1L << bit);
        // A word that loses a bit is no longer full; it cannot become zero if it was full.
        fullWords = Math.min(fullWords, word);
        while (usedWords > fullWords && words[usedWords - 1] == 0) {
            usedWords--;
        }
    }

    boolean get(int bit) {
        return (words[bit >>> 6] & (1L << bit)) != 0;
    }

    /**
     * The set as {@code [number of full leading words, the words from there up to the last
     * non-zero one]}. Equal sets give equal arrays, so the result serves as a memo key.
     */
    long[] compact() {
        long[] compact = new long[1 + usedWords - fullWords];
        compact[0] = fullWords;
        System.arraycopy(words, fullWords, compact, 1, usedWords - fullWords);
        return compact;
    }

    /** The live words: valid only until the next {@code set} or {@code clear}. */
    long[] words() {
        return words;
    }

    /** An independent copy of all the words. */
    long[] snapshot() {
        return Arrays.copyOf(words, words.length);
    }

    /** Whether every bit of {@code subset} is also in {@code superset}; both of one length. */
    static boolean isSubset(long[] subset, long[] superset) {
        for (int i = 0; i < subset.length; i++) {
            if ((subset[i] & ~superset[i]) != 0) {
                return false;
            }
        }
        return true;
    }
}
