package io.cairn.sim;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Cross-shard transactions under the simulator's faults ({@code --workload cross-bank}): the
 * Java client's own coordinator moves money between accounts in different shards, its rounds
 * carried over the faulty network, its process now and then dying between rounds; the nodes
 * push the stale intents it leaves by the server's rule. {@link CrossBankClient#check} requires
 * every committed audit, and the final reads, to see the opening total. Two negative controls:
 * prepares that skip their reads' checks, and pushes that commit without asking the record.
 */
class CrossBankWorkloadTest {
    private static final SimOptions CROSS_BANK = SimOptions.defaults().withSharded(true)
            .withWorkload(SimOptions.Workload.CROSS_BANK);
    private static final int THREADS = Runtime.getRuntime().availableProcessors();

    @Test
    void transfersAcrossShardsKeepTheTotalWhileCoordinatorsDieAndReplicasMove() {
        int seeds = 60;
        BatchRunner.Summary summary = BatchRunner.run(0, seeds, CROSS_BANK, THREADS, null);

        System.out.printf("%d cross-bank seeds in %.1f s%nruns with: %s%n", seeds, summary.wallMillis() / 1000.0,
                summary.runsWith());
        assertThat(summary.failures()).as("failing seeds:%n%s", summary.failures().stream()
                .map(f -> BatchRunner.replayCommand(f.seed(), CROSS_BANK) + ": " + f.failure()).toList()).isEmpty();
        for (Coverage.Item item : List.of(Coverage.Item.CROSS_SHARD_COMMITS, Coverage.Item.TXNS_CONFLICTED,
                Coverage.Item.AUDITS)) {
            assertThat(summary.runsWith().get(item)).as("runs with %s", item).isGreaterThanOrEqualTo(seeds / 2);
        }
        for (Coverage.Item item : List.of(Coverage.Item.COORDINATORS_CRASHED, Coverage.Item.INTENTS_PUSHED,
                Coverage.Item.RECORDS_CLEANED)) {
            assertThat(summary.runsWith().get(item)).as("runs with %s", item).isGreaterThanOrEqualTo(seeds / 3);
        }
    }

    @Test
    void preparesThatSkipTheirChecksAreCaughtMovingTheTotal() {
        SimOptions unchecked = CROSS_BANK.withSabotage(SimOptions.Sabotage.UNCHECKED_TXNS);
        BatchRunner.Summary summary = BatchRunner.run(0, 20, unchecked, THREADS, null);

        assertThat(summary.failures()).hasSizeGreaterThanOrEqualTo(5);
        assertThat(summary.failures()).allSatisfy(f -> assertThat(f.failure()).startsWith("Bank violated"));
    }

    @Test
    void pushesThatCommitWithoutTheRecordAreCaughtAndReplayExactly() {
        SimOptions sabotaged = CROSS_BANK.withSabotage(SimOptions.Sabotage.PUSH_WITHOUT_RECORD);
        BatchRunner.Summary summary = BatchRunner.run(0, 20, sabotaged, THREADS, null);

        assertThat(summary.failures()).hasSizeGreaterThanOrEqualTo(3);
        assertThat(summary.failures()).allSatisfy(f -> assertThat(f.failure()).startsWith("Bank violated"));
        SimResult failed = summary.failures().get(0);
        assertThat(BatchRunner.replayCommand(failed.seed(), sabotaged)).isEqualTo("bin/simulate --seed " + failed.seed()
                + " --sharded --workload cross-bank --sabotage push_without_record");
        SimResult replayed = sabotaged.run(failed.seed(), null);
        assertThat(replayed.failure()).isEqualTo(failed.failure());
        assertThat(replayed.digest()).isEqualTo(failed.digest());
    }

    @Test
    void aSingleGroupRunRefusesTheWorkload() {
        SimOptions single = SimOptions.defaults().withWorkload(SimOptions.Workload.CROSS_BANK);
        assertThatThrownBy(() -> single.run(1, null)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("--sharded");
    }
}
