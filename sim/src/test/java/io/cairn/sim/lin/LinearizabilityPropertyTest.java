package io.cairn.sim.lin;

import io.cairn.common.Seeded;
import static org.assertj.core.api.Assertions.assertThat;

import io.cairn.common.RandomSource;
import io.cairn.sim.lin.CheckResult.Verdict;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Properties over generated histories; sizes are kept small so the class runs in seconds. Each
 * is a seeded loop (see {@link Seeded}); a failing history is shrunk before it is reported.
 */
class LinearizabilityPropertyTest {
    private static final KvModel MODEL = new KvModel();

    /** The shape of a history that {@link AtomicHistories} builds from {@code historySeed}. */
    record Atomic(long historySeed, int operations, int keys, int clients, double pendingChance) {
        static Atomic generate(RandomSource random, int operationsMin) {
            return new Atomic(random.nextLong(), Seeded.between(random, operationsMin, 150),
                    Seeded.between(random, 1, 4), Seeded.between(random, 1, 5), chance(random, 0.2));
        }

        List<Operation<KvInput, KvOutput>> history() {
            return AtomicHistories.generate(
                    historySeed, new AtomicHistories.Shape(operations, keys, clients, 12, pendingChance));
        }

        /** Fewer operations, keys, clients, pending operations: each still linearizable by construction. */
        List<Atomic> smaller(int operationsMin) {
            List<Atomic> out = new ArrayList<>();
            Seeded.towards(operationsMin, operations)
                    .forEach(n -> out.add(new Atomic(historySeed, n, keys, clients, pendingChance)));
            Seeded.towards(1, keys)
                    .forEach(n -> out.add(new Atomic(historySeed, operations, n, clients, pendingChance)));
            Seeded.towards(1, clients)
                    .forEach(n -> out.add(new Atomic(historySeed, operations, keys, n, pendingChance)));
            if (pendingChance > 0) {
                out.add(new Atomic(historySeed, operations, keys, clients, 0));
            }
            return out;
        }

        @Override
        public String toString() {
            return String.format("seed %d, %d operations on %d keys by %d clients, pending chance %.3f: %s",
                    historySeed, operations, keys, clients, pendingChance, history());
        }
    }

    /** A probability in [0, max], at either end one time in eight each. */
    private static double chance(RandomSource random, double max) {
        int pick = random.nextInt(8);
        return pick == 0 ? 0 : pick == 1 ? max : random.nextDouble() * max;
    }

    private static List<List<Operation<KvInput, KvOutput>>> fewerOperations(
            List<Operation<KvInput, KvOutput>> history, int minSize) {
        return Seeded.removals(history, minSize);
    }

    @Test
    void atomicExecutionsAreLinearizable() {
        Seeded.forAll(200, random -> Atomic.generate(random, 0), shape -> shape.smaller(0), shape -> {
            List<Operation<KvInput, KvOutput>> history = shape.history();

            CheckResult<KvInput, KvOutput> result = LinearizabilityChecker.check(MODEL, history);

            assertThat(result.verdict()).as("%s", result).isEqualTo(Verdict.OK);
        });
    }

    @Test
    void aReadOfAValueNeverWrittenIsIllegal() {
        int[] checked = {0};
        Seeded.forAll(200, random -> Atomic.generate(random, 1), shape -> shape.smaller(1), shape -> {
            List<Operation<KvInput, KvOutput>> history = shape.history();
            int[] mutatedIndex = new int[1];
            List<Operation<KvInput, KvOutput>> mutated =
                    AtomicHistories.withImpossibleRead(history, shape.historySeed(), mutatedIndex);
            if (mutated == null) {
                return;  // no completed read to corrupt
            }

            CheckResult<KvInput, KvOutput> result = LinearizabilityChecker.check(MODEL, mutated);

            // Proving a history illegal means exhausting its orders; with many pending writes that
            // can exceed the step budget, and the checker then says UNKNOWN, never OK.
            assertThat(result.verdict()).isNotEqualTo(Verdict.OK);
            if (result.verdict() != Verdict.ILLEGAL) {
                return;
            }
            CheckResult.Illegal<KvInput, KvOutput> illegal = (CheckResult.Illegal<KvInput, KvOutput>) result;
            Operation<KvInput, KvOutput> impossibleRead = mutated.get(mutatedIndex[0]);
            assertThat(illegal.partition()).isEqualTo(impossibleRead.input().key());
            assertThat(illegal.longestPrefix()).doesNotContain(impossibleRead);
            checked[0]++;
        });
        assertEnoughChecked(checked[0], 200);
    }

