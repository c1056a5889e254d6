package io.cairn.sim.lin;

import static io.cairn.sim.lin.KvOps.cas;
import static io.cairn.sim.lin.KvOps.delete;
import static io.cairn.sim.lin.KvOps.get;
import static io.cairn.sim.lin.KvOps.pending;
import static io.cairn.sim.lin.KvOps.put;
import static org.assertj.core.api.Assertions.assertThat;

import io.cairn.common.Clock;
import io.cairn.sim.lin.CheckResult.Verdict;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

class LinearizabilityCheckerTest {
    private static final KvModel MODEL = new KvModel();
    private static final KvValue ABSENT = KvValue.ABSENT;

    @SafeVarargs
    private static CheckResult<KvInput, KvOutput> check(Operation<KvInput, KvOutput>... history) {
        List<Operation<KvInput, KvOutput>> list = new ArrayList<>(history.length);
        for (Operation<KvInput, KvOutput> operation : history) {
            list.add(operation);
        }
        return LinearizabilityChecker.check(MODEL, list);
    }

    @SafeVarargs
    private static Verdict verdict(Operation<KvInput, KvOutput>... history) {
        return check(history).verdict();
    }

    @Nested
    class LinearizableHistories {
        @Test
        void emptyHistoryIsLinearizable() {
            assertThat(verdict()).isEqualTo(Verdict.OK);
        }

        @Test
        void sequentialPutThenGetIsLinearizable() {
            assertThat(verdict(
                    put(1, "x", 1, 0, 10),
                    get(2, "x", 1, 20, 30)))
                    .isEqualTo(Verdict.OK);
        }

        @Test
        void getBeforeAnyWriteSeesAbsent() {
            assertThat(verdict(
                    get(1, "x", ABSENT, 0, 5),
                    put(2, "x", 1, 10, 20)))
                    .isEqualTo(Verdict.OK);
        }

        @Test
        void getOverlappingAPutMaySeeTheOldOrTheNewValue() {
            assertThat(verdict(
                    put(1, "x", 1, 0, 10),
                    put(1, "x", 2, 20, 40),
                    get(2, "x", 1, 25, 30)))
                    .isEqualTo(Verdict.OK);
            assertThat(verdict(
                    put(1, "x", 1, 0, 10),
                    put(1, "x", 2, 20, 40),
                    get(2, "x", 2, 25, 30)))
                    .isEqualTo(Verdict.OK);
        }

        @Test
        void readsOfConcurrentWritesMaySeeThemInEitherOrder() {
            assertThat(verdict(
                    put(1, "x", 1, 0, 100),
                    put(2, "x", 2, 0, 100),
                    get(3, "x", 1, 10, 20),
                    get(3, "x", 2, 30, 40)))
                    .isEqualTo(Verdict.OK);
            assertThat(verdict(
                    put(1, "x", 1, 0, 100),
                    put(2, "x", 2, 0, 100),
                    get(3, "x", 2, 10, 20),
                    get(3, "x", 1, 30, 40)))
                    .isEqualTo(Verdict.OK);
        }

        @Test
        void casFromAbsentThenFailedCasThenDelete() {
            assertThat(verdict(
                    cas(1, "x", ABSENT, 5, true, 0, 10),
                    cas(2, "x", ABSENT, 6, false, 20, 30),
                    get(1, "x", 5, 40, 50),
                    delete(2, "x", 60, 70),
                    get(1, "x", ABSENT, 80, 90)))
                    .isEqualTo(Verdict.OK);
        }

        @Test
        void keysAreIndependent() {
            CheckResult<KvInput, KvOutput> result = check(
                    put(1, "x", 1, 0, 10),
                    put(2, "y", 2, 0, 10),
                    get(1, "x", 1, 20, 30),
                    get(2, "y", 2, 20, 30));
            assertThat(result).isEqualTo(new CheckResult.Ok<KvInput, KvOutput>(2, result.steps()));
        }

        @Test
        void operationsThatTouchAtOneInstantAreConcurrent() {
            // The get is called at the put's return time, so it may take effect before the put.
            assertThat(verdict(
                    put(1, "x", 1, 0, 10),
                    get(2, "x", ABSENT, 10, 20)))
                    .isEqualTo(Verdict.OK);
        }

