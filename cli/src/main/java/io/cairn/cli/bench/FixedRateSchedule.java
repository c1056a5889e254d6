package io.cairn.cli.bench;

/**
 * The intended start times of an open-loop run: request {@code i} (from 0) is due at
 * {@code startNanos + floor(i * 1e9 / ratePerSecond)}, whatever happened to the requests before
 * it. Times are computed from the index, never by adding a period to the previous time, so
 * rounding never accumulates: request {@code ratePerSecond * k} is due exactly {@code k} seconds
 * after the start.
 *
 * <p>Measuring latency from these times, rather than from when a request was actually sent,
 * keeps a stall visible: requests that should have gone out during it are charged the time they
 * waited ("coordinated omission", as Gil Tene named it).
 *
 * @param startNanos when request 0 is due, on the runner's clock
 * @param ratePerSecond requests per second, in {@code [1, RATE_PER_SECOND_MAX]}
 */
public record FixedRateSchedule(long startNanos, long ratePerSecond) {
    /** Keeps {@code (i % rate) * 1e9} within a long. */
    public static final long RATE_PER_SECOND_MAX = 100_000_000L;
    private static final long NANOS_PER_SECOND = 1_000_000_000L;

    public FixedRateSchedule {
        if (ratePerSecond < 1 || ratePerSecond > RATE_PER_SECOND_MAX) {
            throw new IllegalArgumentException(
                    "rate must be in [1, " + RATE_PER_SECOND_MAX + "] per second: " + ratePerSecond);
        }
    }

    /** When request {@code index} ({@code >= 0}) is due. */
    public long intendedStartNanos(long index) {
        if (index < 0) {
            throw new IllegalArgumentException("request index must not be negative: " + index);
        }
        // Whole seconds and the remainder apart, so that no product overflows.
        long wholeSeconds = index / ratePerSecond;
        long remainder = index % ratePerSecond;
        return startNanos + wholeSeconds * NANOS_PER_SECOND + remainder * NANOS_PER_SECOND / ratePerSecond;
    }

    /**
     * The first request due at or after {@code nanos}; 0 when {@code nanos} is not after the start.
     * So the requests due in {@code [a, b)} are those from {@code firstIndexAtOrAfter(a)} to
     * {@code firstIndexAtOrAfter(b)}, exclusive.
     */
    public long firstIndexAtOrAfter(long nanos) {
        long sinceStartNanos = nanos - startNanos;
        if (sinceStartNanos <= 0) {
            return 0;
        }
        // intended(i) >= nanos  <=>  floor(i * 1e9 / rate) >= d  <=>  i >= d * rate / 1e9 (d is whole).
        long wholeSeconds = sinceStartNanos / NANOS_PER_SECOND;
        long remainderNanos = sinceStartNanos % NANOS_PER_SECOND;
        return wholeSeconds * ratePerSecond + ceilDiv(remainderNanos * ratePerSecond, NANOS_PER_SECOND);
    }

    private static long ceilDiv(long dividend, long divisor) {
        return -Math.floorDiv(-dividend, divisor);
    }
}
