package io.cairn.sim.lin;

import io.cairn.common.Seeded;
import static org.assertj.core.api.Assertions.assertThat;

import io.cairn.common.RandomSource;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The memo is only sound if equal sets give equal keys, however they were reached; these
 * properties hold {@link LongBits} to {@link BitSet} over random toggles.
 */
class LongBitsPropertyTest {
    /** Bits in [0, 300) toggled in turn, each taken modulo {@code size}. */
    record Toggles(int size, List<Integer> toggles) {
        static Toggles generate(RandomSource random) {
            return new Toggles(Seeded.between(random, 1, 300),
                    Seeded.list(random, 0, 400, r -> Seeded.between(r, 0, 299)));
        }

        List<Toggles> smaller() {
            List<Toggles> out = new ArrayList<>();
            Seeded.removals(toggles, 0).forEach(fewer -> out.add(new Toggles(size, fewer)));
            Seeded.towards(1, size).forEach(smallerSize -> out.add(new Toggles(smallerSize, toggles)));
            return out;
        }
    }

    @Test
    void compactFormDependsOnlyOnTheSet() {
        Seeded.forAll(300, Toggles::generate, Toggles::smaller, input -> {
            int size = input.size();
            LongBits bits = new LongBits(size);
            BitSet reference = new BitSet(size);
            for (int toggle : input.toggles()) {
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
        });
    }

    /** Two sets of bits in [0, 130), listed with repeats. */
    record TwoSets(List<Integer> small, List<Integer> large) {
        static TwoSets generate(RandomSource random) {
            List<Integer> large = Seeded.list(random, 0, 130, r -> Seeded.between(r, 0, 129));
            if (!large.isEmpty() && random.chance(0.3)) {
                // Independent sets are rarely subsets; draw some from the larger one so that
                // both answers are checked often.
                List<Integer> small = Seeded.list(random, 0, 130, r -> large.get(r.nextInt(large.size())));
                return new TwoSets(small, large);
            }
            return new TwoSets(Seeded.list(random, 0, 130, r -> Seeded.between(r, 0, 129)), large);
        }

        List<TwoSets> smaller() {
            List<TwoSets> out = new ArrayList<>();
            Seeded.removals(small, 0).forEach(fewer -> out.add(new TwoSets(fewer, large)));
            Seeded.removals(large, 0).forEach(fewer -> out.add(new TwoSets(small, fewer)));
            return out;
        }
    }

    @Test
    void subsetAgreesWithBitSet() {
        Seeded.forAll(100, TwoSets::generate, TwoSets::smaller, input -> {
            LongBits a = new LongBits(130);
            LongBits b = new LongBits(130);
            BitSet ra = new BitSet();
            BitSet rb = new BitSet();
            input.small().forEach(bit -> {
                a.set(bit);
                ra.set(bit);
            });
            input.large().forEach(bit -> {
                b.set(bit);
                rb.set(bit);
            });
            BitSet difference = (BitSet) ra.clone();
            difference.andNot(rb);

            assertThat(LongBits.isSubset(a.words(), b.words())).isEqualTo(difference.isEmpty());
        });
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
