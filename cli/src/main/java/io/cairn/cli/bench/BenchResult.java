package io.cairn.cli.bench;

import java.util.EnumMap;
import java.util.Locale;
import java.util.Map;
import org.HdrHistogram.Histogram;

/**
 * What a run measured: the successful requests started in the measured window, their latency,
 * and the failures of that window by kind.
 *
 * @param config the run's settings
 * @param ops requests that succeeded
 * @param latency their latencies in microseconds, from each request's start (its intended start
 *     in open loop); empty when {@code ops} is 0
 * @param failures requests that did not succeed, by kind; every kind present
 */
public record BenchResult(BenchConfig config, long ops, Latency latency, Map<ErrorKind, Long> failures,
                          String readBalancing, Map<String, Long> replicaReads, long ttlMillis, String nearCache) {
    /** The percentiles reported, in microseconds; all 0 when nothing succeeded. */
    public record Latency(long p50Micros, long p90Micros, long p99Micros, long p999Micros, long maxMicros) {
        public static final Latency NONE = new Latency(0, 0, 0, 0, 0);

        public static Latency of(Histogram micros) {
            if (micros.getTotalCount() == 0) {
                return NONE;
            }
            return new Latency(micros.getValueAtPercentile(50), micros.getValueAtPercentile(90),
                    micros.getValueAtPercentile(99), micros.getValueAtPercentile(99.9), micros.getMaxValue());
        }
    }

    public BenchResult(BenchConfig config, long ops, Latency latency, Map<ErrorKind, Long> failures) {
        this(config, ops, latency, failures, null, Map.of(), 0, null);
    }

    /** This result with the near cache's counters of the run: {@code entries} and its stats. */
    public BenchResult withNearCache(long entries, io.cairn.client.NearCache.Stats s) {
        String json = "{\"entries\":" + entries + ",\"hits\":" + s.hits() + ",\"misses\":" + s.misses()
                + ",\"hit_rate\":" + format("%.4f", s.hitRate()) + ",\"invalidations\":" + s.invalidations()
                + ",\"drops\":" + s.drops() + "}";
        return new BenchResult(config, ops, latency, failures, readBalancing, replicaReads, ttlMillis, json);
    }

    /** This result of a run whose writes carried a TTL of {@code millis}. */
    public BenchResult withTtl(long millis) {
        return new BenchResult(config, ops, latency, failures, readBalancing, replicaReads, millis, nearCache);
    }

    /**
     * This result with the replica reads each address answered under a read balancing policy
     * ({@code CairnClient.replicaReadsServed}), printed as the spread the policy achieved.
     */
    public BenchResult withReplicaReads(String policy, Map<String, Long> reads) {
        return new BenchResult(config, ops, latency, failures, policy, new java.util.TreeMap<>(reads), ttlMillis,
                nearCache);
    }

    public BenchResult {
        EnumMap<ErrorKind, Long> all = new EnumMap<>(ErrorKind.class);
        for (ErrorKind kind : ErrorKind.values()) {
            all.put(kind, failures.getOrDefault(kind, 0L));
        }
        failures = all;
        if (ops < 0) {
            throw new IllegalArgumentException("ops must not be negative: " + ops);
        }
        if (ops == 0 && !latency.equals(Latency.NONE)) {
            throw new IllegalArgumentException("no latency without ops: " + latency);
        }
    }

    /** Failures that count as errors: every kind but CAS conflicts. */
    public long errors() {
        long errors = 0;
        for (Map.Entry<ErrorKind, Long> e : failures.entrySet()) {
            errors += e.getKey().isError() ? e.getValue() : 0;
        }
        return errors;
    }

    public double opsPerSecond() {
        return (double) ops / config.seconds();
    }

    /**
     * One line of JSON: the fields {@code workload, clients, seconds, ops, ops_per_s, p50_ms,
     * p99_ms, p999_ms, errors} in that order, then {@code errors_by_kind} and the settings that
     * tell runs apart. Percentiles are {@code null} when nothing succeeded.
     */
    public String toJsonLine() {
        StringBuilder sb = new StringBuilder(320);
        sb.append("{\"workload\":\"").append(config.workload().name()).append('"')
                .append(",\"clients\":").append(config.clients())
                .append(",\"seconds\":").append(config.seconds())
                .append(",\"ops\":").append(ops)
                .append(",\"ops_per_s\":").append(format("%.1f", opsPerSecond()))
                .append(",\"p50_ms\":").append(jsonMillis(latency.p50Micros()))
                .append(",\"p99_ms\":").append(jsonMillis(latency.p99Micros()))
                .append(",\"p999_ms\":").append(jsonMillis(latency.p999Micros()))
                .append(",\"errors\":").append(errors())
                .append(",\"errors_by_kind\":{");
        String separator = "";
        for (Map.Entry<ErrorKind, Long> e : failures.entrySet()) {
            sb.append(separator).append('"').append(e.getKey().jsonName()).append("\":").append(e.getValue());
            separator = ",";
        }
        sb.append("},\"max_ms\":").append(jsonMillis(latency.maxMicros()))
                .append(",\"rate\":").append(config.ratePerSecond())
                .append(",\"value_size\":").append(config.valueBytes())
                .append(",\"keys\":").append(config.keysPicked())
                .append(",\"key_dist\":\"").append(config.keyDist().jsonName()).append('"');
        if (config.workload().kind().reads()) {
            sb.append(",\"consistency\":\"").append(config.consistency()).append('"');
        }
        if (ttlMillis > 0) {
            sb.append(",\"ttl_ms\":").append(ttlMillis);
        }
        if (nearCache != null) {
            sb.append(",\"near_cache\":").append(nearCache);
        }
        if (readBalancing != null) {
            sb.append(",\"read_balancing\":\"").append(readBalancing).append("\",\"replica_reads\":{");
            String sep = "";
            for (Map.Entry<String, Long> e : replicaReads.entrySet()) {
                sb.append(sep).append('"').append(e.getKey()).append("\":").append(e.getValue());
                sep = ",";
            }
            sb.append('}');
        }
        if (config.workload().kind() == Workload.Kind.MIXED) {
            sb.append(",\"read_ratio\":").append(config.workload().readRatio());
        }
        return sb.append(",\"seed\":").append(config.seed()).append('}').toString();
    }

    /** A table for people, one setting or figure per line. */
    public String toTable() {
        BenchConfig c = config;
        String mode = c.openLoop()
                ? "open loop at " + c.ratePerSecond() + " requests/s, at most " + c.clients() + " in flight"
                : "closed loop, " + c.clients() + " requests in flight";
        String reads = c.workload().kind().reads()
                ? ", " + c.consistency() + " reads" : "";
        String ratio = c.workload().kind() == Workload.Kind.MIXED
                ? format(", %.0f%% reads", c.workload().readRatio() * 100) : "";
        String row = "%-12s %s%n";
        StringBuilder sb = new StringBuilder();
        sb.append(format(row, "workload", c.workload().name() + ratio + " (" + mode + ")"));
        sb.append(format(row, "keys", c.keysPicked() + " " + c.keyDist().jsonName() + ", " + c.valueBytes()
                + "-byte values" + (ttlMillis > 0 ? " with a " + ttlMillis + " ms TTL" : "") + reads + ", seed " + c.seed()));
        sb.append(format(row, "measured", c.seconds() + " s after a " + c.warmupSeconds() + " s warm-up"));
        sb.append(format(row, "ops", ops + format(" (%.1f ops/s)", opsPerSecond())));
        sb.append(format(row, "latency ms", ops == 0 ? "- (nothing succeeded)"
                : "p50 " + millis(latency.p50Micros()) + "  p90 " + millis(latency.p90Micros())
                        + "  p99 " + millis(latency.p99Micros()) + "  p99.9 " + millis(latency.p999Micros())
                        + "  max " + millis(latency.maxMicros())));
        sb.append(format(row, "errors", errors() + " (unavailable " + failures.get(ErrorKind.UNAVAILABLE)
                + ", timeout " + failures.get(ErrorKind.TIMEOUT) + ", other " + failures.get(ErrorKind.OTHER) + ")"));
        if (nearCache != null) {
            sb.append(format(row, "near cache", nearCache));
        }
        if (readBalancing != null) {
            long total = replicaReads.values().stream().mapToLong(Long::longValue).sum();
            StringBuilder spread = new StringBuilder(readBalancing + ":");
            replicaReads.forEach((address, n) -> spread.append(format(" %s %d (%.1f%%)", address, n,
                    total == 0 ? 0.0 : 100.0 * n / total)));
            sb.append(format(row, "replicas", spread));
        }
        if (c.workload().kind() == Workload.Kind.CAS) {
            sb.append(format(row, "conflicts", failures.get(ErrorKind.CAS_CONFLICT)
                    + " compare-and-sets found another version (not errors, not ops)"));
        }
        if (c.workload().kind().transactional()) {
            long conflicts = failures.get(ErrorKind.TXN_CONFLICT);
            sb.append(format(row, "conflicts", conflicts + " transactions aborted on a conflict ("
                    + format("%.1f%%", ops + conflicts == 0 ? 0.0 : 100.0 * conflicts / (ops + conflicts))
                    + " of those that ended; not errors, not ops)"));
        }
        return sb.toString().stripTrailing();
    }

    private String jsonMillis(long micros) {
        return ops == 0 ? "null" : millis(micros);
    }

    static String millis(long micros) {
        return format("%.3f", micros / 1000.0);
    }

    private static String format(String format, Object... args) {
        return String.format(Locale.ROOT, format, args);
    }
}
