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

    InProcessNodes(Path dir, int nodes, int shards) throws IOException {
        this.dir = dir;
        this.shards = shards;
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
        servers.put(id, CairnServer.start(c));
    }

    void stop(int id) {
        CairnServer s = servers.remove(id);
        if (s != null) {
            s.close();
        }
    }

    CairnClient client() {
        return CairnClient.builder().endpoints(List.copyOf(spec.addresses().values()))
                .requestTimeout(Duration.ofSeconds(10)).build();
    }

    @Override
    public void close() {
        for (int id : List.copyOf(servers.keySet())) {
            stop(id);
        }
    }
}
