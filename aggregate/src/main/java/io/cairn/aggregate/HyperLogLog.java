package io.cairn.aggregate;

/**
 * A distinct-count sketch (Flajolet et al., HyperLogLog, 2007): 2^p one-byte registers, each the
 * longest run of leading zeros seen among the 64-bit hashes routed to it. The estimate's
 * standard error is about 1.04 / sqrt(2^p): 0.8 % at the default p = 14 (16 KiB). Small
 * cardinalities are exact: up to {@link #SPARSE_MAX} distinct hashes are kept as a set (a 64-bit
 * hash collision aside) and only then folded into the registers, so a count of a few values is
 * not off by one. Two sketches of the same precision merge by uniting their sets or taking each
 * register's maximum, so shards' sketches combine in any order.
 */
final class HyperLogLog {
    static final int PRECISION_MIN = 4;
    static final int PRECISION_MAX = 16;

    /** Distinct hashes kept exactly before the registers take over. */
    static final int SPARSE_MAX = 1_024;

    private final int precision;
    private final byte[] registers;
    /** The distinct hashes seen, while there are few; null once folded into the registers. */
    private java.util.TreeSet<Long> sparse = new java.util.TreeSet<>();

    HyperLogLog(int precision) {
        if (precision < PRECISION_MIN || precision > PRECISION_MAX) {
            throw new IllegalArgumentException("precision must be " + PRECISION_MIN + " to " + PRECISION_MAX + ": " + precision);
        }
        this.precision = precision;
        this.registers = new byte[1 << precision];
    }

    void add(byte[] value) {
        addHash(hash64(value));
    }

    private void addHash(long h) {
        if (sparse != null) {
            sparse.add(h);
            if (sparse.size() > SPARSE_MAX) {
                java.util.TreeSet<Long> hashes = sparse;
                sparse = null;
                hashes.forEach(this::addHash);
            }
            return;
        }
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
        if (other.sparse != null) {
            other.sparse.forEach(this::addHash);
            return this;
        }
        if (sparse != null) {
            java.util.TreeSet<Long> hashes = sparse;
            sparse = null;
            hashes.forEach(this::addHash);
        }
        for (int i = 0; i < registers.length; i++) {
            registers[i] = (byte) Math.max(registers[i], other.registers[i]);
        }
        return this;
    }

    long estimate() {
        if (sparse != null) {
            return sparse.size();
        }
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

    /** The precision, then either 0 and the sorted hashes, or 1 and the registers. */
    byte[] encode() {
        if (sparse != null) {
            java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(2 + 8 * sparse.size());
            b.put((byte) precision).put((byte) 0);
            sparse.forEach(b::putLong);
            return b.array();
        }
        byte[] out = new byte[2 + registers.length];
        out[0] = (byte) precision;
        out[1] = 1;
        System.arraycopy(registers, 0, out, 2, registers.length);
        return out;
    }

    static HyperLogLog decode(byte[] bytes) {
        if (bytes.length < 2 || bytes[0] < PRECISION_MIN || bytes[0] > PRECISION_MAX) {
            throw new IllegalArgumentException("not a HyperLogLog sketch: " + bytes.length + " bytes");
        }
        HyperLogLog h = new HyperLogLog(bytes[0]);
        if (bytes[1] == 0 && (bytes.length - 2) % 8 == 0 && (bytes.length - 2) / 8 <= SPARSE_MAX) {
            java.nio.ByteBuffer b = java.nio.ByteBuffer.wrap(bytes, 2, bytes.length - 2);
            while (b.hasRemaining()) {
                h.sparse.add(b.getLong());
            }
            return h;
        }
        if (bytes[1] != 1 || bytes.length != 2 + (1 << bytes[0])) {
            throw new IllegalArgumentException("not a HyperLogLog sketch: " + bytes.length + " bytes");
        }
        h.sparse = null;
        System.arraycopy(bytes, 2, h.registers, 0, h.registers.length);
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
