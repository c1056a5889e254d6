package io.cairn.sim;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.EnumSet;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

class DeterminismTest {
    /** Shorter than the default fault phase, to keep the test quick; determinism does not care. */
    private static final SimOptions OPTIONS = SimOptions.defaults().withFaultPhaseMicros(3_000_000);

    @Test
    void theSameSeedReplaysTheSameRun() {
        SimResult first = new Simulation(4242, OPTIONS).run();
        Simulation again = new Simulation(4242, OPTIONS);
        SimResult second = again.run();

        assertThat(second.digest()).isEqualTo(first.digest());
        assertThat(second.events()).isEqualTo(first.events()).isGreaterThan(1_000);
        assertThat(second.coverage()).isEqualTo(first.coverage());
        assertThat(new Simulation(4242, OPTIONS).runAndKeepHistory()).isEqualTo(again.history());
    }

    @Test
    void theSameSeedPrintsTheSameTrace() {
        assertThat(trace(77)).isEqualTo(trace(77)).contains("DELIVER").contains("TICK");
    }

    private static String trace(long seed) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8)) {
            new Simulation(seed, OPTIONS, CoreFactory.RAFT, out).run();
        }
        return bytes.toString(StandardCharsets.UTF_8);
    }

    @Test
    void differentSeedsTakeDifferentPaths() {
        Set<String> digests = new HashSet<>();
        for (long seed = 1; seed <= 8; seed++) {
            digests.add(new Simulation(seed, OPTIONS).run().digest());
        }
        assertThat(digests).hasSize(8);
    }

    @Test
    void differentOptionsTakeDifferentPaths() {
        String all = new Simulation(9, OPTIONS).run().digest();
        String none = new Simulation(9, OPTIONS.withFaults(EnumSet.noneOf(Fault.class))).run().digest();
        assertThat(none).isNotEqualTo(all);
    }
}
