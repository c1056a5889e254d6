package io.cairn.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import io.cairn.api.proto.ErrorDetail;
import io.cairn.api.proto.GetRequest;
import io.cairn.api.proto.KvGrpc;
import io.cairn.api.proto.MultiGetRequest;
import io.cairn.api.proto.MultiGetResponse;
import io.cairn.api.proto.PutRequest;
import io.cairn.client.CairnClient;
import io.cairn.client.Consistency;
import io.cairn.client.ScanPage;
import io.cairn.client.ScanQuery;
import io.cairn.client.ShardsReport;
import io.cairn.common.NodeId;
import io.cairn.server.CairnServer;
import io.cairn.server.ClusterSpec;
import io.cairn.server.ServerConfig;
import io.cairn.transport.grpc.GrpcErrors;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Metadata;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.MetadataUtils;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Nodes in one JVM on 127.0.0.1 with the keyspace cut into shards, each its own Raft group:
 * writes reach the shard that owns the key wherever the client sends them, and a scan merges
 * every shard in key order.
 */
class ShardedClusterTest {
    @TempDir
    Path dir;

    private final List<CairnServer> servers = new ArrayList<>();

    @AfterEach
    void stop() {
        servers.forEach(CairnServer::close);
    }

    @Test
    void threeNodesWithFourShardsServeWritesReadsAndOrderedScans() throws IOException {
        ClusterSpec spec = start(3, 4);
        try (CairnClient client = client(spec)) {
            for (int i = 0; i < 200; i++) {
                client.put(key(i), ("v" + i).getBytes(StandardCharsets.UTF_8));
            }
            for (int i = 0; i < 200; i += 7) {
                assertThat(client.get(key(i)).map(kv -> new String(kv.value(), StandardCharsets.UTF_8)))
                        .hasValue("v" + i);
            }
            for (Consistency c : List.of(Consistency.LINEARIZABLE, Consistency.LEASE,
                    Consistency.bounded(java.time.Duration.ofMillis(500)), Consistency.EVENTUAL)) {
                assertThat(scanAll(client, c, 30)).as("scan at %s", c).isEqualTo(expectedKeys(200));
            }
            ShardsReport report = client.shards();
            assertThat(report.shardCount()).isEqualTo(4);
            assertThat(report.answered()).containsExactlyInAnyOrder(1L, 2L, 3L);
            int slots = 0;
            for (ShardsReport.Shard shard : report.shards()) {
                assertThat(shard.firstSlot()).isEqualTo(slots);
                slots = shard.endSlotExclusive();
                assertThat(shard.replicas()).containsExactlyInAnyOrder(1L, 2L, 3L);
                assertThat(shard.sizeBytes()).as("shard %s reports its size", shard.id()).isPositive();
            }
            assertThat(slots).isEqualTo(4096);
            // 200 writes and a leader's no-op per shard, spread over the shards; leaders may be
            // moving (balancing) and a new leader may still be applying, so look a few times.
            long deadline = System.nanoTime() + Duration.ofSeconds(15).toNanos();
            long applied = 0;
            while (applied < 204 && System.nanoTime() < deadline) {
                applied = client.shards().shards().stream()
                        .filter(s -> s.leader() != 0).mapToLong(ShardsReport.Shard::appliedIndex).sum();
            }
            assertThat(applied).isGreaterThanOrEqualTo(204);
        }
        // Each node keeps every shard's state in its one engine, not a RocksDB per shard.
        for (int n = 1; n <= 3; n++) {
            assertThat(dir.resolve("n" + n).resolve("state")).isDirectory();
            assertThat(dir.resolve("n" + n).resolve("kv-1")).doesNotExist();
        }
    }

