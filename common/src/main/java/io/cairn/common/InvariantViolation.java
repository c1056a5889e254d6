package io.cairn.common;

/**
 * A programmer error: the process is in a state the code promised could not happen. It is an
 * {@link Error} so that nothing on the way up swallows it; the node stops instead of going on
 * in a wrong state.
 */
public final class InvariantViolation extends Error {
    private static final long serialVersionUID = 1L;

    public InvariantViolation(String message) {
        super(message);
    }
}
