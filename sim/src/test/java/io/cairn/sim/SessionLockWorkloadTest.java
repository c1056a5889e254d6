package io.cairn.sim;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Locks held by sessions under the simulator's faults ({@code --workload session-lock}): clients
 * wait in line for the lock, keep their session alive with keep-alives to every node, stop them
 * while paused (so the shard leader ends the session and grants the next in line, through the
 * server's own {@link io.cairn.kv.state.SessionExpiry}), and {@link LockCheck} judges what they
 * were told. The negative control writes without the fence and must be caught.
 */
class SessionLockWorkloadTest {
    private static final SimOptions SESSIONS = SimOptions.defaults().withWorkload(SimOptions.Workload.SESSION_LOCK);
    private static final SimOptions UNFENCED = SESSIONS.withUnfencedLocks(true);
    private static final int THREADS = Runtime.getRuntime().availableProcessors();

    @Test
    void sessionLocksKeepEveryRuleUnderEveryFault() {
        int seeds = 100;
        BatchRunner.Summary summary = BatchRunner.run(0, seeds, SESSIONS, THREADS, null);

        assertThat(summary.failures()).as("failing seeds:%n%s", LockWorkloadTest.report(summary, SESSIONS)).isEmpty();
        // FIFO and who is next in line were judged, and waiters were still in line when the run
        // healed and had to be granted or leave before it could end, in most runs.
        for (Coverage.Item item : List.of(Coverage.Item.LOCK_GRANTS, Coverage.Item.LOCK_QUEUED,
                Coverage.Item.SESSIONS_ENDED, Coverage.Item.SESSIONS_LOST, Coverage.Item.FENCED_WRITES_OK,
                Coverage.Item.STALE_WRITES_REFUSED, Coverage.Item.UNLOCKS_RELEASED, Coverage.Item.FIFO_JUDGED,
                Coverage.Item.NEXT_IN_LINE_JUDGED, Coverage.Item.WAITS_ENDED_AFTER_HEALING, Coverage.Item.WRITES_RELEASED)) {
            assertThat(summary.runsWith().get(item)).as("runs with %s", item).isGreaterThanOrEqualTo(seeds / 2);
        }
    }

    @Test
    void writesWithoutTheFenceAreCaughtWhenAPausedHoldersSessionEnded() {
        BatchRunner.Summary summary = BatchRunner.run(0, 20, UNFENCED, THREADS, null);

        assertThat(summary.failures()).hasSizeGreaterThanOrEqualTo(10);
        assertThat(summary.failures()).anySatisfy(f -> assertThat(f.failure()).startsWith("Fencing safety violated"));
        SimResult failed = summary.failures().get(0);
        assertThat(BatchRunner.replayCommand(failed.seed(), UNFENCED)).isEqualTo(
                "bin/simulate --seed " + failed.seed() + " --workload session-lock --unsafe-unfenced-locks");
    }

    /**
     * Seed 7: requests wait in line hundreds of times (307); paused holders' sessions are ended by
     * the leader, their next write is refused while the next in line holds the lock, and their next
     * request learns the session ended; grants are judged for FIFO, waits still open when the run
     * healed end before it does, and some turns end with a write that releases the lock.
     */
    @Test
    void aPausedHoldersSessionEndsAndItsStaleWriteIsRefusedOnAPinnedSeed() {
        SimResult r = SESSIONS.run(7, null);

        assertThat(r.passed()).as(r.failure()).isTrue();
        Coverage c = r.coverage();
        assertThat(c.get(Coverage.Item.LOCK_QUEUED)).isGreaterThan(100);
        assertThat(c.get(Coverage.Item.SESSIONS_ENDED)).isPositive();
        assertThat(c.get(Coverage.Item.SESSIONS_LOST)).isPositive();
        assertThat(c.get(Coverage.Item.STALE_WRITES_REFUSED)).isPositive();
        assertThat(c.get(Coverage.Item.WAITS_ABANDONED)).isPositive();
        assertThat(c.get(Coverage.Item.FIFO_JUDGED)).isPositive();
        assertThat(c.get(Coverage.Item.WAITS_ENDED_AFTER_HEALING)).isPositive();
        assertThat(c.get(Coverage.Item.WRITES_RELEASED)).isPositive();
        assertThat(SESSIONS.run(7, null).digest()).isEqualTo(r.digest());
    }

    @Test
    void sessionLocksKeepEveryRuleInAShardedClusterWhileReplicasMove() {
        SimOptions sharded = SESSIONS.withSharded(true);
        BatchRunner.Summary summary = BatchRunner.run(0, 12, sharded, THREADS, null);

        assertThat(summary.failures()).as("failing seeds:%n%s", LockWorkloadTest.report(summary, sharded)).isEmpty();
        assertThat(summary.runsWith().get(Coverage.Item.SESSIONS_ENDED)).isGreaterThanOrEqualTo(6);
        assertThat(summary.runsWith().get(Coverage.Item.REPLICAS_OPENED)).isGreaterThanOrEqualTo(6);
    }
}