    @Test
    void fiveNodesPlaceThreeReplicasPerShardAndClientsFollowHintsToThem() throws IOException {
        ClusterSpec spec = start(5, 8);
        try (CairnClient client = client(spec)) {
            for (int i = 0; i < 100; i++) {
                client.put(key(i), ("v" + i).getBytes(StandardCharsets.UTF_8));
            }
            for (int i = 0; i < 100; i++) {
                assertThat(client.get(key(i))).as("key %s", i).isPresent();
            }
            // No node has every shard: the client scatters the scan over the shards' leaders.
            assertThat(scanAll(client, Consistency.LINEARIZABLE, 17)).isEqualTo(expectedKeys(100));
        }
        try (CairnClient fresh = client(spec)) {
            // A client that has not learnt the shard count yet starts from shard 0.
            assertThat(scanAll(fresh, Consistency.EVENTUAL, 40)).isEqualTo(expectedKeys(100));
        }
        // Three replicas per shard: 24 shard replicas over 5 nodes, none holding all 8 shards.
        List<ShardsReport.Shard> shards;
        try (CairnClient client = client(spec)) {
            shards = client.shards().shards();
        }
        int replicas = 0;
        for (long n = 1; n <= 5; n++) {
            long node = n;
            long hosted = shards.stream().filter(s -> s.replicas().contains(node)).count();
            assertThat(hosted).as("shards on n%s", n).isBetween(1L, 7L);
            replicas += (int) hosted;
        }
        assertThat(shards).allSatisfy(s -> assertThat(s.replicas()).hasSize(3));
        assertThat(replicas).isEqualTo(24);
    }

