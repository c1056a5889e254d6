package io.cairn.compare;

import io.cairn.cli.CairnCli;
import io.cairn.cli.DurationConverter;
import io.cairn.cli.bench.BenchConfig;
import io.cairn.cli.bench.BenchOptions;
import io.cairn.cli.bench.BenchResult;
import io.cairn.cli.bench.BenchRunner;
import io.cairn.cli.bench.BenchTarget;
import io.cairn.cli.bench.Workload;
import io.cairn.client.CairnClient;
import io.cairn.client.CairnException;
import io.cairn.client.CairnUnavailableException;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code cairn bench} against Cairn, etcd or ZooKeeper: the same options, the same runner
 * ({@link BenchRunner}), the same output ({@link BenchResult}), only the {@link BenchTarget}
 * differs ({@link EtcdTarget}, {@link ZooKeeperTarget}). Every option of {@code cairn bench}
 * exists here with the same default; {@code CompareBenchTest} holds that. Exit codes as
 * {@code cairn}'s: 0 when requests succeeded, 1 when none did (or another failure), 2 for bad
 * input (nothing sent), 3 when the target could not be reached at the start.
 */
@Command(name = "compare-bench", mixinStandardHelpOptions = true, version = "compare-bench 0.1.0-SNAPSHOT", sortOptions = false,
        description = {"Runs 'cairn bench' against Cairn, etcd or ZooKeeper with the same settings, and prints "
                + "the same table, or with --json the same line.",
                "Keys are bench/0000000000 on (ZooKeeper: znodes /cairn-bench/bench%%2F0000000000 on). "
                        + "How each request maps onto each system: bench/compare/README.md.",
                "Workloads: " + Workload.NAMES + " (no scan on ZooKeeper). lock takes a lock, writes under it and "
                        + "releases it: Cairn's lock sessions, Curator's InterProcessMutex on ZooKeeper, etcd's lock "
                        + "service with a lease per cycle in flight."})
public final class CompareBench implements Callable<Integer> {
    /** The systems compared, each with the endpoints of the local clusters of bench/compare. */
    public enum Target {
        CAIRN(CairnCli.ENDPOINTS_DEFAULT),
        ETCD("127.0.0.1:2379,127.0.0.1:22379,127.0.0.1:32379"),
        ZOOKEEPER("127.0.0.1:2181,127.0.0.1:2182,127.0.0.1:2183");

        final String endpointsDefault;

        Target(String endpointsDefault) {
            this.endpointsDefault = endpointsDefault;
        }
    }

    @Option(names = "--target", paramLabel = "SYSTEM", required = true,
            description = "cairn, etcd or zookeeper.")
    Target target;

    @Option(names = "--endpoints", split = ",", paramLabel = "HOST:PORT",
            description = {"The target's client endpoints. Default: cairn " + CairnCli.ENDPOINTS_DEFAULT
                    + "; etcd 127.0.0.1:2379,127.0.0.1:22379,127.0.0.1:32379; "
                    + "zookeeper 127.0.0.1:2181,127.0.0.1:2182,127.0.0.1:2183."})
    List<String> endpoints;

    @Option(names = "--conns", paramLabel = "N",
            description = {"etcd: gRPC connections; zookeeper: sessions. The i-th goes to endpoint i mod the "
                    + "endpoints, requests take them round-robin. Default: one per endpoint. "
                    + "Not for cairn, whose client manages its own."})
    Integer conns;

    @Option(names = "--timeout", paramLabel = "DURATION", defaultValue = "5s", converter = DurationConverter.class,
            description = "How long a request may take (cairn: retries included; etcd, zookeeper: one attempt). "
                    + "Default: ${DEFAULT-VALUE}")
    Duration timeout;

    @Option(names = "--verbose", description = "Print stack traces with errors.")
    boolean verbose;

    @Option(names = "--cacert", defaultValue = "${env:CAIRN_CACERT}", paramLabel = "FILE", description = "cairn: speak TLS, trusting this CA (as `cairn bench`).")
    java.nio.file.Path cacert;

    @Option(names = "--cert", defaultValue = "${env:CAIRN_CERT}", paramLabel = "FILE", description = "cairn: a client certificate (with --key-file).")
    java.nio.file.Path cert;

    @Option(names = "--key-file", defaultValue = "${env:CAIRN_KEY_FILE}", paramLabel = "FILE", description = "cairn: the client certificate's key.")
    java.nio.file.Path key;

    @Option(names = "--user", defaultValue = "${env:CAIRN_USER}", paramLabel = "NAME", description = "cairn: sign in as NAME (with --password-file).")
    String user;

    @Option(names = "--password-file", defaultValue = "${env:CAIRN_PASSWORD_FILE}", paramLabel = "FILE", description = "cairn: the first line is --user's password.")
    java.nio.file.Path passwordFile;

    @Mixin
    BenchOptions options;

    @Spec
    CommandSpec spec;

    public static void main(String[] args) {
        System.exit(commandLine().execute(args));
    }

    /** The command line with {@code cairn}'s error handling: one line per error, its exit codes. */
    public static CommandLine commandLine() {
        CommandLine cli = new CommandLine(new CompareBench());
        cli.setCaseInsensitiveEnumValuesAllowed(true);
        cli.setParameterExceptionHandler((e, args) -> {
            CommandLine cmd = e.getCommandLine();
            cmd.getErr().println("compare-bench: " + oneLine(e.getMessage()) + " (see 'compare-bench --help')");
            return CairnCli.EXIT_BAD_INPUT;
        });
        cli.setExecutionExceptionHandler((e, cmd, parsed) -> onFailure(e, cmd));
        return cli;
    }

