package io.cairn.aggregate;

import java.nio.charset.StandardCharsets;

/**
 * How numeric aggregators read values. {@link Encoding#TEXT} (the default): ASCII decimal, an
 * optional sign, digits, an optional fraction and exponent ({@code 42}, {@code -3.5},
 * {@code 1e3}); no spaces, no {@code NaN}, {@code Infinity} or hex. {@link Encoding#INT64}:
 * exactly 8 bytes, a big-endian two's-complement integer (what {@code ByteBuffer.putLong}
 * writes). Anything else is not a number and is skipped and counted.
 */
public final class Numbers {
    /** How values are written. */
    public enum Encoding { TEXT, INT64 }

    /** Longest text value read as a number; longer ones are skipped. */
    static final int TEXT_BYTES_MAX = 64;

    private Numbers() {}

    /** Parses the {@code encoding} parameter: "text" (default when null) or "int64". */
    public static Encoding encoding(String param) {
        if (param == null || param.equals("text")) {
            return Encoding.TEXT;
        }
        if (param.equals("int64")) {
            return Encoding.INT64;
        }
        throw new IllegalArgumentException("encoding must be text or int64: " + param);
    }

    /**
     * The value as a number, or null when it is not one. Integral text that fits a long stays a
     * {@link Long} (exact); everything else is a finite {@link Double}.
     */
    public static Number parse(byte[] value, Encoding encoding) {
        if (encoding == Encoding.INT64) {
            if (value.length != 8) {
                return null;
            }
            long v = 0;
            for (byte b : value) {
                v = (v << 8) | (b & 0xff);
            }
            return v;
        }
        if (value.length == 0 || value.length > TEXT_BYTES_MAX || !wellFormed(value)) {
            return null;
        }
        String text = new String(value, StandardCharsets.US_ASCII);
        boolean integral = true;
        for (byte b : value) {
            integral &= b != '.' && b != 'e' && b != 'E';
        }
        if (integral) {
            try {
                return Long.parseLong(text);
            } catch (NumberFormatException tooLong) {
                // falls through to a double
            }
        }
        double d = Double.parseDouble(text);
        return Double.isFinite(d) ? d : null;
    }

    /** [+-]digits[.digits][(e|E)[+-]digits], with at least one digit before or after the point. */
    private static boolean wellFormed(byte[] v) {
        int i = 0;
        if (v[i] == '+' || v[i] == '-') {
            i++;
        }
        int digits = 0;
        while (i < v.length && isDigit(v[i])) {
            i++;
            digits++;
        }
        if (i < v.length && v[i] == '.') {
            i++;
            while (i < v.length && isDigit(v[i])) {
                i++;
                digits++;
            }
        }
        if (digits == 0) {
            return false;
        }
        if (i < v.length && (v[i] == 'e' || v[i] == 'E')) {
            i++;
            if (i < v.length && (v[i] == '+' || v[i] == '-')) {
                i++;
            }
            int exponentDigits = 0;
            while (i < v.length && isDigit(v[i])) {
                i++;
                exponentDigits++;
            }
            if (exponentDigits == 0) {
                return false;
            }
        }
        return i == v.length;
    }

    private static boolean isDigit(byte b) {
        return b >= '0' && b <= '9';
    }

    /** A number as JSON: integers without a fraction, doubles as Java prints them (finite only). */
    static String json(double d) {
        if (d == Math.rint(d) && Math.abs(d) < 1e15) {
            return Long.toString((long) d);
        }
        return Double.toString(d);
    }
}