        @Test
        void historyOrderDoesNotMatter() {
            assertThat(verdict(
                    get(2, "x", 1, 20, 30),
                    put(1, "x", 1, 0, 10)))
                    .isEqualTo(Verdict.OK);
        }
    }

    @Nested
    class IllegalHistories {
        @Test
        void staleReadAfterACompletedWriteIsExplained() {
            Operation<KvInput, KvOutput> first = put(1, "x", 1, 0, 10);
            Operation<KvInput, KvOutput> second = put(1, "x", 2, 20, 30);
            Operation<KvInput, KvOutput> stale = get(2, "x", 1, 40, 50);

            CheckResult<KvInput, KvOutput> result = check(first, second, stale);

            assertThat(result).isInstanceOf(CheckResult.Illegal.class);
            CheckResult.Illegal<KvInput, KvOutput> illegal = (CheckResult.Illegal<KvInput, KvOutput>) result;
            assertThat(illegal.partition()).isEqualTo("x");
            assertThat(illegal.longestPrefix()).containsExactly(first, second);
            assertThat(illegal.stateAfterPrefix()).isEqualTo("2");
            assertThat(illegal.couldNotBePlaced()).containsExactly(stale);
            assertThat(illegal.mustPrecede()).isEqualTo(stale);
            assertThat(illegal.explanation())
                    .contains("partition 'x'")
                    .contains("1. c1 put(x, 1) -> ok [0, 10]")
                    .contains("2. c1 put(x, 2) -> ok [20, 30]")
                    .contains("c2 get(x) -> 1 [40, 50] returned at 50");
        }

        @Test
        void readOfAValueNeverWrittenIsIllegal() {
            assertThat(verdict(
                    put(1, "x", 1, 0, 10),
                    get(2, "x", 7, 0, 20)))
                    .isEqualTo(Verdict.ILLEGAL);
        }

        @Test
        void lostCasIsIllegal() {
            assertThat(verdict(
                    put(1, "x", 0, 0, 10),
                    cas(2, "x", KvValue.of(0), 1, true, 20, 30),
                    get(3, "x", 0, 40, 50)))
                    .isEqualTo(Verdict.ILLEGAL);
        }

        @Test
        void twoCasSucceedingFromTheSameExpectedValueIsIllegal() {
            assertThat(verdict(
                    put(1, "x", 0, 0, 10),
                    cas(2, "x", KvValue.of(0), 1, true, 20, 40),
                    cas(3, "x", KvValue.of(0), 2, true, 20, 40)))
                    .isEqualTo(Verdict.ILLEGAL);
            assertThat(verdict(
                    cas(2, "x", ABSENT, 1, true, 0, 40),
                    cas(3, "x", ABSENT, 2, true, 0, 40)))
                    .isEqualTo(Verdict.ILLEGAL);
        }

        @Test
        void casFailingWhileItsExpectationHoldsIsIllegal() {
            assertThat(verdict(
                    put(1, "x", 0, 0, 10),
                    cas(2, "x", KvValue.of(0), 1, false, 20, 30)))
                    .isEqualTo(Verdict.ILLEGAL);
        }

        @Test
        void readsGoingBackInTimeAreIllegal() {
            assertThat(verdict(
                    put(1, "x", 1, 0, 10),
                    put(1, "x", 2, 20, 100),
                    get(2, "x", 2, 30, 40),
                    get(3, "x", 1, 50, 60)))
                    .isEqualTo(Verdict.ILLEGAL);
        }

        @Test
        void operationsOneTickApartAreOrdered() {
            assertThat(verdict(
                    put(1, "x", 1, 0, 10),
                    get(2, "x", ABSENT, 11, 20)))
                    .isEqualTo(Verdict.ILLEGAL);
        }

        @Test
        void illegalResultNamesTheKeyAndKeepsCheckingPastLinearizableKeys() {
            CheckResult<KvInput, KvOutput> result = check(
                    put(1, "x", 1, 0, 10),
                    put(1, "y", 1, 0, 10),
                    get(2, "x", 1, 20, 30),
                    get(2, "y", 9, 20, 30));
            assertThat(result).isInstanceOf(CheckResult.Illegal.class);
            assertThat(((CheckResult.Illegal<KvInput, KvOutput>) result).partition()).isEqualTo("y");
        }

