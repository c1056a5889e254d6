package io.cairn.common;

/**
 * SplitMix64: tiny state, fast, statistically sound for simulation and election jitter, and
 * identical on every JVM (unlike relying on an unspecified library generator's future).
 * Not thread-safe; give each owner its own instance, derived with {@link #fork()}.
 */
public final class SeededRandom implements RandomSource {
    private long state;

    public SeededRandom(long seed) {
        this.state = seed;
    }

    @Override
    public long nextLong() {
        long z = (state += 0x9E37_79B9_7F4A_7C15L);
        z = (z ^ (z >>> 30)) * 0xBF58_476D_1CE4_E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D0_49BB_1331_11EBL;
        return z ^ (z >>> 31);
    }

    /** An independent generator whose sequence is determined by this one's current state. */
    public SeededRandom fork() {
        return new SeededRandom(nextLong() ^ 0x5DEE_CE66_DL);
    }
}
