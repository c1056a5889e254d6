package io.cairn.sim.lin;

import java.util.Objects;

/**
 * One operation of a recorded history: a client called {@code input} at {@code callTime} and
 * saw {@code output} at {@code returnTime}.
 *
 * <p>Intervals are closed: an operation that returns at time t overlaps one that is called at
 * t, so the checker treats the two as concurrent. This is the permissive choice; it never
 * reports a violation that only a finer clock could have shown.
 *
 * <p>A <em>pending</em> operation (the client timed out, crashed, or lost the reply) has
 * {@code returnTime == }{@link #PENDING} and no output ({@code output == null}). It may have
 * taken effect at any instant after its call, or never; see {@link Model#stepPending}.
 *
 * @param clientId   who issued the operation; used only in explanations
 * @param input      what was asked, never null
 * @param output     what was answered; null exactly when the operation is pending
 * @param callTime   when the call was issued, in any unit shared by the whole history
 * @param returnTime when the answer arrived, at least {@code callTime}; {@link #PENDING} if never
 */
public record Operation<I, O>(int clientId, I input, O output, long callTime, long returnTime) {
    /** The return time of an operation whose outcome is unknown: it returns at infinity. */
    public static final long PENDING = Long.MAX_VALUE;

    public Operation {
        Objects.requireNonNull(input, "input");
        if (returnTime < callTime) {
            throw new IllegalArgumentException(
                    "returnTime " + returnTime + " precedes callTime " + callTime + " for " + input);
        }
        boolean pending = returnTime == PENDING;
        // Split on purpose: each message names the exact half of the contract that was broken.
        if (pending && output != null) {
            throw new IllegalArgumentException("a pending operation has no output: " + input);
        }
        if (!pending && output == null) {
            throw new IllegalArgumentException("a completed operation needs an output: " + input);
        }
    }

    /** A completed operation. */
    public static <I, O> Operation<I, O> completed(
            int clientId, I input, O output, long callTime, long returnTime) {
        Objects.requireNonNull(output, "output");
        return new Operation<>(clientId, input, output, callTime, returnTime);
    }

    /** An operation called at {@code callTime} whose outcome was never observed. */
    public static <I, O> Operation<I, O> pending(int clientId, I input, long callTime) {
        return new Operation<>(clientId, input, null, callTime, PENDING);
    }

    public boolean isPending() {
        return returnTime == PENDING;
    }

    /** Reads like {@code c2 put(x, 7) -> ok [10, 25]}; a pending one ends in {@code -> ? [10, ...)}. */
    @Override
    public String toString() {
        if (isPending()) {
            return "c" + clientId + " " + input + " -> ? [" + callTime + ", ...)";
        }
        return "c" + clientId + " " + input + " -> " + output + " [" + callTime + ", " + returnTime + "]";
    }
}
