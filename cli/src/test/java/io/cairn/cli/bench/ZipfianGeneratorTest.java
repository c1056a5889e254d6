package io.cairn.cli.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class ZipfianGeneratorTest {
    private static final int ITEMS = 1_000;
    private static final int DRAWS = 200_000;

    private static long[] histogram(ZipfianGenerator zipf, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        long[] counts = new long[(int) zipf.keys()];
        for (int i = 0; i < DRAWS; i++) {
            counts[(int) zipf.next(random)]++;
        }
        return counts;
    }

    private static double share(long[] counts, int fromRank, int toRankExclusive) {
        long sum = 0;
        for (int r = fromRank; r < toRankExclusive; r++) {
            sum += counts[r];
        }
        return (double) sum / DRAWS;
    }

    private static double expectedShare(ZipfianGenerator zipf, int fromRank, int toRankExclusive) {
        double sum = 0;
        for (int r = fromRank; r < toRankExclusive; r++) {
            sum += zipf.probability(r);
        }
        return sum;
    }

    @Test
    void drawsFollowTheZipfianMassOfEachRankBand() {
        ZipfianGenerator zipf = new ZipfianGenerator(ITEMS, ZipfianGenerator.THETA_DEFAULT);
        long[] counts = histogram(zipf, 7);
        // Ranks 0 and 1 are drawn exactly (sampling error here is under 1%).
        assertThat(share(counts, 0, 1)).isCloseTo(zipf.probability(0), within(0.02 * zipf.probability(0)));
        assertThat(share(counts, 1, 2)).isCloseTo(zipf.probability(1), within(0.03 * zipf.probability(1)));
        // The rest come from Gray's approximation, which gives ranks 2-9 about 8% more than their
        // exact mass and the tail 2-3% less: the bounds hold that, and would catch a wrong formula.
        int[][] bands = {{2, 10}, {10, 100}, {100, ITEMS}};
        double[] relativeErrorsMax = {0.12, 0.05, 0.06};
        for (int b = 0; b < bands.length; b++) {
            int[] band = bands[b];
            double expected = expectedShare(zipf, band[0], band[1]);
            assertThat(share(counts, band[0], band[1])).as("ranks [%d, %d)", band[0], band[1])
                    .isCloseTo(expected, within(relativeErrorsMax[b] * expected));
        }
        // The skew that makes it Zipfian: the hottest 1% of keys get about 40% of the draws.
        assertThat(share(counts, 0, ITEMS / 100)).isBetween(0.35, 0.45);
        for (int r = 0; r < 4; r++) {
            assertThat(counts[r]).as("rank %d before rank %d", r, r + 1).isGreaterThan(counts[r + 1]);
        }
    }

    @Test
    void theSameSeedGivesTheSameRanksAndAnotherSeedOthers() {
        ZipfianGenerator zipf = new ZipfianGenerator(10_000, ZipfianGenerator.THETA_DEFAULT);
        SplittableRandom a = new SplittableRandom(42);
        SplittableRandom b = new SplittableRandom(42);
        SplittableRandom c = new SplittableRandom(43);
        long[] fromA = new long[1_000];
        long[] fromB = new long[1_000];
        long[] fromC = new long[1_000];
        for (int i = 0; i < fromA.length; i++) {
            fromA[i] = zipf.next(a);
            fromB[i] = zipf.next(b);
            fromC[i] = zipf.next(c);
        }
        assertThat(fromB).isEqualTo(fromA);
        assertThat(fromC).isNotEqualTo(fromA);
    }

    @Test
    void ranksStayInRangeEvenForTinyKeySpaces() {
        SplittableRandom random = new SplittableRandom(3);
        ZipfianGenerator one = new ZipfianGenerator(1, ZipfianGenerator.THETA_DEFAULT);
        ZipfianGenerator two = new ZipfianGenerator(2, ZipfianGenerator.THETA_DEFAULT);
        ZipfianGenerator three = new ZipfianGenerator(3, ZipfianGenerator.THETA_DEFAULT);
        for (int i = 0; i < 10_000; i++) {
            assertThat(one.next(random)).isZero();
            assertThat(two.next(random)).isBetween(0L, 1L);
            assertThat(three.next(random)).isBetween(0L, 2L);
        }
    }

    @Test
    void refusesAnEmptyKeySpaceAndThetaOutsideTheOpenUnitInterval() {
        assertThatThrownBy(() -> new ZipfianGenerator(0, 0.99)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new ZipfianGenerator(10, 1.0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new ZipfianGenerator(10, 0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new ZipfianGenerator(10, Double.NaN)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void uniformKeysSpreadEvenly() {
        KeyDistribution uniform = KeyDistribution.of(KeyDistribution.Kind.UNIFORM, 10);
        SplittableRandom random = new SplittableRandom(5);
        long[] counts = new long[10];
        for (int i = 0; i < 100_000; i++) {
            counts[(int) uniform.next(random)]++;
        }
        for (long count : counts) {
            assertThat(count).isBetween(9_500L, 10_500L);
        }
    }
}
