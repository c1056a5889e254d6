package io.cairn.client;

import java.util.List;

/**
 * No endpoint completed the request before its deadline. The message names every endpoint
 * tried and the last error. A write that ends this way may or may not have been applied: a
 * later retry by the application is a new write (a new sequence), not a duplicate-safe one.
 */
public final class CairnUnavailableException extends CairnException {
    private final List<String> endpointsTried;

    public CairnUnavailableException(String message, List<String> endpointsTried, Throwable lastError) {
        super(message, lastError);
        this.endpointsTried = List.copyOf(endpointsTried);
    }

    /** The addresses tried, in the order they were first tried. */
    public List<String> endpointsTried() {
        return endpointsTried;
    }
}
