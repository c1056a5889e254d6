package io.cairn.sim;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * kv-state's transactions under the simulator's faults ({@code --workload bank}): clients move
 * money between accounts of one shard with optimistic transactions (read, then commit only if
 * the versions read still hold), retried over leader changes with their sessions, and audit the
 * total in one transaction. {@link BankCheck} requires every audit to see the opening total. The
 * negative control drops the comparisons at the node's edge and must be caught.
 */
class BankWorkloadTest {
    private static final SimOptions BANK = SimOptions.defaults().withWorkload(SimOptions.Workload.BANK);
    private static final SimOptions UNCHECKED = BANK.withSabotage(SimOptions.Sabotage.UNCHECKED_TXNS);
    private static final int THREADS = Runtime.getRuntime().availableProcessors();

    @Test
    void transfersKeepTheTotalUnderEveryFault() {
        int seeds = 150;
        BatchRunner.Summary summary = BatchRunner.run(0, seeds, BANK, THREADS, null);

        System.out.printf("%d bank seeds in %.1f s%nruns with: %s%n", seeds, summary.wallMillis() / 1000.0,
                summary.runsWith());
        assertThat(summary.failures()).as("failing seeds:%n%s", summary.failures().stream()
                .map(f -> BatchRunner.replayCommand(f.seed(), BANK) + ": " + f.failure()).toList()).isEmpty();
        for (Coverage.Item item : List.of(Coverage.Item.TXNS_COMMITTED, Coverage.Item.TXNS_CONFLICTED,
                Coverage.Item.AUDITS)) {
            assertThat(summary.runsWith().get(item)).as("runs with %s", item).isGreaterThanOrEqualTo(seeds / 2);
        }
    }

    @Test
    void transfersKeepTheTotalInAShardedClusterWhileReplicasMove() {
        SimOptions sharded = BANK.withSharded(true);
        BatchRunner.Summary summary = BatchRunner.run(0, 30, sharded, THREADS, null);

        assertThat(summary.failures()).as("failing seeds:%n%s", summary.failures().stream()
                .map(f -> BatchRunner.replayCommand(f.seed(), sharded) + ": " + f.failure()).toList()).isEmpty();
        assertThat(summary.runsWith().get(Coverage.Item.TXNS_COMMITTED)).isGreaterThanOrEqualTo(15);
    }

    @Test
    void transactionsWithoutTheirComparisonsAreCaughtMovingTheTotal() {
        BatchRunner.Summary summary = BatchRunner.run(0, 20, UNCHECKED, THREADS, null);

        assertThat(summary.failures()).hasSizeGreaterThanOrEqualTo(5);
        assertThat(summary.failures()).allSatisfy(f -> assertThat(f.failure()).startsWith("Bank violated"));
        SimResult failed = summary.failures().get(0);
        assertThat(BatchRunner.replayCommand(failed.seed(), UNCHECKED))
                .isEqualTo("bin/simulate --seed " + failed.seed() + " --workload bank --sabotage unchecked_txns");
        SimResult replayed = UNCHECKED.run(failed.seed(), null);
        assertThat(replayed.failure()).isEqualTo(failed.failure());
        assertThat(replayed.digest()).isEqualTo(failed.digest());
    }
}
