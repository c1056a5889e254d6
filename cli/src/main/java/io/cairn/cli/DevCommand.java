package io.cairn.cli;

import io.cairn.client.CairnClient;
import io.cairn.client.CairnException;
import io.cairn.client.ClusterStatus;
import java.io.File;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * A local cluster for development: N node processes on consecutive ports of 127.0.0.1, each
 * with its data in DATA/nX and its output in DATA/nX.log, stopped together on Ctrl-C.
 */
@Command(name = "dev", mixinStandardHelpOptions = true,
        description = {"Starts a local cluster of --nodes processes and waits for a leader.",
                "Ctrl-C stops every node. Data and logs (nX.log) go to --data-dir; a data dir of a cluster",
                "with other settings is refused (--fresh wipes it). A node that exits is reported with the",
                "command that restarts it."})
final class DevCommand implements Callable<Integer> {
    static final String HOST = "127.0.0.1";
    static final int NODES_MAX = 9;
    private static final Duration LEADER_WAIT = Duration.ofSeconds(60);
    private static final Duration POLL_INTERVAL = Duration.ofMillis(200);
    private static final Duration STOP_GRACE = Duration.ofSeconds(10);
    private static final int LOG_TAIL_LINES = 5;
    static final String CERTS_DIR = "certs";
    static final String ROOT_PASSWORD_FILE = "root.password";

    @Spec
    CommandSpec spec;

    @Option(names = "--nodes", paramLabel = "N", description = "Cluster size, 1-" + NODES_MAX + ". Default: ${DEFAULT-VALUE}")
    int nodes = 3;

    @Option(names = "--data-dir", paramLabel = "DIR", description = "Default: ${DEFAULT-VALUE}")
    Path dataDir = Path.of("cairn-data");

    @Option(names = "--base-port", paramLabel = "PORT", description = "n1 listens here, n2 on the next port... Default: ${DEFAULT-VALUE}")
    int basePort = 7401;

    @Option(names = "--shards", paramLabel = "N", description = "Shards of the keyspace (see `server --shards`). Default: ${DEFAULT-VALUE}")
    int shards = 1;

    @Option(names = "--dead-node-timeout", paramLabel = "DURATION",
            description = "With --shards > 1: a node silent this long has its replicas rebuilt on the others"
                    + " (see `server --dead-node-timeout`). Default: ${DEFAULT-VALUE}")
    String deadNodeTimeout = "5m";

    @Option(names = "--fresh", description = "Delete --data-dir first: a new, empty cluster.")
    boolean fresh;

    @Option(names = "--secure", description = {"TLS between everyone (mutual between nodes) and authentication:",
            "certificates go to DATA/certs (made once, by `certs init`), the root password to DATA/root.password."})
    boolean secure;

    private final List<Process> processes = new CopyOnWriteArrayList<>();
    /** Set once stopping began: nodes exiting then are expected, not reported. */
    private volatile boolean stopping;

    @Override
    public Integer call() throws IOException, InterruptedException {
        checkArguments();
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        for (int i = 1; i <= nodes; i++) {
            if (!portFree(port(i))) {
                err.println("cairn: port " + port(i) + " (for n" + i + ") is in use; stop what uses it or pick another --base-port");
                return CairnCli.EXIT_BAD_INPUT;
            }
        }
        Path data = dataDir.toAbsolutePath().normalize();
        if (fresh) {
            wipe(data);
        }
        String mismatch = mismatch(data);
        if (mismatch != null) {
            err.println("cairn: " + data + " holds a cluster " + mismatch + "; add --fresh to wipe it, or give another --data-dir");
            return CairnCli.EXIT_BAD_INPUT;
        }
        Files.createDirectories(data);
        if (secure) {
            prepareSecurity(data, out);
        } else if (Files.exists(data.resolve(CERTS_DIR))) {
            err.println("cairn: " + data + " holds a cluster made with --secure; add --secure (or --fresh to wipe it)");
            return CairnCli.EXIT_BAD_INPUT;
        }
        Runtime.getRuntime().addShutdownHook(new Thread(this::stopAll, "cairn-dev-stop"));
        for (int i = 1; i <= nodes; i++) {
            processes.add(startNode(i, data));
        }
        ClusterStatus status = awaitLeader(err, data);
        if (status == null) {
            stopAll();
            return CairnCli.EXIT_NEGATIVE;
        }
        printWelcome(out, status, data);
        return waitForNodes(err, data);
    }

