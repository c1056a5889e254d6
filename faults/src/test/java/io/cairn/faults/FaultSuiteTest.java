package io.cairn.faults;

import static org.assertj.core.api.Assertions.assertThat;

import io.cairn.sim.lin.CheckResult;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The fault suite as {@code mvn verify} runs it: every scenario once, real processes, for
 * {@code -Dfaults.seconds} (default 40) each, with a fixed seed per scenario (override with
 * {@code -Dfaults.seed}); and the negative control, which must be caught. Longer runs:
 * {@code bin/faults --seconds 600} or {@code bin/faults --soak 2h}.
 */
class FaultSuiteTest {
    private static final int SECONDS = Integer.getInteger("faults.seconds", 40);
    private static final long SEED = Long.getLong("faults.seed", 20261202);

    @TempDir
    Path dir;

    static List<String> scenarios() {
        return FaultSuite.SCENARIOS;
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("scenarios")
    @Timeout(value = 8, unit = TimeUnit.MINUTES)
    void historiesStayLinearizableUnderFaults(String scenario) throws Exception {
        FaultReport report = suite(false).runOne(scenario, SEED, dir.resolve(scenario), System.out);
        System.out.println(FaultReport.header());
        System.out.println(report.row());
        assertThat(report.passed()).as("%s, seed %d: %s (rerun: bin/faults --scenario %s --seed %d --seconds %d)",
                scenario, SEED, report.failure(), scenario, SEED, SECONDS).isTrue();
        assertThat(report.events()).as("faults injected").isNotEmpty();
        assertThat(report.acknowledged()).as("operations acknowledged").isGreaterThan(100);
    }

    /**
     * Proof that the suite can fail: with linearizable reads answered from each replica's own
     * state (no ReadIndex), a node cut off in a minority serves stale values to the plain
     * clients that reach it, and the checker must find the history illegal.
     */
    @Test
    @Timeout(value = 8, unit = TimeUnit.MINUTES)
    void negativeControlUnsafeLocalReadsIsCaught() throws Exception {
        FaultReport report = suite(true).runOne("partition-minority", SEED, dir.resolve("control"), System.out);
        System.out.println(report.row());
        assertThat(report.verdict()).as("stale reads from an isolated replica must be caught")
                .isEqualTo(CheckResult.Verdict.ILLEGAL);
    }

    private static FaultSuite suite(boolean unsafeLocalReads) {
        FaultSuite suite = new FaultSuite();
        suite.seconds = SECONDS;
        suite.unsafeLocalReads = unsafeLocalReads;
        return suite;
    }
}
