package io.cairn.sim;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** The Raft core against every fault the simulator injects, on 2,000 seeds of 3 and 5 voters. */
class SimulationTest {
    private static final int SEEDS = 2_000;

    @Test
    void twoThousandSeedsKeepEveryInvariantAndStayLinearizable() {
        SimOptions options = SimOptions.defaults();
        int threads = Runtime.getRuntime().availableProcessors();

        BatchRunner.Summary summary = BatchRunner.run(0, SEEDS, options, threads, null);

        String report = summary.failures().stream()
                .map(f -> "FAIL seed=" + f.seed() + ": " + f.failure() + "\n  replay: "
                        + BatchRunner.replayCommand(f.seed(), options) + " --trace")
                .collect(Collectors.joining("\n"));
        System.out.printf("%d seeds in %.1f s; max heal-to-quiescence %d ms (seed %d)%ncoverage: %s%n",
                SEEDS, summary.wallMillis() / 1000.0, summary.maxQuiescenceMicros() / 1000,
                summary.maxQuiescenceSeed(), summary.runsWith());
        assertThat(summary.failures()).as("failing seeds:%n%s", report).isEmpty();
        assertThat(summary.passed()).isEqualTo(SEEDS);
    }

    /** A harness that silently stopped injecting a fault would pass everything; this catches it. */
    @Test
    void everyKindOfFaultAndRecoveryHappensInMostRuns() {
        BatchRunner.Summary summary = BatchRunner.run(50_000, 200, SimOptions.defaults(), 2, null);

        // Each seed injects a random subset of the faults, so no item happens in every run.
        for (Coverage.Item item : Coverage.Item.values()) {
            if (item.shardedOnly() || item.lockOnly() || item.txnOnly()) {
                continue;
            }
            if (item.rare()) {
                assertThat(summary.runsWith().get(item)).as("runs with %s", item).isPositive();
                continue;
            }
            if (item.occasional()) {
                assertThat(summary.runsWith().get(item)).as("runs with %s", item).isGreaterThanOrEqualTo(25);
                continue;
            }
            assertThat(summary.runsWith().get(item)).as("runs with %s", item).isGreaterThanOrEqualTo(50);
        }
        assertThat(summary.threeVoterRuns()).as("runs with 3 voters (the rest have 5)").isBetween(50L, 150L);
        assertThat(summary.maxQuiescenceMicros()).isPositive();
    }
}
