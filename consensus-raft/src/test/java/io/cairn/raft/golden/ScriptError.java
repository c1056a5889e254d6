package io.cairn.raft.golden;

/**
 * A mistake in a script (unknown command or node, bad argument), printed as the command's
 * output {@code error: ...} so a rewrite shows it. It is kept apart from the engine's own
 * exceptions, which fail the test instead of being recorded as expected output.
 */
final class ScriptError extends RuntimeException {
    private static final long serialVersionUID = 1L;

    ScriptError(String message) {
        super(message);
    }
}
