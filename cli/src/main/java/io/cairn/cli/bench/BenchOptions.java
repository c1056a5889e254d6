package io.cairn.cli.bench;

import io.cairn.client.Consistency;
import java.time.Duration;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * The options of a benchmark run, as a picocli mixin: `cairn bench` and the comparison tool
 * against other systems take exactly the same ones, with the same defaults.
 */
public final class BenchOptions {
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

    @Option(names = "--consistency", paramLabel = "LEVEL", converter = io.cairn.cli.ConsistencyConverter.class,
            description = "Of the reads: " + io.cairn.cli.ConsistencyConverter.DESCRIPTION)
    Consistency consistency = Consistency.LINEARIZABLE;

    @Option(names = "--ttl", paramLabel = "DURATION", converter = io.cairn.cli.DurationConverter.class,
            description = "Every put and compare-and-set with this TTL (e.g. 30s): the cost of TTL keys and of their"
                    + " expiry. Default: none.")
    java.time.Duration ttl = java.time.Duration.ZERO;

    @Option(names = "--near-cache", paramLabel = "ENTRIES",
            description = "get and mixed: read through a client near cache of this many entries, kept fresh by a watch"
                    + " on bench/ (reads are then eventual). The result shows its hit rate. Default: none.")
    long nearCacheEntries;

    @Option(names = "--unwatched", description = "expiry only: no watcher (see the workload's description).")
    boolean unwatched;

    @Option(names = "--read-balancing", paramLabel = "POLICY",
            description = "How BOUNDED and EVENTUAL reads spread over a shard's replicas: leader (default), round_robin,"
                    + " random, weighted (--replica-weight), least_outstanding or key_hash. The result shows how many"
                    + " reads each replica answered.")
    String readBalancing = "leader";

    @Option(names = "--replica-weight", paramLabel = "HOST:PORT=N", split = ",",
            description = "weighted only: a node's weight (default 1; 0 takes no reads while another replica can).")
    java.util.List<String> replicaWeights = new java.util.ArrayList<>();

    @Option(names = "--cas-keys", paramLabel = "N", description = "cas only: keys contended on. Default: ${DEFAULT-VALUE}")
    int casKeys = 4;

    @Option(names = "--locks", paramLabel = "N", description = "lock only: lock names contended on. Default: ${DEFAULT-VALUE}")
    int locks = 1;

    @Option(names = "--hold-ms", paramLabel = "MS", description = "lock only: how long each lock is held after its"
            + " fenced write. Default: ${DEFAULT-VALUE}")
    long holdMillis;

    @Option(names = "--unlock-with-write", description = "lock only: the fenced write releases the lock in its own"
            + " entry (SessionLock.putAndUnlock): two entries a cycle instead of three; --hold-ms then holds"
            + " before the write")
    boolean unlockWithWrite;

    @Option(names = "--scan-length", paramLabel = "N", description = "scan only: keys per scan. Default: ${DEFAULT-VALUE}")
    int scanKeys = 10;

    @Option(names = "--seed", paramLabel = "N", description = "Seed of every random choice. Default: ${DEFAULT-VALUE}")
    long seed = 1;

    @Option(names = "--json", description = "Print one JSON line instead of the table.")
    boolean json;

    /** Throws IllegalArgumentException for a bad or missing workload or an out-of-range number. */
    public BenchConfig toConfig(Duration requestTimeout) {
        Workload w = workload();
        return new BenchConfig(w, clients, seconds, warmupSeconds, valueBytes, keys, keyDist,
                ratePerSecond, consistency(), w.kind() == Workload.Kind.LOCK ? locks : casKeys, scanKeys, seed, requestTimeout);
    }

    public boolean unlockWithWrite() {
        return unlockWithWrite;
    }

    /** How long the lock workload holds each lock after its write. */
    public java.time.Duration lockHold() {
        if (holdMillis < 0 || holdMillis > 60_000) {
            throw new IllegalArgumentException("--hold-ms must be in [0, 60000]: " + holdMillis);
        }
        return java.time.Duration.ofMillis(holdMillis);
    }

    public int clients() {
        return clients;
    }

    /** Whether the run is {@code bench watch} ({@link WatchBench}), which takes only some options. */
    public boolean expiryWorkload() {
        return "expiry".equals(workloadArgument != null ? workloadArgument : workloadOption);
    }

    /** Whether the run is {@code bench sessions} ({@link SessionsBench}). */
    public boolean sessionsWorkload() {
        return "sessions".equals(workloadArgument != null ? workloadArgument : workloadOption);
    }

    /** Whether the run is {@code bench aggregate} ({@link AggregateBench}). */
    public boolean aggregateWorkload() {
        return "aggregate".equals(workloadArgument != null ? workloadArgument : workloadOption);
    }

    public boolean unwatched() {
        return unwatched;
    }

    public long keys() {
        return keys;
    }

    public boolean watchWorkload() {
        return "watch".equals(workloadArgument != null ? workloadArgument : workloadOption);
    }

    public int seconds() {
        return seconds;
    }

    public int warmupSeconds() {
        return warmupSeconds;
    }

    public long ratePerSecond() {
        return ratePerSecond;
    }

    public int valueBytes() {
        return valueBytes;
    }

    public io.cairn.client.ReadBalancing readBalancing() {
        try {
            return io.cairn.client.ReadBalancing.valueOf(readBalancing.trim().toUpperCase(java.util.Locale.ROOT).replace('-', '_'));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("--read-balancing '" + readBalancing + "' is not one of leader, round_robin,"
                    + " random, weighted, least_outstanding, key_hash");
        }
    }

    /** {@code --replica-weight} as address to weight. */
    public java.util.Map<String, Integer> replicaWeights() {
        java.util.Map<String, Integer> out = new java.util.LinkedHashMap<>();
        for (String w : replicaWeights) {
            int eq = w.lastIndexOf('=');
            if (eq < 1) {
                throw new IllegalArgumentException("--replica-weight '" + w + "' must be HOST:PORT=N");
            }
            try {
                out.put(w.substring(0, eq).trim(), Integer.parseInt(w.substring(eq + 1).trim()));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("--replica-weight '" + w + "': N must be a whole number");
            }
        }
        if (!out.isEmpty() && readBalancing() != io.cairn.client.ReadBalancing.WEIGHTED) {
            throw new IllegalArgumentException("--replica-weight applies to --read-balancing weighted only");
        }
        return out;
    }

    public long nearCacheEntries() {
        if (nearCacheEntries < 0) {
            throw new IllegalArgumentException("--near-cache must be at least 1 entry, got " + nearCacheEntries);
        }
        return nearCacheEntries;
    }

    public java.time.Duration ttl() {
        return ttl;
    }

    /** The reads' level: EVENTUAL through a near cache, whatever --consistency said. */
    public Consistency consistency() {
        return nearCacheEntries > 0 ? Consistency.EVENTUAL : consistency;
    }

    public boolean json() {
        return json;
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
}
