package io.cairn.sim;

/** A checker found the run in a state that Raft or the simulator's contract forbids. */
public final class InvariantFailure extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final String invariant;

    public InvariantFailure(String invariant, long nowMicros, String detail) {
        super(invariant + " violated at " + formatTime(nowMicros) + ": " + detail);
        this.invariant = invariant;
    }

    public String invariant() {
        return invariant;
    }

    /** Virtual time as seconds with microsecond precision, e.g. 3.014250s. */
    public static String formatTime(long micros) {
        return String.format("%d.%06ds", micros / 1_000_000, micros % 1_000_000);
    }
}
