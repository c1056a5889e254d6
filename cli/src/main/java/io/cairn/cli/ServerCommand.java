package io.cairn.cli;

import io.cairn.common.NodeId;
import io.cairn.server.CairnServer;
import io.cairn.server.ClusterSpec;
import io.cairn.server.Security;
import io.cairn.server.ServerConfig;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "server", mixinStandardHelpOptions = true,
        description = {"Runs one Cairn node until it is stopped (SIGTERM or Ctrl-C).",
                "Prints '<node> serving on <address> (data <dir>)' once it serves."})
final class ServerCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--node-id", required = true, paramLabel = "NAME", description = "This node, e.g. n1.")
    String nodeId;

    @Option(names = "--listen", required = true, paramLabel = "HOST:PORT",
            description = "Address for clients and peers, e.g. 127.0.0.1:7401.")
    String listen;

    @Option(names = "--data-dir", required = true, paramLabel = "DIR", description = "Where the node keeps its data.")
    Path dataDir;

    @Option(names = "--initial-cluster", paramLabel = "n1=HOST:PORT,...",
            description = "The founding members, identical on every node. Default: this node alone.")
    String initialCluster;

    @Option(names = "--tick-ms", paramLabel = "MS", description = "Raft tick length. Default: ${DEFAULT-VALUE}")
    int tickMillis = ServerConfig.TICK_MILLIS_DEFAULT;

    @Option(names = "--election-ticks", paramLabel = "N",
            description = "Minimum election timeout in ticks; leaders heartbeat every third of it. Default: ${DEFAULT-VALUE}")
    int electionTicks = ServerConfig.ELECTION_TICKS_DEFAULT;

    @Option(names = "--compact-entries", paramLabel = "N",
            description = "Compact the log after this many entries. Default: ${DEFAULT-VALUE}")
    long compactEntries = ServerConfig.COMPACT_ENTRIES_DEFAULT;

    @Option(names = "--shards", paramLabel = "N",
            description = "Shards of the keyspace, each a Raft group of up to 3 replicas; fixed when the cluster is"
                    + " created and identical on every node. Default: ${DEFAULT-VALUE}")
    int shards = ServerConfig.SHARDS_DEFAULT;

    @Option(names = "--join", description = "This node is new: it is not in --initial-cluster (the founders, as given"
            + " to them) and joins the running cluster, which gives it its share of replicas. Needs --shards > 1.")
    boolean join;

    @Option(names = "--dead-node-timeout", paramLabel = "DURATION", converter = DurationConverter.class,
            description = "A member silent this long is declared dead and its replicas are rebuilt on the others"
                    + " (e.g. 30s, 5m). Default: 5m")
    java.time.Duration deadNodeTimeout = java.time.Duration.ofMillis(ServerConfig.DEAD_NODE_TIMEOUT_MILLIS_DEFAULT);

    @Option(names = "--watch-history", paramLabel = "N",
            description = "Changes each replica keeps in memory for watches that start in the past or resume;"
                    + " an older start revision is told COMPACTED. Default: ${DEFAULT-VALUE}")
    int watchHistoryEvents = io.cairn.kv.state.WatchRetention.DEFAULT.events();

    @Option(names = "--watch-history-mb", paramLabel = "MIB",
            description = "...and at most this many MiB of them. Default: ${DEFAULT-VALUE}")
    long watchHistoryMib = io.cairn.kv.state.WatchRetention.DEFAULT.bytes() >> 20;

    @Option(names = "--watch-history-age", paramLabel = "DURATION", converter = DurationConverter.class,
            description = "...and none older than this (e.g. 10m). Default: no age limit.")
    java.time.Duration watchHistoryAge = java.time.Duration.ZERO;

    @Option(names = "--txn-timeout", paramLabel = "DURATION", converter = DurationConverter.class,
            description = "A cross-shard transaction's intent older than this is aborted by the first write that"
                    + " meets it, so a crashed coordinator holds keys no longer (e.g. 2s). Default: 2s")
    java.time.Duration txnTimeout = java.time.Duration.ofMillis(ServerConfig.TXN_TIMEOUT_MILLIS_DEFAULT);

    @Option(names = "--http-listen", paramLabel = "HOST:PORT|off",
            description = "Where /metrics (Prometheus), /health and /ready are served. Default: --listen's host"
                    + " at its port + " + HTTP_PORT_OFFSET + " (skipped, with a warning, if that port is taken); off: none.")
    String httpListen;

    /** The HTTP port's default distance from the gRPC port: 7401 serves HTTP on 8401. */
    static final int HTTP_PORT_OFFSET = 1000;

    @Option(names = "--auth", description = "Every client request must come from a user (password login or client"
            + " certificate) whose roles allow it. Needs TLS (--cacert, --cert, --key-file).")
    boolean auth;

    @Option(names = "--root-password-file", paramLabel = "FILE",
            description = "With --auth: the root user's password at the cluster's first start (first line of FILE)."
                    + " Default: one is generated and printed once by the node that creates it.")
    Path rootPasswordFile;

    @Option(names = "--auth-token-ttl", paramLabel = "DURATION", converter = DurationConverter.class,
            description = "How long a login's token is valid (clients renew it). Default: 10m")
    java.time.Duration authTokenTtl = java.time.Duration.ofMillis(Security.TOKEN_TTL_MILLIS_DEFAULT);

    @Option(names = "--max-streams-per-user", paramLabel = "N",
            description = "With --auth: watches and other streams one user may hold open on this node. Default: ${DEFAULT-VALUE}")
    int maxStreamsPerUser = Security.STREAMS_PER_USER_MAX_DEFAULT;

    @Option(names = "--max-sessions-per-user", paramLabel = "N",
            description = "With --auth: write sessions (exactly-once client ids) one user may have open on this node;"
                    + " idle ones lapse after 10 min. Default: ${DEFAULT-VALUE}")
    int maxSessionsPerUser = Security.SESSIONS_PER_USER_MAX_DEFAULT;

    @Option(names = "--max-calls-per-connection", paramLabel = "N",
            description = "Concurrent calls on one client connection; more wait their turn. Default: ${DEFAULT-VALUE}")
    int maxCallsPerConnection = Security.CALLS_PER_CONNECTION_MAX_DEFAULT;

    @Option(names = "--require-client-certs", description = "Refuse clients without a certificate of the cluster CA.")
    boolean requireClientCerts;

    @Option(names = "--insecure", description = "Serve a non-loopback --listen address without TLS and --auth anyway:"
            + " anyone who reaches the port may then read, write and reconfigure the cluster.")
    boolean insecure;

    @Option(names = "--fault-injection", hidden = true,
            description = "Serve the FaultControl service the real-process fault suite drives (loopback only).")
    boolean faultInjection;

    @Override
    public Integer call() throws InterruptedException {
        // One line per event, time first (the JDK's default spends two lines on each, the first
        // naming a Java method); a JVM flag or logging.properties still wins.
        if (System.getProperty("java.util.logging.SimpleFormatter.format") == null
                && System.getProperty("java.util.logging.config.file") == null) {
            System.setProperty("java.util.logging.SimpleFormatter.format", "%1$tF %1$tT.%1$tL %4$s %5$s%6$s%n");
        }
        // Bad names, addresses and numbers throw IllegalArgumentException: exit 2 with its message.
        ServerConfig config = config();
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        CairnServer server;
        try {
            server = CairnServer.start(config, faultInjection);
        } catch (IllegalArgumentException | IllegalStateException | IOException e) {
            err.println("cairn: " + config.nodeId() + " cannot start: " + CairnCli.oneLine(e.getMessage()));
            if (CairnCli.root(spec).verbose) {
                e.printStackTrace(err);
            }
            err.flush();
            return CairnCli.EXIT_BAD_INPUT;
        }
        Thread stopper = new Thread(server::close, "cairn-server-stop");
        Runtime.getRuntime().addShutdownHook(stopper);
        String host = config.listenAddress().substring(0, config.listenAddress().lastIndexOf(':'));
        out.println(config.nodeId() + " serving on " + host + ":" + server.port() + " (data " + config.dataDir() + ")");
        out.flush();
        server.awaitTermination();
        if (server.stoppedBecause().isPresent()) {
            err.println("cairn: " + config.nodeId() + " stopped: " + CairnCli.oneLine(server.stoppedBecause().get()));
            err.flush();
            return CairnCli.EXIT_BAD_INPUT;
        }
        return CairnCli.EXIT_OK;
    }

    /** The HTTP address asked for, or derived from the gRPC one (optional then), or none. */
    private ServerConfig withHttp(ServerConfig base, String address) {
        if (httpListen != null) {
            return base.withHttpListen(httpListen.equals("off") ? "" : ClusterSpec.parseAddress(httpListen), false);
        }
        int colon = address.lastIndexOf(':');
        int port = Integer.parseInt(address.substring(colon + 1));
        if (port == 0 || port + HTTP_PORT_OFFSET > 65_535) {
            return base;
        }
        return base.withHttpListen(address.substring(0, colon) + ":" + (port + HTTP_PORT_OFFSET), true);
    }

    ServerConfig config() {
        NodeId id = ClusterSpec.parseName(nodeId);
        String address = ClusterSpec.parseAddress(listen);
        ClusterSpec cluster = initialCluster == null
                ? ClusterSpec.parse(id + "=" + address)
                : ClusterSpec.parse(initialCluster);
        if (join && initialCluster == null) {
            throw new IllegalArgumentException("--join needs --initial-cluster: the founders, as given to them");
        }
        ServerConfig base = join
                ? ServerConfig.ofJoiner(id, address, dataDir, cluster, shards)
                : ServerConfig.of(id, address, dataDir, cluster).withShards(shards);
        if (watchHistoryMib < 1 || watchHistoryMib > 1L << 20) {
            throw new IllegalArgumentException("--watch-history-mb must be 1 to " + (1L << 20) + ": " + watchHistoryMib);
        }
        CairnCli root = CairnCli.root(spec);
        if (root.cacert == null && (root.cert != null || root.key != null)) {
            throw new IllegalArgumentException("--cert and --key-file need --cacert (the CA that signs peers and clients)");
        }
        if (root.cacert != null && (root.cert == null || root.key == null)) {
            throw new IllegalArgumentException("a node with TLS needs --cert and --key-file (its node certificate) besides --cacert");
        }
        Security security = new Security(root.cacert == null ? null : new io.cairn.client.Tls.Files(root.cacert, root.cert, root.key),
                requireClientCerts, auth, rootPasswordFile, authTokenTtl.toMillis(), Security.OPEN.passwordIterations(), insecure,
                maxStreamsPerUser, maxCallsPerConnection, maxSessionsPerUser);
        return withHttp(base, address).withSecurity(security).withTicks(tickMillis, electionTicks).withCompaction(compactEntries, base.compactBytes())
                .withDeadNodeTimeout(deadNodeTimeout.toMillis()).withTxnTimeout(txnTimeout.toMillis())
                .withWatchRetention(new io.cairn.kv.state.WatchRetention(watchHistoryEvents, watchHistoryMib << 20,
                        watchHistoryAge.toMillis()));
    }
}
