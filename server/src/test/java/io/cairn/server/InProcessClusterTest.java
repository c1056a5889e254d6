package io.cairn.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import io.cairn.api.proto.ClusterGrpc;
import io.cairn.api.proto.CompareAndSetRequest;
import io.cairn.api.proto.GetRequest;
import io.cairn.api.proto.KvGrpc;
import io.cairn.api.proto.PutRequest;
import io.cairn.api.proto.StatusRequest;
import io.cairn.api.proto.StatusResponse;
import io.cairn.common.NodeId;
import io.cairn.transport.grpc.GrpcErrors;
import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Three nodes in one JVM on 127.0.0.1: election, replicated writes, reads, restart from disk. */
class InProcessClusterTest {
    @TempDir
    Path dir;

    private final List<CairnServer> servers = new ArrayList<>();
    private final List<ManagedChannel> channels = new ArrayList<>();

    @AfterEach
    void stop() {
        channels.forEach(ManagedChannel::shutdownNow);
        servers.forEach(CairnServer::close);
    }

    static int freePort() throws IOException {
        return LocalPorts.free();
    }

    private ClusterSpec spec(int n) throws IOException {
        TreeMap<NodeId, String> m = new TreeMap<>();
        for (int i = 1; i <= n; i++) {
            m.put(NodeId.of(i), "127.0.0.1:" + freePort());
        }
        return new ClusterSpec(m);
    }

    private CairnServer start(ClusterSpec spec, int id, ServerConfig tweak) throws IOException {
        ServerConfig c = ServerConfig.of(NodeId.of(id), spec.address(NodeId.of(id)), dir.resolve("n" + id), spec)
                .withTicks(20, 10).withCompaction(tweak == null ? 10_000 : tweak.compactEntries(), 64L << 20);
        CairnServer s = CairnServer.start(c);
        servers.add(s);
        return s;
    }

    private KvGrpc.KvBlockingStub kv(String address) {
        ManagedChannel ch = NettyChannelBuilder.forTarget(address).usePlaintext().build();
        channels.add(ch);
        return KvGrpc.newBlockingStub(ch);
    }

    private ClusterGrpc.ClusterBlockingStub cluster(String address) {
        ManagedChannel ch = NettyChannelBuilder.forTarget(address).usePlaintext().build();
        channels.add(ch);
        return ClusterGrpc.newBlockingStub(ch);
    }

    /** Polls every node's status until one names a leader, which it returns; fails after 10 s. */
    private String awaitLeader(ClusterSpec spec) {
        List<ClusterGrpc.ClusterBlockingStub> nodes = spec.addresses().values().stream().map(this::cluster).toList();
        long leader = org.awaitility.Awaitility.await("a leader").atMost(java.time.Duration.ofSeconds(10))
                .pollInterval(java.time.Duration.ofMillis(5))
                .until(() -> anyLeader(nodes), id -> id != 0);
        return spec.address(NodeId.of(leader));
    }

    /** The leader the first node that answers names, or 0. */
    private static long anyLeader(List<ClusterGrpc.ClusterBlockingStub> nodes) {
        for (ClusterGrpc.ClusterBlockingStub node : nodes) {
            try {
                StatusResponse s = node.withDeadlineAfter(1, TimeUnit.SECONDS).status(StatusRequest.getDefaultInstance());
                if (s.getLeader() != 0) {
                    return s.getLeader();
                }
            } catch (StatusRuntimeException e) {
                // not up yet
            }
        }
        return 0;
    }

    private static ByteString b(String s) {
        return ByteString.copyFromUtf8(s);
    }

    @Test
    void replicatesWritesAndServesReadsEverywhere() throws Exception {
        ClusterSpec spec = spec(3);
        for (int i = 1; i <= 3; i++) {
            start(spec, i, null);
        }
        String leader = awaitLeader(spec);
        KvGrpc.KvBlockingStub kv = kv(leader);
        for (int i = 0; i < 50; i++) {
            kv.put(PutRequest.newBuilder().setKey(b("k" + i)).setValue(b("v" + i)).setClientId(7).setSequence(i + 1).build());
        }
        assertThat(kv.get(GetRequest.newBuilder().setKey(b("k49")).build()).getKv().getValue()).isEqualTo(b("v49"));
        for (String address : spec.addresses().values()) {
            // Linearizable reads on followers are confirmed through the leader.
            assertThat(kv(address).get(GetRequest.newBuilder().setKey(b("k10")).build()).getKv().getValue())
                    .isEqualTo(b("v10"));
        }
        assertThatThrownBy(() -> kv.compareAndSet(CompareAndSetRequest.newBuilder().setKey(b("k1"))
                .setExpectedVersion(5).setValue(b("x")).setClientId(8).setSequence(1).build()))
                .satisfies(e -> assertThat(GrpcErrors.detailOf(e).orElseThrow().getPreconditionFailed().getCurrentVersion())
                        .isEqualTo(1));
    }

    @Test
    void followerForwardsWritesUnlessTheClientRoutesItself() throws Exception {
        ClusterSpec spec = spec(3);
        for (int i = 1; i <= 3; i++) {
            start(spec, i, null);
        }
        String leader = awaitLeader(spec);
        String follower = spec.addresses().values().stream().filter(a -> !a.equals(leader)).findFirst().orElseThrow();
        // A plain gRPC client: the follower forwards the write to the leader and relays its answer.
        kv(follower).put(PutRequest.newBuilder().setKey(b("a")).setValue(b("b")).build());
        assertThat(kv(leader).get(GetRequest.newBuilder().setKey(b("a")).build()).getKv().getValue()).isEqualTo(b("b"));
        // A client that routes by itself is told where the leader is instead.
        io.grpc.Metadata noForward = new io.grpc.Metadata();
        noForward.put(io.grpc.Metadata.Key.of("cairn-no-forward", io.grpc.Metadata.ASCII_STRING_MARSHALLER), "1");
        KvGrpc.KvBlockingStub routing = kv(follower).withInterceptors(io.grpc.stub.MetadataUtils.newAttachHeadersInterceptor(noForward));
        assertThatThrownBy(() -> routing.put(PutRequest.newBuilder().setKey(b("a")).setValue(b("c")).build()))
                .satisfies(e -> assertThat(GrpcErrors.detailOf(e).orElseThrow().getNotLeader().getLeaderAddress())
                        .isEqualTo(leader));
    }

    @Test
    void restartsFromDiskAfterCompaction() throws Exception {
        ClusterSpec spec = spec(1);
        ServerConfig compactOften = ServerConfig.of(NodeId.of(1), spec.address(NodeId.of(1)), dir, spec).withCompaction(20, 1 << 20);
        CairnServer s = start(spec, 1, compactOften);
        KvGrpc.KvBlockingStub kv = kv(awaitLeader(spec));
        for (int i = 0; i < 100; i++) {
            kv.put(PutRequest.newBuilder().setKey(b("k" + i)).setValue(b("v" + i)).build());
        }
        s.close();
        servers.remove(s);
        start(spec, 1, compactOften);
        KvGrpc.KvBlockingStub again = kv(awaitLeader(spec));
        assertThat(again.get(GetRequest.newBuilder().setKey(b("k99")).build()).getKv().getValue()).isEqualTo(b("v99"));
        assertThat(again.get(GetRequest.newBuilder().setKey(b("k3")).build()).getKv().getVersion()).isEqualTo(1);
    }
}
