package io.cairn.server;

import io.cairn.common.NodeId;
import io.cairn.kv.state.Limits;
import io.cairn.kv.state.WatchRetention;
import io.cairn.placement.Admission;
import io.cairn.placement.HashSlots;
import java.nio.file.Path;

/**
 * Everything a node needs to start. Defaults: 100 ms ticks, heartbeats every tick while a group
 * has work and every 300 ms while it is idle, elections after 1-2 s of silence.
 *
 * @param nodeId this node; must be a member of {@code initialCluster}
 * @param listenAddress host:port for clients and peers (one port serves both)
 * @param dataDir where the WAL, snapshots and RocksDB live
 * @param initialCluster the founding members and their addresses; identical on every node
 * @param tickMillis length of one Raft tick
 * @param electionTicks minimum election timeout in ticks (heartbeats every third of it: {@code RaftConfig.heartbeatTicksFor})
 * @param compactEntries compact the log once this many entries follow the last snapshot
 * @param compactBytes ...or once they hold this many bytes
 * @param limits key, value and scan limits, checked before anything is proposed
 * @param requestTimeoutMillis how long a request waits for commit or read confirmation
 * @param shards how many shards the keyspace is cut into, each a Raft group of up to three
 *               replicas; fixed when the cluster is created and identical on every node
 * @param join this node founds nothing: it registers with the metadata group (on the first
 *             founders of {@code initialCluster}) and receives its share of replicas. A new
 *             node, or the new machine of a replaced member (a founder's id included)
 * @param deadNodeTimeoutMillis a member silent this long is declared dead and its replicas are
 *                              rebuilt on the others (acted on by the metadata group's leader)
 * @param watchRetention the changes each replica keeps in memory for watches that start in the
 *                       past or resume (docs/watch.md)
 * @param txnTimeoutMillis a prepared transaction's intent older than this is aborted by the first
 *                         write that meets it, so a crashed coordinator blocks keys no longer
 *                         (docs/transactions.md)
 * @param httpListenAddress where {@code /metrics}, {@code /health} and {@code /ready} are served
 *                          (host:port); empty: not at all
 * @param httpOptional the address was not asked for but derived: if it cannot be bound, the node
 *                     says so and runs without HTTP instead of refusing to start
 * @param security TLS, authentication and what to do off loopback ({@link Security})
 */
