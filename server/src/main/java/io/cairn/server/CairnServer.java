package io.cairn.server;

import io.cairn.common.Clock;
import io.cairn.common.GroupId;
import io.cairn.common.NodeId;
import io.cairn.common.SeededRandom;
import io.cairn.consensus.ConfState;
import io.cairn.kv.engine.PrefixedKvEngine;
import io.cairn.kv.state.KvStateMachine;
import io.cairn.multiraft.GroupLog;
import io.cairn.multiraft.WalLogStore;
import io.cairn.placement.ShardGroups;
import io.cairn.placement.Topology;
import io.cairn.raft.RaftConfig;
import io.cairn.raft.RaftMessage;
import io.cairn.raft.RaftNode;
import io.cairn.transport.grpc.Forwarding;
import io.cairn.transport.grpc.PeerTransport;
import io.cairn.transport.grpc.RaftTransportService;
import io.cairn.client.Tls;
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
    private final SelfStop selfStop;
    private volatile boolean closed;

    private final HttpEndpoints http;
    private final NodeId nodeId;

    private CairnServer(NodeId nodeId, List<AutoCloseable> resources, Server grpc, RaftLoop loop, SelfStop selfStop,
                        HttpEndpoints http) {
        this.http = http;
        this.nodeId = nodeId;
        this.resources = resources;
        this.grpc = grpc;
        this.loop = loop;
        this.selfStop = selfStop;
    }

    /**
     * A node the cluster refused (its settings differ, or it was removed) stops by itself, as an
     * etcd member that was removed does: serving on would answer for keys it does not hold.
     */
    private static final class SelfStop {
        private volatile String reason;
        private volatile CairnServer server;

        void refused(String why) {
            synchronized (this) {
                if (reason != null) {
                    return;
                }
                reason = why;
            }
            LOG.log(System.Logger.Level.ERROR, "stopping: {0}", why);
            Thread t = new Thread(this::closeServer, "cairn-self-stop");
            t.setDaemon(true);
            t.start();
        }

        void attach(CairnServer s) {
            server = s;
            if (reason != null) {
                closeServer();
            }
        }

        private void closeServer() {
            CairnServer s = server;
            if (s != null) {
                s.close();
            }
        }
    }

    /** Why the node stopped by itself, if it did: the cluster refused it. */
    public java.util.Optional<String> stoppedBecause() {
        return java.util.Optional.ofNullable(selfStop.reason);
    }

    public static CairnServer start(ServerConfig config) throws IOException {
        return start(config, false);
    }

    /**
     * Starts a node; with {@code faultInjection} it also serves the {@code FaultControl} service
     * through which the real-process fault suite partitions it, shifts its wall clock and slows
     * or fills its disk. That service can take the node down, so it is refused unless the node
     * listens on a loopback address.
     */
    public static CairnServer start(ServerConfig config, boolean faultInjection) throws IOException {
        if (faultInjection && !isLoopback(config.listenAddress())) {
            throw new IllegalArgumentException("--fault-injection is for tests on one machine: listen on a loopback"
                    + " address (127.0.0.1), not " + config.listenAddress());
        }
        if (!isLoopback(config.listenAddress()) && !config.security().secured() && !config.security().insecure()) {
            throw new IllegalArgumentException("refusing to serve " + config.listenAddress() + " without TLS and"
                    + " authentication: anyone who reaches the port could read and write every key, remove nodes and"
                    + " speak Raft. Give --cacert, --cert, --key-file and --auth (`cairn certs init` makes the files), or"
                    + " --insecure to serve it open anyway");
        }
        FaultInjection faults = faultInjection ? FaultInjection.enabled() : FaultInjection.NONE;
        List<AutoCloseable> opened = new ArrayList<>();
        Tls tls = config.security().tls() == null ? null : Tls.load(config.security().tls(), Tls.RELOAD_EVERY_DEFAULT);
        if (tls != null) {
            opened.add(tls);
            java.security.cert.X509Certificate own = tls.certificate().orElseThrow();
            if (!Tls.isNode(own)) {
                closeAll(opened);
                throw new IllegalArgumentException("--cert " + config.security().tls().cert() + " is not a node certificate"
                        + " (its subject is " + own.getSubjectX500Principal().getName() + "; a node's has O="
                        + Tls.NODE_ORGANIZATION + "): issue one with `cairn certs issue DIR --node NAME`");
            }
        }
        PeerChannels peers = new PeerChannels(tls);
        if (config.join() && !DataDir.hasIdentity(config.dataDir())) {
            try {
                JoinCheck.verify(config, peers, JoinCheck.WAIT_MILLIS_DEFAULT);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                closeAll(opened);
                throw new IllegalStateException("interrupted while asking the founders whether " + config.nodeId() + " may join");
            } catch (RuntimeException e) {
                closeAll(opened);
                throw e;
            }
        }
        try {
            return startOrFail(config, faults, opened, tls, peers);
        } catch (IOException | RuntimeException e) {
            opened.stream().filter(DataDir.class::isInstance).forEach(d -> ((DataDir) d).discardOnClose());
            closeAll(opened);
            throw e;
        }
    }

    private static boolean isLoopback(String listenAddress) {
        String host = listenAddress.substring(0, listenAddress.lastIndexOf(':'));
        try {
            return java.net.InetAddress.getByName(host).isLoopbackAddress();
        } catch (java.net.UnknownHostException e) {
            return false;
        }
    }

    private static CairnServer startOrFail(ServerConfig config, FaultInjection faults, List<AutoCloseable> opened,
                                           Tls tls, PeerChannels peers) throws IOException {
        SelfStop stop = new SelfStop();
        DataDir dataDir = DataDir.open(config.dataDir(), clusterId(config), config.nodeId(), config.params());
        opened.add(dataDir);
        // Without HTTP nothing is metered: a node run for a benchmark of its own pays nothing.
        boolean metered = !config.httpListenAddress().isEmpty();
        NodeMetrics metrics = new NodeMetrics();
        WalLogStore store = openStore(dataDir, metered ? metrics.timed(faults.fileIo()) : faults.fileIo());
        opened.add(store);
        ClusterMap map = new ClusterMap(Topology.initial(config.initialCluster().addresses(), config.shards()));
        io.grpc.ClientInterceptor peerHeaders = PeerGate.headers(clusterId(config), config.nodeId());
        PeerTransport transport = new PeerTransport(config.nodeId(), peersOf(map.current(), config.nodeId()),
                PeerTransport.Config.defaults(), address -> peers.open(address, peerHeaders));
        opened.add(transport);
        if (faults.isEnabled()) {
            transport.filterOutbound(faults::reachable);
        }
        map.onChange(t -> transport.updatePeers(peersOf(t, config.nodeId())));
        Files.createDirectories(dataDir.scratchDir());
        NodeEngine engine = NodeEngine.open(dataDir, new java.util.TreeSet<>(store.groupIds()));
        opened.add(engine);
        // The wall clock that stamps and checks TTLs; the fault suite may shift it.
        Clock wallClock = faults.clock();
        NodeEvents events = new NodeEvents(config.nodeId());
        RaftLoop.ReplicaFactory factory = new Replicas(config, dataDir, store, engine, wallClock, events);
        // The loop writes its peers' streams itself: a message leaves without waiting for a
        // sender thread to wake up (one hand-over less each way of a replicated write).
        RaftLoop.Outbox outbox = new RaftLoop.Outbox() {
            @Override
            public void send(NodeId to, GroupId group, RaftMessage message) {
                if (metered) {
                    metrics.raftMessage(true, message);
                }
                transport.queue(to, group, message);
            }

            @Override
            public void flush(NodeId to) {
                transport.flush(to);
            }
        };
        RaftLoop loop = new RaftLoop(config.nodeId(), store, outbox, Clock.SYSTEM, config, map, factory, events);
        for (java.util.Map.Entry<GroupId, ConfState> g : groupsToOpen(config, store, map.current()).entrySet()) {
            loop.addGroup(factory.open(g.getKey(), g.getValue()));
        }
        boolean sharded = config.shards() > 1;
        // Every node of a sharded cluster may come to hold the metadata group (it moves off dead
        // nodes); the driver is idle unless this node's replica leads it.
        PlacementDriver driver = sharded ? new PlacementDriver(loop, config, Clock.SYSTEM, map) : null;
        Forwarder forwarder = new Forwarder(faults, peers);
        opened.add(forwarder);
        CrossShardTxns crossShard = new CrossShardTxns(map, config, peers);
        opened.add(crossShard);
        metrics.bind(loop, map, events, store, engine);
        java.util.concurrent.atomic.AtomicReference<String> httpAddress = new java.util.concurrent.atomic.AtomicReference<>("");
        AuthStore auth = config.security().auth() ? new AuthStore(loop, map, config, forwarder) : null;
        if (auth != null) {
            opened.add(auth);
        }
        Server grpc = bind(config, loop, map, driver, forwarder, faults, wallClock, crossShard, metrics, httpAddress::get,
                tls, auth);
        opened.add(() -> grpc.shutdownNow().awaitTermination(5, java.util.concurrent.TimeUnit.SECONDS));
        loop.start();
        opened.add(loop);
        if (auth != null) {
            auth.start();
        }
        if (driver != null) {
            driver.start();
            opened.add(driver);
        }
        if (sharded) {
            MetaHeartbeat heartbeat = new MetaHeartbeat(config, loop, map, faults, stop::refused, peers);
            heartbeat.start();
            opened.add(heartbeat);
        }
        DashboardApi dashboard = new DashboardApi(config.nodeId(), loop, map, metrics, events, httpAddress::get, peers);
        opened.add(dashboard);
        HttpEndpoints http = startHttp(config, metrics, loop, map, dashboard, tls);
        if (http != null) {
            opened.add(http);
            String host = config.httpListenAddress().substring(0, config.httpListenAddress().lastIndexOf(':'));
            if (host.equals("0.0.0.0") || host.equals("[::]") || host.equals("::")) {
                // Bound on every interface: peers and tools reach it where they reach the gRPC port.
                String advertised = map.current().address(config.nodeId());
                String reached = advertised.isEmpty() ? config.listenAddress() : advertised;
                host = reached.substring(0, reached.lastIndexOf(':'));
            }
            httpAddress.set(host + ":" + http.port());
        }
        LOG.log(System.Logger.Level.INFO, "{0} serving on {1}: {2} of {3} shards hosted here{4}",
                config.nodeId(), config.listenAddress(), loop.hostedGroups().stream().filter(g -> g.value() > 0).count(),
                map.current().shardCount(), loop.status(ShardGroups.META_GROUP) != null ? ", with a metadata replica" : "");
        CairnServer server = new CairnServer(config.nodeId(), opened, grpc, loop, stop, http);
        stop.attach(server);
        return server;
    }

    /**
     * The HTTP endpoints at the configured address, or null when there is none, or when a derived
     * (not asked for) address is taken: then the node runs without them and says so.
     */
    private static HttpEndpoints startHttp(ServerConfig config, NodeMetrics metrics, RaftLoop loop, ClusterMap map,
                                           DashboardApi dashboard, Tls tls) throws IOException {
        if (config.httpListenAddress().isEmpty()) {
            return null;
        }
        String[] hostPort = config.httpListenAddress().split(":");
        InetSocketAddress address = new InetSocketAddress(hostPort[0], Integer.parseInt(hostPort[1]));
        try {
            HttpEndpoints http = HttpEndpoints.start(address, metrics, loop, map, dashboard, tls);
            LOG.log(System.Logger.Level.INFO, "{0} serves its dashboard, /metrics, /health and /ready on {1}://{2}:{3}/",
                    config.nodeId(), tls == null ? "http" : "https", hostPort[0], Integer.toString(http.port()));
            return http;
        } catch (BindException e) {
            if (!config.httpOptional()) {
                throw new IllegalStateException("cannot serve HTTP on " + config.httpListenAddress()
                        + ": the port is in use or the address is not local", e);
            }
            LOG.log(System.Logger.Level.WARNING, "{0} serves no /metrics: {1} is taken (give --http-listen)",
                    config.nodeId(), config.httpListenAddress());
            return null;
        }
    }

    /**
     * Intents and transaction records this node's shard replicas hold, up to 1,000 of each per
     * replica (what {@code cairn_txn_intents} and {@code cairn_txn_records} show, counted now).
     */
    public long transactionLeftovers() {
        long count = 0;
        for (GroupId group : loop.hostedGroups()) {
            KvStateMachine.Census c = group.value() > 0 ? loop.census(group, 1_000) : null;
            count += c == null ? 0 : c.intents() + c.txnRecords();
        }
        return count;
    }

    /** The port of {@code /metrics}, {@code /health} and {@code /ready}; -1 when not served. */
    public int httpPort() {
        return http == null ? -1 : http.port();
    }

    private static TreeMap<NodeId, String> peersOf(Topology t, NodeId self) {
        TreeMap<NodeId, String> peers = new TreeMap<>();
        t.members().forEach((id, m) -> peers.put(id, m.address()));
        peers.remove(self);
        return peers;
    }

    /**
     * The replicas to open at start, each with the configuration to create it with if it is new:
     * every group the WAL holds (what the node had when it stopped), and on a founder the
     * groups of the founders' placement and the metadata group it replicates. A joining node
     * starts with none; its replicas arrive from their leaders.
     */
    private static TreeMap<GroupId, ConfState> groupsToOpen(ServerConfig config, WalLogStore store, Topology initial) {
        TreeMap<GroupId, ConfState> groups = new TreeMap<>();
        for (GroupId g : store.groupIds()) {
            groups.put(g, ConfState.EMPTY); // exists: the configuration is not used
        }
        if (config.join() || !store.groupIds().isEmpty() && config.shards() == 1) {
            return groups;
        }
        if (store.groupIds().isEmpty()) {
            for (GroupId g : initial.groupsOf(config.nodeId())) {
                groups.put(g, ConfState.ofVoters(initial.replicasOf(g)));
            }
        }
        List<NodeId> metaVoters = Topology.metaVoters(config.initialCluster().addresses());
        // Unless the metadata group moved away from here (its replica was dropped): then it comes
        // back only if the placement gives it here again, from its leader.
        if (config.shards() > 1 && metaVoters.contains(config.nodeId()) && store.tombstone(ShardGroups.META_GROUP).isEmpty()) {
            groups.putIfAbsent(ShardGroups.META_GROUP, ConfState.ofVoters(metaVoters));
        }
        return groups;
    }

    /** Opens replicas at start and whenever the placement gives this node a new one. */
    private record Replicas(ServerConfig config, DataDir dataDir, WalLogStore store, NodeEngine engine, Clock clock,
                            NodeEvents events)
            implements RaftLoop.ReplicaFactory {
        @Override
        public GroupReplica open(GroupId group, ConfState confIfNew) throws IOException {
            GroupLog log = store.group(group);
            PrefixedKvEngine view = engine.viewOf(group);
            if (log == null) {
                // Left behind by a replica dropped just before a crash: not this replica's state.
                view.deleteAll();
                log = store.createGroup(group, confIfNew);
            }
            return openOn(group, log, view);
        }

        @Override
        public void write(io.cairn.kv.engine.WriteBatch round) {
            engine.write(round);
        }

        private GroupReplica openOn(GroupId group, GroupLog log, PrefixedKvEngine view) throws IOException {
            KvStateMachine stateMachine = new KvStateMachine(view,
                    new KvStateMachine.Options(config.limits(), KvStateMachine.Options.SESSION_TTL_MILLIS_DEFAULT,
                            KvStateMachine.Options.EXPIRE_BATCH_MAX_DEFAULT));
            catchUpWithSnapshot(dataDir, log, stateMachine);
            RaftConfig raftConfig = RaftConfig.defaults(config.nodeId())
                    .withElection(config.electionTicks())
                    .withAppliedIndex(stateMachine.appliedIndex())
                    .withVoteFloor(store.tombstone(group).map(WalLogStore.Tombstone::lastEntry).orElse(RaftConfig.NO_FLOOR));
            RaftNode node = new RaftNode(raftConfig, log, new SeededRandom(new SecureRandom().nextLong()));
            LOG.log(System.Logger.Level.INFO, "{0}: {1} (term {2}, applied {3}, log {4}..{5}, {6})", config.nodeId(),
                    group.equals(ShardGroups.META_GROUP) ? "metadata group" : "shard " + ShardGroups.shardOfGroup(group),
                    node.status().term(), stateMachine.appliedIndex(), log.firstIndex(), log.lastIndex(), node.status().conf());
            return new GroupReplica(group, node, store, stateMachine, view, clock, config, dataDir.scratchDir(), events);
        }
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

    private static WalLogStore openStore(DataDir dataDir, io.cairn.wal.FileIo io) throws IOException {
        try {
            return WalLogStore.open(dataDir.logDir(), WalOptions.DEFAULTS, io);
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

    private static Server bind(ServerConfig config, RaftLoop loop, ClusterMap map, PlacementDriver driver,
                               Forwarder forwarder, FaultInjection faults, Clock wallClock,
                               CrossShardTxns crossShard, NodeMetrics metrics,
                               java.util.function.Supplier<String> httpAddress, Tls tls, AuthStore auth)
            throws IOException {
        String[] hostPort = config.listenAddress().split(":");
        InetSocketAddress address = new InetSocketAddress(hostPort[0], Integer.parseInt(hostPort[1]));
        // Every handler only checks its input and hands the request to the Raft loop's queue, so
        // it runs on the Netty thread that read it: a hop to a pool thread per request costs
        // more CPU (a wake-up and a context switch) than the handler itself.
        KvService kv = new KvService(loop, map, config, wallClock, forwarder, faults, crossShard, metrics);
        kv.startTxnRecovery();
        // Nobody can read the request meters without HTTP: then they are not kept at all.
        boolean metered = !config.httpListenAddress().isEmpty();
        io.grpc.ServerInterceptor timed = metered ? metrics.requests() : NodeMetrics.none();
        // Interceptors listed last run first: the gate checks a call before it is timed or served.
        AuthGate gate = new AuthGate(tls != null, auth, metrics::denied, wallClock::epochMillis,
                config.security().streamsPerUserMax(), new UserSessions(config.security().sessionsPerUserMax(),
                        java.util.concurrent.TimeUnit.MILLISECONDS.toNanos(KvStateMachine.Options.SESSION_TTL_MILLIS_DEFAULT)));
        AuthService authService = new AuthService(auth, config, wallClock::epochMillis, forwarder.timer());
        NettyServerBuilder builder = NettyServerBuilder.forAddress(address, tls == null
                        ? io.grpc.InsecureServerCredentials.create()
                        : tls.serverCredentials(config.security().requireClientCertificates()))
                .directExecutor()
                // Beyond this a connection's further calls wait (HTTP/2 flow control), not fail.
                .maxConcurrentCallsPerConnection(config.security().callsPerConnectionMax())
                .addService(io.grpc.ServerInterceptors.intercept(new RaftTransportService(config.nodeId(), metered
                                ? (group, message) -> {
                                    metrics.raftMessage(false, message);
                                    loop.deliver(group, message);
                                }
                                : loop::deliver),
                        new PeerGate(clusterId(config), map), gate))
                .addService(io.grpc.ServerInterceptors.intercept(kv, Forwarding.serverInterceptor(), timed, gate))
                .addService(io.grpc.ServerInterceptors.intercept(kv.lockService(), Forwarding.serverInterceptor(), timed, gate))
                .addService(io.grpc.ServerInterceptors.intercept(kv.txnService(), Forwarding.serverInterceptor(), timed, gate))
                .addService(io.grpc.ServerInterceptors.intercept(kv.aggregateService(), timed, gate))
                .addService(io.grpc.ServerInterceptors.intercept(new ClusterService(loop, map, config, driver, httpAddress), timed, gate))
                .addService(io.grpc.ServerInterceptors.intercept(new WatchService(loop, map, config), timed, gate))
                .addService(io.grpc.ServerInterceptors.intercept(authService, Forwarding.serverInterceptor(), timed, gate));
        if (faults.isEnabled()) {
            builder.addService(faults.service());
        }
        RaftTransportService.configure(builder);
        try {
            return builder.build().start();
        } catch (IOException e) {
            // Netty's native transport reports a taken port as its own exception, not a BindException.
            if (e instanceof BindException || e.getCause() instanceof BindException
                    || String.valueOf(e.getMessage()).startsWith("Failed to bind")) {
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
        LOG.log(System.Logger.Level.INFO, "{0} stopping", nodeId);
        closeAll(resources);
        LOG.log(System.Logger.Level.INFO, "{0} stopped", nodeId);
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
