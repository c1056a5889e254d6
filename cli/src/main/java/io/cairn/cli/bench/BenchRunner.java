package io.cairn.cli.bench;

import java.io.PrintWriter;
import java.util.EnumMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;
import java.util.function.LongSupplier;
import java.util.function.Supplier;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;

/**
 * Runs one benchmark against a {@link BenchTarget}; see the package documentation for the
 * run's phases. One thread (the caller of {@link #run}) chooses and sends every request; each
 * request in flight holds one of {@code clients} permits, which its completion gives back, so a
 * thousand requests in flight cost a thousand futures, not a thousand threads.
 *
 * <p>A request is <em>measured</em> when it started (open loop: was due) inside the measured
 * window {@code [measureStart, measureEnd)}, however late it finishes: dropping the slow
 * stragglers at the end would flatter the tail. Successes go to an HdrHistogram in
 * microseconds (3 significant digits, up to an hour); failures are counted by
 * {@link ErrorKind}.
 */
public final class BenchRunner {
    /** Latencies above an hour are recorded as an hour. */
    static final long LATENCY_MICROS_MAX = TimeUnit.HOURS.toMicros(1);
    static final int LATENCY_DIGITS = 3;
    /** How often the closed loop, waiting for a permit, looks whether the window has ended. */
    private static final long PERMIT_POLL_MILLIS = 20;
    /** Beyond two request timeouts (a CAS makes two requests), time for the client to report. */
    private static final long STUCK_MARGIN_MILLIS = 2_000;

    private final BenchConfig config;
    private final BenchTarget target;
    private final LongSupplier nanoClock;
    private final PrintWriter progress;
    private final OpGenerator ops;
    private final Semaphore permits;
    private final long timeoutNanos;
    /** How long requests in flight may hold every permit before the run gives up on them. */
    private final long stuckMillis;
    private final Recorder recorder = new Recorder(1, LATENCY_MICROS_MAX, LATENCY_DIGITS);
    /** Every measured latency pulled from the recorder so far; guarded by itself. */
    private final Histogram measured = new Histogram(1, LATENCY_MICROS_MAX, LATENCY_DIGITS);
    /** The recorder's last interval, recycled; guarded by {@link #measured}. */
    private Histogram interval;
    /** Measured failures; the map is filled once and only read after. */
    private final Map<ErrorKind, LongAdder> failures = new EnumMap<>(ErrorKind.class);
    /** Every success, warm-up included: the progress line's ops/s. */
    private final LongAdder succeeded = new LongAdder();
    private volatile long measureStartNanos = Long.MAX_VALUE;
    private volatile long measureEndNanos = Long.MAX_VALUE;
    /** Set once the result is being read: late completions are ignored. */
    private volatile boolean frozen;

    /**
     * @param nanoClock monotonic time in nanoseconds ({@code System::nanoTime})
     * @param progress where the progress lines go (stderr)
     */
    public BenchRunner(BenchConfig config, BenchTarget target, LongSupplier nanoClock, PrintWriter progress) {
        this.config = config;
        this.target = target;
        this.nanoClock = nanoClock;
        this.progress = progress;
        this.ops = new OpGenerator(config);
        this.permits = new Semaphore(config.clients());
        this.timeoutNanos = config.requestTimeout().toNanos();
        this.stuckMillis = 2 * config.requestTimeout().toMillis() + STUCK_MARGIN_MILLIS;
        for (ErrorKind kind : ErrorKind.values()) {
            failures.put(kind, new LongAdder());
        }
    }

