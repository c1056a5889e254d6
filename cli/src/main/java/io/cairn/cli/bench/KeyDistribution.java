package io.cairn.cli.bench;

import java.util.Locale;
import java.util.random.RandomGenerator;

/** How a workload picks the index of its next key among {@link #keys()} keys. */
public sealed interface KeyDistribution permits KeyDistribution.Uniform, ZipfianGenerator {
    /** The names {@code --key-dist} accepts. */
    enum Kind {
        UNIFORM, ZIPFIAN;

        public String jsonName() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /** How many keys there are to pick from. */
    long keys();

    /** A key index in {@code [0, keys())}, drawn with {@code random} only. */
    long next(RandomGenerator random);

    static KeyDistribution of(Kind kind, long keys) {
        return switch (kind) {
            case UNIFORM -> new Uniform(keys);
            case ZIPFIAN -> new ZipfianGenerator(keys, ZipfianGenerator.THETA_DEFAULT);
        };
    }

    /** Every key equally likely. */
    record Uniform(long keys) implements KeyDistribution {
        public Uniform {
            if (keys < 1) {
                throw new IllegalArgumentException("need at least one key: " + keys);
            }
        }

        @Override
        public long next(RandomGenerator random) {
            return random.nextLong(keys);
        }
    }
}
