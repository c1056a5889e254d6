package io.cairn.sim.lin;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.BitSet;
import java.util.List;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;

/**
 * The memo is only sound if equal sets give equal keys, however they were reached; these
 * properties hold {@link LongBits} to {@link BitSet} over random toggles.
 */
class LongBitsPropertyTest {
    @Property(tries = 300)
    void compactFormDependsOnlyOnTheSet(
            @ForAll @IntRange(min = 1, max = 300) int size,
            @ForAll @Size(max = 400) List<@IntRange(min = 0, max = 299) Integer> toggles) {
        LongBits bits = new LongBits(size);
        BitSet reference = new BitSet(size);
        for (int toggle : toggles) {
            int bit = toggle % size;
            if (reference.get(bit)) {
                bits.clear(bit);
                reference.clear(bit);
            } else {
                bits.set(bit);
                reference.set(bit);
            }
            assertThat(bits.get(bit)).isEqualTo(reference.get(bit));
        }

        assertThat(bits.compact()).containsExactly(expectedCompact(reference, size));
        assertThat(bits.snapshot()).containsExactly(paddedWords(reference, size));
    }

    @Property(tries = 100)
    void subsetAgreesWithBitSet(
            @ForAll @Size(max = 130) List<@IntRange(min = 0, max = 129) Integer> small,
            @ForAll @Size(max = 130) List<@IntRange(min = 0, max = 129) Integer> large) {
        LongBits a = new LongBits(130);
        LongBits b = new LongBits(130);
        BitSet ra = new BitSet();
        BitSet rb = new BitSet();
        small.forEach(bit -> {
            a.set(bit);
            ra.set(bit);
        });
        large.forEach(bit -> {
            b.set(bit);
            rb.set(bit);
        });
        BitSet difference = (BitSet) ra.clone();
        difference.andNot(rb);

        assertThat(LongBits.isSubset(a.words(), b.words())).isEqualTo(difference.isEmpty());
    }

    private static long[] paddedWords(BitSet reference, int size) {
        long[] words = new long[(size + 63) >>> 6];
        long[] used = reference.toLongArray();
        System.arraycopy(used, 0, words, 0, used.length);
        return words;
    }

    private static long[] expectedCompact(BitSet reference, int size) {
        long[] words = paddedWords(reference, size);
        int full = 0;
        while (full < words.length && words[full] == -1L) {
            full++;
        }
        int used = words.length;
        while (used > full && words[used - 1] == 0) {
            used--;
        }
        long[] compact = new long[1 + used - full];
        compact[0] = full;
        System.arraycopy(words, full, compact, 1, used - full);
        return compact;
    }
}
