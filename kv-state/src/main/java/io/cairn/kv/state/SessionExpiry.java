package io.cairn.kv.state;

import io.cairn.common.Invariants;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.function.LongUnaryOperator;

/**
 * When a shard's leader ends the lock sessions of its shard: a session is alive until its TTL
 * after the later of its last keep-alive at this node and the moment this node last started to
 * trust its own view (it became leader, or its clock jumped after a pause, when keep-alives may
 * be waiting unread). So a new leader gives every session a full TTL again, never a shorter one.
 *
 * <p>Every replica tracks its shard's sessions (from the applied state), so that a follower that
 * becomes leader needs no scan; only the leader asks {@link #due}. Deterministic and without a
 * clock of its own: the server and the simulator drive the same rule. Not thread-safe: the
 * replica's loop thread owns it.
 */
public final class SessionExpiry {
    /** A gap between two ticks beyond which keep-alives may be waiting unread: trust resets. */
    public static final long PAUSE_NANOS = 1_000_000_000L;

    private record Due(long atNanos, long sessionId) implements Comparable<Due> {
        @Override
        public int compareTo(Due o) {
            int c = Long.compare(atNanos, o.atNanos);
            return c != 0 ? c : Long.compare(sessionId, o.sessionId);
        }
    }

    /** Session id to TTL in nanoseconds; looked up by key only, never iterated. */
    private final Map<Long, Long> ttlNanos = new HashMap<>();
    /** Session id to its entry in {@link #queue}. */
    private final Map<Long, Due> queued = new HashMap<>();
    private final TreeSet<Due> queue = new TreeSet<>();
    private long trustedSinceNanos = Long.MIN_VALUE;
    private long lastTickNanos = Long.MIN_VALUE;

    /** Replaces what is tracked with {@code sessions} (id to TTL in ms), e.g. after a snapshot. */
    public void reset(Map<Long, Long> sessions, long nowNanos) {
        ttlNanos.clear();
        queued.clear();
        queue.clear();
        sessions.forEach((id, ttl) -> track(id, ttl, nowNanos));
    }

    /** A session new to the shard; already tracked, nothing changes. */
    public void track(long sessionId, long ttlMillis, long nowNanos) {
        Invariants.check(sessionId != 0 && ttlMillis >= 1, "bad session %s with TTL %s", sessionId, ttlMillis);
        if (ttlNanos.putIfAbsent(sessionId, ttlMillis * 1_000_000L) == null) {
            schedule(sessionId, nowNanos + ttlMillis * 1_000_000L);
        }
    }

    /** A session that ended in, or left, the shard. */
    public void forget(long sessionId) {
        ttlNanos.remove(sessionId);
        Due d = queued.remove(sessionId);
        if (d != null) {
            queue.remove(d);
        }
    }

    /** This node now leads the shard: every session gets a full TTL from now. */
    public void becameLeader(long nowNanos) {
        trustedSinceNanos = nowNanos;
    }

    /** Every tick; a gap longer than {@link #PAUSE_NANOS} since the last resets trust as a new leadership does. */
    public void tick(long nowNanos) {
        if (lastTickNanos != Long.MIN_VALUE && nowNanos - lastTickNanos > PAUSE_NANOS) {
            trustedSinceNanos = nowNanos;
        }
        lastTickNanos = nowNanos;
    }

    public int size() {
        return ttlNanos.size();
    }

    /**
     * Leader only: up to {@code max} sessions with no keep-alive for their TTL at
     * {@code nowNanos}, given each one's last keep-alive here ({@code lastSeenNanos}: Long.MIN_VALUE
     * for never). Each is asked again a TTL later if it is still tracked then (its end was lost).
     */
    public List<Long> due(long nowNanos, LongUnaryOperator lastSeenNanos, int max) {
        List<Long> out = new ArrayList<>();
        while (out.size() < max && !queue.isEmpty() && queue.first().atNanos() <= nowNanos) {
            Due d = queue.pollFirst();
            queued.remove(d.sessionId());
            long ttl = ttlNanos.get(d.sessionId());
            long aliveUntil = Math.max(trustedSinceNanos, lastSeenNanos.applyAsLong(d.sessionId())) + ttl;
            if (aliveUntil > nowNanos) {
                schedule(d.sessionId(), aliveUntil);
            } else {
                out.add(d.sessionId());
                schedule(d.sessionId(), nowNanos + ttl);
            }
        }
        return out;
    }

    private void schedule(long sessionId, long atNanos) {
        Due d = new Due(atNanos, sessionId);
        queued.put(sessionId, d);
        queue.add(d);
    }
}
