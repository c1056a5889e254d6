package io.cairn.client;

/**
 * A request failed for a reason other than a bad argument ({@link IllegalArgumentException}).
 * Subclasses name the outcomes a caller may want to handle: {@link CairnUnavailableException},
 * {@link CasFailedException}.
 */
public class CairnException extends RuntimeException {
    public CairnException(String message) {
        super(message);
    }

    public CairnException(String message, Throwable cause) {
        super(message, cause);
    }
}
