package io.cairn.sim;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Elle's list-append over lists in different shards ({@code --workload cross-list-append}),
 * committed by the Java client's own cross-shard coordinator under every fault, coordinators
 * dying between rounds included: {@code ListAppendCheck} finds no G0, G1a, G1b, G1c or G2. The
 * negative control lets prepares skip their reads' checks, and the checker must find the cycles.
 */
class CrossListAppendWorkloadTest {
    private static final SimOptions LISTS = SimOptions.defaults().withSharded(true)
            .withWorkload(SimOptions.Workload.CROSS_LIST_APPEND);
    private static final int THREADS = Runtime.getRuntime().availableProcessors();

    @Test
    void crossShardTransactionsShowNoAnomalyWhileCoordinatorsDie() {
        int seeds = 40;
        BatchRunner.Summary summary = BatchRunner.run(0, seeds, LISTS, THREADS, null);

        assertThat(summary.failures()).as("failing seeds:%n%s", summary.failures().stream()
                .map(f -> BatchRunner.replayCommand(f.seed(), LISTS) + ": " + f.failure()).toList()).isEmpty();
        for (Coverage.Item item : List.of(Coverage.Item.CROSS_SHARD_COMMITS, Coverage.Item.TXNS_CONFLICTED,
                Coverage.Item.COORDINATORS_CRASHED)) {
            assertThat(summary.runsWith().get(item)).as("runs with %s", item).isGreaterThanOrEqualTo(seeds / 2);
        }
    }

    @Test
    void preparesThatSkipTheirChecksShowCycles() {
        SimOptions unchecked = LISTS.withSabotage(SimOptions.Sabotage.UNCHECKED_TXNS);
        BatchRunner.Summary summary = BatchRunner.run(0, 20, unchecked, THREADS, null);

        assertThat(summary.failures()).hasSizeGreaterThanOrEqualTo(5);
        assertThat(summary.failures()).allSatisfy(f -> assertThat(f.failure()).startsWith("List-append violated"));
    }
}