    private void checkArguments() {
        if (nodes < 1 || nodes > NODES_MAX) {
            throw new IllegalArgumentException("--nodes must be 1-" + NODES_MAX + ": " + nodes);
        }
        if (basePort < 1 || basePort + nodes - 1 > 65535) {
            throw new IllegalArgumentException("--base-port " + basePort + " leaves no room for " + nodes + " ports");
        }
    }

    /**
     * How the cluster in {@code data} differs from the one these options describe (as its nodes
     * would refuse it at start), or null when it matches or there is none.
     */
    private String mismatch(Path data) throws IOException {
        Path identity = data.resolve("n1").resolve("cairn.properties");
        if (!Files.exists(identity)) {
            return null;
        }
        java.util.Properties p = new java.util.Properties();
        try (var r = Files.newBufferedReader(identity, StandardCharsets.UTF_8)) {
            p.load(r);
        }
        String hadShards = p.getProperty("shards");
        String hadFounders = p.getProperty("founders");
        if (hadShards == null || hadFounders == null) {
            return null; // written by an older release: the node itself compares and says what differs
        }
        List<String> diffs = new ArrayList<>();
        if (!hadShards.equals(Integer.toString(shards))) {
            diffs.add("of " + hadShards + (hadShards.equals("1") ? " shard" : " shards") + ", not " + shards);
        }
        if (!hadFounders.equals(initialCluster())) {
            int had = hadFounders.split(",").length;
            diffs.add(had == nodes ? "at other ports (" + hadFounders + ")" : "of " + had + " nodes, not " + nodes);
        }
        return diffs.isEmpty() ? null : String.join(" and ", diffs);
    }

    /** Deletes a dev data dir; refuses a directory that does not look like one. */
    private static void wipe(Path data) throws IOException {
        if (!Files.exists(data)) {
            return;
        }
        try (var entries = Files.list(data)) {
            for (Path e : entries.toList()) {
                String name = e.getFileName().toString();
                if (!name.matches("n[0-9]+(\\.log)?") && !name.equals(CERTS_DIR) && !name.equals(ROOT_PASSWORD_FILE)) {
                    throw new IllegalArgumentException(data + " holds " + name + ", which bin/cairn dev did not write;"
                            + " --fresh deletes only a dev cluster's data dir");
                }
            }
        }
        try (var all = Files.walk(data)) {
            for (Path e : all.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.delete(e);
            }
        }
    }

    private int port(int node) {
        return basePort + node - 1;
    }

    private String endpoints() {
        List<String> all = new ArrayList<>();
        for (int i = 1; i <= nodes; i++) {
            all.add(HOST + ":" + port(i));
        }
        return String.join(",", all);
    }

    private String initialCluster() {
        List<String> all = new ArrayList<>();
        for (int i = 1; i <= nodes; i++) {
            all.add("n" + i + "=" + HOST + ":" + port(i));
        }
        return String.join(",", all);
    }

    static boolean portFree(int port) {
        try (ServerSocket s = new ServerSocket()) {
            s.setReuseAddress(true);
            s.bind(new InetSocketAddress(InetAddress.getByName(HOST), port));
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    private Process startNode(int i, Path data) throws IOException {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> command = new ArrayList<>(List.of(java, "-cp", System.getProperty("java.class.path"),
                CairnCli.class.getName(), "server"));
        command.addAll(serverArgs(i, data));
        File log = data.resolve("n" + i + ".log").toFile();
        return new ProcessBuilder(command)
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log))
                .start();
    }

