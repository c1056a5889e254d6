package io.cairn.client;

import java.util.ArrayDeque;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;
import java.util.function.LongSupplier;

/**
 * Exactly-once sessions for writes, each used by at most one write at a time.
 *
 * <p>The server keeps, per session id, only the last sequence it applied and that command's
 * result (Raft dissertation §6.3): a command with that sequence gets the stored result again, a
 * lower one is refused as stale, a higher one is executed. So a session may retry its latest
 * command, but must never send a command older than one the server may already have accepted.
 * Two writes in flight on one session would break that: if the second (sequence n+1) is applied
 * first, a retry of the first (n) is stale and its outcome is lost. Hence one write per session
 * at a time: a write takes a {@link Session}, numbers itself {@code lastSequence + 1}, retries
 * with that same pair as often as its deadline allows, and gives the session back only when it
 * is finished (success, definite failure, or deadline). The next write on that session uses the
 * next sequence; should the server see the abandoned write's attempt later, it is stale and
 * ignored, which is the right outcome for a write whose caller has been told it failed.
 *
 * <p>Idle sessions are reused last-in first-out, so a client that writes from one thread uses a
 * single session id with sequences 1, 2, 3 and so on. Up to {@code sessionsMax} sessions exist;
 * beyond that, writes wait (FIFO, at most {@code waitersMax} of them) for one to come back.
 * Session ids are random non-zero 64-bit numbers, distinct within the pool; 0 means "no session"
 * on the wire.
 *
 * <p>Thread-safe. Futures are completed outside the pool's lock.
 */
final class SessionPool {
    /** A session id with its last used sequence. Only the write holding it touches it. */
    static final class Session {
        private final long id;
        private long lastSequence;

        Session(long id) {
            this.id = id;
        }

        long id() {
            return id;
        }

        /** The sequence for the next write; 1 for the first. */
        long nextSequence() {
            lastSequence++;
            return lastSequence;
        }
    }

    private final int sessionsMax;
    private final int waitersMax;
    private final LongSupplier randomIds;
    private final Object lock = new Object();
    private final ArrayDeque<Session> idle = new ArrayDeque<>();
    private final ArrayDeque<CompletableFuture<Session>> waiters = new ArrayDeque<>();
    private final Set<Long> ids = new HashSet<>();

    SessionPool(int sessionsMax, int waitersMax, LongSupplier randomIds) {
        if (sessionsMax < 1 || waitersMax < 0) {
            throw new IllegalArgumentException("need sessionsMax >= 1 and waitersMax >= 0: "
                    + sessionsMax + ", " + waitersMax);
        }
        this.sessionsMax = sessionsMax;
        this.waitersMax = waitersMax;
        this.randomIds = randomIds;
    }

    /**
     * A session for one write: at once when one is idle or may still be created, otherwise
     * once another write releases one. Cancel a waiting future with {@link #cancel}.
     *
     * @throws RejectedExecutionException when {@code waitersMax} writes already wait
     */
    CompletableFuture<Session> acquire() {
        synchronized (lock) {
            Session s = idle.pollLast();
            if (s == null && ids.size() < sessionsMax) {
                s = new Session(newId());
            }
            if (s != null) {
                return CompletableFuture.completedFuture(s);
            }
            if (waiters.size() >= waitersMax) {
                throw new RejectedExecutionException("too many writes in flight: " + sessionsMax
                        + " running and " + waitersMax + " waiting");
            }
            CompletableFuture<Session> waiter = new CompletableFuture<>();
            waiters.addLast(waiter);
            return waiter;
        }
    }

    /** Stops waiting; false if the waiter already got a session (release it as usual). */
    boolean cancel(CompletableFuture<Session> waiter) {
        synchronized (lock) {
            return waiters.remove(waiter);
        }
    }

    /** Gives back a session whose write is finished: to the oldest waiter, else to the idle set. */
    void release(Session session) {
        CompletableFuture<Session> next;
        synchronized (lock) {
            if (!ids.contains(session.id())) {
                throw new IllegalStateException("session " + Long.toUnsignedString(session.id()) + " is not from this pool");
            }
            next = waiters.pollFirst();
            if (next == null) {
                idle.addLast(session);
                return;
            }
        }
        next.complete(session);
    }

    /** Fails every waiting write with {@code cause}: the client is closing. */
    void failWaiters(RuntimeException cause) {
        ArrayDeque<CompletableFuture<Session>> failed;
        synchronized (lock) {
            failed = new ArrayDeque<>(waiters);
            waiters.clear();
        }
        failed.forEach(w -> w.completeExceptionally(cause));
    }

    /** Sessions created so far (for tests and metrics). */
    int sessionsCreated() {
        synchronized (lock) {
            return ids.size();
        }
    }

    private long newId() {
        // Bounded: a 64-bit random source repeats 0 or a used id with negligible probability.
        for (int attempt = 0; attempt < 100; attempt++) {
            long id = randomIds.getAsLong();
            if (id != 0 && ids.add(id)) {
                return id;
            }
        }
        throw new IllegalStateException("the random source keeps returning 0 or used session ids");
    }
}