public record ServerConfig(
        NodeId nodeId,
        String listenAddress,
        Path dataDir,
        ClusterSpec initialCluster,
        int tickMillis,
        int electionTicks,
        long compactEntries,
        long compactBytes,
        Limits limits,
        long requestTimeoutMillis,
        int shards,
        boolean join,
        long deadNodeTimeoutMillis,
        WatchRetention watchRetention,
        long txnTimeoutMillis,
        String httpListenAddress,
        boolean httpOptional,
        Security security) {


    public static final int TICK_MILLIS_DEFAULT = 100;
    public static final int ELECTION_TICKS_DEFAULT = 10;
    public static final long COMPACT_ENTRIES_DEFAULT = 10_000;
    public static final long COMPACT_BYTES_DEFAULT = 64L << 20;
    public static final long REQUEST_TIMEOUT_MILLIS_DEFAULT = 5_000;
    public static final int SHARDS_DEFAULT = 1;
    public static final long DEAD_NODE_TIMEOUT_MILLIS_DEFAULT = 5 * 60 * 1000L;
    public static final long TXN_TIMEOUT_MILLIS_DEFAULT = 2_000;

    public ServerConfig {
        if (!join && !initialCluster.contains(nodeId)) {
            throw new IllegalArgumentException("node " + nodeId + " is not in --initial-cluster " + initialCluster
                    + "; a node joining a running cluster needs --join");
        }
        // A founder's id with --join is the new machine of a founder that was replaced
        // (`cluster replace-node`): it founds nothing and receives its replicas like any joiner.
        if (join && shards == 1) {
            throw new IllegalArgumentException("--join needs a sharded cluster (--shards > 1): a single-shard"
                    + " cluster is one Raft group of its founders");
        }
        if (watchRetention == null) {
            throw new IllegalArgumentException("watchRetention is required");
        }
        if (security == null) {
            throw new IllegalArgumentException("security is required (Security.OPEN: none)");
        }
        if (httpListenAddress == null) {
            throw new IllegalArgumentException("httpListenAddress is required (empty: no HTTP)");
        }
        if (!httpListenAddress.isEmpty()) {
            ClusterSpec.parseAddress(httpListenAddress);
        }
        if (txnTimeoutMillis < 1) {
            throw new IllegalArgumentException("--txn-timeout must be positive");
        }
        if (deadNodeTimeoutMillis < 1) {
            throw new IllegalArgumentException("--dead-node-timeout must be positive");
        }
        ClusterSpec.parseAddress(listenAddress);
        if (tickMillis < 1 || electionTicks < 3) {
            throw new IllegalArgumentException("need tickMillis >= 1 and electionTicks >= 3");
        }
        if (compactEntries < 1 || compactBytes < 1 || requestTimeoutMillis < 1) {
            throw new IllegalArgumentException("compaction thresholds and request timeout must be positive");
        }
        if (shards < 1 || shards > HashSlots.SLOT_COUNT) {
            throw new IllegalArgumentException("--shards must be in [1, " + HashSlots.SLOT_COUNT + "]: " + shards);
        }
    }

    public static ServerConfig of(NodeId nodeId, String listenAddress, Path dataDir, ClusterSpec initialCluster) {
        return new ServerConfig(nodeId, listenAddress, dataDir, initialCluster, TICK_MILLIS_DEFAULT,
                ELECTION_TICKS_DEFAULT, COMPACT_ENTRIES_DEFAULT, COMPACT_BYTES_DEFAULT, Limits.DEFAULT,
                REQUEST_TIMEOUT_MILLIS_DEFAULT, SHARDS_DEFAULT, false, DEAD_NODE_TIMEOUT_MILLIS_DEFAULT,
                WatchRetention.DEFAULT, TXN_TIMEOUT_MILLIS_DEFAULT, "", false, Security.OPEN);
    }

    public ServerConfig withCompaction(long entries, long bytes) {
        return new ServerConfig(nodeId, listenAddress, dataDir, initialCluster, tickMillis, electionTicks,
                entries, bytes, limits, requestTimeoutMillis, shards, join, deadNodeTimeoutMillis, watchRetention, txnTimeoutMillis, httpListenAddress, httpOptional, security);
    }

    public ServerConfig withTicks(int tickMillis, int electionTicks) {
        return new ServerConfig(nodeId, listenAddress, dataDir, initialCluster, tickMillis, electionTicks,
                compactEntries, compactBytes, limits, requestTimeoutMillis, shards, join, deadNodeTimeoutMillis,
                watchRetention, txnTimeoutMillis, httpListenAddress, httpOptional, security);
    }

    public ServerConfig withShards(int shardCount) {
        return new ServerConfig(nodeId, listenAddress, dataDir, initialCluster, tickMillis, electionTicks,
                compactEntries, compactBytes, limits, requestTimeoutMillis, shardCount, join, deadNodeTimeoutMillis,
                watchRetention, txnTimeoutMillis, httpListenAddress, httpOptional, security);
    }

    /** A node that joins the running cluster founded by {@code initialCluster}, with its defaults. */
    public static ServerConfig ofJoiner(NodeId nodeId, String listenAddress, Path dataDir, ClusterSpec initialCluster,
                                        int shards) {
        return new ServerConfig(nodeId, listenAddress, dataDir, initialCluster, TICK_MILLIS_DEFAULT,
                ELECTION_TICKS_DEFAULT, COMPACT_ENTRIES_DEFAULT, COMPACT_BYTES_DEFAULT, Limits.DEFAULT,
                REQUEST_TIMEOUT_MILLIS_DEFAULT, shards, true, DEAD_NODE_TIMEOUT_MILLIS_DEFAULT, WatchRetention.DEFAULT, TXN_TIMEOUT_MILLIS_DEFAULT, "", false, Security.OPEN);
    }

    public ServerConfig withDeadNodeTimeout(long millis) {
        return new ServerConfig(nodeId, listenAddress, dataDir, initialCluster, tickMillis, electionTicks,
                compactEntries, compactBytes, limits, requestTimeoutMillis, shards, join, millis, watchRetention, txnTimeoutMillis, httpListenAddress, httpOptional, security);
    }

    public ServerConfig withWatchRetention(WatchRetention retention) {
        return new ServerConfig(nodeId, listenAddress, dataDir, initialCluster, tickMillis, electionTicks,
                compactEntries, compactBytes, limits, requestTimeoutMillis, shards, join, deadNodeTimeoutMillis, retention, txnTimeoutMillis, httpListenAddress, httpOptional, security);
    }

    public ServerConfig withTxnTimeout(long millis) {
        return new ServerConfig(nodeId, listenAddress, dataDir, initialCluster, tickMillis, electionTicks,
                compactEntries, compactBytes, limits, requestTimeoutMillis, shards, join, deadNodeTimeoutMillis,
                watchRetention, millis, httpListenAddress, httpOptional, security);
    }

    /** Serves HTTP at {@code address} (empty: none); {@code optional}: a derived default, skipped if taken. */
    public ServerConfig withHttpListen(String address, boolean optional) {
        return new ServerConfig(nodeId, listenAddress, dataDir, initialCluster, tickMillis, electionTicks,
                compactEntries, compactBytes, limits, requestTimeoutMillis, shards, join, deadNodeTimeoutMillis,
                watchRetention, txnTimeoutMillis, address, optional, security);
    }

    public ServerConfig withSecurity(Security s) {
        return new ServerConfig(nodeId, listenAddress, dataDir, initialCluster, tickMillis, electionTicks,
                compactEntries, compactBytes, limits, requestTimeoutMillis, shards, join, deadNodeTimeoutMillis,
                watchRetention, txnTimeoutMillis, httpListenAddress, httpOptional, s);
    }

    /** The settings every member of this node's cluster must share ({@link Admission}). */
    public Admission.Params params() {
        return new Admission.Params(shards, initialCluster.addresses(), Admission.FORMAT_VERSION);
    }
}
