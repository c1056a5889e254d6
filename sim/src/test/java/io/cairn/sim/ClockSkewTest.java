package io.cairn.sim;

import static org.assertj.core.api.Assertions.assertThat;

import io.cairn.common.SeededRandom;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** Each node's wall clock in lock runs: offsets and drifts from the seed, and the largest skew the checkers allow. */
class ClockSkewTest {
    private static final long RUN_MICROS = 40_000_000;

    @Test
    void wallClocksStayWithinTheirOffsetAndDriftAndTheLargestSkewCoversThem() {
        for (long seed = 0; seed < 200; seed++) {
            ClockSkew skew = ClockSkew.derive(new SeededRandom(seed), 7);
            long largest = skew.largestMicros(RUN_MICROS);
            long bound = ClockSkew.OFFSET_MAX_MICROS + RUN_MICROS / 1_000_000 * ClockSkew.DRIFT_MAX_PPM;
            assertThat(largest).isBetween(0L, bound);
            for (int id = 1; id <= 7; id++) {
                long previous = -1;
                for (long t = 0; t <= RUN_MICROS; t += 997_001) {
                    long wall = skew.wallMicros(id, t);
                    assertThat(wall).as("seed %d n%d at %d", seed, id, t).isGreaterThanOrEqualTo(previous);
                    assertThat(Math.abs(wall - t)).isLessThanOrEqualTo(largest);
                    previous = wall;
                }
            }
        }
        assertThat(ClockSkew.derive(new SeededRandom(3), 7).toString())
                .isEqualTo(ClockSkew.derive(new SeededRandom(3), 7).toString());
    }

    @Test
    void onlyLockRunsSkewTheirClocksAndTheirTracePrintsIt() {
        SimOptions locks = SimOptions.defaults().withWorkload(SimOptions.Workload.SESSION_LOCK);
        assertThat(SimRun.clockSkew(SimOptions.defaults(), 5, 7)).isSameAs(ClockSkew.NONE);
        assertThat(SimRun.clockSkew(locks, 5, 7).largestMicros(0)).isPositive();
        assertThat(SimRun.clockSkew(locks, 5, 7).toString()).isEqualTo(SimRun.clockSkew(locks, 5, 7).toString());

        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        int maxNodeId;
        try (PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8)) {
            Simulation sim = new Simulation(5, locks.withFaultPhaseMicros(1_000_000), CoreFactory.RAFT, out);
            maxNodeId = sim.params().maxNodeId();
            assertThat(sim.run().passed()).isTrue();
        }
        assertThat(bytes.toString(StandardCharsets.UTF_8)).contains(SimRun.clockSkew(locks, 5, maxNodeId) + "\n");
    }
}
