package io.cairn.kv.state;

import java.util.concurrent.ConcurrentHashMap;

/**
 * The last keep-alive a node received for each lock session, by its own monotonic clock. Written
 * by the threads that receive keep-alives, read by the replicas' loop ({@link SessionExpiry#due}).
 * Entries older than {@link #RETAIN_NANOS} are dropped by {@link #sweep}: by then every session
 * they could keep alive has ended (session TTLs are at most {@link Limits#SESSION_TTL_MILLIS_MAX}).
 */
public final class Keepalives {
    /** How long a keep-alive is remembered: past the longest session TTL. */
    public static final long RETAIN_NANOS = 2 * 3_600_000_000_000L;

    private final ConcurrentHashMap<Long, Long> lastSeenNanos = new ConcurrentHashMap<>();

    public void seen(long sessionId, long nowNanos) {
        lastSeenNanos.merge(sessionId, nowNanos, Math::max);
    }

    /** When the session's last keep-alive arrived; Long.MIN_VALUE if none did. */
    public long lastSeen(long sessionId) {
        Long t = lastSeenNanos.get(sessionId);
        return t == null ? Long.MIN_VALUE : t;
    }

    /** Forgets keep-alives older than {@link #RETAIN_NANOS} at {@code nowNanos}. */
    public void sweep(long nowNanos) {
        lastSeenNanos.values().removeIf(t -> nowNanos - t > RETAIN_NANOS);
    }

    public int size() {
        return lastSeenNanos.size();
    }
}
