package io.cairn.sim.lin;

import static org.assertj.core.api.Assertions.assertThat;

import io.cairn.common.SeededRandom;
import io.cairn.sim.lin.CheckResult.Verdict;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import net.jqwik.api.Assume;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.DoubleRange;
import net.jqwik.api.constraints.IntRange;

/** Properties over generated histories; sizes are kept small so the class runs in seconds. */
class LinearizabilityPropertyTest {
    private static final KvModel MODEL = new KvModel();

    @Property(tries = 200)
    void atomicExecutionsAreLinearizable(
            @ForAll long seed,
            @ForAll @IntRange(min = 0, max = 150) int operations,
            @ForAll @IntRange(min = 1, max = 4) int keys,
            @ForAll @IntRange(min = 1, max = 5) int clients,
            @ForAll @DoubleRange(min = 0, max = 0.2) double pendingChance) {
        List<Operation<KvInput, KvOutput>> history = AtomicHistories.generate(
                seed, new AtomicHistories.Shape(operations, keys, clients, 12, pendingChance));

        CheckResult<KvInput, KvOutput> result = LinearizabilityChecker.check(MODEL, history);

        assertThat(result.verdict()).as("%s", result).isEqualTo(Verdict.OK);
    }

    @Property(tries = 200)
    void aReadOfAValueNeverWrittenIsIllegal(
            @ForAll long seed,
            @ForAll @IntRange(min = 1, max = 150) int operations,
            @ForAll @IntRange(min = 1, max = 4) int keys,
            @ForAll @IntRange(min = 1, max = 5) int clients,
            @ForAll @DoubleRange(min = 0, max = 0.2) double pendingChance) {
        List<Operation<KvInput, KvOutput>> history = AtomicHistories.generate(
                seed, new AtomicHistories.Shape(operations, keys, clients, 12, pendingChance));
        int[] mutatedIndex = new int[1];
        List<Operation<KvInput, KvOutput>> mutated = AtomicHistories.withImpossibleRead(history, seed, mutatedIndex);
        Assume.that(mutated != null);

        CheckResult<KvInput, KvOutput> result = LinearizabilityChecker.check(MODEL, mutated);

        // Proving a history illegal means exhausting its orders; with many pending writes that
        // can exceed the step budget, and the checker then says UNKNOWN, never OK.
        assertThat(result.verdict()).isNotEqualTo(Verdict.OK);
        Assume.that(result.verdict() == Verdict.ILLEGAL);
        CheckResult.Illegal<KvInput, KvOutput> illegal = (CheckResult.Illegal<KvInput, KvOutput>) result;
        Operation<KvInput, KvOutput> impossibleRead = mutated.get(mutatedIndex[0]);
        assertThat(illegal.partition()).isEqualTo(impossibleRead.input().key());
        assertThat(illegal.longestPrefix()).doesNotContain(impossibleRead);
    }

    /** The search agrees with trying every order, on tiny histories with arbitrary outputs. */
    @Property(tries = 1000)
    void agreesWithBruteForceOnTinyHistories(
            @ForAll long seed,
            @ForAll @IntRange(min = 0, max = 7) int operations,
            @ForAll @DoubleRange(min = 0, max = 0.7) double pendingChance) {
        List<Operation<KvInput, KvOutput>> history =
                arbitraryHistory(new SeededRandom(seed), operations, pendingChance);

        CheckResult<KvInput, KvOutput> result = LinearizabilityChecker.check(MODEL, history);

        Verdict expected = BruteForceLinearizability.isLinearizable(MODEL, history) ? Verdict.OK : Verdict.ILLEGAL;
        assertThat(result.verdict()).as("%s", history).isEqualTo(expected);
    }

    /**
     * An explanation never lies: its prefix is a legal sequence that reaches the state it names,
     * and the model refuses every operation it lists as unplaceable from that state.
     */
    @Property(tries = 500)
    void explanationsAreTruthful(
            @ForAll long seed,
            @ForAll @IntRange(min = 1, max = 8) int operations,
            @ForAll @DoubleRange(min = 0, max = 0.5) double pendingChance) {
        List<Operation<KvInput, KvOutput>> history =
                arbitraryHistory(new SeededRandom(seed), operations, pendingChance);
        CheckResult<KvInput, KvOutput> result = LinearizabilityChecker.check(MODEL, history);
        Assume.that(result instanceof CheckResult.Illegal);
        CheckResult.Illegal<KvInput, KvOutput> illegal = (CheckResult.Illegal<KvInput, KvOutput>) result;

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
            assertThat(MODEL.step(state, operation.input(), operation.output())).as("%s", operation).isNull();
        }
    }

    /** The order operations are listed in is not part of the history. */
    @Property(tries = 100)
    void verdictDoesNotDependOnListingOrder(
            @ForAll long seed, @ForAll @IntRange(min = 0, max = 8) int operations) {
        SeededRandom random = new SeededRandom(seed);
        List<Operation<KvInput, KvOutput>> history = arbitraryHistory(random, operations, 0.2);
        List<Operation<KvInput, KvOutput>> reversed = new ArrayList<>(history);
        Collections.reverse(reversed);

        assertThat(LinearizabilityChecker.check(MODEL, reversed).verdict())
                .isEqualTo(LinearizabilityChecker.check(MODEL, history).verdict());
    }

    /**
     * Random operations with random outputs over two keys and values {1, 2}, times in [0, 12] so
     * that ties and overlaps are common; each is pending with the given chance.
     */
    private static List<Operation<KvInput, KvOutput>> arbitraryHistory(
            SeededRandom random, int operations, double pendingChance) {
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
