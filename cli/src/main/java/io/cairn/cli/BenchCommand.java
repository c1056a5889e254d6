package io.cairn.cli;

import io.cairn.cli.bench.BenchConfig;
import io.cairn.cli.bench.BenchResult;
import io.cairn.cli.bench.BenchRunner;
import io.cairn.cli.bench.BenchTarget;
import io.cairn.cli.bench.KeyDistribution;
import io.cairn.cli.bench.Workload;
import io.cairn.client.CairnClient;
import io.cairn.client.Consistency;
import java.io.PrintWriter;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

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
                        + "scan (--scan-length keys from a random one).",
                "Exits 0 when requests succeeded, 1 when none did (the results are printed either way)."})
final class BenchCommand extends ClientCommand {
    @Parameters(index = "0", arity = "0..1", paramLabel = "WORKLOAD", description = Workload.NAMES + ".")
    String workloadArgument;

    @Option(names = "--workload", paramLabel = "WORKLOAD", description = "The workload, instead of the argument.")
    String workloadOption;

    @Option(names = "--read-ratio", paramLabel = "R", description = "mixed only: the share of reads, 0-1. Default: 0.5")
    Double readRatio;

    @Option(names = "--clients", paramLabel = "N",
            description = "Requests in flight at most (closed loop: always). Default: ${DEFAULT-VALUE}")
    int clients = 32;

    @Option(names = "--seconds", paramLabel = "S", description = "Measured time. Default: ${DEFAULT-VALUE}")
    int seconds = 10;

    @Option(names = "--warmup", paramLabel = "S", description = "Unrecorded time first. Default: ${DEFAULT-VALUE}")
    int warmupSeconds = 2;

    @Option(names = "--value-size", paramLabel = "BYTES", description = "Default: ${DEFAULT-VALUE}")
    int valueBytes = 256;

    @Option(names = "--keys", paramLabel = "N", description = "Keys to write and read. Default: ${DEFAULT-VALUE}")
    long keys = 10_000;

    @Option(names = "--key-dist", paramLabel = "DIST",
            description = "uniform, or zipfian (theta 0.99, bench/0000000000 hottest). Default: uniform")
    KeyDistribution.Kind keyDist = KeyDistribution.Kind.UNIFORM;

    @Option(names = "--rate", paramLabel = "OPS",
            description = {"Open loop: start requests on a fixed schedule of OPS per second and measure latency "
                    + "from when each was due (free of coordinated omission). Default: closed loop."})
    long ratePerSecond;

    @Option(names = "--consistency", paramLabel = "LEVEL", description = "Of the reads: linearizable (default) or eventual.")
    Consistency consistency = Consistency.LINEARIZABLE;

    @Option(names = "--cas-keys", paramLabel = "N", description = "cas only: keys contended on. Default: ${DEFAULT-VALUE}")
    int casKeys = 4;

    @Option(names = "--scan-length", paramLabel = "N", description = "scan only: keys per scan. Default: ${DEFAULT-VALUE}")
    int scanKeys = 10;

    @Option(names = "--seed", paramLabel = "N", description = "Seed of every random choice. Default: ${DEFAULT-VALUE}")
    long seed = 1;

    @Option(names = "--json", description = "Print one JSON line instead of the table.")
    boolean json;

    private BenchConfig config;

    @Override
    void validate() {
        config = new BenchConfig(workload(), clients, seconds, warmupSeconds, valueBytes, keys, keyDist,
                ratePerSecond, consistency, casKeys, scanKeys, seed, CairnCli.root(spec).timeout);
    }

    private Workload workload() {
        if (workloadArgument != null && workloadOption != null && !workloadArgument.equals(workloadOption)) {
            throw new IllegalArgumentException("two workloads given: " + workloadArgument + " and " + workloadOption);
        }
        String name = workloadArgument != null ? workloadArgument : workloadOption;
        if (name == null) {
            throw new IllegalArgumentException("a workload is required: " + Workload.NAMES);
        }
        return Workload.parse(name, readRatio);
    }

    /** Every request in flight may be a write, and each write holds a write session of its own. */
    @Override
    CairnClient newClient(CairnCli root) {
        return root.clientBuilder()
                .writeSessionsMax(Math.max(clients, CairnClient.WRITE_SESSIONS_MAX_DEFAULT))
                .build();
    }

    @Override
    int run(CairnClient client, PrintWriter out, PrintWriter err) throws InterruptedException {
        BenchResult result = new BenchRunner(config, BenchTarget.of(client, consistency), System::nanoTime, err).run();
        out.println(json ? result.toJsonLine() : result.toTable());
        out.flush();
        // A run where nothing succeeded measured nothing: say so to scripts too.
        return result.ops() > 0 ? CairnCli.EXIT_OK : CairnCli.EXIT_NEGATIVE;
    }
}
