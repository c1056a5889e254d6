package io.cairn.sim.lin;

import java.util.List;

/**
 * The sequential specification of an object: what one operation does to the state when
 * operations run one at a time. The checker searches for an order of a concurrent history that
 * this specification accepts.
 *
 * <p>Contract:
 *
 * <ol>
 *   <li>States are immutable values with {@code equals} and {@code hashCode} over their content
 *       (records are ideal). The checker memoises (linearized set, state) pairs, so a state that
 *       hashes by identity makes the search exponential, and one that is mutated corrupts it.
 *   <li>{@link #step} and {@link #stepPending} are pure and deterministic: the next state is a
 *       function of the arguments alone.
 *   <li>{@link #partition} splits a history into parts whose operations never affect each
 *       other's outcome, so each part is linearizable on its own exactly when the whole is
 *       (P-compositionality). Every operation goes to exactly one partition.
 * </ol>
 *
 * @param <S> the state, a value type
 * @param <I> an operation's input
 * @param <O> an operation's output
 */
public interface Model<S, I, O> {
    /** The state before any operation. */
    S initialState();

    /**
     * The state after an operation with this input, taking effect in {@code state}, returned
     * {@code output}; or null if the specification does not allow that output from that state.
     */
    S step(S state, I input, O output);

    /**
     * The state after a pending operation with this input takes effect in {@code state}; or null
     * if it cannot take effect there. The output was never observed, so any output is accepted:
     * a pending write computes its effect, a pending compare-and-set succeeds exactly when its
     * expectation holds in {@code state}, and a pending read changes nothing.
     */
    S stepPending(S state, I input);

    /**
     * Splits {@code history} into independent parts, in an order that depends only on the
     * history (never on identity hashes), so results are reproducible. The default keeps the
     * history whole.
     */
    default List<Partition<I, O>> partition(List<Operation<I, O>> history) {
        return List.of(new Partition<>("all", history));
    }
}
