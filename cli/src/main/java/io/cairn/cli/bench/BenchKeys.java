package io.cairn.cli.bench;

import java.nio.charset.StandardCharsets;

/**
 * The bench's keys: {@code bench/} and the key index zero padded to {@value #DIGITS} digits, so
 * byte order is index order and runs with different {@code --keys} share keys.
 */
public final class BenchKeys {
    public static final int DIGITS = 10;
    /** Above every index that fits {@value #DIGITS} digits. */
    public static final long INDEX_LIMIT = 10_000_000_000L;
    private static final byte[] PREFIX = "bench/".getBytes(StandardCharsets.US_ASCII);
    /** The end of the bench's key space, exclusive: '0' follows '/'. */
    public static final byte[] END_EXCLUSIVE = "bench0".getBytes(StandardCharsets.US_ASCII);

    private BenchKeys() {}

    /**
     * {@code bench/{0000000042}a} for 42 and 'a': keys of one index share a hash tag, so one
     * shard (for transactions on one shard).
     */
    public static byte[] tagged(long index, char suffix) {
        byte[] plain = key(index);
        byte[] key = new byte[plain.length + 3];
        System.arraycopy(PREFIX, 0, key, 0, PREFIX.length);
        key[PREFIX.length] = '{';
        System.arraycopy(plain, PREFIX.length, key, PREFIX.length + 1, DIGITS);
        key[PREFIX.length + 1 + DIGITS] = '}';
        key[PREFIX.length + 2 + DIGITS] = (byte) suffix;
        return key;
    }

    /** {@code bench/0000000042} for 42; {@code index} in {@code [0, INDEX_LIMIT)}. */
    public static byte[] key(long index) {
        if (index < 0 || index >= INDEX_LIMIT) {
            throw new IllegalArgumentException("key index " + index + " is outside [0, " + INDEX_LIMIT + ")");
        }
        byte[] key = new byte[PREFIX.length + DIGITS];
        System.arraycopy(PREFIX, 0, key, 0, PREFIX.length);
        long rest = index;
        for (int i = key.length - 1; i >= PREFIX.length; i--) {
            key[i] = (byte) ('0' + rest % 10);
            rest /= 10;
        }
        return key;
    }
}
