package io.cairn.aggregate;

/**
 * A distinct-count sketch (Flajolet et al., HyperLogLog, 2007): 2^p one-byte registers, each the
 * longest run of leading zeros seen among the 64-bit hashes routed to it. The estimate's
 * standard error is about 1.04 / sqrt(2^p): 0.8 % at the default p = 14 (16 KiB). Small
 * cardinalities use linear counting over the empty registers, which is exact up to a few
 * hundred values. Two sketches of the same precision merge by taking each register's maximum,
 * so shards' sketches combine in any order.
 */
final class HyperLogLog {
    static final int PRECISION_MIN = 4;
    static final int PRECISION_MAX = 16;

    private final int precision;
    private final byte[] registers;

    HyperLogLog(int precision) {
        if (precision < PRECISION_MIN || precision > PRECISION_MAX) {
            throw new IllegalArgumentException("precision must be " + PRECISION_MIN + " to " + PRECISION_MAX + ": " + precision);
        }
        this.precision = precision;
        this.registers = new byte[1 << precision];
    }

    void add(byte[] value) {
        long h = hash64(value);
        int index = (int) (h >>> (64 - precision));
        // The remaining bits, with a guard bit so the rank stays within 64 - precision + 1.
        long rest = (h << precision) | (1L << (precision - 1));
        int rank = Long.numberOfLeadingZeros(rest) + 1;
        if (rank > registers[index]) {
            registers[index] = (byte) rank;
        }
    }

    HyperLogLog merge(HyperLogLog other) {
        if (other.precision != precision) {
            throw new IllegalArgumentException("cannot merge sketches of precision " + precision + " and " + other.precision);
        }
        for (int i = 0; i < registers.length; i++) {
            registers[i] = (byte) Math.max(registers[i], other.registers[i]);
        }
        return this;
    }

    long estimate() {
        int m = registers.length;
        double harmonic = 0;
        int empty = 0;
        for (byte r : registers) {
            harmonic += Math.scalb(1.0, -r);
            if (r == 0) {
                empty++;
            }
        }
        double alpha = switch (m) {
            case 16 -> 0.673;
            case 32 -> 0.697;
            case 64 -> 0.709;
            default -> 0.7213 / (1 + 1.079 / m);
        };
        double raw = alpha * m * m / harmonic;
        if (raw <= 2.5 * m && empty > 0) {
            return Math.round(m * Math.log((double) m / empty));
        }
        return Math.round(raw);
    }

    byte[] encode() {
        byte[] out = new byte[1 + registers.length];
        out[0] = (byte) precision;
        System.arraycopy(registers, 0, out, 1, registers.length);
        return out;
    }

    static HyperLogLog decode(byte[] bytes) {
        if (bytes.length < 1 || bytes[0] < PRECISION_MIN || bytes[0] > PRECISION_MAX
                || bytes.length != 1 + (1 << bytes[0])) {
            throw new IllegalArgumentException("not a HyperLogLog sketch: " + bytes.length + " bytes");
        }
        HyperLogLog h = new HyperLogLog(bytes[0]);
        System.arraycopy(bytes, 1, h.registers, 0, h.registers.length);
        return h;
    }

    /**
     * A 64-bit hash of {@code data}: eight bytes at a time, each word scrambled by a multiply and
     * rotate, folded into the state, and the state finished by an avalanche (every input bit
     * flips each output bit with probability near one half, which the registers' bits need).
     */
    static long hash64(byte[] data) {
        long h = 0x9E3779B97F4A7C15L ^ (data.length * 0xC2B2AE3D27D4EB4FL);
        int i = 0;
        for (; i + 8 <= data.length; i += 8) {
            long word = 0;
            for (int b = 7; b >= 0; b--) {
                word = (word << 8) | (data[i + b] & 0xffL);
            }
            h ^= scramble(word);
            h = Long.rotateLeft(h, 27) * 0x9E3779B97F4A7C15L + 0x52DCE729L;
        }
        long tail = 0;
        for (int shift = 0; i < data.length; i++, shift += 8) {
            tail |= (data[i] & 0xffL) << shift;
        }
        h ^= scramble(tail);
        return avalanche(h);
    }

    private static long scramble(long k) {
        k *= 0x87C37B91114253D5L;
        k = Long.rotateLeft(k, 31);
        return k * 0x4CF5AD432745937FL;
    }

    private static long avalanche(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }
}
