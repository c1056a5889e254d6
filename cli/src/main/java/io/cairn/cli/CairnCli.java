package io.cairn.cli;

import io.cairn.client.CairnClient;
import io.cairn.client.CairnException;
import io.cairn.client.CairnUnavailableException;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.logging.Level;
import java.util.logging.Logger;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ScopeType;
import picocli.CommandLine.Spec;

/**
 * The {@code cairn} command. Exit codes:
 * <ul>
 *   <li>0: done;</li>
 *   <li>1: a negative answer ({@code get} of an absent key, {@code cas} version mismatch), or a
 *       server error the client cannot act on, or a {@code bench} run where no request
 *       succeeded;</li>
 *   <li>2: bad input, found before anything was sent (usage, empty or over-limit key or value,
 *       bad node id, a node that cannot start: port in use, data dir of another node);</li>
 *   <li>3: no endpoint could serve the request before the deadline; the message names every
 *       endpoint tried.</li>
 * </ul>
 * Errors are one line on stderr ({@code --verbose} adds stack traces); stdout carries command
 * output only.
 */
@Command(name = "cairn",
        mixinStandardHelpOptions = true,
        version = "cairn 0.1.0-SNAPSHOT",
        description = "Cairn: a sharded, Raft-replicated key-value store.",
        // The subcommands are added by commandLine(), not listed here: see COMMANDS.
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {
                "0:done",
                "1:not found, version mismatch, a server error, or a bench where nothing succeeded",
                "2:bad input, or a node that cannot start (nothing was sent)",
                "3:no endpoint answered before the deadline"})
public final class CairnCli implements Runnable {
    public static final int EXIT_OK = 0;
    public static final int EXIT_NEGATIVE = 1;
    public static final int EXIT_BAD_INPUT = 2;
    public static final int EXIT_UNAVAILABLE = 3;
    public static final String ENDPOINTS_DEFAULT = "127.0.0.1:7401,127.0.0.1:7402,127.0.0.1:7403";

    @Option(names = "--endpoints", scope = ScopeType.INHERIT, split = ",", paramLabel = "HOST:PORT",
            defaultValue = ENDPOINTS_DEFAULT, description = "Nodes to contact (any member will do). Default: ${DEFAULT-VALUE}")
    List<String> endpoints;

    @Option(names = "--timeout", scope = ScopeType.INHERIT, paramLabel = "DURATION", defaultValue = "5s",
            converter = DurationConverter.class,
            description = "How long a request may take, retries included, e.g. 500ms, 5s, 1m. Default: ${DEFAULT-VALUE}")
    Duration timeout;

    @Option(names = "--verbose", scope = ScopeType.INHERIT, description = "Print stack traces with errors.")
    boolean verbose;

    @Option(names = "--cacert", scope = ScopeType.INHERIT, paramLabel = "FILE", defaultValue = "${env:CAIRN_CACERT}",
            description = "Speak TLS, trusting the cluster CA in FILE (PEM). For `server`: the CA its peers and clients"
                    + " must be signed by. Env: CAIRN_CACERT")
    java.nio.file.Path cacert;

    @Option(names = "--cert", scope = ScopeType.INHERIT, paramLabel = "FILE", defaultValue = "${env:CAIRN_CERT}",
            description = "Own certificate (PEM): a client certificate signs in as its user; `server` needs a node"
                    + " certificate. Env: CAIRN_CERT")
    java.nio.file.Path cert;

    @Option(names = "--key-file", scope = ScopeType.INHERIT, paramLabel = "FILE", defaultValue = "${env:CAIRN_KEY_FILE}",
            description = "The private key of --cert (PKCS#8 PEM). Env: CAIRN_KEY_FILE")
    java.nio.file.Path key;

    @Option(names = "--user", scope = ScopeType.INHERIT, paramLabel = "NAME", defaultValue = "${env:CAIRN_USER}",
            description = "Sign in as NAME (clusters with --auth); the password comes from --password-file, or"
                    + " CAIRN_PASSWORD, or is asked for. Env: CAIRN_USER")
    String user;

    @Option(names = "--password-file", scope = ScopeType.INHERIT, paramLabel = "FILE",
            defaultValue = "${env:CAIRN_PASSWORD_FILE}",
            description = "Read --user's password from the first line of FILE. Env: CAIRN_PASSWORD_FILE")
    java.nio.file.Path passwordFile;

    @Spec
    CommandSpec spec;

    /** stdin and stdout as bytes for the data commands; made on first use, set by tests. */
    Stdio stdio;

