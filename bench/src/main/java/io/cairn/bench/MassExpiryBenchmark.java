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
import java.util.concurrent.TimeUnit;
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
 * Removing a mass of keys that all expire at one instant, on one replica:
 * {@link KvStateMachine#nextExpiryMillis} and one {@link Command.Expire} entry at a time, as a
 * shard leader proposes them and every replica applies them, until nothing is due.
 *
 * <p>Workload: before each iteration (not measured), a fresh RocksDB under {@code /tmp} is loaded
 * through the state machine with {@code keys} puts of 16-byte keys and 100-byte values in batches
 * of 1,000, each with the TTL that brings its deadline to one common instant. The measured
 * operation is the whole drain: with the default batch bound of 1,000 keys per Expire, that is
 * {@code keys / 1000} entries. Divide the score by that for the time one Expire costs a replica's
 * apply thread. What it guards against: a cost per Expire that grows with the keys removed
 * before it (the delete markers left at the front of the deadline index, or a filter block read
 * back on every get of a large engine), which made a million due keys unmanageable.
 *
 * <p>Run: {@code bench/run-jmh MassExpiryBenchmark} (one size: {@code -p keys=1000000}).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 1)
@Measurement(iterations = 3)
@Fork(1)
public class MassExpiryBenchmark {
    private static final int LOAD_BATCH = 1_000;
    private static final long START_MILLIS = 1_700_000_000_000L;
    private static final long TERM = 1;

    @Param({"100000", "1000000"})
    public int keys;

    private ScratchMachine scratch;
    private KvStateMachine machine;
    private long nextIndex;
    private long deadlineMillis;

    @Setup(Level.Iteration)
    public void load() throws IOException {
        scratch = ScratchMachine.open("cairn-bench-expiry-");
        machine = scratch.machine();
        nextIndex = machine.appliedIndex() + 1;
        byte[] value = new byte[100];
        // One millisecond of leader time per batch; every key's TTL ends at the same instant.
        deadlineMillis = START_MILLIS + keys / LOAD_BATCH + 60_000;
        for (int from = 0; from < keys; from += LOAD_BATCH) {
            long nowMillis = START_MILLIS + from / LOAD_BATCH;
            List<LogEntry> batch = new ArrayList<>(LOAD_BATCH);
            for (int i = from; i < Math.min(keys, from + LOAD_BATCH); i++) {
                Bytes key = Bytes.wrap(String.format("key-%012d", i).getBytes(StandardCharsets.US_ASCII));
                Command.Put put = new Command.Put(key, Bytes.wrap(value), deadlineMillis - nowMillis);
                batch.add(LogEntry.normal(nextIndex++, TERM, CommandEnvelope.withoutSession(nowMillis, put).encode()));
            }
            machine.apply(batch);
        }
    }

    @TearDown(Level.Iteration)
    public void close() throws IOException {
        scratch.close();
    }

    /** Returns the keys removed, which must be all of them: a drain that stopped early would measure nothing. */
    @Benchmark
    public long drain() {
        long removed = 0;
        long nowMillis = deadlineMillis + 1;
        while (machine.nextExpiryMillis() <= nowMillis) {
            CommandEnvelope expire = CommandEnvelope.withoutSession(nowMillis, new Command.Expire(nowMillis));
            Result result = machine.apply(List.of(LogEntry.normal(nextIndex++, TERM, expire.encode()))).get(0);
            removed += ((Result.Expired) result).keysRemoved();
        }
        if (removed != keys) {
            throw new IllegalStateException("removed " + removed + " of " + keys + " due keys");
        }
        return removed;
    }
}
