package io.cairn.cli;

import io.cairn.cli.bench.BenchConfig;
import io.cairn.cli.bench.BenchOptions;
import io.cairn.cli.bench.BenchResult;
import io.cairn.cli.bench.BenchRunner;
import io.cairn.cli.bench.BenchTarget;
import io.cairn.cli.bench.WatchBench;
import io.cairn.client.CairnClient;
import java.io.PrintWriter;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/** {@code cairn bench}: a load generator; see {@link io.cairn.cli.bench}. */
@Command(name = "bench", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Loads the cluster for --seconds after a --warmup and reports throughput, latency "
                + "percentiles and errors by kind: a table, or with --json one line:",
                "{\"workload\":\"put\",\"clients\":32,\"seconds\":10,\"ops\":123456,\"ops_per_s\":12345.6,"
                        + "\"p50_ms\":1.2,\"p99_ms\":3.4,\"p999_ms\":5.6,\"errors\":0,\"errors_by_kind\":{...},...}",
                "A progress line goes to stderr each second. Keys are bench/0000000000 on; get, mixed and "
                        + "scan first write all --keys of them.",
                "Workloads: put (writes), get (reads), mixed (--read-ratio reads, the rest updates), "
                        + "mixed-a (YCSB A: 50%% reads), mixed-b (YCSB B: 95%% reads), cas (read a version, then "
                        + "compare-and-set it, on --cas-keys keys; conflicts are counted apart from errors), "
                        + "scan (--scan-length keys from a random one),"
                        + " txn (a transaction reading two keys and writing both, keys of any shards: cross-shard commits"
                        + " with several shards), txn-local (the same on two keys sharing a {tag}: one shard, one Raft round);"
                        + " aborted transactions are counted apart from errors; lock (a cycle: take one of --locks locks"
                        + " through a session, waiting in line, put a key fenced by its token, hold it --hold-ms, release).",
                "expiry: --keys keys written with TTLs that bring every deadline to one instant; reports how fast"
                        + " a watcher sees them expire and --clients writers' puts/s before and during (--json: one line);"
                        + " --unwatched: nobody watches, the writers are measured over the design drain time (10,000/s)"
                        + " and the keys left are counted after.",
                "sessions: opens --keys lock sessions (one lock each, TTL --ttl, default 10s), keeps them alive from"
                        + " this process, then stops keeping --rate of them alive per second (default 1000) for --seconds"
                        + " while --clients writers put; reports puts/s before and during, how long after its last keep-alive"
                        + " a session's lock was freed, and the locks left (--json: one line). Plaintext clusters only.",
                "watch: --clients watchers follow one prefix while one writer puts --rate changes per second "
                        + "(default 200); reports the time from each write to each watcher (p50/p99/p99.9/max), the "
                        + "writes' own latency, and changes never delivered (--json: one line).",
                "aggregate: makes sure --keys keys exist under aggbench/ (written 128 to a one-shard transaction by"
                        + " --clients writers), then sums them back to back for --seconds at linearizable (one consistent"
                        + " cut) and as long at eventual; reports runs, median and worst time, keys per second and rounds"
                        + " per level (--json: one line).",
                "Exits 0 when requests succeeded, 1 when none did (the results are printed either way)."})
final class BenchCommand extends ClientCommand {
    @Mixin
    BenchOptions options;

    private BenchConfig config;

    @Override
    void validate() {
        if (!options.watchWorkload() && !options.expiryWorkload() && !options.aggregateWorkload()
                && !options.sessionsWorkload()) {
            config = options.toConfig(CairnCli.root(spec).timeout);
        }
        options.replicaWeights();
    }

    /** Every request in flight may be a write, and each write holds a write session of its own. */
    @Override
    CairnClient newClient(CairnCli root) {
        return root.clientBuilder()
                .writeSessionsMax(Math.max(options.clients(), CairnClient.WRITE_SESSIONS_MAX_DEFAULT))
                .readBalancing(options.readBalancing())
                .replicaWeights(options.replicaWeights())
                .build();
    }

    @Override
    int run(CairnClient client, PrintWriter out, PrintWriter err) throws InterruptedException {
        if (options.expiryWorkload()) {
            io.cairn.cli.bench.ExpiryBench.Result r = io.cairn.cli.bench.ExpiryBench.run(client, options.keys(),
                    options.clients(), options.unwatched(), err);
            out.println(options.json() ? r.toJsonLine() : r.toTable());
            out.flush();
            return r.expired() > 0 ? CairnCli.EXIT_OK : CairnCli.EXIT_NEGATIVE;
        }
        if (options.sessionsWorkload()) {
            java.time.Duration ttl = options.ttl().isZero() ? java.time.Duration.ofSeconds(10) : options.ttl();
            io.cairn.cli.bench.SessionsBench.Result r = io.cairn.cli.bench.SessionsBench.run(client, options.keys(),
                    options.clients(), options.ratePerSecond(), ttl, options.seconds(), err);
            out.println(options.json() ? r.toJsonLine() : r.toTable());
            out.flush();
            return r.locksLeft() == r.locksExpected() ? CairnCli.EXIT_OK : CairnCli.EXIT_NEGATIVE;
        }
        if (options.aggregateWorkload()) {
            io.cairn.cli.bench.AggregateBench.Result r = io.cairn.cli.bench.AggregateBench.run(client, options.keys(),
                    options.clients(), options.seconds(), err);
            out.println(options.json() ? r.toJsonLine() : r.toTable());
            out.flush();
            return CairnCli.EXIT_OK;
        }
        if (options.watchWorkload()) {
            WatchBench.Result r = WatchBench.run(client, options.clients(), options.seconds(), options.warmupSeconds(),
                    options.ratePerSecond() == 0 ? 200 : options.ratePerSecond(), options.valueBytes(), err);
            out.println(options.json() ? r.toJsonLine() : r.toTable());
            out.flush();
            return r.writes() > 0 ? CairnCli.EXIT_OK : CairnCli.EXIT_NEGATIVE;
        }
        io.cairn.client.NearCache nearCache = options.nearCacheEntries() > 0
                ? client.nearCache("bench/", options.nearCacheEntries())
                : null;
        BenchResult result;
        try {
            result = new BenchRunner(config, BenchTarget.of(client, options.consistency(), options.ttl(), nearCache,
                    options.lockHold(), options.unlockWithWrite()),
                    System::nanoTime, err).run().withTtl(options.ttl().toMillis());
            if (nearCache != null) {
                result = result.withNearCache(options.nearCacheEntries(), nearCache.stats());
            }
        } finally {
            if (nearCache != null) {
                nearCache.close();
            }
        }
        if (options.readBalancing() != io.cairn.client.ReadBalancing.LEADER && options.consistency().replicaRead()) {
            result = result.withReplicaReads(options.readBalancing().name().toLowerCase(java.util.Locale.ROOT),
                    client.replicaReadsServed());
        }
        out.println(options.json() ? result.toJsonLine() : result.toTable());
        out.flush();
        // A run where nothing succeeded measured nothing: say so to scripts too.
        return result.ops() > 0 ? CairnCli.EXIT_OK : CairnCli.EXIT_NEGATIVE;
    }
}
