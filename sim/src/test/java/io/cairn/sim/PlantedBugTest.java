package io.cairn.sim;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Plants a host bug and requires the simulator to catch it: proof that a green
 * {@link SimulationTest} means something. Each batch is deterministic; its size leaves a margin.
 */
class PlantedBugTest {
    @Test
    void aHostThatAcknowledgesBeforeItsFsyncIsCaught() {
        // Votes and append acknowledgements leave before the persist they promise; a crash in
        // between loses it: a vote given twice in a term, or an entry a quorum acknowledged gone
        // from a node that then becomes leader. About one seed in fifteen shows it.
        SimOptions options = SimOptions.defaults().withSabotage(SimOptions.Sabotage.ACK_BEFORE_FSYNC);

        List<String> failures = failures(options, 200);

        assertThat(failures).anySatisfy(f -> assertThat(f).satisfiesAnyOf(
                v -> assertThat(v).startsWith("Vote once per term violated"),
                v -> assertThat(v).startsWith("Leader Completeness violated")));
    }

    @Test
    void writesWithoutAClientSessionAreCaughtByTheLinearizabilityChecker() {
        // Without a session kv-state applies every committed retry again: a put bumps the version
        // twice, or a value comes back after a later delete.
        SimOptions options = SimOptions.defaults().withSabotage(SimOptions.Sabotage.SKIP_DEDUP);

        List<String> failures = failures(options, 40);

        assertThat(failures).anySatisfy(f -> assertThat(f).startsWith("Linearizability violated"));
    }

    @Test
    void aJoinerWithAnotherShardCountAdmittedIsCaught() {
        // About one seed in twelve starts a spare with twice the shard count; admitted, it becomes
        // a member whose placement disagrees with everyone else's.
        SimOptions options = SimOptions.defaults().withSharded(true).withSabotage(SimOptions.Sabotage.ADMIT_ANY);

        List<String> failures = failures(options, 60);

        assertThat(failures).anySatisfy(f -> assertThat(f).startsWith("Admission violated"));
    }

    @Test
    void clocksDriftingPastTheBoundAreCaughtServingStaleLeaseOrBoundedReads() {
        // Odd nodes' clocks run ten times slow, even ones almost twice fast: a slow leader cut off
        // by a partition keeps serving under its lease after fast followers elected another
        // leader and acknowledged writes there. About one seed in fifteen shows it.
        SimOptions options = SimOptions.defaults().withFaults(java.util.EnumSet.of(Fault.PARTITION, Fault.SKEW))
                .withSabotage(SimOptions.Sabotage.CLOCK_DRIFT);

        List<String> failures = failures(options, 100);

        assertThat(failures).anySatisfy(f -> assertThat(f).startsWith("Linearizability violated"));
    }

    @Test
    void aLeaderThatTrustsItsLeaseRightAfterAPauseIsCaughtServingStaleReads() {
        // A leader paused past an election timeout (SIGSTOP, a GC pause, a slow fsync) wakes with
        // its lease still counted valid in ticks, while the others elected a new leader that took
        // writes; a partition keeps it from hearing so. About one seed in ten shows it; with the
        // loop's rule (no lease for an election timeout after skipped ticks) none of 1,000 does.
        SimOptions options = SimOptions.defaults().withFaults(java.util.EnumSet.of(Fault.PAUSE, Fault.PARTITION))
                .withSabotage(SimOptions.Sabotage.LEASE_AFTER_PAUSE);

        List<String> failures = failures(options, 100);

        assertThat(failures).anySatisfy(f -> assertThat(f).startsWith("Linearizability violated"));
    }

    @Test
    void aWatcherThatResumesOneRevisionLateIsCaughtByTheWatchChecker() {
        SimOptions options = SimOptions.defaults().withSabotage(SimOptions.Sabotage.WATCH_RESUME_GAP);

        List<String> failures = failures(options, 40);

        assertThat(failures).anySatisfy(f -> assertThat(f).startsWith("Watch streams violated"));
    }

    @Test
    void readsThatIgnoreTtlDeadlinesAreCaughtByTheTtlCheck() {
        SimOptions options = SimOptions.defaults().withSabotage(SimOptions.Sabotage.TTL_IGNORED);

        List<String> failures = failures(options, 40);

        assertThat(failures).anySatisfy(f -> assertThat(f).startsWith("TTL violated"));
    }

    private static List<String> failures(SimOptions options, int seeds) {
        return BatchRunner.run(0, seeds, options, Runtime.getRuntime().availableProcessors(), null)
                .failures().stream().map(SimResult::failure).toList();
    }
}
