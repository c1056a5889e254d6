package io.cairn.client;

/**
 * A fenced write or a lock release named a fencing token that is not the lock's current grant
 * (another owner holds it now, or the grant expired): nothing changed. Retrying returns the same
 * answer; a holder that gets this has lost the lock and must stop acting under it.
 */
public final class StaleTokenException extends CairnException {
    private final long currentToken;

    public StaleTokenException(long currentToken) {
        super("stale fencing token: the lock's current token is " + currentToken
                + (currentToken == 0 ? " (free or expired)" : ""));
        this.currentToken = currentToken;
    }

    /** A transaction's fence whose token was no longer its lock's grant; the current token is not known (-1). */
    static StaleTokenException ofFence(Compare fence) {
        return new StaleTokenException("stale fencing token: lock " + new String(fence.key(),
                java.nio.charset.StandardCharsets.UTF_8) + " is no longer held under token " + fence.number()
                + "; the transaction wrote nothing");
    }

    private StaleTokenException(String message) {
        super(message);
        this.currentToken = -1;
    }

    /** The lock's current grant's token; 0 when it is free or its grant expired, -1 when not known. */
    public long currentToken() {
        return currentToken;
    }
}
