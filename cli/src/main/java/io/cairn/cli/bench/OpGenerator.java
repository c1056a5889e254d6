package io.cairn.cli.bench;

import java.util.SplittableRandom;

/**
 * The requests of a run, in order, all drawn from one seeded generator: the same config gives
 * the same sequence of keys, values and read-or-write choices. Not thread-safe: the runner's
 * issuing thread alone calls it.
 */
final class OpGenerator {
    /** Distinct values kept: enough that values differ, few enough to stay in cache. */
    static final int VALUES_MAX = 1_024;
    /** The values' memory, at most: large values get fewer distinct ones. */
    static final long VALUE_POOL_BYTES_MAX = 64L * 1024 * 1024;

    private final Workload workload;
    private final int scanKeys;
    private final KeyDistribution keys;
    private final SplittableRandom random;
    private final byte[][] values;

    OpGenerator(BenchConfig config) {
        this.workload = config.workload();
        this.scanKeys = config.scanKeys();
        this.keys = KeyDistribution.of(config.keyDist(), config.keysPicked());
        this.random = new SplittableRandom(config.seed());
        this.values = randomValues(random, config.valueBytes());
    }

    static byte[][] randomValues(SplittableRandom random, int valueBytes) {
        int count = (int) Math.max(1, Math.min(VALUES_MAX, VALUE_POOL_BYTES_MAX / valueBytes));
        byte[][] values = new byte[count][valueBytes];
        for (byte[] value : values) {
            random.nextBytes(value);
        }
        return values;
    }

    Op next() {
        return switch (workload.kind()) {
            case PUT -> new Op.Put(nextKey(), nextValue());
            case GET -> new Op.Get(nextKey());
            case MIXED -> random.nextDouble() < workload.readRatio()
                    ? new Op.Get(nextKey()) : new Op.Put(nextKey(), nextValue());
            case CAS -> new Op.Cas(nextKey(), nextValue());
            case SCAN -> new Op.Scan(nextKey(), scanKeys);
            case TXN -> {
                long first = keys.next(random);
                long second = keys.next(random);
                // Two distinct keys; with a single key picked, the run is one key and its neighbour.
                yield new Op.Txn(BenchKeys.key(first), BenchKeys.key(second != first ? second
                        : (first + 1) % BenchKeys.INDEX_LIMIT), nextValue());
            }
            case TXN_LOCAL -> {
                long n = keys.next(random);
                yield new Op.Txn(BenchKeys.tagged(n, 'a'), BenchKeys.tagged(n, 'b'), nextValue());
            }
            case LOCK -> {
                long n = keys.next(random);
                yield new Op.LockCycle(BenchKeys.tagged(n, 'l'), BenchKeys.tagged(n, 'k'), nextValue());
            }
        };
    }

    /** A random one of the distinct values, for the preload. */
    byte[] nextValue() {
        return values[random.nextInt(values.length)];
    }

    private byte[] nextKey() {
        return BenchKeys.key(keys.next(random));
    }
}
