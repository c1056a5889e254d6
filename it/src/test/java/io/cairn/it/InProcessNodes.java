package io.cairn.it;

import io.cairn.client.CairnClient;
import io.cairn.common.NodeId;
import io.cairn.server.CairnServer;
import io.cairn.server.ClusterSpec;
import io.cairn.server.ServerConfig;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.TreeMap;

/**
 * Cairn nodes in this JVM on 127.0.0.1 (fast to start; for faults that need real processes,
 * {@link LocalCluster}): short ticks, real RocksDB and WAL under {@code dir}, real sockets.
 */
final class InProcessNodes implements AutoCloseable {
    final ClusterSpec spec;
    private final Path dir;
    private final int shards;
    private final TreeMap<Integer, CairnServer> servers = new TreeMap<>();
    private final java.util.function.UnaryOperator<ServerConfig> tweak;
    private final boolean faultInjection;

    InProcessNodes(Path dir, int nodes, int shards) throws IOException {
        this(dir, nodes, shards, c -> c, false);
    }

    /** Nodes whose config {@code tweak} adjusts, serving fault control when {@code faultInjection}. */
    InProcessNodes(Path dir, int nodes, int shards, java.util.function.UnaryOperator<ServerConfig> tweak,
                   boolean faultInjection) throws IOException {
        this.dir = dir;
        this.shards = shards;
        this.tweak = tweak;
        this.faultInjection = faultInjection;
        TreeMap<NodeId, String> m = new TreeMap<>();
        for (int i = 1; i <= nodes; i++) {
            m.put(NodeId.of(i), "127.0.0.1:" + io.cairn.server.LocalPorts.free());
        }
        this.spec = new ClusterSpec(m);
    }

    InProcessNodes startAll() throws IOException {
        for (NodeId id : spec.addresses().keySet()) {
            start((int) id.value());
        }
        return this;
    }

    void start(int id) throws IOException {
        ServerConfig c = ServerConfig.of(NodeId.of(id), spec.address(NodeId.of(id)), dir.resolve("n" + id), spec)
                .withTicks(20, 10).withShards(shards);
        servers.put(id, CairnServer.start(tweak.apply(c), faultInjection));
    }

    void stop(int id) {
        CairnServer s = servers.remove(id);
        if (s != null) {
            s.close();
        }
    }

    /** Intents and transaction records all running nodes' replicas hold (each replica's copy counts). */
    long transactionLeftovers() {
        return servers.values().stream().mapToLong(CairnServer::transactionLeftovers).sum();
    }

    /** Node {@code id}'s HTTP port ({@code /metrics}, {@code /health}, {@code /ready}); -1: none. */
    int httpPort(int id) {
        return servers.get(id).httpPort();
    }

    /** Sets node {@code address}'s faults through its fault-control service (nodes started with fault injection). */
    static void setFaults(String address, io.cairn.api.proto.Faults faults) {
        io.grpc.ManagedChannel ch = io.grpc.ManagedChannelBuilder.forTarget(address).usePlaintext().build();
        try {
            io.cairn.api.proto.FaultControlGrpc.newBlockingStub(ch).withDeadlineAfter(5, java.util.concurrent.TimeUnit.SECONDS)
                    .set(faults);
        } finally {
            ch.shutdownNow();
        }
    }

    CairnClient client() {
        return CairnClient.builder().endpoints(List.copyOf(spec.addresses().values()))
                .requestTimeout(Duration.ofSeconds(10)).build();
    }

    /**
     * {@code count} keys named {@code prefix} + a number, key i in shard i mod {@code shards}, so
     * that a workload over them spans every shard.
     */
    static List<String> keysOverShards(String prefix, int count, int shards) {
        io.cairn.placement.ShardMap map = io.cairn.placement.ShardMap.of(shards);
        List<String> names = new java.util.ArrayList<>();
        for (int n = 0; names.size() < count; n++) {
            String name = prefix + n;
            if (map.shardOfKey(name.getBytes(java.nio.charset.StandardCharsets.UTF_8)) == names.size() % shards) {
                names.add(name);
            }
        }
        return List.copyOf(names);
    }

    @Override
    public void close() {
        for (int id : List.copyOf(servers.keySet())) {
            stop(id);
        }
    }
}