    @Override
    public Integer call() throws Exception {
        // Everything is checked before a connection exists.
        BenchConfig config = options.toConfig(timeout);
        if (target == Target.ZOOKEEPER && config.workload().kind() == Workload.Kind.SCAN) {
            throw new IllegalArgumentException(ZooKeeperTarget.NO_SCAN);
        }
        Duration lockHold = options.lockHold();
        boolean secure = cacert != null || cert != null || key != null || user != null || passwordFile != null;
        if (target != Target.CAIRN && secure) {
            throw new IllegalArgumentException("--cacert, --cert, --key-file, --user and --password-file are for --target cairn");
        }
        if (user != null && (passwordFile == null || cacert == null)) {
            throw new IllegalArgumentException("--user needs --password-file and --cacert");
        }
        if (target == Target.CAIRN && conns != null) {
            throw new IllegalArgumentException("--conns is for etcd and zookeeper; Cairn's client manages its connections");
        }
        List<String> to = endpoints();
        int connections = conns == null ? to.size() : conns;
        if (connections < 1 || connections > BenchConfig.CLIENTS_MAX) {
            throw new IllegalArgumentException("--conns must be in [1, " + BenchConfig.CLIENTS_MAX + "]: " + connections);
        }
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        BenchResult result = run(config, to, connections, lockHold, err);
        out.println(options.json() ? result.toJsonLine() : result.toTable());
        out.flush();
        // A run where nothing succeeded measured nothing: say so to scripts too.
        return result.ops() > 0 ? CairnCli.EXIT_OK : CairnCli.EXIT_NEGATIVE;
    }

    private BenchResult run(BenchConfig config, List<String> to, int connections, Duration lockHold, PrintWriter err)
            throws Exception {
        boolean locks = config.workload().kind() == Workload.Kind.LOCK;
        switch (target) {
            case CAIRN -> {
                // As cairn bench builds its client: every request in flight may be a write with a session of its own.
                CairnClient.Builder b = CairnClient.builder()
                        .endpoints(to)
                        .requestTimeout(timeout)
                        .attemptTimeout(timeout.compareTo(CairnClient.ATTEMPT_TIMEOUT_DEFAULT) < 0
                                ? timeout : CairnClient.ATTEMPT_TIMEOUT_DEFAULT)
                        .writeSessionsMax(Math.max(options.clients(), CairnClient.WRITE_SESSIONS_MAX_DEFAULT));
                if (cacert != null) {
                    b.tls(cacert, cert, key);
                }
                if (user != null) {
                    b.credentials(user, java.nio.file.Files.readAllLines(passwordFile).get(0).strip());
                }
                try (CairnClient client = b.build()) {
                    // --hold-ms as cairn bench honours it; no TTL and no near cache (not compared).
                    return runner(config, BenchTarget.of(client, options.consistency(), Duration.ZERO, null, lockHold,
                                    options.unlockWithWrite()),
                            err).run();
                }
            }
            case ETCD -> {
                // A lock cycle in flight needs a lease of its own (EtcdTarget): one per client.
                try (EtcdTarget etcd = locks
                        ? EtcdTarget.connectForLocks(to, connections, timeout, lockHold, config.clients())
                        : EtcdTarget.connect(to, connections, options.consistency(), timeout)) {
                    return runner(config, etcd, err).run();
                }
            }
            case ZOOKEEPER -> {
                try (ZooKeeperTarget zk = locks
                        ? ZooKeeperTarget.connectForLocks(to, connections, timeout, lockHold)
                        : ZooKeeperTarget.connect(to, connections, options.consistency(), timeout)) {
                    return runner(config, zk, err).run();
                }
            }
            default -> throw new IllegalStateException("no target " + target);
        }
    }

    private static BenchRunner runner(BenchConfig config, BenchTarget target, PrintWriter err) {
        return new BenchRunner(config, target, System::nanoTime, err);
    }

    private List<String> endpoints() {
        List<String> list = endpoints != null ? endpoints : List.of(target.endpointsDefault.split(","));
        for (String endpoint : list) {
            if (!endpoint.matches("[^:\\s]+:[0-9]{1,5}")) {
                throw new IllegalArgumentException("endpoint '" + endpoint + "' is not HOST:PORT");
            }
        }
        return List.copyOf(list);
    }

    private static int onFailure(Exception e, CommandLine cmd) {
        Throwable t = e;
        while ((t instanceof CompletionException || t instanceof ExecutionException) && t.getCause() != null) {
            t = t.getCause();
        }
        int exit;
        String message;
        if (t instanceof IllegalArgumentException) {
            exit = CairnCli.EXIT_BAD_INPUT;
            message = t.getMessage();
        } else if (t instanceof CairnUnavailableException) {
            exit = CairnCli.EXIT_UNAVAILABLE;
            message = t.getMessage();
        } else if (t instanceof CairnException || t instanceof IllegalStateException) {
            exit = CairnCli.EXIT_NEGATIVE;
            message = t.getMessage();
        } else {
            exit = CairnCli.EXIT_NEGATIVE;
            message = "unexpected error: " + t;
        }
        PrintWriter err = cmd.getErr();
        err.println("compare-bench: " + oneLine(message));
        if (((CompareBench) cmd.getCommand()).verbose) {
            t.printStackTrace(err);
        }
        err.flush();
        return exit;
    }

    private static String oneLine(String message) {
        return message == null ? "(no message)" : message.replaceAll("\\s*\\R\\s*", " ").trim();
    }
}