        @Test
        void sameHistoryGetsTheSameResult() {
            List<Operation<KvInput, KvOutput>> history = List.of(
                    put(1, "x", 1, 0, 100),
                    put(2, "x", 2, 0, 100),
                    get(3, "x", 1, 10, 20),
                    get(3, "x", 2, 30, 40),
                    get(4, "x", 1, 110, 120));
            CheckResult<KvInput, KvOutput> first = LinearizabilityChecker.check(MODEL, history);
            CheckResult<KvInput, KvOutput> second = LinearizabilityChecker.check(MODEL, history);
            assertThat(first.verdict()).isEqualTo(Verdict.ILLEGAL);
            assertThat(second).isEqualTo(first);
        }
    }

    @Nested
    class PendingOperations {
        @Test
        void pendingPutObservedByALaterReadTookEffect() {
            Operation<KvInput, KvOutput> write = pending(1, new KvInput.Put("x", 1), 0);
            Operation<KvInput, KvOutput> read = get(2, "x", 1, 20, 30);
            assertThat(verdict(write, read)).isEqualTo(Verdict.OK);
            // Without the pending put, nothing explains the read.
            assertThat(verdict(read)).isEqualTo(Verdict.ILLEGAL);
        }

        @Test
        void pendingPutMayNeverTakeEffect() {
            assertThat(verdict(
                    pending(1, new KvInput.Put("x", 1), 0),
                    get(2, "x", ABSENT, 10, 20),
                    get(2, "x", ABSENT, 30, 40)))
                    .isEqualTo(Verdict.OK);
        }

        @Test
        void pendingPutMayTakeEffectLongAfterItsCall() {
            assertThat(verdict(
                    put(1, "x", 1, 0, 10),
                    pending(2, new KvInput.Put("x", 2), 5),
                    get(3, "x", 1, 20, 30),
                    get(3, "x", 2, 40, 50)))
                    .isEqualTo(Verdict.OK);
        }

        @Test
        void pendingPutCannotTakeEffectBeforeItsCall() {
            CheckResult<KvInput, KvOutput> result = check(
                    get(1, "x", 1, 0, 10),
                    pending(2, new KvInput.Put("x", 1), 20));
            assertThat(result.verdict()).isEqualTo(Verdict.ILLEGAL);
            CheckResult.Illegal<KvInput, KvOutput> illegal = (CheckResult.Illegal<KvInput, KvOutput>) result;
            assertThat(illegal.longestPrefix()).isEmpty();
            assertThat(illegal.couldNotBePlaced()).containsExactly(get(1, "x", 1, 0, 10));
        }

        @Test
        void pendingPutTakesEffectAtMostOnce() {
            assertThat(verdict(
                    put(1, "x", 0, 0, 5),
                    pending(2, new KvInput.Put("x", 1), 10),
                    get(3, "x", 1, 20, 30),
                    get(3, "x", 0, 40, 50)))
                    .isEqualTo(Verdict.ILLEGAL);
        }

        @Test
        void pendingCasSucceedsOnlyWhereItsExpectationHolds() {
            Operation<KvInput, KvOutput> toFive = pending(1, new KvInput.Cas("x", ABSENT, 5), 0);
            Operation<KvInput, KvOutput> toSix = pending(2, new KvInput.Cas("x", ABSENT, 6), 0);
            assertThat(verdict(toFive, toSix, get(3, "x", 5, 10, 20))).isEqualTo(Verdict.OK);
            assertThat(verdict(toFive, toSix, get(3, "x", 6, 10, 20))).isEqualTo(Verdict.OK);
            // Whichever lands first changes the value, so the other must fail.
            assertThat(verdict(toFive, toSix, get(3, "x", 5, 10, 20), get(3, "x", 6, 30, 40)))
                    .isEqualTo(Verdict.ILLEGAL);
        }

