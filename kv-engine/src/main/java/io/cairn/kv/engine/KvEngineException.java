package io.cairn.kv.engine;

/**
 * The storage under a {@link KvEngine} failed: an I/O error, corruption, a full disk. It is not
 * a bad argument and retrying the same call rarely helps; the host decides whether the node can
 * go on (usually it stops the replica and recovers it from a snapshot).
 */
public final class KvEngineException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public KvEngineException(String message, Throwable cause) {
        super(message, cause);
    }
}