    /** The search agrees with trying every order, on tiny histories with arbitrary outputs. */
    @Test
    void agreesWithBruteForceOnTinyHistories() {
        Seeded.forAll(1000, random -> arbitraryHistory(random, Seeded.between(random, 0, 7), chance(random, 0.7)),
                history -> fewerOperations(history, 0), history -> {
                    CheckResult<KvInput, KvOutput> result = LinearizabilityChecker.check(MODEL, history);

                    Verdict expected = BruteForceLinearizability.isLinearizable(MODEL, history)
                            ? Verdict.OK : Verdict.ILLEGAL;
                    assertThat(result.verdict()).as("%s", history).isEqualTo(expected);
                });
    }

    /**
     * An explanation never lies: its prefix is a legal sequence that reaches the state it names,
     * and the model refuses every operation it lists as unplaceable from that state.
     */
    @Test
    void explanationsAreTruthful() {
        int[] checked = {0};
        Seeded.forAll(500, random -> arbitraryHistory(random, Seeded.between(random, 1, 8), chance(random, 0.5)),
                history -> fewerOperations(history, 1), history -> {
                    CheckResult<KvInput, KvOutput> result = LinearizabilityChecker.check(MODEL, history);
                    if (!(result instanceof CheckResult.Illegal<KvInput, KvOutput> illegal)) {
                        return;  // only an illegal history has an explanation
                    }

                    KvValue state = MODEL.initialState();
                    for (Operation<KvInput, KvOutput> operation : illegal.longestPrefix()) {
                        assertThat(operation.input().key()).isEqualTo(illegal.partition());
                        state = operation.isPending()
                                ? MODEL.stepPending(state, operation.input())
                                : MODEL.step(state, operation.input(), operation.output());
                        assertThat(state).as("prefix step %s", operation).isNotNull();
                    }
                    assertThat(state).hasToString(illegal.stateAfterPrefix());
                    assertThat(illegal.couldNotBePlaced()).contains(illegal.mustPrecede());
                    for (Operation<KvInput, KvOutput> operation : illegal.couldNotBePlaced()) {
                        assertThat(operation.isPending()).isFalse();
                        assertThat(MODEL.step(state, operation.input(), operation.output()))
                                .as("%s", operation).isNull();
                    }
                    checked[0]++;
                });
        assertEnoughChecked(checked[0], 500);
    }

    /** The order operations are listed in is not part of the history. */
    @Test
    void verdictDoesNotDependOnListingOrder() {
        Seeded.forAll(100, random -> arbitraryHistory(random, Seeded.between(random, 0, 8), 0.2),
                history -> fewerOperations(history, 0), history -> {
                    List<Operation<KvInput, KvOutput>> reversed = new ArrayList<>(history);
                    Collections.reverse(reversed);

                    assertThat(LinearizabilityChecker.check(MODEL, reversed).verdict())
                            .isEqualTo(LinearizabilityChecker.check(MODEL, history).verdict());
                });
    }

    /**
     * A property that skips inputs its precondition rules out must still check most of them,
     * or it passes without testing anything; at most five skipped per one checked.
     */
    private static void assertEnoughChecked(int checked, int tries) {
        assertThat(checked).as("tries that met the precondition, of %d", tries).isGreaterThanOrEqualTo(tries / 6);
    }

    /**
     * Random operations with random outputs over two keys and values {1, 2}, times in [0, 12] so
     * that ties and overlaps are common; each is pending with the given chance.
     */
    private static List<Operation<KvInput, KvOutput>> arbitraryHistory(
            RandomSource random, int operations, double pendingChance) {
        List<Operation<KvInput, KvOutput>> history = new ArrayList<>(operations);
        for (int i = 0; i < operations; i++) {
            String key = random.chance(0.8) ? "x" : "y";
            long call = random.nextInt(10);
            long ret = call + random.nextInt(4);
            KvValue value = random.chance(0.25) ? KvValue.ABSENT : KvValue.of(1 + random.nextInt(2));
            long newValue = 1 + random.nextInt(2);
            KvInput input;
            KvOutput output;
            switch (random.nextInt(4)) {
                case 0 -> {
                    input = new KvInput.Put(key, newValue);
                    output = KvOutput.OK;
                }
                case 1 -> {
                    input = new KvInput.Get(key);
                    output = new KvOutput.Read(value);
                }
                case 2 -> {
                    input = new KvInput.Cas(key, value, newValue);
                    output = new KvOutput.Swapped(random.chance(0.5));
                }
                default -> {
                    input = new KvInput.Delete(key);
                    output = KvOutput.OK;
                }
            }
            history.add(random.chance(pendingChance)
                    ? Operation.pending(i, input, call)
                    : Operation.completed(i, input, output, call, ret));
        }
        return history;
    }
}
