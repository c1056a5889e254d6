package io.cairn.faults;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code bin/faults}: runs scenarios of the real-process fault suite and prints one row per
 * scenario. A failing scenario keeps its directory (node logs, history.txt, verdict.txt) and
 * prints the command that runs it again; the exit code is 1 when any scenario failed.
 */
@Command(name = "faults", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Real Cairn nodes on 127.0.0.1 under kill -9, SIGSTOP, partitions, clock offsets and disk"
                + " faults, with concurrent clients; every history is checked for linearizability, and the lock"
                + " clients' history by the simulator's lock rules.")
public final class FaultSuite implements Callable<Integer> {
    /** Every scenario: one per fault kind, and all of them in turn. */
    static final List<String> SCENARIOS;

    static {
        List<String> all = new ArrayList<>(FaultKind.labels());
        all.add("mixed");
        SCENARIOS = List.copyOf(all);
    }

    @Option(names = "--scenario", split = ",", paramLabel = "NAME",
            description = "Scenarios to run, or all. Known: kill, pause, partition-leader, partition-minority, one-way,"
                    + " bridge, clock, slow-disk, disk-full, membership, mixed. Default: all")
    List<String> scenarios = List.of("all");

    @Option(names = "--seconds", paramLabel = "S", description = "Length of each scenario's load. Default: 60")
    int seconds = 60;

    @Option(names = "--seed", paramLabel = "N", description = "Seed of the fault schedule and the clients. Default: random")
    Long seed;

    @Option(names = "--nodes", paramLabel = "N", description = "Nodes per cluster (3 or more). Default: 3")
    int nodes = 3;

    @Option(names = "--keys", paramLabel = "N", description = "Keys the clients use. Default: 8")
    int keys = 8;

    @Option(names = "--soak", paramLabel = "DURATION",
            description = "Keep running the scenarios with new seeds until this much time has passed (e.g. 2h).")
    String soak;

    @Option(names = "--dir", paramLabel = "DIR", description = "Where runs keep their data and logs. Default: a temporary directory")
    Path dir;

    @Option(names = "--unsafe-local-reads",
            description = "Negative control: every node answers linearizable reads from its own state. Must FAIL.")
    boolean unsafeLocalReads;

    @Option(names = "--lock-clients", paramLabel = "N",
            description = "Lock clients beside the register clients (TTL lock, fenced writes, pauses past the TTL),"
                    + " checked by the simulator's LockCheck; 0: none. Default: 3")
    int lockClients = 3;

    @Option(names = "--unsafe-unfenced-locks",
            description = "Negative control: the lock clients write without their fence. Must FAIL (a lock violation).")
    boolean unsafeUnfencedLocks;

    @Option(names = "--unsafe-unchecked-txns",
            description = "Negative control: the servers drop transactions' read checks. Must FAIL (the bank's total moves).")
    boolean unsafeUncheckedTxns;

    @Option(names = "--unsafe-uncut-aggregates",
            description = "Negative control: the servers skip the aggregations' consistent cut. Must FAIL (a sum moves).")
    boolean unsafeUncutAggregates;

    @Option(names = "--secure",
            description = "TLS everywhere (mutual between nodes) and --auth on every node; every client signs in as root"
                    + " (the CA, certificates and root password are made in the run's directory).")
    boolean secure;

    @Option(names = "--json", description = "One JSON object per scenario instead of the table.")
    boolean json;

    public static void main(String[] args) {
        System.exit(new CommandLine(new FaultSuite()).execute(args));
    }

    @Override
    public Integer call() throws IOException, InterruptedException {
        List<String> names = scenarios.contains("all") ? SCENARIOS : scenarios;
        for (String name : names) {
            if (!SCENARIOS.contains(name)) {
                throw new CommandLine.ParameterException(new CommandLine(this), "unknown scenario " + name
                        + "; known: " + String.join(", ", SCENARIOS));
            }
        }
        Path root = dir != null ? dir : Files.createTempDirectory("cairn-faults");
        long soakUntil = soak == null ? 0 : System.nanoTime() + parseDuration(soak).toNanos();
        long nextSeed = seed != null ? seed : new java.security.SecureRandom().nextInt(1_000_000);
        PrintStream out = System.out;
        if (!json) {
            out.println(FaultReport.header());
        }
        int failed = 0;
        int passed = 0;
        do {
            for (String name : names) {
                long runSeed = nextSeed;
                FaultReport report = runOne(name, runSeed, root.resolve(name + "-" + runSeed), System.err);
                out.println(json ? report.json() : report.row());
                if (report.passed()) {
                    passed++;
                } else {
                    failed++;
                    System.err.println("FAILED " + name + " seed " + runSeed + ": " + report.failure());
                    System.err.println("  kept: " + root.resolve(name + "-" + runSeed));
                    System.err.println("  rerun: bin/faults --scenario " + name + " --seed " + runSeed + " --seconds "
                            + seconds + " --nodes " + nodes + (unsafeLocalReads ? " --unsafe-local-reads" : "")
                            + (lockClients != 3 ? " --lock-clients " + lockClients : "")
                            + (unsafeUnfencedLocks ? " --unsafe-unfenced-locks" : "")
                            + (unsafeUncheckedTxns ? " --unsafe-unchecked-txns" : "")
                            + (unsafeUncutAggregates ? " --unsafe-uncut-aggregates" : "")
                            + (secure ? " --secure" : ""));
                }
            }
            nextSeed++;
        } while (soak != null && System.nanoTime() < soakUntil);
        out.println(passed + " passed, " + failed + " failed");
        return failed == 0 ? 0 : 1;
    }

    FaultReport runOne(String name, long runSeed, Path runDir, PrintStream log) throws IOException, InterruptedException {
        List<FaultKind> kinds = name.equals("mixed")
                ? java.util.Arrays.stream(FaultKind.values()).filter(k -> k != FaultKind.MEMBERSHIP).toList()
                : List.of(FaultKind.of(name));
        FaultRun.Options options = new FaultRun.Options(kinds, name, runSeed, Duration.ofSeconds(seconds), nodes, keys,
                3, 3, unsafeLocalReads, lockClients, unsafeUnfencedLocks, unsafeUncheckedTxns, unsafeUncutAggregates, secure);
        log.println(name + " (seed " + runSeed + ", " + seconds + " s, " + nodes + " nodes" + (secure ? ", secure" : "")
                + ") in " + runDir);
        FaultReport report = new FaultRun(options, runDir, log).run();
        if (report.passed()) {
            deleteTree(runDir);
        }
        return report;
    }

    private static Duration parseDuration(String text) {
        String t = text.trim().toLowerCase(java.util.Locale.ROOT);
        long n = Long.parseLong(t.replaceAll("[a-z]+$", ""));
        return switch (t.replaceAll("^[0-9]+", "")) {
            case "s", "" -> Duration.ofSeconds(n);
            case "m" -> Duration.ofMinutes(n);
            case "h" -> Duration.ofHours(n);
            default -> throw new IllegalArgumentException("--soak takes e.g. 90s, 30m or 2h: " + text);
        };
    }

    static void deleteTree(Path root) throws IOException {
        if (!Files.exists(root)) {
            return;
        }
        try (var paths = Files.walk(root)) {
            for (Path p : paths.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
