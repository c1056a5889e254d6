package io.cairn.sim;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/**
 * Elle's list-append workload under the simulator's faults ({@code --workload list-append}):
 * optimistic transactions of reads and appends over lists of one shard, their whole history
 * judged by {@code ListAppendCheck} for G0, G1 and G2 anomalies. The negative control drops the
 * transactions' comparisons at the node's edge: appends are lost, and the checker must say so.
 */
class ListAppendWorkloadTest {
    private static final SimOptions LISTS = SimOptions.defaults().withWorkload(SimOptions.Workload.LIST_APPEND);
    private static final SimOptions UNCHECKED = LISTS.withSabotage(SimOptions.Sabotage.UNCHECKED_TXNS);
    private static final int THREADS = Runtime.getRuntime().availableProcessors();

    @Test
    void transactionsShowNoAnomalyUnderEveryFault() {
        int seeds = 100;
        BatchRunner.Summary summary = BatchRunner.run(0, seeds, LISTS, THREADS, null);

        assertThat(summary.failures()).as("failing seeds:%n%s", summary.failures().stream()
                .map(f -> BatchRunner.replayCommand(f.seed(), LISTS) + ": " + f.failure()).toList()).isEmpty();
        assertThat(summary.runsWith().get(Coverage.Item.TXNS_COMMITTED)).isEqualTo(seeds);
        assertThat(summary.runsWith().get(Coverage.Item.TXNS_CONFLICTED)).isGreaterThanOrEqualTo(seeds / 2);
    }

    @Test
    void transactionsWithoutTheirComparisonsAreCaughtLosingAppends() {
        BatchRunner.Summary summary = BatchRunner.run(0, 20, UNCHECKED, THREADS, null);

        assertThat(summary.failures()).hasSizeGreaterThanOrEqualTo(5);
        assertThat(summary.failures()).allSatisfy(f -> assertThat(f.failure()).startsWith("List-append violated"));
        // Among the anomalies found there is write skew: two transactions, each reading what the
        // other appends to, both committed. (Which anomaly a run meets first moves with the schedule.)
        assertThat(summary.failures()).anySatisfy(f -> assertThat(f.failure()).containsPattern("[{ ]G2=[0-9]+"));
        SimResult failed = summary.failures().get(0);
        assertThat(BatchRunner.replayCommand(failed.seed(), UNCHECKED))
                .isEqualTo("bin/simulate --seed " + failed.seed() + " --workload list-append --sabotage unchecked_txns");
        assertThat(UNCHECKED.run(failed.seed(), null).digest()).isEqualTo(failed.digest());
    }
}
