package io.cairn.compare;

import static org.assertj.core.api.Assertions.assertThat;

import io.cairn.cli.CairnCli;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;
import picocli.CommandLine.Model.OptionSpec;

/** Options are checked before anything connects: the endpoints here are never contacted. */
class CompareBenchTest {
    private record Run(int exitCode, String out, String err) {}

    private static Run run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cli = CompareBench.commandLine();
        cli.setOut(new PrintWriter(out, true));
        cli.setErr(new PrintWriter(err, true));
        int exit = cli.execute(args);
        return new Run(exit, out.toString(), err.toString());
    }

    private static void assertBadInput(String messagePart, String... args) {
        List<String> all = new ArrayList<>(List.of("--endpoints", "127.0.0.1:1"));
        all.addAll(List.of(args));
        Run run = run(all.toArray(String[]::new));
        assertThat(run.exitCode()).as(run.err()).isEqualTo(CairnCli.EXIT_BAD_INPUT);
        assertThat(run.out()).isEmpty();
        assertThat(run.err().lines()).hasSize(1);
        assertThat(run.err()).startsWith("compare-bench: ").contains(messagePart);
    }

    @Test
    void everyOptionOfCairnBenchIsHereWithTheSameDefault() {
        CommandLine bench = CairnCli.commandLine().getSubcommands().get("bench");
        CommandLine compare = CompareBench.commandLine();
        List<String> names = new ArrayList<>();
        for (OptionSpec option : bench.getCommandSpec().options()) {
            String name = option.longestName();
            names.add(name);
            OptionSpec ours = compare.getCommandSpec().findOption(name);
            assertThat(ours).as("compare-bench has %s", name).isNotNull();
            if (!name.equals("--endpoints")) {
                // Endpoints default to the target's local cluster instead.
                assertThat(ours.defaultValueString()).as("default of %s", name).isEqualTo(option.defaultValueString());
            }
        }
        assertThat(names).contains("--clients", "--seconds", "--rate", "--consistency", "--json", "--timeout");
        assertThat(compare.getCommandSpec().positionalParameters()).hasSameSizeAs(
                bench.getCommandSpec().positionalParameters());
    }

    @Test
    void badOptionsAreOneLineAndExitTwo() {
        assertBadInput("--target", "put");
        assertBadInput("a workload is required", "--target", "etcd");
        assertBadInput("scan is not compared", "--target", "zookeeper", "scan");
        assertBadInput("--conns is for etcd and zookeeper", "--target", "cairn", "--conns", "2", "put");
        assertBadInput("--conns must be in", "--target", "etcd", "--conns", "0", "put");
        assertBadInput("--clients must be in [1, 10000]: 0", "--target", "etcd", "put", "--clients", "0");
        assertBadInput("unknown workload 'delete'", "--target", "zookeeper", "delete");
        assertBadInput("cassandra", "--target", "cassandra", "put");
        assertBadInput("--hold-ms must be in [0, 60000]: -1", "--target", "etcd", "lock", "--hold-ms", "-1");
        assertBadInput("--hold-ms must be in [0, 60000]: 60001", "--target", "zookeeper", "lock", "--hold-ms", "60001");
    }

    @Test
    void lockRunsAgainstEtcdTooAndFirstGrantsItsLeases() {
        // Nothing listens on port 1: the leases a lock run grants before it starts cannot be had.
        Run run = run("--target", "etcd", "--endpoints", "127.0.0.1:1", "--timeout", "1s", "lock", "--clients", "2");
        assertThat(run.exitCode()).as(run.err()).isEqualTo(CairnCli.EXIT_UNAVAILABLE);
        assertThat(run.out()).isEmpty();
        assertThat(run.err()).startsWith("compare-bench: ").contains("127.0.0.1:1");
    }

    @Test
    void badEndpointIsBadInput() {
        Run run = run("--target", "etcd", "--endpoints", "localhost", "put");
        assertThat(run.exitCode()).isEqualTo(CairnCli.EXIT_BAD_INPUT);
        assertThat(run.err()).contains("is not HOST:PORT");
    }

    @Test
    void helpListsTheTargetsAndOptions() {
        Run run = run("--help");
        assertThat(run.exitCode()).isZero();
        assertThat(run.out()).contains("--target", "cairn, etcd or zookeeper", "--conns", "--json", "--warmup",
                "2379", "2181");
    }
}
