package io.cairn.cli;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** The bench's options are checked before anything is sent: the endpoint here is never contacted. */
class BenchCommandTest {
    private static void assertBadInput(String messagePart, String... args) {
        String[] all = new String[args.length + 3];
        all[0] = "--endpoints";
        all[1] = "127.0.0.1:1";
        all[2] = "bench";
        System.arraycopy(args, 0, all, 3, args.length);
        CliRun run = CliRun.of(all);
        assertThat(run.exitCode()).as(run.err()).isEqualTo(CairnCli.EXIT_BAD_INPUT);
        assertThat(run.out()).isEmpty();
        assertThat(run.errLines()).hasSize(1);
        assertThat(run.err()).startsWith("cairn: ").contains(messagePart);
    }

    @Test
    void badOptionsAreOneLineAndExitTwo() {
        assertBadInput("a workload is required");
        assertBadInput("unknown workload 'delete'", "delete");
        assertBadInput("two workloads given", "put", "--workload", "get");
        assertBadInput("contradicts", "--workload", "mixed-b", "--read-ratio", "0.5");
        assertBadInput("--read-ratio applies to mixed workloads only", "put", "--read-ratio", "0.5");
        assertBadInput("--clients must be in [1, 10000]: 0", "put", "--clients", "0");
        assertBadInput("--seconds must be in", "put", "--seconds", "0");
        assertBadInput("--value-size must be in", "put", "--value-size", "0");
        assertBadInput("--rate must be in", "put", "--rate", "-5");
        assertBadInput("--key-dist", "put", "--key-dist", "pareto");
    }

    @Test
    void helpListsTheWorkloadsAndOptions() {
        CliRun run = CliRun.of("bench", "--help");
        assertThat(run.exitCode()).isZero();
        assertThat(run.out()).contains("mixed-a", "--clients", "--rate", "--key-dist", "--json", "--warmup");
    }
}
