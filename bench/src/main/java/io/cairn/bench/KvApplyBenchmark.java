package io.cairn.bench;

import io.cairn.common.Bytes;
import io.cairn.consensus.LogEntry;
import io.cairn.kv.state.Command;
import io.cairn.kv.state.CommandEnvelope;
import io.cairn.kv.state.KvStateMachine;
import io.cairn.kv.state.Result;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.AuxCounters;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Applying committed writes: {@link KvStateMachine#apply} over a RocksDB engine ({@link ScratchMachine}).
 *
 * <p>Workload: a fresh RocksDB (default options: RocksDB's own WAL off, LZ4) in a directory under
 * {@code /tmp}, deleted afterwards. Each operation builds and applies one batch of 64 committed
 * entries, each a {@link Command.Put} of a 16-byte key and a 256-byte value (pseudo-random, so
 * LZ4 cannot shrink it to nothing) encoded with {@link CommandEnvelope}. Keys cycle through
 * 10,000 distinct keys, so after the first 157 batches every put overwrites a live key. Entry
 * indexes continue from batch to batch, as the state machine requires. The clock (the leader
 * timestamp) advances by 1 ms per batch. One {@code apply} decodes the 64 envelopes, reads each
 * key's previous record, and makes one engine write of the batch and the applied index.
 *
 * <p>{@code sessions=true} is the path of client writes: the 64 entries come from 64 clients, each
 * with its next sequence number, so apply also reads and rewrites each client's session and idle
 * index entry. {@code sessions=false} applies the same puts without sessions. Encoding the 64
 * envelopes is inside the measurement (about 64 times the {@code commandEnvelopeRoundTrip} of
 * {@link CodecBenchmark} at most), since a session's sequence numbers cannot be encoded ahead.
 *
 * <p>The score is the time per batch; the secondary result {@code entries} is the time per entry
 * (the batch time divided by 64).
 *
 * <p>Run: {@code bench/run-jmh KvApplyBenchmark} (one variant:
 * {@code bench/run-jmh KvApplyBenchmark -p sessions=true}).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class KvApplyBenchmark {
    static final int BATCH_ENTRIES = 64;
    static final int KEYS = 10_000;
    static final int KEY_BYTES = 16;
    static final int VALUE_BYTES = 256;
    /** Distinct values cycled through, so LZ4 sees varied data. */
    private static final int VALUES = 64;
    private static final long TERM = 1;
    private static final long START_MILLIS = 1_700_000_000_000L;

    @Param({"true", "false"})
    public boolean sessions;

    private ScratchMachine scratch;
    private KvStateMachine machine;
    private final Bytes[] keys = new Bytes[KEYS];
    private final Bytes[] values = new Bytes[VALUES];
    private long nextIndex;
    private long batchesApplied;
    private int nextKey;

    /** The entries applied per iteration, which JMH reports as time per entry. */
    @State(Scope.Thread)
    @AuxCounters(AuxCounters.Type.OPERATIONS)
    public static class Entries {
        public long entries;

        @Setup(Level.Iteration)
        public void reset() {
            entries = 0;
        }
    }

    @Setup(Level.Trial)
    public void open() throws IOException {
        SplittableRandom random = new SplittableRandom(42);
        for (int i = 0; i < KEYS; i++) {
            byte[] key = String.format("key-%012d", i).getBytes(StandardCharsets.US_ASCII);
            if (key.length != KEY_BYTES) {
                throw new IllegalStateException("key of " + key.length + " bytes, want " + KEY_BYTES);
            }
            keys[i] = Bytes.wrap(key);
        }
        for (int i = 0; i < VALUES; i++) {
            byte[] value = new byte[VALUE_BYTES];
            random.nextBytes(value);
            values[i] = Bytes.wrap(value);
        }
        scratch = ScratchMachine.open("cairn-bench-kv-");
        machine = scratch.machine();
        nextIndex = machine.appliedIndex() + 1;
        checkFirstBatchIsWritten();
    }

    @TearDown(Level.Trial)
    public void close() throws IOException {
        scratch.close();
    }

    @Benchmark
    public List<Result> applyBatch(Entries counter) {
        List<Result> results = machine.apply(nextBatch());
        counter.entries += BATCH_ENTRIES;
        return results;
    }

    /** A benchmark that measured rejections would be wrong silently, so the first batch is checked. */
    private void checkFirstBatchIsWritten() {
        List<Result> results = machine.apply(nextBatch());
        for (Result result : results) {
            if (!(result instanceof Result.Written)) {
                throw new IllegalStateException("a put of the benchmark was not written: " + result);
            }
        }
    }

    private List<LogEntry> nextBatch() {
        long sequence = batchesApplied + 1;
        long leaderMillis = START_MILLIS + batchesApplied;
        List<LogEntry> batch = new ArrayList<>(BATCH_ENTRIES);
        for (int i = 0; i < BATCH_ENTRIES; i++) {
            Command.Put put = new Command.Put(keys[nextKey], values[nextKey % VALUES], 0);
            nextKey = nextKey + 1 == KEYS ? 0 : nextKey + 1;
            CommandEnvelope envelope = sessions
                    ? new CommandEnvelope(i + 1, sequence, leaderMillis, put)
                    : CommandEnvelope.withoutSession(leaderMillis, put);
            batch.add(LogEntry.normal(nextIndex++, TERM, envelope.encode()));
        }
        batchesApplied++;
        return batch;
    }
}
