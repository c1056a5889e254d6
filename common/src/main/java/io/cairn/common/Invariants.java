package io.cairn.common;

/**
 * Assertions that stay on in production. Use {@link #check} for cheap conditions everywhere and
 * guard expensive ones with {@link #EXPENSIVE}, which tests and the simulator switch on with the
 * system property {@code cairn.expensiveChecks=true}.
 */
public final class Invariants {
    /** Whether checks that cost more than O(1) run. Fixed at class load so the JIT removes them. */
    public static final boolean EXPENSIVE = Boolean.getBoolean("cairn.expensiveChecks");

    private Invariants() {}

    public static void check(boolean condition, String message) {
        if (!condition) {
            throw new InvariantViolation(message);
        }
    }

    public static void check(boolean condition, String format, Object arg) {
        if (!condition) {
            throw new InvariantViolation(String.format(format, arg));
        }
    }

    public static void check(boolean condition, String format, Object arg1, Object arg2) {
        if (!condition) {
            throw new InvariantViolation(String.format(format, arg1, arg2));
        }
    }

    public static void check(boolean condition, String format, Object... args) {
        if (!condition) {
            throw new InvariantViolation(String.format(format, args));
        }
    }
}
