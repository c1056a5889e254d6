package io.cairn.bench;

import io.cairn.common.Bytes;
import io.cairn.common.GroupId;
import io.cairn.wal.Wal;
import io.cairn.wal.WalRecord;
import io.cairn.wal.WalStats;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.Control;

/**
 * Durable appends to the node's {@link Wal} on the real file system, with group commit.
 *
 * <p>Workload: one WAL, opened with the default options in a fresh directory under {@code /tmp}
 * (see {@link BenchDirs} to put it elsewhere) and deleted afterwards. Each operation appends a
 * batch of one record with a 300-byte payload and blocks until it is durable
 * ({@link Wal#appendAndSync}). Every writer thread is its own consensus group with increasing
 * indexes, as groups sharing a node's WAL would be. The three benchmarks differ only in the
 * number of concurrent writers:
 * <ul>
 *   <li>{@code writers01}: one writer, so every append pays a whole fdatasync: the disk's
 *       fdatasync rate is the ceiling;</li>
 *   <li>{@code writers08} and {@code writers64}: 8 and 64 writers, whose appends queue while an
 *       fdatasync runs and then share the next one.</li>
 * </ul>
 * The score is durable appends per second across all writers. After each iteration a
 * {@code wal-stats} line gives the WAL's own counters over that iteration's measured window:
 * appends, fdatasyncs, appends per fdatasync (the group-commit ratio; 1.0 means no sharing), and
 * appends per second by those counters, a cross-check of the score.
 *
 * <p>Why the writers look at JMH's {@link Control}: the thread that becomes the WAL's writer
 * keeps writing for the others until the queue is empty (see {@link Wal}), and with many writers
 * on few cores it can stay the writer for a whole iteration. JMH then waits for it while the
 * other threads go on appending in its ramp-down, which kept the queue full and an iteration
 * running for many seconds unmeasured. So once measurement has stopped, a writer that has
 * appended during the window returns at once instead of appending. JMH sums per-thread rates, and
 * a writer held for most of a window completes almost nothing of its own in it, so with many
 * writers the score and the {@code wal-stats} rate (every durable append in the window, over the
 * window) can differ somewhat; the latter is the one to trust then.
 *
 * <p>Run: {@code bench/run-jmh WalGroupCommitBenchmark} (one writer count, e.g.
 * {@code bench/run-jmh 'WalGroupCommitBenchmark.writers64'}). On a machine whose {@code /tmp} is
 * a tmpfs add {@code -jvmArgsAppend -Dcairn.bench.dir=/path/on/disk}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class WalGroupCommitBenchmark {
    static final int PAYLOAD_BYTES = 300;
    private static final byte RECORD_KIND = 1;

    private Path dir;
    private Wal wal;
    /** The WAL's counters when the first thread saw the measured window open, then close. */
    private final AtomicReference<Sample> windowStart = new AtomicReference<>();
    private final AtomicReference<Sample> windowEnd = new AtomicReference<>();

    /** The WAL's counters at a moment. */
    private record Sample(WalStats stats, long nanos) {}

    /** One writer: a consensus group of its own, appending at increasing indexes. */
    @State(Scope.Thread)
    public static class Writer {
        /** Groups are never reused within the JVM, so no two writers of one WAL share one. */
        private static final AtomicLong NEXT_GROUP_ID = new AtomicLong(1);

        private GroupId group;
        private long nextIndex;
        private Bytes payload;
        /** Whether this thread began an append after this iteration's measurement started. */
        private boolean appendedInWindow;

        @Setup(Level.Trial)
        public void setUp() {
            group = new GroupId(NEXT_GROUP_ID.getAndIncrement());
            nextIndex = 1;
            byte[] data = new byte[PAYLOAD_BYTES];
            for (int i = 0; i < data.length; i++) {
                data[i] = (byte) (group.value() * 31 + i);
            }
            payload = Bytes.wrap(data);
        }

        @Setup(Level.Iteration)
        public void resetIteration() {
            appendedInWindow = false;
        }

        List<WalRecord> nextBatch() {
            return List.of(new WalRecord(group, RECORD_KIND, nextIndex++, payload));
        }
    }

    @Setup(Level.Trial)
    public void openWal() throws IOException {
        dir = BenchDirs.create("cairn-bench-wal-");
        wal = Wal.open(dir, record -> {
            throw new IllegalStateException("a fresh WAL directory replayed a record: " + record);
        });
        System.out.printf("%nwal-dir: %s (%s)%n", dir, BenchDirs.fileStoreType(dir));
    }

    @Setup(Level.Iteration)
    public void resetWindow() {
        windowStart.set(null);
        windowEnd.set(null);
    }

    @TearDown(Level.Iteration)
    public void printWindowStats() {
        Sample start = windowStart.get();
        // A lone writer has no ramp-down in which to see the window close: it closed just now.
        Sample end = windowEnd.get() == null ? sample() : windowEnd.get();
        if (start == null) {
            System.out.println("wal-stats: no append began inside the measured window");
            return;
        }
        WalStats window = delta(start.stats(), end.stats());
        double seconds = (end.nanos() - start.nanos()) / 1e9;
        System.out.println(describe("wal-stats (measured window)", window)
                + String.format(Locale.ROOT, ", %.0f appends/s", window.appendCalls() / seconds));
    }

    @TearDown(Level.Trial)
    public void closeWal() throws IOException {
        try {
            wal.close();
            System.out.println(describe("wal-stats (trial)", wal.stats()));
        } finally {
            BenchDirs.deleteRecursively(dir);
        }
    }

    @Benchmark
    @Threads(1)
    public void writers01(Writer writer, Control control) throws IOException {
        appendDurably(writer, control);
    }

    @Benchmark
    @Threads(8)
    public void writers08(Writer writer, Control control) throws IOException {
        appendDurably(writer, control);
    }

    @Benchmark
    @Threads(64)
    public void writers64(Writer writer, Control control) throws IOException {
        appendDurably(writer, control);
    }

    private void appendDurably(Writer writer, Control control) throws IOException {
        // In the ramp-down, appending would only keep the current WAL writer busy (class doc).
        if (control.stopMeasurement && writer.appendedInWindow) {
            if (windowEnd.get() == null) {
                windowEnd.compareAndSet(null, sample());
            }
            return;
        }
        // Read before the append: one that began in the ramp-up does not count as in the window.
        boolean started = control.startMeasurement;
        if (started && !control.stopMeasurement && windowStart.get() == null) {
            windowStart.compareAndSet(null, sample());
        }
        wal.appendAndSync(writer.nextBatch());
        if (started) {
            writer.appendedInWindow = true;
        }
    }

    private Sample sample() {
        return new Sample(wal.stats(), System.nanoTime());
    }

    private static WalStats delta(WalStats from, WalStats to) {
        return new WalStats(to.appendCalls() - from.appendCalls(), to.records() - from.records(),
                to.bytesWritten() - from.bytesWritten(), to.dataSyncs() - from.dataSyncs(),
                to.segmentsCreated() - from.segmentsCreated());
    }

    private static String describe(String label, WalStats stats) {
        double appendsPerSync = stats.dataSyncs() == 0 ? 0 : (double) stats.appendCalls() / stats.dataSyncs();
        return String.format(Locale.ROOT, "%s: %d appends, %d fdatasyncs, %.2f appends per fdatasync, %d bytes",
                label, stats.appendCalls(), stats.dataSyncs(), appendsPerSync, stats.bytesWritten());
    }
}
