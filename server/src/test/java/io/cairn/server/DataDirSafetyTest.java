package io.cairn.server;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import io.cairn.api.proto.KvGrpc;
import io.cairn.api.proto.PutRequest;
import io.cairn.api.proto.StatusRequest;
import io.cairn.api.proto.ClusterGrpc;
import io.cairn.common.NodeId;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A node refuses data it cannot trust, and says exactly why, before serving anything. */
class DataDirSafetyTest {
    @TempDir
    Path dir;

    private static int freePort() throws IOException {
        return LocalPorts.free();
    }

    private ServerConfig config(NodeId id, ClusterSpec spec) {
        return ServerConfig.of(id, spec.address(id), dir.resolve("data"), spec).withTicks(10, 5);
    }

    private static ClusterSpec single() throws IOException {
        TreeMap<NodeId, String> m = new TreeMap<>();
        m.put(NodeId.of(1), "127.0.0.1:" + freePort());
        return new ClusterSpec(m);
    }

    private void writeSomeData(ClusterSpec spec) throws Exception {
        try (CairnServer server = CairnServer.start(config(NodeId.of(1), spec))) {
            ManagedChannel ch = NettyChannelBuilder.forTarget(spec.address(NodeId.of(1))).usePlaintext().build();
            try {
                awaitLeader(ClusterGrpc.newBlockingStub(ch));
                KvGrpc.KvBlockingStub kv = KvGrpc.newBlockingStub(ch);
                for (int i = 0; i < 300; i++) {
                    kv.put(PutRequest.newBuilder().setKey(ByteString.copyFromUtf8("k" + i))
                            .setValue(ByteString.copyFromUtf8("value-" + i)).build());
                }
            } finally {
                ch.shutdownNow();
            }
        }
    }

    /** Polls the node's status until it has elected itself; fails after 10 s. */
    private static void awaitLeader(ClusterGrpc.ClusterBlockingStub node) {
        StatusRequest status = StatusRequest.getDefaultInstance();
        org.awaitility.Awaitility.await("the single node elects itself").atMost(java.time.Duration.ofSeconds(10))
                .pollInterval(java.time.Duration.ofMillis(5))
                .until(() -> node.withDeadlineAfter(1, TimeUnit.SECONDS).status(status).getLeader() != 0);
    }

    @Test
    void aFlippedBitInTheMiddleOfTheLogStopsTheNodeNamingFileAndOffset() throws Exception {
        ClusterSpec spec = single();
        writeSomeData(spec);
        Path segment;
        try (var files = Files.list(dir.resolve("data/log/wal"))) {
            segment = files.filter(p -> p.toString().endsWith(".wal")).sorted().findFirst().orElseThrow();
        }
        long middle = Files.size(segment) / 2;
        try (RandomAccessFile f = new RandomAccessFile(segment.toFile(), "rw")) {
            f.seek(middle);
            int b = f.read();
            f.seek(middle);
            f.write(b ^ 0x10);
        }
        assertThatThrownBy(() -> CairnServer.start(config(NodeId.of(1), spec)))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("is corrupt")
                .hasMessageContaining(segment.getFileName().toString())
                .hasMessageContaining("at byte");
    }

    @Test
    void aDataDirOfAnotherNodeOrClusterIsRefused() throws Exception {
        ClusterSpec spec = single();
        writeSomeData(spec);
        TreeMap<NodeId, String> other = new TreeMap<>(spec.addresses());
        other.put(NodeId.of(2), "127.0.0.1:" + freePort());
        ClusterSpec otherCluster = new ClusterSpec(other);
        assertThatThrownBy(() -> CairnServer.start(config(NodeId.of(1), otherCluster)))
                .hasMessageContaining("belongs to another cluster")
                .hasMessageContaining("the cluster's founders are n1=" + spec.address(NodeId.of(1)))
                .hasMessageContaining("--initial-cluster " + otherCluster);
        assertThatThrownBy(() -> CairnServer.start(config(NodeId.of(1), spec).withShards(8)))
                .hasMessageContaining("the cluster has 1 shard").hasMessageContaining("the node was started with --shards 8")
                .hasMessageContaining("empty --data-dir");
        assertThatThrownBy(() -> CairnServer.start(config(NodeId.of(2), otherCluster)))
                .hasMessageContaining("belongs to");
    }

    @Test
    void aSecondProcessOnTheSameDataDirIsRefused() throws Exception {
        ClusterSpec spec = single();
        try (CairnServer first = CairnServer.start(config(NodeId.of(1), spec))) {
            assertThatThrownBy(() -> CairnServer.start(config(NodeId.of(1), spec)))
                    .hasMessageContaining("in use");
        }
    }

    /** Issue 12: a node that fails to start leaves no half-written identity behind. */
    @Test
    void aNodeThatFailsToStartOnANewDataDirLeavesItEmpty() throws Exception {
        ClusterSpec spec = single();
        try (ServerSocket taken = new ServerSocket()) {
            taken.bind(new java.net.InetSocketAddress("127.0.0.1", Integer.parseInt(spec.address(NodeId.of(1)).split(":")[1])));
            assertThatThrownBy(() -> CairnServer.start(config(NodeId.of(1), spec))).hasMessageContaining("cannot listen");
        }
        try (var left = Files.list(dir.resolve("data"))) {
            org.assertj.core.api.Assertions.assertThat(left.map(p -> p.getFileName().toString()).toList())
                    .as("only the lock file").containsExactly("LOCK");
        }
        try (CairnServer server = CairnServer.start(config(NodeId.of(1), spec).withShards(8))) {
            org.assertj.core.api.Assertions.assertThat(server.port()).as("the same dir, other settings").isPositive();
        }
    }
}
