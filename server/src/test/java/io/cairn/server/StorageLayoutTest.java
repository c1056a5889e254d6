package io.cairn.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import io.cairn.api.proto.ClusterGrpc;
import io.cairn.api.proto.GetRequest;
import io.cairn.api.proto.KvGrpc;
import io.cairn.api.proto.PutRequest;
import io.cairn.api.proto.StatusRequest;
import io.cairn.common.GroupId;
import io.cairn.common.NodeId;
import io.cairn.kv.engine.KvPair;
import io.cairn.kv.engine.PrefixedKvEngine;
import io.cairn.kv.engine.WriteBatch;
import io.cairn.kv.rocks.RocksKvEngine;
import io.cairn.placement.ShardGroups;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The node's one engine: a data directory of the layout before it (a RocksDB per replica) is
 * migrated on start with nothing lost, and the state of a replica the WAL does not know is
 * deleted rather than served.
 */
class StorageLayoutTest {
    private static final int KEYS = 300;

    @TempDir
    Path dir;

    @Test
    void aDataDirWithARocksDbPerReplicaIsMigratedIntoTheOneEngineWithEveryKey() throws Exception {
        ClusterSpec spec = single();
        writeKeys(spec);
        rewriteAsOldLayout();
        assertThat(dir.resolve("data/kv")).isDirectory();
        assertThat(dir.resolve("data/state")).doesNotExist();

        try (CairnServer server = CairnServer.start(config(spec))) {
            KvGrpc.KvBlockingStub kv = kvOf(spec);
            for (int i = 0; i < KEYS; i++) {
                assertThat(get(kv, "k" + i)).as("key k%s after migration", i).isEqualTo("value-" + i);
            }
            kv.put(PutRequest.newBuilder().setKey(ByteString.copyFromUtf8("after"))
                    .setValue(ByteString.copyFromUtf8("migration")).build());
            assertThat(get(kv, "after")).isEqualTo("migration");
        }
        assertThat(dir.resolve("data/kv")).doesNotExist();
        assertThat(dir.resolve("data/state")).isDirectory();
    }

    @Test
    void stateOfAReplicaWithoutALogIsDeletedAtStart() throws Exception {
        ClusterSpec spec = single();
        writeKeys(spec);
        GroupId orphan = ShardGroups.groupOfShard(41);
        try (RocksKvEngine engine = RocksKvEngine.open(dir.resolve("data/state"))) {
            PrefixedKvEngine view = new PrefixedKvEngine(engine, NodeEngine.prefixOf(orphan));
            view.write(new WriteBatch().put(bytes("left"), bytes("behind")));
            view.flush();
        }

        try (CairnServer server = CairnServer.start(config(spec))) {
            assertThat(get(kvOf(spec), "k7")).isEqualTo("value-7");
        }
        try (RocksKvEngine engine = RocksKvEngine.open(dir.resolve("data/state"))) {
            assertThat(new PrefixedKvEngine(engine, NodeEngine.prefixOf(orphan)).scan(new byte[0], null, 10)).isEmpty();
            assertThat(new PrefixedKvEngine(engine, NodeEngine.prefixOf(ShardGroups.DATA_GROUP))
                    .scan(new byte[0], null, 10)).isNotEmpty();
        }
    }

    @Test
    void oldDirectoryNamesMapToTheirGroups() {
        assertThat(NodeEngine.groupOfOldDir("kv")).isEqualTo(ShardGroups.groupOfShard(0));
        assertThat(NodeEngine.groupOfOldDir("kv-17")).isEqualTo(ShardGroups.groupOfShard(17));
        assertThat(NodeEngine.groupOfOldDir("meta")).isEqualTo(ShardGroups.META_GROUP);
        assertThat(NodeEngine.groupOfOldDir("kv-")).isNull();
        assertThat(NodeEngine.groupOfOldDir("kv.restore-old")).isNull();
        assertThat(NodeEngine.groupOfOldDir("state")).isNull();
        assertThat(NodeEngine.groupOfOldDir("log")).isNull();
    }

    /** What a node of the earlier layout left: shard 0's state alone in its own RocksDB in kv/. */
    private void rewriteAsOldLayout() throws IOException {
        Path state = dir.resolve("data/state");
        try (RocksKvEngine shared = RocksKvEngine.open(state);
                RocksKvEngine old = RocksKvEngine.open(dir.resolve("data/kv"))) {
            PrefixedKvEngine view = new PrefixedKvEngine(shared, NodeEngine.prefixOf(ShardGroups.DATA_GROUP));
            List<KvPair> pairs = view.scan(new byte[0], null, Integer.MAX_VALUE);
            assertThat(pairs).hasSizeGreaterThan(KEYS);
            WriteBatch batch = new WriteBatch();
            pairs.forEach(p -> batch.put(p.key(), p.value()));
            old.write(batch);
        }
        SnapshotPacker.deleteTree(state);
    }

    private void writeKeys(ClusterSpec spec) throws Exception {
        try (CairnServer server = CairnServer.start(config(spec))) {
            KvGrpc.KvBlockingStub kv = kvOf(spec);
            for (int i = 0; i < KEYS; i++) {
                kv.put(PutRequest.newBuilder().setKey(ByteString.copyFromUtf8("k" + i))
                        .setValue(ByteString.copyFromUtf8("value-" + i)).build());
            }
        }
    }

    private final List<ManagedChannel> channels = new java.util.ArrayList<>();

    @org.junit.jupiter.api.AfterEach
    void closeChannels() {
        channels.forEach(ManagedChannel::shutdownNow);
    }

    /** A stub to the single node, once it has elected itself. */
    private KvGrpc.KvBlockingStub kvOf(ClusterSpec spec) {
        ManagedChannel ch = NettyChannelBuilder.forTarget(spec.address(NodeId.of(1))).usePlaintext().build();
        channels.add(ch);
        ClusterGrpc.ClusterBlockingStub cluster = ClusterGrpc.newBlockingStub(ch);
        Awaitility.await("the single node elects itself").atMost(Duration.ofSeconds(10))
                .pollInterval(Duration.ofMillis(5))
                .until(() -> cluster.withDeadlineAfter(1, TimeUnit.SECONDS)
                        .status(StatusRequest.getDefaultInstance()).getLeader() != 0);
        return KvGrpc.newBlockingStub(ch).withDeadlineAfter(10, TimeUnit.SECONDS);
    }

    private static String get(KvGrpc.KvBlockingStub kv, String key) {
        return kv.get(GetRequest.newBuilder().setKey(ByteString.copyFromUtf8(key)).build()).getKv().getValue().toStringUtf8();
    }

    private ServerConfig config(ClusterSpec spec) {
        return ServerConfig.of(NodeId.of(1), spec.address(NodeId.of(1)), dir.resolve("data"), spec).withTicks(10, 5);
    }

    private static ClusterSpec single() throws IOException {
        TreeMap<NodeId, String> m = new TreeMap<>();
        m.put(NodeId.of(1), "127.0.0.1:" + LocalPorts.free());
        return new ClusterSpec(m);
    }

    private static byte[] bytes(String s) {
        return s.getBytes(java.nio.charset.StandardCharsets.UTF_8);
    }
}
