package io.cairn.placement;

/**
 * Maps a key to one of {@link #SLOT_COUNT} hash slots, as Redis Cluster does.
 *
 * <p>The hash is CRC16-CCITT in its XMODEM form (polynomial 0x1021, initial value 0, no
 * reflection, no final xor), the function Redis Cluster uses. We chose it over
 * {@link java.util.zip.CRC32C} because keys are short, so speed hardly matters, and because it
 * keeps Redis Cluster's behaviour recognisable: 4096 divides Redis's 16384, so a key's Cairn
 * slot is its Redis slot modulo 4096 ({@code crc16 & 0xFFF}). CRC16's low 12 bits are spread
 * evenly for typical keys.
 *
 * <p>Hash tags: if the key contains a {@code '{'} and, after it, a {@code '}'}, and at least one
 * byte lies between the first {@code '{'} and the first {@code '}'} after it, only those bytes
 * are hashed, so {@code user:{42}:name} and {@code user:{42}:email} share a slot. Edge cases,
 * all as in Redis Cluster:
 * <ul>
 *   <li>{@code "{}"} or {@code "a{}{b}"}: the first tag is empty, so the whole key is hashed
 *       (later tags are not considered);</li>
 *   <li>{@code "a{b"}: no closing brace, the whole key is hashed;</li>
 *   <li>{@code "a{b}{c}"}: only the first tag, {@code b}, is hashed;</li>
 *   <li>{@code "a}b{c}"}: a {@code '}'} before the first {@code '{'} is ignored; {@code c} is
 *       hashed;</li>
 *   <li>{@code "{{a}}"}: the tag is {@code "{a"} (from the first {@code '{'} to the first
 *       {@code '}'}).</li>
 * </ul>
 */
public final class HashSlots {
    /** Number of hash slots; fixed for the life of a cluster. A power of two. */
    public static final int SLOT_COUNT = 4096;

    private static final int[] CRC16_TABLE = buildTable();

    private HashSlots() {}

    /** Returns the slot of {@code key}, in the range [0, {@link #SLOT_COUNT}). */
    public static int slot(byte[] key) {
        if (key == null) {
            throw new IllegalArgumentException("key must not be null");
        }
        int open = indexOf(key, (byte) '{', 0);
        if (open >= 0) {
            int close = indexOf(key, (byte) '}', open + 1);
            // A tag counts only when it is closed and non-empty.
            if (close > open + 1) {
                return crc16(key, open + 1, close) & (SLOT_COUNT - 1);
            }
        }
        return crc16(key, 0, key.length) & (SLOT_COUNT - 1);
    }

    /**
     * CRC16-CCITT (XMODEM) of {@code data[fromIndex, toIndexExclusive)}; the check value of
     * {@code "123456789"} is 0x31C3.
     */
    public static int crc16(byte[] data, int fromIndex, int toIndexExclusive) {
        if (fromIndex < 0 || toIndexExclusive > data.length || fromIndex > toIndexExclusive) {
            throw new IllegalArgumentException(
                    "bad range [" + fromIndex + ", " + toIndexExclusive + ") of " + data.length);
        }
        int crc = 0;
        for (int i = fromIndex; i < toIndexExclusive; i++) {
            crc = ((crc << 8) ^ CRC16_TABLE[((crc >>> 8) ^ data[i]) & 0xFF]) & 0xFFFF;
        }
        return crc;
    }

    private static int indexOf(byte[] data, byte b, int fromIndex) {
        for (int i = fromIndex; i < data.length; i++) {
            if (data[i] == b) {
                return i;
            }
        }
        return -1;
    }

    private static int[] buildTable() {
        int[] table = new int[256];
        for (int n = 0; n < 256; n++) {
            int crc = n << 8;
            for (int bit = 0; bit < 8; bit++) {
                crc = (crc & 0x8000) != 0 ? (crc << 1) ^ 0x1021 : crc << 1;
            }
            table[n] = crc & 0xFFFF;
        }
        return table;
    }
}
