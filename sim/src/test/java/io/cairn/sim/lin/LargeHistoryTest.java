package io.cairn.sim.lin;

import static org.assertj.core.api.Assertions.assertThat;

import io.cairn.sim.lin.CheckResult.Verdict;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Histories the size a simulation run produces: 5,000 operations, 5 keys, 5 clients, a few
 * pending. No timing assertion (the machine is shared); the times are printed for the record.
 */
class LargeHistoryTest {
    private static final KvModel MODEL = new KvModel();
    private static final AtomicHistories.Shape SHAPE = new AtomicHistories.Shape(5_000, 5, 5, 20, 0.002);
    private static final long SEED = 20_240_611L;

    @Test
    void fiveThousandOperationsOverFiveKeysAreCheckedQuickly() {
        List<Operation<KvInput, KvOutput>> history = AtomicHistories.generate(SEED, SHAPE);
        long pending = history.stream().filter(Operation::isPending).count();

        CheckResult<KvInput, KvOutput> result = timed("linearizable", pending, history);

        assertThat(result.verdict()).isEqualTo(Verdict.OK);
        assertThat(((CheckResult.Ok<KvInput, KvOutput>) result).partitions()).isEqualTo(5);
    }

    @Test
    void fiveThousandOperationsWithOneImpossibleReadAreRejectedQuickly() {
        List<Operation<KvInput, KvOutput>> history =
                AtomicHistories.withImpossibleRead(AtomicHistories.generate(SEED, SHAPE), SEED, new int[1]);
        long pending = history.stream().filter(Operation::isPending).count();

        CheckResult<KvInput, KvOutput> result = timed("one impossible read", pending, history);

        assertThat(result.verdict()).isEqualTo(Verdict.ILLEGAL);
    }

    private static CheckResult<KvInput, KvOutput> timed(
            String name, long pending, List<Operation<KvInput, KvOutput>> history) {
        // Timed twice: the first run includes JIT compilation, the second is the steady state.
        long coldStartNanos = System.nanoTime();
        LinearizabilityChecker.check(MODEL, history);
        long coldMicros = (System.nanoTime() - coldStartNanos) / 1_000;
        long warmStartNanos = System.nanoTime();
        CheckResult<KvInput, KvOutput> result = LinearizabilityChecker.check(MODEL, history);
        long warmMicros = (System.nanoTime() - warmStartNanos) / 1_000;
        System.out.printf("LargeHistoryTest %s: %d operations (%d pending), %s, %d steps,"
                        + " first check %.1f ms, second check %.1f ms%n",
                name, history.size(), pending, result.verdict(), result.steps(),
                coldMicros / 1_000.0, warmMicros / 1_000.0);
        return result;
    }
}