        @Test
        void pendingDeleteMayExplainAnAbsentRead() {
            assertThat(verdict(
                    put(1, "x", 1, 0, 10),
                    pending(2, new KvInput.Delete("x"), 5),
                    get(3, "x", ABSENT, 20, 30)))
                    .isEqualTo(Verdict.OK);
        }

        @Test
        void manyConcurrentPendingWritesDoNotMultiplyTheSearch() {
            // Thirty pending puts could be placed in any subset and order; only the one a read
            // observes matters, so the search must stay near linear in their number.
            List<Operation<KvInput, KvOutput>> history = new ArrayList<>();
            for (int client = 0; client < 30; client++) {
                history.add(pending(client, new KvInput.Put("x", client), 0));
            }
            history.add(get(30, "x", 17, 10, 20));
            history.add(get(30, "x", 3, 30, 40));
            history.add(get(30, "x", 25, 50, 60));
            CheckResult<KvInput, KvOutput> linearizable = LinearizabilityChecker.check(MODEL, history);

            history.add(get(30, "x", 99, 70, 80));
            CheckResult<KvInput, KvOutput> illegal = LinearizabilityChecker.check(MODEL, history);

            assertThat(linearizable.verdict()).isEqualTo(Verdict.OK);
            assertThat(illegal.verdict()).isEqualTo(Verdict.ILLEGAL);
            // Steps are deterministic; without pruning overwritten pending puts this takes millions.
            assertThat(illegal.steps()).isLessThan(20_000);
        }

        @Test
        void pendingOperationsAreNotListedAsUnplaced() {
            CheckResult<KvInput, KvOutput> result = check(
                    pending(1, new KvInput.Put("x", 3), 0),
                    get(2, "x", 7, 0, 10));
            CheckResult.Illegal<KvInput, KvOutput> illegal = (CheckResult.Illegal<KvInput, KvOutput>) result;
            assertThat(illegal.couldNotBePlaced()).containsExactly(get(2, "x", 7, 0, 10));
        }
    }

    @Nested
    class Budgets {
        @Test
        void exhaustedStepBudgetAnswersUnknown() {
            CheckResult<KvInput, KvOutput> result = LinearizabilityChecker.check(
                    MODEL, List.of(put(1, "x", 1, 0, 10), get(2, "x", 1, 20, 30)), Budget.steps(1));
            assertThat(result).isEqualTo(
                    new CheckResult.Unknown<KvInput, KvOutput>("x", "step budget of 1 exhausted", 1));
        }

        @Test
        void unknownKeyDoesNotHideAnIllegalOne() {
            CheckResult<KvInput, KvOutput> result = LinearizabilityChecker.check(
                    MODEL,
                    List.of(put(1, "x", 1, 0, 10), get(2, "x", 1, 20, 30), get(2, "y", 4, 20, 30)),
                    Budget.steps(1));
            assertThat(result.verdict()).isEqualTo(Verdict.ILLEGAL);
        }

        @Test
        void exceededTimeLimitAnswersUnknown() {
            Clock leapingClock = new Clock() {
                private long nanos;

                @Override
                public long nanoTime() {
                    nanos += Duration.ofSeconds(1).toNanos();
                    return nanos;
                }

                @Override
                public long epochMillis() {
                    return 0;
                }
            };
            Budget budget = Budget.steps(1_000).withTimeLimit(Duration.ofMillis(1), leapingClock);
            CheckResult<KvInput, KvOutput> result =
                    LinearizabilityChecker.check(MODEL, List.of(put(1, "x", 1, 0, 10)), budget);
            assertThat(result.verdict()).isEqualTo(Verdict.UNKNOWN);
            assertThat(((CheckResult.Unknown<KvInput, KvOutput>) result).reason()).isEqualTo("time limit exceeded");
        }

        @Test
        void generousTimeLimitChangesNothing() {
            CheckResult<KvInput, KvOutput> result = LinearizabilityChecker.check(
                    MODEL, List.of(put(1, "x", 1, 0, 10), get(2, "x", 1, 20, 30)), Duration.ofMinutes(1));
            assertThat(result.verdict()).isEqualTo(Verdict.OK);
        }
    }
}
