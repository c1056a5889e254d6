package io.cairn.cli.bench;

import io.cairn.client.CairnClient;
import io.cairn.client.Watch;
import io.cairn.client.WatchEvent;
import io.cairn.client.WatchQuery;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * {@code cairn bench expiry}: how fast the cluster removes keys whose deadlines all come at once,
 * and what that costs concurrent writes. It writes N keys under {@code expirybench/}, each with
 * the TTL that makes it expire at one instant (the end of the loading plus a margin), watches the
 * prefix, and counts EXPIRE events per second as they arrive; meanwhile {@code --clients} writers
 * put plain keys, and their throughput before the deadline is compared with theirs while the
 * keys expire. Expiries are measured where a user sees them: at a watcher. With {@code unwatched}
 * nobody watches (the fan-out of 10,000 events a second has a cost of its own): the writers are
 * measured over the time the expiry takes at its design rate, and the keys left are counted after.
 */
public final class ExpiryBench {
    /** What a run measured. */
    public record Result(long keys, double loadSeconds, long expired, double drainSeconds, double putsPerSecondBefore,
                         double putsPerSecondDuring, long keysLeft) {
        double expiriesPerSecond() {
            return drainSeconds <= 0 ? 0 : expired / drainSeconds;
        }

        public String toJsonLine() {
            return String.format(Locale.ROOT, "{\"workload\":\"expiry\",\"keys\":%d,\"load_s\":%.1f,\"expired\":%d,"
                            + "\"drain_s\":%.2f,\"expiries_per_s\":%.0f,\"puts_per_s_before\":%.0f,\"puts_per_s_during\":%.0f,"
                            + "\"keys_left\":%d}",
                    keys, loadSeconds, expired, drainSeconds, expiriesPerSecond(), putsPerSecondBefore, putsPerSecondDuring,
                    keysLeft);
        }

        public String toTable() {
            return String.format(Locale.ROOT, "expiry: %d keys due at one instant (loaded in %.1f s)%n"
                            + "expired: %d in %.2f s (%.0f/s, seen by a watcher)%n"
                            + "puts: %.0f/s before the deadline, %.0f/s while the keys expired; %d keys left after",
                    keys, loadSeconds, expired, drainSeconds, expiriesPerSecond(), putsPerSecondBefore, putsPerSecondDuring,
                    keysLeft);
        }
    }

    private static final String PREFIX = "expirybench/";
    /** Time between the end of the loading and the common deadline, for the writers' "before" window. */
    private static final long MARGIN_MILLIS = 5_000;
    private static final int LOAD_IN_FLIGHT = 256;
    private static final int CALIBRATION_PUTS = 5_000;

    private ExpiryBench() {}

    /** Expiries a second the cluster is built to drain per shard: 1,000 keys per Expire entry, one per 100 ms tick. */
    static final long DESIGN_EXPIRIES_PER_SECOND = 10_000;

