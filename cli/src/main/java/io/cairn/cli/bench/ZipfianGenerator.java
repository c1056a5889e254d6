package io.cairn.cli.bench;

import java.util.random.RandomGenerator;

/**
 * Item ranks drawn from a Zipfian distribution over {@code [0, items)}: rank {@code i} comes up
 * with probability proportional to {@code 1 / (i + 1)^theta}, so rank 0 is the most popular.
 *
 * <p>The method is Gray et al., "Quickly Generating Billion-Record Synthetic Databases" (SIGMOD
 * 1994), the one YCSB uses: ranks 0 and 1 are drawn exactly, the rest from a closed-form
 * inverse of an approximation of the distribution's CDF. The approximation gives ranks 2 to 9
 * about 8% more than their exact share and the tail 2-3% less (at 1,000 to 10,000 items), as
 * in YCSB, so results compare with theirs. Building costs one pass over the items
 * (to sum the zeta constant), so about a second per 100 million items; each draw costs one
 * {@code pow}.
 *
 * <p>The generator holds no randomness of its own: every draw takes the caller's generator, so a
 * seeded caller gets the same ranks in the same order on every run. Immutable and thread-safe.
 */
public final class ZipfianGenerator implements KeyDistribution {
    /** YCSB's skew: of 10,000 items, the hottest 84 (under 1%) get half the draws. */
    public static final double THETA_DEFAULT = 0.99;

    private final long items;
    private final double theta;
    private final double zetaItems;
    private final double alpha;
    private final double eta;
    /** Draws with {@code u * zetaItems} below this (and not below 1) are rank 1. */
    private final double rankOneBound;

    public ZipfianGenerator(long items, double theta) {
        if (items < 1) {
            throw new IllegalArgumentException("a Zipfian distribution needs at least one item: " + items);
        }
        if (!(theta > 0 && theta < 1)) {
            throw new IllegalArgumentException("theta must be in (0, 1): " + theta);
        }
        this.items = items;
        this.theta = theta;
        this.zetaItems = zeta(items, theta);
        this.alpha = 1 / (1 - theta);
        double zetaTwo = zeta(Math.min(2, items), theta);
        // With one item eta is never used (every draw is rank 0); guard the division anyway.
        this.eta = items == 1 ? 0 : (1 - Math.pow(2.0 / items, 1 - theta)) / (1 - zetaTwo / zetaItems);
        this.rankOneBound = 1 + Math.pow(0.5, theta);
    }

    /** {@code sum_{i=1..n} 1 / i^theta}. */
    static double zeta(long n, double theta) {
        double sum = 0;
        for (long i = 1; i <= n; i++) {
            sum += 1 / Math.pow(i, theta);
        }
        return sum;
    }

    /** The exact probability of {@code rank} under this distribution, for tests and sanity checks. */
    public double probability(long rank) {
        if (rank < 0 || rank >= items) {
            throw new IllegalArgumentException("rank " + rank + " is outside [0, " + items + ")");
        }
        return 1 / (Math.pow(rank + 1, theta) * zetaItems);
    }

    @Override
    public long keys() {
        return items;
    }

    /** A rank in {@code [0, items)}. */
    @Override
    public long next(RandomGenerator random) {
        double u = random.nextDouble();
        double uz = u * zetaItems;
        if (uz < 1) {
            return 0;
        }
        if (uz < rankOneBound) {
            return 1;
        }
        long rank = (long) (items * Math.pow(eta * u - eta + 1, alpha));
        // Rounding can reach items when u is within an ulp of 1.
        return Math.min(rank, items - 1);
    }

    @Override
    public String toString() {
        return "zipfian(items=" + items + ", theta=" + theta + ")";
    }
}
