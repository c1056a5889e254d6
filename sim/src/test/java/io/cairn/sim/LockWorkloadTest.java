package io.cairn.sim;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * kv-state's locks and fenced writes under the simulator's faults ({@code --workload lock}):
 * clients take the lock, write a shared register under its fencing token, pause past the TTL and
 * wake up, and {@link LockCheck} judges what they were told. The negative control sends the same
 * writes without the fence and must be caught. Replay a failing seed with the command printed.
 */
class LockWorkloadTest {
    private static final SimOptions LOCKS = SimOptions.defaults().withWorkload(SimOptions.Workload.LOCK);
    private static final SimOptions UNFENCED = SimOptions.defaults().withUnfencedLocks(true);
    private static final int THREADS = Runtime.getRuntime().availableProcessors();

    @Test
    void fencedLocksKeepEveryRuleUnderEveryFault() {
        int seeds = 200;
        BatchRunner.Summary summary = BatchRunner.run(0, seeds, LOCKS, THREADS, null);

        System.out.printf("%d lock seeds in %.1f s%nruns with: %s%n", seeds, summary.wallMillis() / 1000.0,
                summary.runsWith());
        assertThat(summary.failures()).as("failing seeds:%n%s", report(summary, LOCKS)).isEmpty();
        // The dangerous case happened, and the fence stopped it, in most runs.
        for (Coverage.Item item : List.of(Coverage.Item.LOCK_GRANTS, Coverage.Item.LOCK_BUSY,
                Coverage.Item.FENCED_WRITES_OK, Coverage.Item.FENCED_WRITES_REFUSED, Coverage.Item.PAUSES_PAST_TTL,
                Coverage.Item.STALE_WRITES_REFUSED, Coverage.Item.UNLOCKS_NOT_HOLDER, Coverage.Item.EXPIRES_PROPOSED,
                Coverage.Item.LOCK_EXTENSIONS, Coverage.Item.WRITES_RELEASED)) {
            assertThat(summary.runsWith().get(item)).as("runs with %s", item).isGreaterThanOrEqualTo(seeds / 2);
        }
        assertThat(summary.runsWith().get(Coverage.Item.UNFENCED_WRITES_OK)).isZero();
    }

    @Test
    void writesWithoutTheFenceAreCaughtBreakingFencingSafety() {
        // A paused holder that wakes up and writes unfenced overwrites a newer holder's write in
        // nearly every seed (198 of the first 200).
        BatchRunner.Summary summary = BatchRunner.run(0, 20, UNFENCED, THREADS, null);

        assertThat(summary.failures()).hasSizeGreaterThanOrEqualTo(10);
        assertThat(summary.failures()).anySatisfy(f -> assertThat(f.failure())
                .startsWith("Fencing safety violated")
                .contains("a stale holder's write landed after a newer holder's"));
        SimResult failed = summary.failures().get(0);
        assertThat(BatchRunner.replayCommand(failed.seed(), UNFENCED))
                .isEqualTo("bin/simulate --seed " + failed.seed() + " --workload lock --unsafe-unfenced-locks");
        SimResult replayed = UNFENCED.run(failed.seed(), null);
        assertThat(replayed.failure()).isEqualTo(failed.failure());
        assertThat(replayed.digest()).isEqualTo(failed.digest());
    }

    /**
     * Seed 3 (seeds decay: seed 1 showed all of this until the TTL workload changed the draws,
     * seed 2 until the simulated clients took the Java client's retry rule: its run no longer
     * extends a grant):
     * the lock changes hands dozens of times; holders pause past the TTL and wake up, and their
     * writes are refused while a newer grant holds the lock; Expire removes lapsed grants.
     */
    @Test
    void aPausedHoldersStaleWriteIsRefusedOnAPinnedSeed() {
        SimResult r = LOCKS.run(3, null);

        assertThat(r.passed()).as(r.failure()).isTrue();
        Coverage c = r.coverage();
        assertThat(c.get(Coverage.Item.PAUSES_PAST_TTL)).isPositive();
        assertThat(c.get(Coverage.Item.STALE_WRITES_REFUSED)).isPositive();
        assertThat(c.get(Coverage.Item.FENCED_WRITES_OK)).isPositive();
        assertThat(c.get(Coverage.Item.LOCK_GRANTS)).isGreaterThan(10);
        assertThat(c.get(Coverage.Item.LOCK_BUSY)).isPositive();
        assertThat(c.get(Coverage.Item.LOCK_EXTENSIONS)).isPositive();
        assertThat(c.get(Coverage.Item.UNLOCKS_RELEASED)).isPositive();
        assertThat(c.get(Coverage.Item.UNLOCKS_NOT_HOLDER)).isPositive();
        assertThat(c.get(Coverage.Item.EXPIRES_PROPOSED)).isPositive();
        assertThat(LOCKS.run(3, null).digest()).isEqualTo(r.digest());
    }

    @Test
    void locksKeepEveryRuleInAShardedClusterWhileReplicasMove() {
        SimOptions sharded = LOCKS.withSharded(true);
        BatchRunner.Summary summary = BatchRunner.run(0, 12, sharded, THREADS, null);

        assertThat(summary.failures()).as("failing seeds:%n%s", report(summary, sharded)).isEmpty();
        assertThat(summary.runsWith().get(Coverage.Item.STALE_WRITES_REFUSED)).isGreaterThanOrEqualTo(6);
        assertThat(summary.runsWith().get(Coverage.Item.REPLICAS_OPENED)).isGreaterThanOrEqualTo(6);
    }

    static String report(BatchRunner.Summary summary, SimOptions options) {
        return summary.failures().stream()
                .map(f -> "FAIL seed=" + f.seed() + ": " + f.failure() + "\n  replay: "
                        + BatchRunner.replayCommand(f.seed(), options) + " --trace")
                .collect(Collectors.joining("\n"));
    }
}
