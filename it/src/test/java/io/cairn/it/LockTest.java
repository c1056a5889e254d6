package io.cairn.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import io.cairn.api.proto.AcquireRequest;
import io.cairn.api.proto.LockGrpc;
import io.cairn.api.proto.PutRequest;
import io.cairn.api.proto.KvGrpc;
import io.cairn.client.CairnClient;
import io.cairn.client.Fence;
import io.cairn.client.LockAttempt;
import io.cairn.client.StaleTokenException;
import io.cairn.common.NodeId;
import io.cairn.server.CairnServer;
import io.cairn.server.ClusterSpec;
import io.cairn.server.ServerConfig;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.StatusRuntimeException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Locks with a TTL and fenced writes through the real client and server, on a sharded cluster:
 * a holder that outlives its TTL loses the lock, and the store refuses its late writes.
 */
class LockTest {
    @TempDir
    Path dir;

    private final List<CairnServer> servers = new ArrayList<>();
    private final List<ManagedChannel> channels = new ArrayList<>();

    @AfterEach
    void stop() {
        channels.forEach(ManagedChannel::shutdownNow);
        servers.forEach(CairnServer::close);
    }

    @Test
    void aHolderPastItsTtlIsFencedOutAndTheNextHolderGetsALargerToken() throws IOException {
        ClusterSpec spec = start(3, 4);
        try (CairnClient alice = client(spec); CairnClient bob = client(spec)) {
            byte[] lock = utf8("{acct}lock");
            byte[] key = utf8("{acct}/balance");

            LockAttempt a = alice.tryLock(lock, Duration.ofMillis(700));
            assertThat(a.acquired()).isTrue();
            alice.put(key, utf8("100"), a.fence());
            assertThat(bob.tryLock(lock, Duration.ofSeconds(5)).acquired()).as("held by alice").isFalse();
            assertThat(alice.tryLock(lock, Duration.ofMillis(700)).token()).as("alice extends, same token")
                    .isEqualTo(a.token());

            // Alice pauses past her TTL; bob takes the lock with a larger token.
            LockAttempt b = Awaitility.await("alice's grant lapses").atMost(Duration.ofSeconds(10))
                    .pollInterval(Duration.ofMillis(50))
                    .until(() -> bob.tryLock(lock, Duration.ofSeconds(30)), LockAttempt::acquired);
            assertThat(b.token()).isGreaterThan(a.token());
            bob.put(key, utf8("90"), b.fence());

            // Alice wakes up and writes under her old token: refused, bob's value stays.
            assertThatThrownBy(() -> alice.put(key, utf8("stale"), a.fence()))
                    .isInstanceOfSatisfying(StaleTokenException.class, e -> assertThat(e.currentToken()).isEqualTo(b.token()));
            assertThatThrownBy(() -> alice.delete(key, a.fence())).isInstanceOf(StaleTokenException.class);
            assertThatThrownBy(() -> alice.unlock(lock, a.token())).isInstanceOf(StaleTokenException.class);
            assertThat(new String(bob.get(key).orElseThrow().value(), StandardCharsets.UTF_8)).isEqualTo("90");

            assertThat(bob.describeLock(lock)).hasValueSatisfying(g -> assertThat(g.token()).isEqualTo(b.token()));
            bob.unlock(lock, b.token());
            assertThat(bob.describeLock(lock)).isEmpty();
            assertThatThrownBy(() -> bob.put(key, utf8("after release"), b.fence()))
                    .isInstanceOfSatisfying(StaleTokenException.class, e -> assertThat(e.currentToken()).isZero());
        }
    }

    @Test
    void badLockRequestsAreRefusedWithAReasonAndChangeNothing() throws IOException {
        ClusterSpec spec = start(3, 4);
        try (CairnClient client = client(spec)) {
            assertThatThrownBy(() -> client.tryLock(utf8("L"), Duration.ZERO)).isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> client.unlock(utf8("L"), 0)).isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> client.unlock(utf8("never-taken"), 5))
                    .isInstanceOfSatisfying(StaleTokenException.class, e -> assertThat(e.currentToken()).isZero());
            // A fence must be in the key's shard: without a common tag, lock and key differ.
            LockAttempt held = client.tryLock(utf8("{a}lock"), Duration.ofSeconds(30));
            byte[] elsewhere = keyInAnotherShardThan(utf8("{a}lock"), 4);
            assertThatThrownBy(() -> client.put(elsewhere, utf8("x"), held.fence()))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("{tag}");
            assertThat(client.get(elsewhere)).isEmpty();

            // A plain gRPC caller gets INVALID_ARGUMENT for a lock without a TTL or an owner.
            ManagedChannel ch = ManagedChannelBuilder.forTarget(spec.address(NodeId.of(1))).usePlaintext().build();
            channels.add(ch);
            LockGrpc.LockBlockingStub locks = LockGrpc.newBlockingStub(ch).withDeadlineAfter(10, TimeUnit.SECONDS);
            assertThatThrownBy(() -> locks.acquire(AcquireRequest.newBuilder().setName(ByteString.copyFromUtf8("L"))
                    .setOwner(ByteString.copyFromUtf8("me")).build()))
                    .isInstanceOfSatisfying(StatusRuntimeException.class,
                            e -> assertThat(e.getStatus().getCode()).isEqualTo(io.grpc.Status.Code.INVALID_ARGUMENT));
            assertThatThrownBy(() -> locks.acquire(AcquireRequest.newBuilder().setName(ByteString.copyFromUtf8("L"))
                    .setTtlMs(1000).build()))
                    .isInstanceOfSatisfying(StatusRuntimeException.class,
                            e -> assertThat(e.getStatus().getCode()).isEqualTo(io.grpc.Status.Code.INVALID_ARGUMENT));
            assertThat(client.describeLock(utf8("L"))).isEmpty();
            // A plain put with a fence of a lock never taken is refused as stale, through any node.
            KvGrpc.KvBlockingStub kv = KvGrpc.newBlockingStub(ch).withDeadlineAfter(10, TimeUnit.SECONDS);
            assertThatThrownBy(() -> kv.put(PutRequest.newBuilder().setKey(ByteString.copyFromUtf8("{z}k"))
                    .setValue(ByteString.copyFromUtf8("v")).setFence(io.cairn.api.proto.Fence.newBuilder()
                            .setLock(ByteString.copyFromUtf8("{z}lock")).setToken(3)).build()))
                    .isInstanceOfSatisfying(StatusRuntimeException.class,
                            e -> assertThat(e.getStatus().getCode()).isEqualTo(io.grpc.Status.Code.FAILED_PRECONDITION));
        }
    }

    private static byte[] keyInAnotherShardThan(byte[] lock, int shards) {
        io.cairn.placement.ShardMap map = io.cairn.placement.ShardMap.of(shards);
        int shardOfLock = map.shardOfKey(lock);
        for (int i = 0; ; i++) {
            byte[] key = utf8("other-" + i);
            if (map.shardOfKey(key) != shardOfLock) {
                return key;
            }
        }
    }

    private ClusterSpec start(int nodes, int shards) throws IOException {
        TreeMap<NodeId, String> m = new TreeMap<>();
        for (int i = 1; i <= nodes; i++) {
            m.put(NodeId.of(i), "127.0.0.1:" + io.cairn.server.LocalPorts.free());
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

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
