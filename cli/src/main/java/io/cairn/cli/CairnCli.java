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
            "ttl", "txn", "watch", "lock", "aggregate", "cluster", "endpoint", "top", "bench", "help");

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
            case "aggregate" -> new AggregateCommand();
            case "cluster" -> new ClusterCommand();
            case "endpoint" -> new EndpointCommand();
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
            if (a.equals("--endpoints") || a.equals("--timeout")) {
                i++;
            } else if (!a.equals("--verbose") && !a.startsWith("--endpoints=") && !a.startsWith("--timeout=")) {
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
        return CairnClient.builder()
                .endpoints(endpoints)
                .requestTimeout(timeout)
                .attemptTimeout(timeout.compareTo(CairnClient.ATTEMPT_TIMEOUT_DEFAULT) < 0
                        ? timeout : CairnClient.ATTEMPT_TIMEOUT_DEFAULT);
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
            message = t.getMessage();
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