    /** The arguments of node {@code i}'s {@code server} command. */
    private List<String> serverArgs(int i, Path data) {
        List<String> args = new ArrayList<>(List.of("--node-id", "n" + i, "--listen", HOST + ":" + port(i),
                "--data-dir", data.resolve("n" + i).toString(), "--initial-cluster", initialCluster(),
                "--shards", Integer.toString(shards), "--dead-node-timeout", deadNodeTimeout));
        if (secure) {
            Path certs = data.resolve(CERTS_DIR);
            args.addAll(List.of("--cacert", certs.resolve("ca.crt").toString(),
                    "--cert", certs.resolve("nodes").resolve("n" + i + ".crt").toString(),
                    "--key-file", certs.resolve("nodes").resolve("n" + i + ".key").toString(),
                    "--auth", "--root-password-file", data.resolve(ROOT_PASSWORD_FILE).toString()));
        }
        return args;
    }

    /**
     * Certificates for every node and for the root client, and the root password, made once per
     * data dir; a later run reuses them (a node added with --nodes gets its certificate then).
     */
    private void prepareSecurity(Path data, PrintWriter out) throws IOException {
        Path certs = data.resolve(CERTS_DIR);
        Instant now = Instant.now();
        Instant until = now.plus(Duration.ofDays(365));
        CertificateAuthority ca;
        if (Files.exists(certs.resolve("ca.key"))) {
            ca = CertificateAuthority.load(certs.resolve("ca.crt"), certs.resolve("ca.key"));
        } else {
            Files.createDirectories(certs.resolve("nodes"));
            Files.createDirectories(certs.resolve("clients"));
            ca = CertificateAuthority.create("cairn dev CA", Duration.ofDays(365));
            ca.writeTo(certs.resolve("ca.crt"), certs.resolve("ca.key"));
            ca.issueClient("root", now, until).writeTo(certs.resolve("clients").resolve("root.crt"),
                    certs.resolve("clients").resolve("root.key"));
            out.println("made a CA and certificates in " + certs);
        }
        for (int i = 1; i <= nodes; i++) {
            Path crt = certs.resolve("nodes").resolve("n" + i + ".crt");
            if (!Files.exists(crt)) {
                ca.issueNode("n" + i, List.of("localhost"), now, until).writeTo(crt, certs.resolve("nodes").resolve("n" + i + ".key"));
            }
        }
        Path password = data.resolve(ROOT_PASSWORD_FILE);
        if (!Files.exists(password)) {
            byte[] random = new byte[18];
            new java.security.SecureRandom().nextBytes(random);
            String generated = java.util.Base64.getUrlEncoder().withoutPadding().encodeToString(random);
            Files.createFile(password, java.nio.file.attribute.PosixFilePermissions.asFileAttribute(
                    java.nio.file.attribute.PosixFilePermissions.fromString("rw-------")));
            Files.writeString(password, generated + "\n", StandardCharsets.UTF_8);
        }
    }

