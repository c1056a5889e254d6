package io.cairn.common;

/**
 * Time as the code sees it. The consensus core never reads a clock (it counts ticks); hosts do,
 * through this seam, so the simulator can run them on virtual time.
 */
public interface Clock {
    /** Monotonic nanoseconds since an arbitrary origin. */
    long nanoTime();

    /** Milliseconds since the Unix epoch, for values that leave the process (TTL stamps, logs). */
    long epochMillis();

    /** The real clock of the machine. */
    Clock SYSTEM = new Clock() {
        @Override
        public long nanoTime() {
            return System.nanoTime();
        }

        @Override
        public long epochMillis() {
            return System.currentTimeMillis();
        }
    };
}
