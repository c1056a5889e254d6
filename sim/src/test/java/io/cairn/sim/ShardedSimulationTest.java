package io.cairn.sim;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * Many Raft groups, the metadata group and the placement driver, with every fault plus nodes
 * joining, one machine lost for good and decommissions: after healing every shard must be back
 * to its full placement, and the clients' history per-key linearizable. Replay a failing seed
 * with {@code bin/simulate --seed S --sharded --trace}.
 */
class ShardedSimulationTest {
    private static final int SEEDS = 150;
    private static final SimOptions OPTIONS = SimOptions.defaults().withSharded(true);

    @Test
    void shardsHealToFullReplicationAndStayLinearizable() {
        BatchRunner.Summary summary = BatchRunner.run(0, SEEDS, OPTIONS, Runtime.getRuntime().availableProcessors(), null);

        String report = summary.failures().stream()
                .map(f -> "FAIL seed=" + f.seed() + ": " + f.failure() + "\n  replay: "
                        + BatchRunner.replayCommand(f.seed(), OPTIONS) + " --trace")
                .collect(Collectors.joining("\n"));
        System.out.printf("%d sharded seeds in %.1f s; max heal-to-full-replication %d ms (seed %d)%nruns with: %s%n",
                SEEDS, summary.wallMillis() / 1000.0, summary.maxQuiescenceMicros() / 1000,
                summary.maxQuiescenceSeed(), summary.runsWith());
        assertThat(summary.failures()).as("failing seeds:%n%s", report).isEmpty();
        // The run exercised what it claims: the control plane moved replicas, not just idled.
        for (Coverage.Item item : List.of(Coverage.Item.JOINS, Coverage.Item.PERMANENT_DEATHS, Coverage.Item.REMOVALS,
                Coverage.Item.REPLICAS_OPENED, Coverage.Item.REPLICAS_DROPPED, Coverage.Item.SNAPSHOTS_INSTALLED,
                Coverage.Item.CRASHES, Coverage.Item.PARTITIONS)) {
            assertThat(summary.runsWith().get(item)).as("runs with %s", item).isGreaterThanOrEqualTo(SEEDS / 5);
        }
        assertThat(summary.runsWith().get(Coverage.Item.META_MOVES)).as("runs that moved the metadata group")
                .isGreaterThanOrEqualTo(SEEDS / 10);
        // A machine lost for good goes by a damaged disk half the time: a few runs in a hundred.
        assertThat(summary.runsWith().get(Coverage.Item.DAMAGE_REFUSED)).as("runs where a damaged disk was refused")
                .isPositive();
        assertThat(summary.runsWith().get(Coverage.Item.PAUSES)).as("runs with paused machines").isGreaterThanOrEqualTo(SEEDS / 5);
    }

    /**
     * Seeds that found bugs while the sharded simulator was written; each failed before its fix.
     * 1: leader balancing counted only the groups a node replicates, so two metadata voters handed
     * the metadata group back and forth for ever. 68: a replica was dropped on a leader report
     * older than its own addition. 121: a learner on a machine that was down was promoted because
     * the group had fewer than 100 entries. 1145, 1651: the outgoing voter of a joint change was
     * dropped on its dead leader's last report, and the survivors could never elect. 2247: a
     * leader resent the same append to a recreated, empty learner for ever (its match was stale).
     * 302106: a candidate that learned a commit from a vote answer won in the new configuration,
     * which no longer had it, and led a group it was not in. 103481: a
     * wiped replica re-added later voted for a stale candidate (Leader Completeness). 200108: a new
     * replica was dropped on a report taken just before its addition. 305134: after their leader
     * died, a shard's survivors never learned that leaving the joint configuration had committed,
     * and the removed voter (with a longer log) refused them. 306181: a leaving metadata
     * leader handed leadership to a dead voter again and again, so the death was never recorded.
     */
    @Test
    void seedsThatFoundBugsPass() {
        for (long seed : new long[] {1, 68, 121, 1145, 1651, 2247, 103481, 200108, 302106, 305134, 306181}) {
            SimResult r = OPTIONS.run(seed, null);
            assertThat(r.passed()).as("seed %d: %s", seed, r.failure()).isTrue();
        }
    }

    @Test
    void aSeedReplaysExactly() {
        SimResult first = OPTIONS.run(7, null);
        SimResult again = OPTIONS.run(7, null);
        assertThat(again.digest()).isEqualTo(first.digest());
        assertThat(again.events()).isEqualTo(first.events());
    }
}