    /**
     * A plain gRPC client, without a shard map, sends everything to one node: that node forwards
     * what it cannot serve to the shard's leader. A client that routes by itself (the header
     * {@code cairn-no-forward}) is told WRONG_SHARD with the epoch and a hint instead.
     */
    @Test
    void anyNodeServesAPlainGrpcClientAndARoutingClientIsToldWhereToGo() throws Exception {
        ClusterSpec spec = start(5, 8);
        List<ManagedChannel> channels = new ArrayList<>();
        try (CairnClient client = client(spec)) {
            client.put(key(0), "warm-up".getBytes(StandardCharsets.UTF_8)); // every shard has a leader soon after
            for (String address : spec.addresses().values()) {
                channels.add(ManagedChannelBuilder.forTarget(address).usePlaintext().build());
            }
            for (int i = 0; i < 40; i++) {
                KvGrpc.KvBlockingStub writer = KvGrpc.newBlockingStub(channels.get(i % 5))
                        .withDeadlineAfter(10, TimeUnit.SECONDS);
                writer.put(PutRequest.newBuilder().setKey(ByteString.copyFrom(key(i)))
                        .setValue(ByteString.copyFromUtf8("plain" + i)).build());
                KvGrpc.KvBlockingStub reader = KvGrpc.newBlockingStub(channels.get((i + 2) % 5))
                        .withDeadlineAfter(10, TimeUnit.SECONDS);
                assertThat(reader.get(GetRequest.newBuilder().setKey(ByteString.copyFrom(key(i))).build())
                        .getKv().getValue().toStringUtf8()).isEqualTo("plain" + i);
            }

            MultiGetRequest.Builder many = MultiGetRequest.newBuilder();
            for (int i = 39; i >= 0; i--) {
                many.addKeys(ByteString.copyFrom(key(i)));
            }
            many.addKeys(ByteString.copyFromUtf8("absent"));
            MultiGetResponse got = KvGrpc.newBlockingStub(channels.get(0)).withDeadlineAfter(10, TimeUnit.SECONDS)
                    .multiGet(many.build());
            assertThat(got.getKvsList()).hasSize(40);
            assertThat(got.getKvs(0).getValue().toStringUtf8()).isEqualTo("plain39");
            assertThat(client.multiGet(new String(key(3), StandardCharsets.UTF_8), "absent",
                    new String(key(17), StandardCharsets.UTF_8)))
                    .extracting(kv -> kv.map(v -> new String(v.value(), StandardCharsets.UTF_8)).orElse("-"))
                    .containsExactly("plain3", "-", "plain17");

            // A node without the key's shard, asked not to forward, says where to go and which
            // membership version it knows (once a heartbeat brought it the first one).
            int shard = -1;
            int stranger = -1;
            for (ShardsReport.Shard s : client.shards().shards()) {
                for (int n = 1; n <= 5 && stranger < 0; n++) {
                    if (!s.replicas().contains((long) n)) {
                        shard = s.id();
                        stranger = n;
                    }
                }
                if (stranger >= 0) {
                    break;
                }
            }
            byte[] keyOfShard = keyOfShard(shard, 8);
            Metadata noForward = new Metadata();
            noForward.put(Metadata.Key.of("cairn-no-forward", Metadata.ASCII_STRING_MARSHALLER), "1");
            KvGrpc.KvBlockingStub routed = KvGrpc.newBlockingStub(channels.get(stranger - 1))
                    .withInterceptors(MetadataUtils.newAttachHeadersInterceptor(noForward));
            GetRequest probe = GetRequest.newBuilder().setKey(ByteString.copyFrom(keyOfShard)).build();
            StatusRuntimeException refused = org.awaitility.Awaitility.await("n" + stranger + " knows an epoch")
                    .atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(100))
                    .until(() -> org.junit.jupiter.api.Assertions.assertThrows(StatusRuntimeException.class,
                                    () -> routed.withDeadlineAfter(10, TimeUnit.SECONDS).get(probe)),
                            e -> GrpcErrors.detailOf(e).map(d -> !d.hasWrongShard() || d.getWrongShard().getEpoch() > 0).orElse(true));
            ErrorDetail detail = GrpcErrors.detailOf(refused).orElseThrow();
            assertThat(detail.hasWrongShard()).as("%s", refused.getStatus()).isTrue();
            assertThat(detail.getWrongShard().getEpoch()).isPositive();
            assertThat(detail.getWrongShard().getGroupId()).isEqualTo(shard + 1L);
            assertThat(detail.getWrongShard().getHintAddress()).isIn(spec.addresses().values());
        } finally {
            channels.forEach(ManagedChannel::shutdownNow);
        }
    }

    private static byte[] keyOfShard(int shard, int shards) {
        io.cairn.placement.ShardMap map = io.cairn.placement.ShardMap.of(shards);
        for (int i = 0; ; i++) {
            byte[] k = ("probe/" + i).getBytes(StandardCharsets.UTF_8);
            if (map.shardOfKey(k) == shard) {
                return k;
            }
        }
    }

    private List<String> scanAll(CairnClient client, Consistency consistency, int pageSize) {
        List<String> keys = new ArrayList<>();
        ScanQuery q = ScanQuery.prefix("key/").withLimit(pageSize).withConsistency(consistency);
        for (int pages = 0; pages < 100; pages++) {
            ScanPage page = client.scan(q);
            page.kvs().forEach(kv -> keys.add(new String(kv.key(), StandardCharsets.UTF_8)));
            if (!page.hasMore()) {
                return keys;
            }
            q = q.after(page);
        }
        throw new AssertionError("scan did not end");
    }

    private static List<String> expectedKeys(int n) {
        List<String> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            out.add(new String(key(i), StandardCharsets.UTF_8));
        }
        return out;
    }

    private static byte[] key(int i) {
        return String.format("key/%04d", i).getBytes(StandardCharsets.UTF_8);
    }

    private ClusterSpec start(int nodes, int shards) throws IOException {
        TreeMap<NodeId, String> m = new TreeMap<>();
        for (int i = 1; i <= nodes; i++) {
            m.put(NodeId.of(i), "127.0.0.1:" + freePort());
        }
        ClusterSpec spec = new ClusterSpec(m);
        for (int i = 1; i <= nodes; i++) {
            ServerConfig c = ServerConfig.of(NodeId.of(i), spec.address(NodeId.of(i)), dir.resolve("n" + i), spec)
                    .withTicks(20, 10).withShards(shards);
            servers.add(CairnServer.start(c));
        }
        return spec;
    }

    private static CairnClient client(ClusterSpec spec) {
        return CairnClient.builder().endpoints(List.copyOf(spec.addresses().values()))
                .requestTimeout(Duration.ofSeconds(10)).build();
    }

    private static int freePort() throws IOException {
        return io.cairn.server.LocalPorts.free();
    }
}
