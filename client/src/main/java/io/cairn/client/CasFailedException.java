package io.cairn.client;

/**
 * A compare-and-set found a version other than the expected one and wrote nothing. Retrying a
 * write that ended this way returns the same answer: the server stored it with the write's
 * sequence.
 */
public final class CasFailedException extends CairnException {
    private final long currentVersion;

    public CasFailedException(long currentVersion) {
        super("version mismatch: the key's current version is " + currentVersion
                + (currentVersion == 0 ? " (absent)" : ""));
        this.currentVersion = currentVersion;
    }

    /** The key's version when the compare-and-set was applied; 0 when the key was absent. */
    public long currentVersion() {
        return currentVersion;
    }
}
