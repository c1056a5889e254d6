package io.cairn.server;

import io.cairn.common.Clock;
import io.cairn.common.GroupId;
import io.cairn.common.NodeId;
import io.cairn.common.SeededRandom;
import io.cairn.consensus.ConfState;
import io.cairn.kv.rocks.RocksKvEngine;
import io.cairn.kv.state.KvStateMachine;
import io.cairn.multiraft.GroupLog;
import io.cairn.multiraft.WalLogStore;
import io.cairn.raft.RaftConfig;
import io.cairn.raft.RaftNode;
import io.cairn.transport.grpc.PeerTransport;
import io.cairn.transport.grpc.RaftTransportService;
import io.cairn.wal.WalCorruptionException;
import io.cairn.wal.WalOptions;
import io.grpc.Server;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import java.io.IOException;
import java.net.BindException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.TreeMap;
import java.util.zip.CRC32C;

/**
 * A running Cairn node: data dir, WAL-backed Raft log, RocksDB state machine, the Raft loop, and
 * one gRPC port for both clients and peers. {@link #start} checks its inputs and refuses with a
 * one-line reason (wrong data dir, corrupt WAL, port in use) before serving anything.
 */
public final class CairnServer implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(CairnServer.class.getName());

    private final List<AutoCloseable> resources;
    private final Server grpc;
    private final RaftLoop loop;
    private volatile boolean closed;

    private CairnServer(List<AutoCloseable> resources, Server grpc, RaftLoop loop) {
        this.resources = resources;
        this.grpc = grpc;
        this.loop = loop;
    }

    public static CairnServer start(ServerConfig config) throws IOException {
        List<AutoCloseable> opened = new ArrayList<>();
        try {
            return startOrFail(config, opened);
        } catch (IOException | RuntimeException e) {
            closeAll(opened);
            throw e;
        }
    }

    private static CairnServer startOrFail(ServerConfig config, List<AutoCloseable> opened) throws IOException {
        DataDir dataDir = DataDir.open(config.dataDir(), clusterId(config), config.nodeId());
        opened.add(dataDir);
        WalLogStore store = openStore(dataDir);
        opened.add(store);
        Topology topology = Topology.of(config);
        TreeMap<NodeId, String> peers = new TreeMap<>(config.initialCluster().addresses());
        peers.remove(config.nodeId());
        PeerTransport transport = new PeerTransport(config.nodeId(), peers, PeerTransport.Config.defaults());
        opened.add(transport);
        Files.createDirectories(dataDir.scratchDir());
        RaftLoop loop = new RaftLoop(config.nodeId(), store, transport::send, Clock.SYSTEM, config);
        for (GroupId group : topology.groupsOf(config.nodeId())) {
            loop.addGroup(openReplica(config, dataDir, store, topology, group, opened));
        }
        Server grpc = bind(config, loop, topology);
        opened.add(() -> grpc.shutdownNow().awaitTermination(5, java.util.concurrent.TimeUnit.SECONDS));
        loop.start();
        opened.add(loop);
        LOG.log(System.Logger.Level.INFO, "{0} serving on {1}: {2} of {3} shards hosted here",
                config.nodeId(), config.listenAddress(), topology.groupsOf(config.nodeId()).size(), topology.shardCount());
        return new CairnServer(opened, grpc, loop);
    }

    /** This node's replica of {@code group}: its log (created with the shard's founders if new), RocksDB and core. */
    private static GroupReplica openReplica(ServerConfig config, DataDir dataDir, WalLogStore store, Topology topology,
                                            GroupId group, List<AutoCloseable> opened) throws IOException {
        GroupLog log = store.group(group);
        if (log == null) {
            log = store.createGroup(group, ConfState.ofVoters(topology.replicasOf(group)));
        }
        RocksKvEngine engine = RocksKvEngine.open(dataDir.kvDir(ServerIds.shardOfGroup(group)));
        opened.add(engine);
        KvStateMachine stateMachine = new KvStateMachine(engine,
                new KvStateMachine.Options(config.limits(), KvStateMachine.Options.SESSION_TTL_MILLIS_DEFAULT,
                        KvStateMachine.Options.EXPIRE_BATCH_MAX_DEFAULT));
        catchUpWithSnapshot(dataDir, log, stateMachine);
        RaftConfig raftConfig = RaftConfig.defaults(config.nodeId())
                .withElection(config.electionTicks(), 1)
                .withAppliedIndex(stateMachine.appliedIndex());
        RaftNode node = new RaftNode(raftConfig, log, new SeededRandom(new SecureRandom().nextLong()));
        LOG.log(System.Logger.Level.INFO, "{0}: shard {1} (term {2}, applied {3}, log {4}..{5})", config.nodeId(),
                ServerIds.shardOfGroup(group), node.status().term(), stateMachine.appliedIndex(), log.firstIndex(),
                log.lastIndex());
        return new GroupReplica(group, node, store, stateMachine, engine, Clock.SYSTEM, config, dataDir.scratchDir());
    }

    /** Identifies the cluster by its founding members, so a data dir of another cluster is refused. */
    static String clusterId(ServerConfig config) {
        CRC32C crc = new CRC32C();
        crc.update(config.initialCluster().toString().getBytes(java.nio.charset.StandardCharsets.UTF_8));
        // One shard keeps the identity data dirs had before sharding; more shards are another cluster.
        if (config.shards() != 1) {
            crc.update((";shards=" + config.shards()).getBytes(java.nio.charset.StandardCharsets.UTF_8));
        }
        return HexFormat.of().toHexDigits((int) crc.getValue());
    }

    private static WalLogStore openStore(DataDir dataDir) throws IOException {
        try {
            return WalLogStore.open(dataDir.logDir(), WalOptions.DEFAULTS);
        } catch (WalCorruptionException e) {
            throw new IllegalStateException("data dir " + dataDir.root() + " is corrupt: " + e.getMessage()
                    + "; refusing to start rather than lose committed data", e);
        }
    }

    /** The state machine must be at least at the log's snapshot; it may be behind it after a crash. */
    private static void catchUpWithSnapshot(DataDir dataDir, GroupLog log, KvStateMachine stateMachine)
            throws IOException {
        long snapshotIndex = log.firstIndex() - 1;
        if (stateMachine.appliedIndex() < snapshotIndex) {
            SnapshotPacker.restore(log.snapshot().data(), stateMachine, dataDir.scratchDir());
        }
        if (stateMachine.appliedIndex() > log.lastIndex()) {
            throw new IllegalStateException("data dir " + dataDir.root() + " is inconsistent: the state machine"
                    + " has applied index " + stateMachine.appliedIndex() + " but the log ends at " + log.lastIndex());
        }
    }

    private static Server bind(ServerConfig config, RaftLoop loop, Topology topology) throws IOException {
        String[] hostPort = config.listenAddress().split(":");
        InetSocketAddress address = new InetSocketAddress(hostPort[0], Integer.parseInt(hostPort[1]));
        // Every handler only checks its input and hands the request to the Raft loop's queue, so
        // it runs on the Netty thread that read it: a hop to a pool thread per request costs
        // more CPU (a wake-up and a context switch) than the handler itself.
        NettyServerBuilder builder = NettyServerBuilder.forAddress(address)
                .directExecutor()
                .addService(new RaftTransportService(config.nodeId(), loop::deliver))
                .addService(new KvService(loop, topology, config, Clock.SYSTEM))
                .addService(new ClusterService(loop, topology, config));
        RaftTransportService.configure(builder);
        try {
            return builder.build().start();
        } catch (IOException e) {
            if (e instanceof BindException || e.getCause() instanceof BindException) {
                throw new IllegalStateException("cannot listen on " + config.listenAddress()
                        + ": the port is in use or the address is not local", e);
            }
            throw e;
        }
    }

    /** The port clients and peers reach this node on (useful when started on port 0). */
    public int port() {
        return grpc.getPort();
    }

    public void awaitTermination() throws InterruptedException {
        grpc.awaitTermination();
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        closeAll(resources);
    }

    /** Closes in reverse order of opening: the loop first, the data dir lock last. */
    private static void closeAll(List<AutoCloseable> resources) {
        for (int i = resources.size() - 1; i >= 0; i--) {
            AutoCloseable r = resources.get(i);
            try {
                r.close();
            } catch (Exception e) {
                LOG.log(System.Logger.Level.WARNING, "error while stopping: " + e);
            }
        }
    }
}
