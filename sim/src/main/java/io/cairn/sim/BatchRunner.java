package io.cairn.sim;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Runs a range of seeds on worker threads. Each run is single-threaded and shares nothing with
 * the others, so parallelism cannot change any run's outcome; only the order of the report lines
 * depends on scheduling. Wall time here only measures speed.
 */
public final class BatchRunner {
    /** What a batch found. */
    public record Summary(long passed, List<SimResult> failures, long maxQuiescenceMicros, long maxQuiescenceSeed,
                          long wallMillis, long seeds, Coverage totals, Coverage runsWith, long threeVoterRuns) {
        public double millisPerSeed() {
            return seeds == 0 ? 0 : (double) wallMillis / seeds;
        }
    }

    private static final long PROGRESS_INTERVAL_MILLIS = 5_000;

    private BatchRunner() {}

    /** @param out progress and failure lines go here; null for silence */
    public static Summary run(long fromSeed, long count, SimOptions options, int threads, PrintStream out) {
        AtomicLong nextIndex = new AtomicLong();
        AtomicLong passed = new AtomicLong();
        List<SimResult> failures = Collections.synchronizedList(new ArrayList<>());
        long[] maxQuiescence = {-1, -1};
        Coverage totals = new Coverage();
        Coverage runsWith = new Coverage();
        AtomicLong threeVoterRuns = new AtomicLong();
        CountDownLatch done = new CountDownLatch(threads);
        long start = System.nanoTime();
        for (int t = 0; t < threads; t++) {
            Thread worker = new Thread(() -> {
                try {
                    for (long i = nextIndex.getAndIncrement(); i < count; i = nextIndex.getAndIncrement()) {
                        SimResult r = options.run(fromSeed + i, null);
                        totals.addAll(r.coverage());
                        runsWith.addPresence(r.coverage());
                        threeVoterRuns.addAndGet(r.voters() == 3 ? 1 : 0);
                        record(r, options, passed, failures, maxQuiescence, out);
                    }
                } finally {
                    done.countDown();
                }
            }, "sim-worker-" + t);
            worker.setDaemon(true);
            worker.start();
        }
        awaitWithProgress(done, start, count, passed, failures, out);
        failures.sort((a, b) -> Long.compare(a.seed(), b.seed()));
        long wallMillis = (System.nanoTime() - start) / 1_000_000;
        return new Summary(passed.get(), List.copyOf(failures), maxQuiescence[0], maxQuiescence[1], wallMillis, count,
                totals, runsWith, threeVoterRuns.get());
    }

    private static void record(SimResult r, SimOptions options, AtomicLong passed, List<SimResult> failures,
                               long[] maxQuiescence, PrintStream out) {
        synchronized (maxQuiescence) {
            if (r.healToQuiescenceMicros() > maxQuiescence[0]) {
                maxQuiescence[0] = r.healToQuiescenceMicros();
                maxQuiescence[1] = r.seed();
            }
        }
        if (r.passed()) {
            passed.incrementAndGet();
            return;
        }
        failures.add(r);
        if (out != null) {
            synchronized (out) {
                // One line per failure; the replay prints the full explanation.
                out.println("FAIL seed=" + r.seed() + ": " + r.failure().lines().findFirst().orElse(""));
                out.println("replay: " + replayCommand(r.seed(), options));
            }
        }
    }

    public static String replayCommand(long seed, SimOptions options) {
        return "bin/simulate --seed " + seed + options.replayArgs();
    }

    private static void awaitWithProgress(CountDownLatch done, long start, long count, AtomicLong passed,
                                          List<SimResult> failures, PrintStream out) {
        try {
            while (!done.await(PROGRESS_INTERVAL_MILLIS, TimeUnit.MILLISECONDS)) {
                if (out != null) {
                    long finished = passed.get() + failures.size();
                    double seconds = (System.nanoTime() - start) / 1e9;
                    synchronized (out) {
                        out.printf("progress: %d/%d seeds, %d failed, %.1f seeds/s%n", finished, count,
                                failures.size(), finished / seconds);
                    }
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for simulations", e);
        }
    }
}
