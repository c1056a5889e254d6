package io.cairn.sim;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/**
 * Aggregations over every shard at one cut, in a sharded cluster under the simulator's faults
 * (replicas moving, leaders crashing and transferring): every round the shipped cut rule calls a
 * cut saw the writer's wave of counters. The negative control reads each shard once and calls
 * that a cut, and must be caught seeing a state no instant held.
 */
class AggregateWorkloadTest {
    private static final SimOptions AGGREGATE = SimOptions.defaults().withWorkload(SimOptions.Workload.AGGREGATE)
            .withSharded(true);
    private static final SimOptions UNCUT = AGGREGATE.withSabotage(SimOptions.Sabotage.UNCUT_AGGREGATES);
    private static final int THREADS = Runtime.getRuntime().availableProcessors();

    @Test
    void everyCutSeesAStateTheClusterHeld() {
        int seeds = 30;
        BatchRunner.Summary summary = BatchRunner.run(0, seeds, AGGREGATE, THREADS, null);

        assertThat(summary.failures()).as("failing seeds:%n%s", summary.failures().stream()
                .map(f -> BatchRunner.replayCommand(f.seed(), AGGREGATE) + ": " + f.failure()).toList()).isEmpty();
        assertThat(summary.runsWith().get(Coverage.Item.AUDITS)).as("runs with cut rounds").isGreaterThanOrEqualTo(seeds / 2);
    }

    @Test
    void readingEachShardOnceWithoutCheckingIsCaught() {
        BatchRunner.Summary summary = BatchRunner.run(0, 30, UNCUT, THREADS, null);

        assertThat(summary.failures()).isNotEmpty();
        assertThat(summary.failures()).allSatisfy(f -> assertThat(f.failure()).startsWith("Aggregate violated"));
        SimResult failed = summary.failures().get(0);
        assertThat(BatchRunner.replayCommand(failed.seed(), UNCUT)).isEqualTo("bin/simulate --seed " + failed.seed()
                + " --sharded --workload aggregate --sabotage uncut_aggregates");
        SimResult replayed = UNCUT.run(failed.seed(), null);
        assertThat(replayed.failure()).isEqualTo(failed.failure());
    }
}