    /** gRPC's logger once quietened: held so that its level stays set (the JDK keeps loggers weakly). */
    private static Logger grpcLog;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "a command is required");
    }

    /**
     * The subcommands, in the order {@code --help} lists them; {@link #newCommand} makes each.
     * They are added by {@link #commandLine} rather than listed in {@code @Command}, so that a run
     * can build the model of the one command it runs only: picocli reflects over every command
     * class it is given, and building all ten cost a {@code get} ~45 ms (docs/performance.md).
     */
    static final List<String> COMMANDS = List.of("server", "dev", "put", "get", "del", "cas", "scan", "expire", "persist",
            "ttl", "txn", "watch", "lock", "elect", "aggregate", "cluster", "endpoint", "certs", "user", "role", "whoami", "top", "bench", "help");

    /** The global options that take a value. */
    private static final List<String> VALUED_OPTIONS = List.of("--endpoints", "--timeout", "--cacert", "--cert", "--key-file",
            "--user", "--password-file");

    static Object newCommand(String name) {
        return switch (name) {
            case "server" -> new ServerCommand();
            case "dev" -> new DevCommand();
            case "put" -> new PutCommand();
            case "get" -> new GetCommand();
            case "del" -> new DelCommand();
            case "cas" -> new CasCommand();
            case "scan" -> new ScanCommand();
            case "expire" -> new ExpireCommand();
            case "persist" -> new PersistCommand();
            case "ttl" -> new TtlCommand();
            case "txn" -> new TxnCommand();
            case "watch" -> new WatchCommand();
            case "lock" -> new LockCommand();
            case "elect" -> new ElectCommand();
            case "aggregate" -> new AggregateCommand();
            case "cluster" -> new ClusterCommand();
            case "endpoint" -> new EndpointCommand();
            case "user" -> new AccessCommands.User();
            case "role" -> new AccessCommands.Role();
            case "whoami" -> new AccessCommands.WhoAmI();
            case "certs" -> new CertsCommand();
            case "top" -> new TopCommand();
            case "bench" -> new BenchCommand();
            case "help" -> new CommandLine.HelpCommand();
            default -> throw new IllegalArgumentException("no command " + name);
        };
    }

    public static void main(String[] args) {
        int exit = commandLine(args).execute(args);
        // gRPC's event-loop threads wait in epoll; a JVM exiting with threads in native code waits
        // 300 ms for them first.
        SharedEventLoops.shutDown();
        System.exit(exit);
    }

    /** The command line with every subcommand and Cairn's error handling: one line per error, the exit codes above. */
    public static CommandLine commandLine() {
        return commandLine(COMMANDS);
    }

    /**
     * The command line for running {@code args}: with only the subcommand they name when that is
     * plain (global options, then a subcommand's name), else with all of them (root help, usage
     * errors and suggestions need all). Either way {@code args} parse and run the same.
     */
    public static CommandLine commandLine(String[] args) {
        String command = commandNamed(args);
        return commandLine(command == null ? COMMANDS : List.of(command));
    }

    /** The subcommand {@code args} run, after any global options; null when that is not plain. */
    static String commandNamed(String[] args) {
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            if (VALUED_OPTIONS.contains(a)) {
                i++;
            } else if (!a.equals("--verbose") && VALUED_OPTIONS.stream().noneMatch(o -> a.startsWith(o + "="))) {
                // "help NAME" shows another subcommand's help: it needs them all.
                return COMMANDS.contains(a) && !a.equals("help") ? a : null;
            }
        }
        return null;
    }

    private static CommandLine commandLine(List<String> commands) {
        CommandLine cli = new CommandLine(new CairnCli());
        for (String name : commands) {
            cli.addSubcommand(name, newCommand(name));
        }
        // After the subcommands: picocli applies these settings to the subcommands present.
        cli.setCaseInsensitiveEnumValuesAllowed(true);
        // Keys are bytes: "@name" is a key, not a file of arguments to read.
        cli.setExpandAtFiles(false);
        cli.setParameterExceptionHandler(CairnCli::onBadUsage);
        cli.setExecutionExceptionHandler((e, cmd, parsed) -> onFailure(e, cmd));
        return cli;
    }

    Stdio stdio() {
        if (stdio == null) {
            stdio = Stdio.system();
        }
        return stdio;
    }

    /** Writes out what the data commands wrote to stdout, if any did. */
    void flushStdout() {
        if (stdio != null) {
            try {
                stdio.out().flush();
            } catch (IOException e) {
                throw new UncheckedIOException("cannot write to stdout: " + e.getMessage(), e);
            }
        }
    }

    /**
     * gRPC logs each failed name resolution with a stack trace (an unknown host in --endpoints),
     * which the command's one-line error says already. Client commands only: a node keeps them.
     */
    static synchronized void quietGrpcLogs() {
        if (grpcLog == null) {
            grpcLog = Logger.getLogger("io.grpc");
        }
        grpcLog.setLevel(Level.OFF);
    }

    /** A client for the global options; the caller closes it. */
    CairnClient client() {
        return clientBuilder().build();
    }

    /** The client settings of the global options, for a command that adds its own. */
    CairnClient.Builder clientBuilder() {
        CairnClient.Builder b = CairnClient.builder()
                .endpoints(endpoints)
                .requestTimeout(timeout)
                .attemptTimeout(timeout.compareTo(CairnClient.ATTEMPT_TIMEOUT_DEFAULT) < 0
                        ? timeout : CairnClient.ATTEMPT_TIMEOUT_DEFAULT);
        if (cacert != null) {
            b.tls(cacert, cert, key);
        } else if (cert != null || key != null) {
            throw new IllegalArgumentException("--cert and --key-file need --cacert (the cluster CA to trust)");
        }
        if (user != null && !user.isEmpty()) {
            if (cacert == null) {
                throw new IllegalArgumentException("--user sends a password: give --cacert too, so it travels over TLS");
            }
            b.credentials(user, password());
        }
        return b;
    }

    /** --user's password: from --password-file, CAIRN_PASSWORD, or the terminal. */
    String password() {
        try {
            if (passwordFile != null) {
                List<String> lines = java.nio.file.Files.readAllLines(passwordFile, java.nio.charset.StandardCharsets.UTF_8);
                if (lines.isEmpty() || lines.get(0).isBlank()) {
                    throw new IllegalArgumentException("--password-file " + passwordFile + " is empty");
                }
                return lines.get(0).strip();
            }
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot read --password-file: " + e.getMessage());
        }
        String env = System.getenv("CAIRN_PASSWORD");
        if (env != null && !env.isEmpty()) {
            return env;
        }
        java.io.Console console = System.console();
        if (console == null) {
            throw new IllegalArgumentException("--user " + user + " needs a password: give --password-file or set CAIRN_PASSWORD");
        }
        char[] typed = console.readPassword("password for %s: ", user);
        if (typed == null || typed.length == 0) {
            throw new IllegalArgumentException("no password given");
        }
        return new String(typed);
    }

    /** The root command's options, from any subcommand. */
    static CairnCli root(CommandSpec spec) {
        return (CairnCli) spec.root().userObject();
    }

    private static int onBadUsage(CommandLine.ParameterException e, String[] args) {
        CommandLine cmd = e.getCommandLine();
        cmd.getErr().println("cairn: " + oneLine(e.getMessage()) + " (see '" + cmd.getCommandSpec().qualifiedName()
                + " --help')");
        return EXIT_BAD_INPUT;
    }

    private static int onFailure(Exception e, CommandLine cmd) {
        Throwable t = unwrap(e);
        PrintWriter err = cmd.getErr();
        int exit;
        String message;
        if (t instanceof IllegalArgumentException) {
            exit = EXIT_BAD_INPUT;
            message = t.getMessage();
        } else if (t instanceof CairnUnavailableException) {
            exit = EXIT_UNAVAILABLE;
            message = t.getMessage() + tlsHint(t.getMessage(), root(cmd.getCommandSpec()).cacert != null);
        } else if (t instanceof CairnException || t instanceof IllegalStateException) {
            exit = EXIT_NEGATIVE;
            message = t.getMessage();
        } else if (t instanceof UncheckedIOException || t instanceof IOException) {
            exit = EXIT_NEGATIVE;
            message = t.getMessage();
        } else {
            exit = EXIT_NEGATIVE;
            message = "unexpected error: " + t;
        }
        err.println("cairn: " + oneLine(message));
        if (root(cmd.getCommandSpec()).verbose) {
            t.printStackTrace(err);
        }
        err.flush();
        return exit;
    }

    /**
     * What a connection failure likely means when plaintext met TLS or the certificates do not
     * match: gRPC reports these as a closed connection or a handshake error, which say little.
     */
    static String tlsHint(String message, boolean tls) {
        String m = String.valueOf(message);
        if (!tls && (m.contains("Network closed for unknown reason") || m.contains("first received frame was not SETTINGS")
                || m.contains("Connection closed") && m.contains("HTTP/2"))) {
            return " (the nodes may speak TLS: give --cacert)";
        }
        if (tls && (m.contains("not an SSL/TLS record") || m.contains("SSLHandshakeException")
                || m.contains("ssl") && m.contains("Connection reset"))) {
            return " (TLS failed: the nodes may not speak TLS, or their certificates are not from --cacert's CA,"
                    + " or a certificate expired; see `cairn certs show FILE`)";
        }
        return "";
    }

    static Throwable unwrap(Throwable e) {
        Throwable t = e;
        while ((t instanceof CompletionException || t instanceof ExecutionException) && t.getCause() != null) {
            t = t.getCause();
        }
        return t;
    }

    static String oneLine(String message) {
        return message == null ? "(no message)" : message.replaceAll("\\s*\\R\\s*", " ").trim();
    }
}
