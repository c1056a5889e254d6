package io.cairn.sim;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

class SimulateMainTest {
    private record Run(int status, List<String> lines) {
        String last() {
            return lines.get(lines.size() - 1);
        }
    }

    private static Run run(String... args) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        int status;
        try (PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8)) {
            status = SimulateMain.run(args, out);
        }
        return new Run(status, bytes.toString(StandardCharsets.UTF_8).lines().toList());
    }

    @Test
    void oneSeedEndsWithItsDigest() {
        Run first = run("--seed", "11", "--fault-ms", "2000");
        Run second = run("--seed", "11", "--fault-ms", "2000");

        assertThat(first.status()).isZero();
        assertThat(first.last()).matches("digest: [0-9a-f]{16}");
        assertThat(second.last()).isEqualTo(first.last());
    }

    @Test
    void aBatchEndsWithPassedAndFailedCounts() {
        Run batch = run("--seeds", "4", "--from", "20", "--fault-ms", "2000", "--nodes", "3", "--threads", "2");

        assertThat(batch.status()).isZero();
        assertThat(batch.last()).isEqualTo("4 passed, 0 failed");
    }

    @Test
    void aFailingBatchPrintsEachFailureWithItsReplayCommand() {
        Run batch = run("--seeds", "10", "--sabotage", "skip_dedup", "--faults", "all", "--threads", "2");

        assertThat(batch.status()).isEqualTo(1);
        assertThat(batch.last()).matches("\\d+ passed, [1-9]\\d* failed");
        assertThat(batch.lines()).anySatisfy(l -> assertThat(l).matches("FAIL seed=\\d+: .+"));
        assertThat(batch.lines()).anySatisfy(l -> assertThat(l).matches("replay: bin/simulate --seed \\d+ --sabotage skip_dedup"));
    }

    @Test
    void aLockBatchWithoutFencesFailsAndPrintsItsReplayCommand() {
        Run batch = run("--seeds", "3", "--unsafe-unfenced-locks", "--threads", "2");

        assertThat(batch.status()).isEqualTo(1);
        assertThat(batch.lines()).anySatisfy(l -> assertThat(l).matches("FAIL seed=\\d+: Fencing safety violated .+"));
        assertThat(batch.lines()).anySatisfy(l -> assertThat(l)
                .matches("replay: bin/simulate --seed \\d+ --workload lock --unsafe-unfenced-locks"));
        assertThat(batch.lines()).anySatisfy(l -> assertThat(l).startsWith("coverage totals: ").contains(" lock_grants="));
    }

    @Test
    void aLockSeedPrintsItsCoverage() {
        Run one = run("--seed", "1", "--workload", "lock", "--fault-ms", "3000");

        assertThat(one.status()).isZero();
        assertThat(one.lines()).anySatisfy(l -> assertThat(l).startsWith("coverage: ").contains(" lock_grants=")
                .contains(" stale_writes_refused="));
        assertThat(run("--seed", "1", "--fault-ms", "3000").lines())
                .noneSatisfy(l -> assertThat(l).contains("lock_grants"));
    }

    @Test
    void unknownOptionsAreRejected() {
        assertThatThrownBy(() -> run("--seed", "1", "--nodes", "4")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> run("--seed", "1", "--faults", "meteor")).hasMessageContaining("unknown fault");
        assertThatThrownBy(() -> run("--bogus", "1")).hasMessageContaining("unknown option");
        assertThatThrownBy(() -> run("--seed", "1", "--workload", "queue")).hasMessageContaining("kv, lock, session-lock, bank, cross-bank, list-append, cross-list-append or aggregate");
        assertThatThrownBy(() -> run("--seed", "1", "--unsafe-unfenced-locks", "--workload", "kv"))
                .hasMessageContaining("lock workload");
    }
}
