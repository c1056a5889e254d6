package io.cairn.cli.bench;

import io.cairn.client.AggregateQuery;
import io.cairn.client.AggregateResult;
import io.cairn.client.CairnClient;
import io.cairn.client.Consistency;
import io.cairn.client.Txn;
import io.cairn.client.TxnOp;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * {@code cairn bench aggregate}: how many keys a second an aggregation gets through, and what
 * the consistent cut costs. It makes sure {@code --keys} keys exist under {@code aggbench/}
 * (value = the key's number; written 128 to a one-shard transaction by {@code --clients}
 * writers, and skipped when a count finds them all already), then runs {@code sum} over the
 * prefix back to back for {@code --seconds} at LINEARIZABLE (one cut) and as long at EVENTUAL,
 * and reports per level the runs, median and worst time, keys per second at the median, and
 * rounds. Nothing writes meanwhile, so a cut takes one round: the cost measured is the check's.
 */
public final class AggregateBench {
    static final String PREFIX = "aggbench/";
    /** Keys per loading transaction: the server's limit of operations per branch. */
    private static final int KEYS_PER_TXN = 128;
    private static final Duration RUN_DEADLINE = Duration.ofMinutes(5);

    /** One level's runs. */
    public record Level(String name, int runs, double p50Millis, double maxMillis, double keysPerSecond, int roundsMax) {
        String json() {
            return String.format(Locale.ROOT, "{\"runs\":%d,\"p50_ms\":%.1f,\"max_ms\":%.1f,\"keys_per_s\":%.0f,"
                    + "\"rounds_max\":%d}", runs, p50Millis, maxMillis, keysPerSecond, roundsMax);
        }
    }

    /** What a run measured. */
    public record Result(long keys, double loadSeconds, int shards, Level linearizable, Level eventual) {
        public String toJsonLine() {
            return String.format(Locale.ROOT, "{\"workload\":\"aggregate\",\"keys\":%d,\"load_s\":%.1f,\"shards\":%d,"
                    + "\"linearizable\":%s,\"eventual\":%s}", keys, loadSeconds, shards, linearizable.json(), eventual.json());
        }

        public String toTable() {
            StringBuilder sb = new StringBuilder(String.format(Locale.ROOT,
                    "aggregate: sum over %,d keys on %d shards (loaded in %.1f s)%n", keys, shards, loadSeconds));
            sb.append(String.format(Locale.ROOT, "%-13s %6s %10s %10s %14s %7s%n", "LEVEL", "RUNS", "P50_MS", "MAX_MS",
                    "KEYS/S", "ROUNDS"));
            for (Level l : List.of(linearizable, eventual)) {
                sb.append(String.format(Locale.ROOT, "%-13s %6d %10.1f %10.1f %,14.0f %7d%n", l.name(), l.runs(),
                        l.p50Millis(), l.maxMillis(), l.keysPerSecond(), l.roundsMax()));
            }
            return sb.toString().stripTrailing();
        }
    }

    private AggregateBench() {}

    public static Result run(CairnClient client, long keys, int writers, int seconds, PrintWriter err)
            throws InterruptedException {
        if (keys < 1 || keys > 100_000_000) {
            throw new IllegalArgumentException("--keys must be 1 to 100,000,000 for the aggregate workload: " + keys);
        }
        long loadStart = System.nanoTime();
        AggregateResult present = client.aggregate(AggregateQuery.of("count").withPrefix(PREFIX)
                .withConsistency(Consistency.EVENTUAL).withDeadline(RUN_DEADLINE));
        if (!present.value().equals(Long.toString(keys))) {
            load(client, keys, Math.max(1, writers), err);
        } else {
            err.printf("bench aggregate: %,d keys already under %s%n", keys, PREFIX);
        }
        double loadSeconds = (System.nanoTime() - loadStart) / 1e9;
        Level linearizable = measure(client, "linearizable", Consistency.LINEARIZABLE, keys, seconds, err);
        Level eventual = measure(client, "eventual", Consistency.EVENTUAL, keys, seconds, err);
        return new Result(keys, loadSeconds, client.shards().shardCount(), linearizable, eventual);
    }

    private static void load(CairnClient client, long keys, int writers, PrintWriter err) throws InterruptedException {
        long batches = (keys + KEYS_PER_TXN - 1) / KEYS_PER_TXN;
        AtomicLong next = new AtomicLong();
        AtomicLong written = new AtomicLong();
        ExecutorService pool = Executors.newFixedThreadPool(writers);
        List<Future<?>> done = new ArrayList<>();
        for (int w = 0; w < writers; w++) {
            done.add(pool.submit(() -> {
                for (long b = next.getAndIncrement(); b < batches; b = next.getAndIncrement()) {
                    Txn txn = client.txn();
                    for (long i = b * KEYS_PER_TXN; i < Math.min(keys, (b + 1) * KEYS_PER_TXN); i++) {
                        // One {tag} per batch: its keys share a shard, so the batch is one Raft entry.
                        byte[] key = (PREFIX + "{" + b + "}/" + i).getBytes(StandardCharsets.US_ASCII);
                        txn.then(new TxnOp.Put(key, Long.toString(i).getBytes(StandardCharsets.US_ASCII), Duration.ZERO));
                    }
                    txn.commit();
                    written.addAndGet(Math.min(keys, (b + 1) * KEYS_PER_TXN) - b * KEYS_PER_TXN);
                }
                return null;
            }));
        }
        pool.shutdown();
        while (!pool.awaitTermination(1, TimeUnit.SECONDS)) {
            err.printf("bench aggregate: loading, %,d of %,d keys written%n", written.get(), keys);
            err.flush();
        }
        for (Future<?> f : done) {
            try {
                f.get();
            } catch (java.util.concurrent.ExecutionException e) {
                throw new IllegalStateException("loading failed: " + e.getCause(), e.getCause());
            }
        }
    }

    private static Level measure(CairnClient client, String name, Consistency level, long keys, int seconds,
                                 PrintWriter err) {
        List<Double> millis = new ArrayList<>();
        int roundsMax = 0;
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        do {
            long start = System.nanoTime();
            AggregateResult r = client.aggregate(AggregateQuery.of("sum").withPrefix(PREFIX).withConsistency(level)
                    .withDeadline(RUN_DEADLINE));
            double took = (System.nanoTime() - start) / 1e6;
            if (r.partial() || r.keys() != keys) {
                throw new IllegalStateException("a " + name + " sum saw " + r.keys() + " keys of " + keys
                        + (r.partial() ? ", partial: " + r.missing() : ""));
            }
            millis.add(took);
            roundsMax = Math.max(roundsMax, r.attempts());
            err.printf("bench aggregate: %s sum over %,d keys in %.1f ms%n", name, keys, took);
            err.flush();
        } while (System.nanoTime() < end);
        List<Double> sorted = millis.stream().sorted().toList();
        double p50 = sorted.get(sorted.size() / 2);
        return new Level(name, sorted.size(), p50, sorted.get(sorted.size() - 1), keys / (p50 / 1000), roundsMax);
    }
}
