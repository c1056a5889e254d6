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
    void aHostThatForgetsItsVoteOnRestartIsCaughtVotingTwice() {
        // Rare by design of the core (a restarted node refuses votes for an election timeout):
        // about one seed in 200 gets a voter asked twice in one term after a crash.
        SimOptions options = SimOptions.defaults().withSabotage(SimOptions.Sabotage.FORGET_VOTE_ON_CRASH);

        List<String> failures = failures(options, 1_000);

        assertThat(failures).anySatisfy(f -> assertThat(f).startsWith("Vote once per term violated"));
    }

    @Test
    void writesWithoutAClientSessionAreCaughtByTheLinearizabilityChecker() {
        // Without a session kv-state applies every committed retry again: a put bumps the version
        // twice, or a value comes back after a later delete.
        SimOptions options = SimOptions.defaults().withSabotage(SimOptions.Sabotage.SKIP_DEDUP);

        List<String> failures = failures(options, 40);

        assertThat(failures).anySatisfy(f -> assertThat(f).startsWith("Linearizability violated"));
    }

    private static List<String> failures(SimOptions options, int seeds) {
        return BatchRunner.run(0, seeds, options, Runtime.getRuntime().availableProcessors(), null)
                .failures().stream().map(SimResult::failure).toList();
    }
}