    public static Result run(CairnClient client, long keys, int writers, boolean unwatched, PrintWriter err)
            throws InterruptedException {
        if (keys < 1 || keys > 10_000_000) {
            throw new IllegalArgumentException("--keys must be 1 to 10,000,000 for the expiry workload: " + keys);
        }
        AtomicLong expired = new AtomicLong();
        AtomicLong firstExpiryNanos = new AtomicLong();
        AtomicLong lastExpiryNanos = new AtomicLong();
        try (Watch watch = client.watch(WatchQuery.prefix(unwatched ? PREFIX + "none/" : PREFIX), (shard, events, progress) -> {
            for (WatchEvent e : events) {
                if (e.type() == WatchEvent.Type.EXPIRE) {
                    long now = System.nanoTime();
                    firstExpiryNanos.compareAndSet(0, now);
                    lastExpiryNanos.set(now);
                    expired.incrementAndGet();
                }
            }
        })) {
            Semaphore inFlight = new Semaphore(LOAD_IN_FLIGHT);
            double calibratedPutsPerSecond = calibrate(client, inFlight);
            long loadStart = System.nanoTime();
            // A deadline far enough ahead for the loading at half the measured rate (and at most at
            // a pessimistic 1,000 puts/s), then moved closer for each key as time passes, so every
            // key comes due at the same instant.
            long loadMillisMax = Math.min(keys, (long) Math.ceil(keys * 2_000 / calibratedPutsPerSecond));
            long deadlineNanos = loadStart + TimeUnit.MILLISECONDS.toNanos(loadMillisMax + MARGIN_MILLIS);
            long lateKeys = 0;
            for (long i = 0; i < keys; i++) {
                inFlight.acquire();
                long leftMillis = TimeUnit.NANOSECONDS.toMillis(deadlineNanos - System.nanoTime());
                if (leftMillis < 1) {
                    lateKeys++;
                }
                long ttlMillis = Math.max(1, leftMillis);
                client.putAsync(key(i), new byte[16], Duration.ofMillis(ttlMillis))
                        .whenComplete((r, e) -> inFlight.release());
                if (i % 20_000 == 0 && i > 0) {
                    err.printf("bench expiry: %d of %d keys written%n", i, keys);
                    err.flush();
                }
            }
            inFlight.acquire(LOAD_IN_FLIGHT);
            double loadSeconds = (System.nanoTime() - loadStart) / 1e9;
            err.printf("bench expiry: %d keys written in %.1f s; they expire in %.1f s%n", keys, loadSeconds,
                    (deadlineNanos - System.nanoTime()) / 1e9);
            if (lateKeys > 0) {
                err.printf("bench expiry: the loading ran past the deadline: %d keys were written already due,"
                        + " so they did not expire at one instant%n", lateKeys);
            }
            err.flush();
            PutWriters w = new PutWriters(client, "expirybench-load/", writers);
            w.start();
            long beforeFrom = System.nanoTime();
            long beforePuts = w.puts.get();
            TimeUnit.NANOSECONDS.sleep(Math.max(0, deadlineNanos - System.nanoTime()));
            double before = (w.puts.get() - beforePuts) / ((System.nanoTime() - beforeFrom) / 1e9);
            long duringFrom = System.nanoTime();
            long duringPuts = w.puts.get();
            long lastCount = -1;
            long quietSince = System.nanoTime();
            if (unwatched) {
                // The leader looks for due keys once a second, then drains at the design rate.
                TimeUnit.MILLISECONDS.sleep(1_000 + keys * 1_000 / DESIGN_EXPIRIES_PER_SECOND);
                double during = (w.puts.get() - duringPuts) / ((System.nanoTime() - duringFrom) / 1e9);
                w.stop();
                return new Result(keys, loadSeconds, 0, 0, before, during, keysLeft(client));
            }
            // Until every key expired, or nothing came for 10 s.
            while (expired.get() < keys && System.nanoTime() - quietSince < TimeUnit.SECONDS.toNanos(10)) {
                TimeUnit.MILLISECONDS.sleep(100);
                if (expired.get() != lastCount) {
                    lastCount = expired.get();
                    quietSince = System.nanoTime();
                }
            }
            long end = lastExpiryNanos.get() == 0 ? System.nanoTime() : lastExpiryNanos.get();
            double during = (w.puts.get() - duringPuts) / Math.max(1e-9, (end - duringFrom) / 1e9);
            w.stop();
            double drain = firstExpiryNanos.get() == 0 ? 0 : (end - firstExpiryNanos.get()) / 1e9;
            return new Result(keys, loadSeconds, expired.get(), drain, before, during, keysLeft(client));
        }
    }

    /**
     * Puts/s of the loading, measured on {@link #CALIBRATION_PUTS} plain keys of the writers'
     * prefix after as many unmeasured ones (a cold client and cold nodes run several times
     * slower), so the common deadline is not set for a slower cluster than this one.
     */
    private static double calibrate(CairnClient client, Semaphore inFlight) throws InterruptedException {
        calibrationPuts(client, inFlight, 0);
        long start = System.nanoTime();
        calibrationPuts(client, inFlight, CALIBRATION_PUTS);
        return CALIBRATION_PUTS / Math.max(1e-3, (System.nanoTime() - start) / 1e9);
    }

    private static void calibrationPuts(CairnClient client, Semaphore inFlight, int from) throws InterruptedException {
        for (int i = from; i < from + CALIBRATION_PUTS; i++) {
            inFlight.acquire();
            client.putAsync(("expirybench-load/calibrate-" + i).getBytes(StandardCharsets.US_ASCII), new byte[16])
                    .whenComplete((r, e) -> inFlight.release());
        }
        inFlight.acquire(LOAD_IN_FLIGHT);
        inFlight.release(LOAD_IN_FLIGHT);
    }

    private static long keysLeft(CairnClient client) {
        long left = 0;
        io.cairn.client.ScanQuery q = io.cairn.client.ScanQuery.prefix(PREFIX.getBytes(StandardCharsets.US_ASCII));
        while (true) {
            io.cairn.client.ScanPage page = client.scan(q);
            left += page.kvs().size();
            if (!page.hasMore()) {
                return left;
            }
            q = q.after(page);
        }
    }

    private static byte[] key(long i) {
        return String.format(Locale.ROOT, PREFIX + "%010d", i).getBytes(StandardCharsets.US_ASCII);
    }
}
