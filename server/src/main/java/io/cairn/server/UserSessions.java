package io.cairn.server;

import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The write sessions (exactly-once client ids) each user opened on this node lately, so one
 * user cannot fill the shards' state with session records: a user at its cap may keep writing
 * with the sessions it has, and a new one is refused until one of them has been idle for as
 * long as the state machine keeps an idle session. Per node, and forgotten at a restart: a
 * bound on abuse, not an exact count of the replicated records.
 */
final class UserSessions {
    private final int perUserMax;
    private final long idleNanos;
    private final Map<String, LinkedHashMap<Long, Long>> byUser = new HashMap<>();

    UserSessions(int perUserMax, long idleNanos) {
        if (perUserMax < 1 || idleNanos < 1) {
            throw new IllegalArgumentException("a positive cap and idle time are required");
        }
        this.perUserMax = perUserMax;
        this.idleNanos = idleNanos;
    }

    /** Records a write of {@code user} in session {@code clientId} at {@code nowNanos}; false when it is refused. */
    synchronized boolean admit(String user, long clientId, long nowNanos) {
        LinkedHashMap<Long, Long> seen = byUser.computeIfAbsent(user, u -> new LinkedHashMap<>(16, 0.75f, true));
        if (seen.containsKey(clientId)) {
            seen.put(clientId, nowNanos);
            return true;
        }
        // Access order: the eldest entries are the longest idle.
        for (Iterator<Long> idle = seen.values().iterator(); idle.hasNext(); ) {
            if (nowNanos - idle.next() < idleNanos) {
                break;
            }
            idle.remove();
        }
        if (seen.size() >= perUserMax) {
            return false;
        }
        seen.put(clientId, nowNanos);
        return true;
    }

    int perUserMax() {
        return perUserMax;
    }
}
