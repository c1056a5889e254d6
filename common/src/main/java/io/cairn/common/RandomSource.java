package io.cairn.common;

/**
 * The only source of randomness code may use. Production passes a seeded {@link SeededRandom}
 * from a real entropy seed; the simulator derives every instance from its one seed, so a run
 * replays exactly.
 */
public interface RandomSource {
    /** A uniformly distributed long. */
    long nextLong();

    /** A uniformly distributed int in [0, bound); bound must be positive. */
    default int nextInt(int bound) {
        if (bound <= 0) {
            throw new IllegalArgumentException("bound must be positive: " + bound);
        }
        // Lemire's nearly-divisionless method on the top 32 bits; the rejection keeps it unbiased.
        long r = nextLong() >>> 32;
        long m = r * bound;
        long low = m & 0xFFFF_FFFFL;
        if (low < bound) {
            long threshold = (0x1_0000_0000L - bound) % bound;
            while (low < threshold) {
                r = nextLong() >>> 32;
                m = r * bound;
                low = m & 0xFFFF_FFFFL;
            }
        }
        return (int) (m >>> 32);
    }

    /** A uniformly distributed long in [0, bound); bound must be positive. */
    default long nextLong(long bound) {
        if (bound <= 0) {
            throw new IllegalArgumentException("bound must be positive: " + bound);
        }
        long mask = bound - 1;
        if ((bound & mask) == 0) {
            return nextLong() & mask;
        }
        long u = nextLong() >>> 1;
        long r;
        while (u + mask - (r = u % bound) < 0) {
            u = nextLong() >>> 1;
        }
        return r;
    }

    /** A uniformly distributed double in [0, 1). */
    default double nextDouble() {
        return (nextLong() >>> 11) * 0x1.0p-53;
    }

    /** True with the given probability in [0, 1]. */
    default boolean chance(double probability) {
        return nextDouble() < probability;
    }
}