    /** Preloads if the workload reads, warms up, measures, waits for the stragglers. */
    public BenchResult run() throws InterruptedException {
        if (config.workload().kind().needsPreload()) {
            preload();
        }
        long startNanos = nanoClock.getAsLong();
        measureStartNanos = startNanos + TimeUnit.SECONDS.toNanos(config.warmupSeconds());
        measureEndNanos = measureStartNanos + TimeUnit.SECONDS.toNanos(config.seconds());
        ScheduledExecutorService reporter = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "cairn-bench-progress");
            t.setDaemon(true);
            return t;
        });
        reporter.scheduleAtFixedRate(new ProgressLine(startNanos), 1, 1, TimeUnit.SECONDS);
        try {
            if (config.openLoop()) {
                issueOnSchedule(new FixedRateSchedule(startNanos, config.ratePerSecond()));
            } else {
                issueClosedLoop();
            }
            drain();
        } finally {
            reporter.shutdownNow();
            reporter.awaitTermination(1, TimeUnit.SECONDS);
        }
        return result();
    }

    /** Writes every key once, {@code clients} at a time, unmeasured; the first failure stops the run. */
    private void preload() throws InterruptedException {
        long keys = config.keys();
        progress.println("bench: preloading " + keys + " keys ...");
        progress.flush();
        long startNanos = nanoClock.getAsLong();
        AtomicReference<Throwable> firstFailure = new AtomicReference<>();
        for (long i = 0; i < keys && firstFailure.get() == null; i++) {
            if (!permits.tryAcquire(stuckMillis, TimeUnit.MILLISECONDS)) {
                throw new IllegalStateException("preload stuck: no write finished in " + stuckMillis + " ms");
            }
            byte[] key = BenchKeys.key(i);
            byte[] value = ops.nextValue();
            start(() -> target.put(key, value)).whenComplete((r, e) -> {
                if (e != null) {
                    firstFailure.compareAndSet(null, e);
                }
                permits.release();
            });
        }
        if (!permits.tryAcquire(config.clients(), stuckMillis, TimeUnit.MILLISECONDS)) {
            throw new IllegalStateException("preload stuck: writes unfinished after " + stuckMillis + " ms");
        }
        permits.release(config.clients());
        Throwable failure = firstFailure.get();
        if (failure != null) {
            progress.println("bench: the preload failed; nothing was measured");
            throw failure instanceof RuntimeException re ? re : new IllegalStateException(failure);
        }
        progress.println(String.format(Locale.ROOT, "bench: preloaded %d keys in %.1f s", keys,
                (nanoClock.getAsLong() - startNanos) / 1e9));
        progress.flush();
    }

    /** Each finished request lets the next one start, until the window ends. */
    private void issueClosedLoop() throws InterruptedException {
        while (nanoClock.getAsLong() < measureEndNanos) {
            if (!permits.tryAcquire(PERMIT_POLL_MILLIS, TimeUnit.MILLISECONDS)) {
                continue;
            }
            long nowNanos = nanoClock.getAsLong();
            if (nowNanos >= measureEndNanos) {
                permits.release();
                return;
            }
            send(ops.next(), nowNanos);
        }
    }

    /**
     * Sends each request when it is due, or as soon after as a permit frees up; its latency
     * counts from when it was due. A request that cannot go out within a request timeout of
     * then is a {@link ErrorKind#TIMEOUT} without being sent (the client would have given up
     * on it by then), so a stalled cluster leaves no unbounded backlog behind.
     */
    private void issueOnSchedule(FixedRateSchedule schedule) throws InterruptedException {
        long endIndexExclusive = schedule.firstIndexAtOrAfter(measureEndNanos);
        for (long i = 0; i < endIndexExclusive; i++) {
            long dueNanos = schedule.intendedStartNanos(i);
            sleepUntil(dueNanos);
            if (!permits.tryAcquire(stuckMillis, TimeUnit.MILLISECONDS)) {
                long unsent = endIndexExclusive - Math.max(i, schedule.firstIndexAtOrAfter(measureStartNanos));
                failures.get(ErrorKind.TIMEOUT).add(Math.max(0, unsent));
                progress.println("bench: every request stayed in flight for " + stuckMillis + " ms; "
                        + unsent + " measured requests not sent count as timeouts");
                return;
            }
            Op op = ops.next();
            if (nanoClock.getAsLong() - dueNanos > timeoutNanos) {
                record(dueNanos, ErrorKind.TIMEOUT);
                permits.release();
                continue;
            }
            send(op, dueNanos);
        }
    }

    private void sleepUntil(long nanos) throws InterruptedException {
        for (long waitNanos = nanos - nanoClock.getAsLong(); waitNanos > 0; waitNanos = nanos - nanoClock.getAsLong()) {
            LockSupport.parkNanos(waitNanos);
            if (Thread.interrupted()) {
                throw new InterruptedException();
            }
        }
    }

    /** Sends {@code op} holding a permit; its completion records it and gives the permit back. */
    private void send(Op op, long startNanos) {
        start(() -> issue(op)).whenComplete((r, e) -> {
            try {
                finish(startNanos, e);
            } finally {
                permits.release();
            }
        });
    }

    private CompletableFuture<?> issue(Op op) {
        if (op instanceof Op.Put put) {
            return target.put(put.key(), put.value());
        }
        if (op instanceof Op.Get get) {
            return target.get(get.key());
        }
        if (op instanceof Op.Cas cas) {
            return target.version(cas.key()).thenCompose(v -> target.compareAndSet(cas.key(), v, cas.value()));
        }
        if (op instanceof Op.Txn txn) {
            return target.transaction(txn.first(), txn.second(), txn.value());
        }
        if (op instanceof Op.LockCycle cycle) {
            return target.lockCycle(cycle.lock(), cycle.key(), cycle.value());
        }
        Op.Scan scan = (Op.Scan) op;
        return target.scan(scan.fromKey(), scan.limit());
    }

    /** A request's future; one that throws instead (a refused argument) becomes a failed future. */
    private static CompletableFuture<?> start(Supplier<CompletableFuture<?>> request) {
        try {
            return request.get();
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
    }

    private void finish(long startNanos, Throwable failure) {
        long endNanos = nanoClock.getAsLong();
        if (failure == null) {
            succeeded.increment();
        }
        if (!isMeasured(startNanos)) {
            return;
        }
        if (failure == null) {
            long micros = Math.max(0, (endNanos - startNanos) / 1_000);
            recorder.recordValue(Math.min(micros, LATENCY_MICROS_MAX));
        } else {
            record(startNanos, ErrorKind.of(failure));
        }
    }

    private void record(long startNanos, ErrorKind kind) {
        if (isMeasured(startNanos)) {
            failures.get(kind).increment();
        }
    }

    private boolean isMeasured(long startNanos) {
        return !frozen && startNanos >= measureStartNanos && startNanos < measureEndNanos;
    }

    /** Waits for every request in flight; those that never finish count as timeouts. */
    private void drain() throws InterruptedException {
        int clients = config.clients();
        if (permits.tryAcquire(clients, stuckMillis, TimeUnit.MILLISECONDS)) {
            permits.release(clients);
            frozen = true;
            return;
        }
        frozen = true;
        int stuck = clients - permits.availablePermits();
        failures.get(ErrorKind.TIMEOUT).add(stuck);
        progress.println("bench: " + stuck + " requests unfinished " + stuckMillis + " ms after the end count as timeouts");
    }

    private BenchResult result() {
        Histogram all;
        synchronized (measured) {
            pullInterval();
            all = measured.copy();
        }
        Map<ErrorKind, Long> counts = new EnumMap<>(ErrorKind.class);
        failures.forEach((kind, count) -> counts.put(kind, count.sum()));
        return new BenchResult(config, all.getTotalCount(), BenchResult.Latency.of(all), counts);
    }

    /** Moves what the recorder holds into {@link #measured}; the caller holds its lock. */
    private void pullInterval() {
        interval = recorder.getIntervalHistogram(interval);
        measured.add(interval);
    }

    private long errorsSoFar() {
        long errors = 0;
        for (Map.Entry<ErrorKind, LongAdder> e : failures.entrySet()) {
            errors += e.getKey().isError() ? e.getValue().sum() : 0;
        }
        return errors;
    }

    /** Each second: time since the start, ops/s in the last second, errors and p99 of the measured requests. */
    private final class ProgressLine implements Runnable {
        private final long startNanos;
        private long lastNanos;
        private long lastSucceeded;

        ProgressLine(long startNanos) {
            this.startNanos = startNanos;
            this.lastNanos = startNanos;
        }

        @Override
        public void run() {
            long nowNanos = nanoClock.getAsLong();
            long succeededNow = succeeded.sum();
            double opsPerSecond = (succeededNow - lastSucceeded) * 1e9 / Math.max(1, nowNanos - lastNanos);
            lastNanos = nowNanos;
            lastSucceeded = succeededNow;
            String p99;
            synchronized (measured) {
                pullInterval();
                p99 = measured.getTotalCount() == 0 ? "-" : BenchResult.millis(measured.getValueAtPercentile(99));
            }
            String phase = nowNanos < measureStartNanos ? " (warm-up)" : nowNanos >= measureEndNanos ? " (draining)" : "";
            String conflicts = config.workload().kind() == Workload.Kind.CAS
                    ? ", " + failures.get(ErrorKind.CAS_CONFLICT).sum() + " conflicts"
                    : config.workload().kind().transactional()
                    ? ", " + failures.get(ErrorKind.TXN_CONFLICT).sum() + " conflicts" : "";
            progress.println(String.format(Locale.ROOT, "bench %s %3ds%s: %.0f ops/s, %d errors%s, p99 %s ms",
                    config.workload().name(), Math.round((nowNanos - startNanos) / 1e9), phase, opsPerSecond,
                    errorsSoFar(), conflicts, p99));
            progress.flush();
        }
    }
}
