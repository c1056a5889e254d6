package io.cairn.cli.bench;

import java.util.Locale;

/**
 * What a run's requests do. The names {@code mixed-a} and {@code mixed-b} are YCSB's workloads
 * A (50% reads, 50% updates) and B (95% reads, 5% updates).
 *
 * @param name the name the run was asked for, as printed in its results
 * @param kind the requests
 * @param readRatio for {@link Kind#MIXED}, the share of reads in {@code [0, 1]}; 0 otherwise
 */
public record Workload(String name, Kind kind, double readRatio) {
    public static final double READ_RATIO_A = 0.5;
    public static final double READ_RATIO_B = 0.95;
    public static final String NAMES = "put, get, mixed, mixed-a, mixed-b, cas, scan, txn, txn-local, lock";

    public enum Kind {
        /** Writes of the chosen key. */
        PUT,
        /** Reads of preloaded keys. */
        GET,
        /** Reads and updates of preloaded keys, {@code readRatio} of them reads. */
        MIXED,
        /** Read a key's version, then compare-and-set it: contended on a few keys. */
        CAS,
        /** A short scan from a preloaded key. */
        SCAN,
        /**
         * A transaction reading two keys and writing both (a transfer): keys of any shards, so with
         * several shards most commit across shards (two-phase).
         */
        TXN,
        /** The same on two keys sharing a {@code {tag}}: one shard, one Raft round. */
        TXN_LOCAL,
        /**
         * A lock cycle: take one of a few locks (waiting in line), write a key under it fenced by
         * its token, release it.
         */
        LOCK;

        /** Whether the run first writes every key, so that reads find them. */
        public boolean needsPreload() {
            return this == GET || this == MIXED || this == SCAN;
        }

        public boolean transactional() {
            return this == TXN || this == TXN_LOCAL;
        }

        /** Whether the run reads, so that its consistency level matters. */
        public boolean reads() {
            return this != PUT && this != LOCK;
        }

        /** Whether the run contends on a few keys (or locks) rather than spreading over many. */
        public boolean contended() {
            return this == CAS || this == LOCK;
        }
    }

    public Workload {
        if (!(readRatio >= 0 && readRatio <= 1)) {
            throw new IllegalArgumentException("--read-ratio must be in [0, 1]: " + readRatio);
        }
        if (kind != Kind.MIXED && readRatio != 0) {
            throw new IllegalArgumentException("only mixed workloads have a read ratio");
        }
    }

    /**
     * The workload called {@code name} (one of {@link #NAMES}), with {@code readRatio} (null:
     * not given), which only {@code mixed} takes; {@code mixed} alone reads half the time.
     */
    public static Workload parse(String name, Double readRatio) {
        String n = name.trim().toLowerCase(Locale.ROOT);
        Workload preset = switch (n) {
            case "put" -> new Workload(n, Kind.PUT, 0);
            case "get" -> new Workload(n, Kind.GET, 0);
            case "cas" -> new Workload(n, Kind.CAS, 0);
            case "scan" -> new Workload(n, Kind.SCAN, 0);
            case "txn" -> new Workload(n, Kind.TXN, 0);
            case "txn-local" -> new Workload(n, Kind.TXN_LOCAL, 0);
            case "lock" -> new Workload(n, Kind.LOCK, 0);
            case "mixed-a" -> new Workload(n, Kind.MIXED, READ_RATIO_A);
            case "mixed-b" -> new Workload(n, Kind.MIXED, READ_RATIO_B);
            case "mixed" -> new Workload(n, Kind.MIXED, readRatio == null ? READ_RATIO_A : readRatio);
            default -> throw new IllegalArgumentException("unknown workload '" + name + "'; use one of " + NAMES);
        };
        if (readRatio != null && preset.kind != Kind.MIXED) {
            throw new IllegalArgumentException("--read-ratio applies to mixed workloads only, not " + n);
        }
        if (readRatio != null && preset.readRatio != readRatio) {
            throw new IllegalArgumentException(n + " reads " + preset.readRatio + " of the time; --read-ratio "
                    + readRatio + " contradicts it (use 'mixed --read-ratio R' for another ratio)");
        }
        return preset;
    }
}
