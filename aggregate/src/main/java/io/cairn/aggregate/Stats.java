package io.cairn.aggregate;

import java.nio.ByteBuffer;

/**
 * The accumulator of {@code sum}, {@code min}, {@code max} and {@code avg}: how many numbers, their
 * sum (exact while every number is an integer and the sum fits a long; otherwise a compensated
 * double sum, Neumaier's variant of Kahan's), and the smallest and largest.
 */
final class Stats {
    private static final int ENCODED_BYTES = 8 + 8 + 1 + 8 + 8 + 2 * 9;

    long count;
    long exactSum;
    boolean exact = true;
    double sum;
    double compensation;
    Number min;
    Number max;

    void add(Number n) {
        count++;
        if (exact && n instanceof Long l) {
            try {
                exactSum = Math.addExact(exactSum, l);
            } catch (ArithmeticException overflow) {
                exact = false;
            }
        } else {
            exact = false;
        }
        addDouble(n.doubleValue());
        if (min == null || compare(n, min) < 0) {
            min = n;
        }
        if (max == null || compare(n, max) > 0) {
            max = n;
        }
    }

    private void addDouble(double x) {
        double t = sum + x;
        compensation += Math.abs(sum) >= Math.abs(x) ? (sum - t) + x : (x - t) + sum;
        sum = t;
    }

    Stats combine(Stats o) {
        count += o.count;
        if (exact && o.exact) {
            try {
                exactSum = Math.addExact(exactSum, o.exactSum);
            } catch (ArithmeticException overflow) {
                exact = false;
            }
        } else {
            exact = false;
        }
        addDouble(o.sum);
        compensation += o.compensation;
        if (o.min != null && (min == null || compare(o.min, min) < 0)) {
            min = o.min;
        }
        if (o.max != null && (max == null || compare(o.max, max) > 0)) {
            max = o.max;
        }
        return this;
    }

    /** The sum: exact for integers, else the compensated double. */
    Number total() {
        return exact ? (Number) exactSum : (Number) (sum + compensation);
    }

    static int compare(Number a, Number b) {
        if (a instanceof Long x && b instanceof Long y) {
            return Long.compare(x, y);
        }
        return Double.compare(a.doubleValue(), b.doubleValue());
    }

    byte[] encode() {
        ByteBuffer b = ByteBuffer.allocate(ENCODED_BYTES);
        b.putLong(count).putLong(exactSum).put((byte) (exact ? 1 : 0)).putDouble(sum).putDouble(compensation);
        putNumber(b, min);
        putNumber(b, max);
        return b.array();
    }

    static Stats decode(byte[] bytes) {
        if (bytes.length != ENCODED_BYTES) {
            throw new IllegalArgumentException("not a numeric accumulator: " + bytes.length + " bytes");
        }
        ByteBuffer b = ByteBuffer.wrap(bytes);
        Stats s = new Stats();
        s.count = b.getLong();
        s.exactSum = b.getLong();
        s.exact = b.get() == 1;
        s.sum = b.getDouble();
        s.compensation = b.getDouble();
        s.min = getNumber(b);
        s.max = getNumber(b);
        return s;
    }

    private static void putNumber(ByteBuffer b, Number n) {
        if (n == null) {
            b.put((byte) 0).putLong(0);
        } else if (n instanceof Long l) {
            b.put((byte) 1).putLong(l);
        } else {
            b.put((byte) 2).putDouble(n.doubleValue());
        }
    }

    private static Number getNumber(ByteBuffer b) {
        byte tag = b.get();
        return switch (tag) {
            case 0 -> {
                b.getLong();
                yield null;
            }
            case 1 -> b.getLong();
            case 2 -> b.getDouble();
            default -> throw new IllegalArgumentException("not a numeric accumulator: number tag " + tag);
        };
    }
}
