package io.cairn.client;

/**
 * A lock session is over, or can no longer be proven alive: every lock it held may be someone
 * else's by now. Stop acting under its locks (their fenced writes are refused anyway) and open
 * a new session to take them again.
 */
public final class SessionLostException extends CairnException {
    private final long sessionId;

    public SessionLostException(long sessionId, String why) {
        super("lock session " + Long.toHexString(sessionId) + " is lost: " + why);
        this.sessionId = sessionId;
    }

    public long sessionId() {
        return sessionId;
    }
}
