package io.cairn.sim.lin;

import java.util.List;
import java.util.Objects;

/**
 * The checker's answer: {@link Ok}, {@link Illegal} with an explanation, or {@link Unknown} when
 * the budget ran out first.
 */
public sealed interface CheckResult<I, O>
        permits CheckResult.Ok, CheckResult.Illegal, CheckResult.Unknown {

    /** The three answers, for callers that only branch on the kind. */
    enum Verdict {
        OK,
        ILLEGAL,
        UNKNOWN
    }

    Verdict verdict();

    /** Steps the search took over all partitions it examined. */
    long steps();

    /**
     * Every partition has a linearization.
     *
     * @param partitions how many partitions were checked
     */
    record Ok<I, O>(int partitions, long steps) implements CheckResult<I, O> {
        @Override
        public Verdict verdict() {
            return Verdict.OK;
        }
    }

    /**
     * Partition {@code partition} has no linearization. The search could place at most the
     * operations of {@code longestPrefix}, in that order, reaching {@code stateAfterPrefix}; from
     * there every completed operation that could go next, {@code couldNotBePlaced}, is refused by
     * the model, and {@code mustPrecede} (one of them) returned before anything else could help.
     * Pending operations never need a place, so they are not listed as unplaced.
     */
    record Illegal<I, O>(
            String partition,
            List<Operation<I, O>> longestPrefix,
            String stateAfterPrefix,
            List<Operation<I, O>> couldNotBePlaced,
            Operation<I, O> mustPrecede,
            long steps)
            implements CheckResult<I, O> {
        public Illegal {
            Objects.requireNonNull(partition, "partition");
            longestPrefix = List.copyOf(longestPrefix);
            Objects.requireNonNull(stateAfterPrefix, "stateAfterPrefix");
            couldNotBePlaced = List.copyOf(couldNotBePlaced);
            Objects.requireNonNull(mustPrecede, "mustPrecede");
        }

        @Override
        public Verdict verdict() {
            return Verdict.ILLEGAL;
        }

        /** A multi-line account for a test failure message or a simulator log. */
        public String explanation() {
            StringBuilder text = new StringBuilder();
            text.append("partition '").append(partition).append("' is not linearizable.\n");
            text.append("Longest linearizable prefix (").append(longestPrefix.size()).append(" operations):\n");
            for (int i = 0; i < longestPrefix.size(); i++) {
                text.append("  ").append(i + 1).append(". ").append(longestPrefix.get(i)).append('\n');
            }
            text.append("State after the prefix: ").append(stateAfterPrefix).append('\n');
            text.append("No operation that could go next is legal in that state:\n");
            for (Operation<I, O> operation : couldNotBePlaced) {
                text.append("  ").append(operation).append('\n');
            }
            text.append(mustPrecede).append(" returned at ").append(mustPrecede.returnTime())
                    .append(", so it had to take effect by then.");
            return text.toString();
        }

        @Override
        public String toString() {
            return "ILLEGAL: " + explanation();
        }
    }

    /**
     * The budget ran out in {@code partition} before the search decided it. Partitions checked
     * later may still have been decided; none of them was found illegal.
     */
    record Unknown<I, O>(String partition, String reason, long steps) implements CheckResult<I, O> {
        public Unknown {
            Objects.requireNonNull(partition, "partition");
            Objects.requireNonNull(reason, "reason");
        }

        @Override
        public Verdict verdict() {
            return Verdict.UNKNOWN;
        }
    }
}
