package io.cairn.sim.lin;

import io.cairn.common.Clock;
import io.cairn.common.Invariants;
import java.time.Duration;
import java.util.List;
import java.util.Objects;

/**
 * Decides whether a concurrent history is linearizable with respect to a {@link Model}: whether
 * each operation can be given one instant between its call and its return such that, taken in
 * the order of those instants, the operations are a legal sequential run of the model.
 *
 * <h2>Algorithm</h2>
 *
 * <p>The model first splits the history into independent partitions (for a key-value store, one
 * per key). Linearizability is compositional, so the history is linearizable exactly when every
 * partition is; checking small partitions separately keeps the search, exponential in the worst
 * case, small in practice. The partitions are checked in the model's order, one after another.
 *
 * <p>Each partition is searched with Wing and Gong's backtracking algorithm as improved by Lowe:
 * operations are placed one at a time, always choosing among those whose call precedes the
 * earliest unplaced return, and every configuration (set of placed operations, model state)
 * found to be a dead end is memoised so that it is not explored again. The memo also treats
 * pending operations as optional: a configuration is skipped when a dead end with the same
 * completed operations and state had placed fewer of them. See {@code PartitionSearch}.
 *
 * <h2>Pending operations</h2>
 *
 * <p>An operation whose outcome the client never learned ({@link Operation#pending}) may have
 * taken effect at any instant after its call, or not at all. The checker therefore may place it
 * anywhere after its call, with whatever effect {@link Model#stepPending} gives, and it never
 * has to place it: a partition is linearizable once all of its completed operations are placed.
 * It may not place a pending operation before its call, so a read that returned before a pending
 * write was called cannot have seen that write.
 *
 * <h2>Answers</h2>
 *
 * <p>{@link CheckResult.Ok}, {@link CheckResult.Illegal} for the first illegal partition with the
 * longest prefix the search could place and the operations it could not, or
 * {@link CheckResult.Unknown} if a partition exhausted the {@link Budget} and no partition was
 * found illegal. With a step budget only, the answer is a function of the history and the model.
 */
public final class LinearizabilityChecker {
    private LinearizabilityChecker() {}

    /** Checks with {@link Budget#DEFAULT}, a deterministic step budget. */
    public static <S, I, O> CheckResult<I, O> check(Model<S, I, O> model, List<Operation<I, O>> history) {
        return check(model, history, Budget.DEFAULT);
    }

    /**
     * Checks with the default step budget and also gives up after {@code timeLimit} of wall time
     * on the system clock. An {@code Unknown} answer then depends on the machine's speed.
     */
    public static <S, I, O> CheckResult<I, O> check(
            Model<S, I, O> model, List<Operation<I, O>> history, Duration timeLimit) {
        return check(model, history, Budget.DEFAULT.withTimeLimit(timeLimit, Clock.SYSTEM));
    }

    public static <S, I, O> CheckResult<I, O> check(
            Model<S, I, O> model, List<Operation<I, O>> history, Budget budget) {
        Objects.requireNonNull(model, "model");
        Objects.requireNonNull(budget, "budget");
        for (Operation<I, O> operation : history) {
            Objects.requireNonNull(operation, "history contains a null operation");
        }
        List<Partition<I, O>> partitions = model.partition(history);
        Invariants.check(
                partitionedSize(partitions) == history.size(),
                "model %s partitioned %s operations into %s", model, history.size(), partitionedSize(partitions));

        Deadline deadline = Deadline.start(budget);
        long steps = 0;
        CheckResult.Unknown<I, O> firstUnknown = null;
        for (Partition<I, O> partition : partitions) {
            CheckResult<I, O> result =
                    new PartitionSearch<>(model, partition, budget.maxStepsPerPartition(), deadline).run();
            steps += result.steps();
            if (result instanceof CheckResult.Illegal<I, O> illegal) {
                // One illegal partition makes the whole history illegal, whatever the rest hold.
                return new CheckResult.Illegal<>(
                        illegal.partition(),
                        illegal.longestPrefix(),
                        illegal.stateAfterPrefix(),
                        illegal.couldNotBePlaced(),
                        illegal.mustPrecede(),
                        steps);
            }
            // Keep going past an undecided partition: a later one may still prove a violation.
            if (result instanceof CheckResult.Unknown<I, O> unknown && firstUnknown == null) {
                firstUnknown = unknown;
            }
        }
        if (firstUnknown != null) {
            return new CheckResult.Unknown<>(firstUnknown.partition(), firstUnknown.reason(), steps);
        }
        return new CheckResult.Ok<>(partitions.size(), steps);
    }

    private static long partitionedSize(List<? extends Partition<?, ?>> partitions) {
        long size = 0;
        for (Partition<?, ?> partition : partitions) {
            size += partition.operations().size();
        }
        return size;
    }
}