    /** A client of the dev cluster, as root when it is secure. */
    private CairnClient.Builder client() {
        CairnClient.Builder b = CairnClient.builder().endpoints(endpoints().split(","));
        if (secure) {
            Path data = dataDir.toAbsolutePath().normalize();
            Path certs = data.resolve(CERTS_DIR);
            try {
                b.tls(certs.resolve("ca.crt"), null, null)
                        .credentials("root", Files.readAllLines(data.resolve(ROOT_PASSWORD_FILE)).get(0).strip());
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }
        return b;
    }

    /** Polls cluster status until a member reports being leader; null if a node died or time ran out. */
    private ClusterStatus awaitLeader(PrintWriter err, Path data) throws InterruptedException {
        long deadline = System.nanoTime() + LEADER_WAIT.toNanos();
        try (CairnClient client = client().requestTimeout(Duration.ofSeconds(1)).build()) {
            while (System.nanoTime() < deadline) {
                for (int i = 0; i < processes.size(); i++) {
                    if (!processes.get(i).isAlive()) {
                        reportExit(err, data, i + 1);
                        return null;
                    }
                }
                try {
                    ClusterStatus status = client.clusterStatus();
                    if (status.leaderId() != 0) {
                        return status;
                    }
                } catch (CairnException e) {
                    // Not up yet: poll again.
                }
                Thread.sleep(POLL_INTERVAL.toMillis());
            }
        }
        err.println("cairn: no leader was elected within " + LEADER_WAIT.toSeconds() + " s; see the logs in " + data);
        return null;
    }

    private void printWelcome(PrintWriter out, ClusterStatus status, Path data) {
        boolean defaults = endpoints().equals(CairnCli.ENDPOINTS_DEFAULT);
        out.println(nodes + " node" + (nodes == 1 ? "" : "s") + " up; leader n" + status.leaderId()
                + " (term " + status.term() + ")");
        out.println("endpoints: " + endpoints());
        out.println("data and logs: " + data);
        String http = (secure ? "https" : "http") + "://127.0.0.1:" + (basePort + ServerCommand.HTTP_PORT_OFFSET);
        out.println("dashboard: " + http + "/ (metrics at " + http + "/metrics, also /health and /ready;"
                + " n2 at the next port, ...)" + (secure ? "; a browser asks to trust " + data.resolve(CERTS_DIR)
                .resolve("ca.crt") + " first" : ""));
        if (secure) {
            Path certs = data.resolve(CERTS_DIR);
            out.println("secure: TLS (mutual between nodes) and authentication; user root, password in "
                    + data.resolve(ROOT_PASSWORD_FILE));
            out.println("for the CLI: export CAIRN_CACERT=" + certs.resolve("ca.crt") + " CAIRN_USER=root CAIRN_PASSWORD_FILE="
                    + data.resolve(ROOT_PASSWORD_FILE));
        } else {
            out.println("open: no TLS, no authentication, on 127.0.0.1 only (--secure turns both on)");
        }
        out.println("try: bin/cairn " + (defaults ? "" : "--endpoints " + endpoints() + " ") + "put hello world");
        out.println("Ctrl-C stops the cluster.");
        out.flush();
    }

    /** Waits while the nodes run; reports each one that exits on its own as it exits, in any order. */
    private int waitForNodes(PrintWriter err, Path data) throws InterruptedException {
        List<java.util.concurrent.CompletableFuture<?>> exits = new ArrayList<>();
        for (int i = 0; i < processes.size(); i++) {
            int node = i + 1;
            exits.add(processes.get(i).onExit().thenRun(() -> {
                if (!stopping) {
                    reportExit(err, data, node);
                }
            }));
        }
        for (java.util.concurrent.CompletableFuture<?> e : exits) {
            try {
                e.get();
            } catch (java.util.concurrent.ExecutionException ex) {
                // reportExit failed to print: nothing more to say
            }
        }
        return CairnCli.EXIT_NEGATIVE;
    }

    private void reportExit(PrintWriter err, Path data, int node) {
        Process p = processes.get(node - 1);
        Path log = data.resolve("n" + node + ".log");
        synchronized (err) {
            err.println("cairn: n" + node + " exited with code " + p.exitValue() + "; last lines of " + log + ":");
            try {
                List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
                lines.subList(Math.max(0, lines.size() - LOG_TAIL_LINES), lines.size()).forEach(l -> err.println("  " + l));
            } catch (IOException e) {
                err.println("  (cannot read it: " + e.getMessage() + ")");
            }
            err.println("  restart it (the others keep running) with: bin/cairn server " + String.join(" ", serverArgs(node, data)));
            err.flush();
        }
    }

    /** Asks every node to stop, then kills those still running after the grace period. */
    private synchronized void stopAll() {
        stopping = true;
        processes.forEach(Process::destroy);
        long deadline = System.nanoTime() + STOP_GRACE.toNanos();
        for (Process p : processes) {
            try {
                long leftNanos = Math.max(0, deadline - System.nanoTime());
                if (!p.waitFor(leftNanos, TimeUnit.NANOSECONDS)) {
                    p.destroyForcibly();
                }
            } catch (InterruptedException e) {
                p.destroyForcibly();
            }
        }
    }
}
