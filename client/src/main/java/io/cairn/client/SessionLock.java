package io.cairn.client;

import io.cairn.api.proto.AcquireResponse;
import io.cairn.api.proto.LockGrpc;
import io.cairn.api.proto.WaitRequest;
import io.cairn.api.proto.WaitResponse;
import io.grpc.StatusRuntimeException;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.Iterator;
import java.util.OptionalLong;
import java.util.concurrent.TimeUnit;

/**
 * One handle on a lock of a {@link LockSession}: an exclusive lock, a semaphore's permits or one
 * side of a read-write lock. Taking it returns the grant's fencing token; pass
 * {@link #fence()} with the writes it guards so the store refuses them once the grant is gone.
 *
 * <p>Waiting is pushed by the server: a queued request waits on a stream for its grant, so a
 * released lock goes to the next waiter within one round trip, strictly in the order they asked.
 * A handle is reentrant: each {@link #lock()} that succeeds needs one {@link #unlock()}. Use one
 * handle per thread that takes the lock; two handles queue behind each other like two clients.
 */
public final class SessionLock implements AutoCloseable {
    /** The permits of a read-write lock: a reader takes one, a writer all of them. */
    public static final int READ_WRITE_PERMITS = 1 << 20;
    /** How long one wait on the server's stream lasts before the entry is looked at again at the leader. */
    static final long WAIT_STREAM_MILLIS = 35_000;

    private final LockSession session;
    private final byte[] name;
    private final int permits;
    private final int weight;
    private final byte[] owner = new byte[16];
    private final long group;
    /** What the entry proclaims (an election's candidate value); empty for a plain lock. */
    private final byte[] value;
    /** Written under this handle's monitor; read without it, so a waiting lock() blocks nobody who asks. */
    private volatile int holds;
    private volatile long token;
    /** Set by {@link #withdraw} from another thread: a waiting acquire leaves the line and ends. */
    private volatile boolean withdrawn;

    SessionLock(LockSession session, byte[] name, int permits, int weight) {
        this(session, name, permits, weight, new byte[0]);
    }

    SessionLock(LockSession session, byte[] name, int permits, int weight, byte[] value) {
        if (name == null || name.length == 0) {
            throw new IllegalArgumentException("a lock needs a name");
        }
        this.session = session;
        this.name = name.clone();
        this.permits = permits;
        this.weight = weight;
        this.value = value.clone();
        new SecureRandom().nextBytes(owner);
        this.group = session.endpoints().groupOf(name);
    }

    /** Takes the lock, waiting as long as it takes; returns the fencing token. */
    public synchronized long lock() throws InterruptedException {
        return acquire(true, Long.MAX_VALUE).orElseThrow();
    }

    /** Takes the lock if it has room now, without waiting in line. */
    public synchronized OptionalLong tryLock() {
        try {
            return acquire(false, Long.MAX_VALUE);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return OptionalLong.empty();
        }
    }

    /** Waits in line at most {@code timeout}; empty if not granted by then (and the place in line is given up). */
    public synchronized OptionalLong tryLock(Duration timeout) throws InterruptedException {
        if (timeout == null || timeout.isNegative()) {
            throw new IllegalArgumentException("a timeout is zero or more: " + timeout);
        }
        long deadline = System.nanoTime() + Math.min(timeout.toNanos(), Long.MAX_VALUE / 4);
        return acquire(true, deadline);
    }

    /** Gives back one hold; the last releases the lock (or the permits) for the next in line. */
    public synchronized void unlock() {
        if (holds == 0) {
            throw new IllegalStateException("lock " + CairnClient.printable(name) + " is not held through this handle");
        }
        if (--holds > 0) {
            return;
        }
        token = 0;
        session.checkUsable();
        join(session.client().releaseEntry(name, owner, session.id()));
    }

    /**
     * Writes {@code value} to {@code key} fenced by this handle's grant, and releases the lock (every
     * hold of this handle) in the same entry: the next in line is granted there, so nobody ever
     * sees the lock free without the write, and a lock cycle costs one entry less. An exclusive
     * lock only (a semaphore's or read-write lock's holders may share a token): write, then
     * {@link #unlock}. Throws {@link StaleTokenException} when the grant had lapsed (nothing
     * written). On any failure after the request left (an unknown outcome included: the write
     * may or may not have applied) the lock is released before the exception is thrown, and
     * against a server older than the release the lock is released after the write. Once this
     * returns or throws, except for bad arguments, this handle no longer holds the lock.
     */
    public synchronized WriteResult putAndUnlock(byte[] key, byte[] value) {
        Fence fence = fence();
        if (permits != 1) {
            throw new IllegalStateException("lock " + CairnClient.printable(name) + " has " + permits
                    + " permits: its holders may share a token, so write with fence(), then unlock()");
        }
        session.checkUsable();
        java.util.concurrent.CompletableFuture<io.cairn.api.proto.PutResponse> sent =
                session.client().putReleasing(key, value, fence); // checks the arguments before sending
        holds = 0;
        token = 0;
        io.cairn.api.proto.PutResponse r;
        try {
            r = join(sent);
        } catch (RuntimeException e) {
            try {
                releaseQuietly();
            } catch (RuntimeException again) {
                e.addSuppressed(again); // the session's end frees the lock if this release could not
            }
            throw e;
        }
        if (!r.getReleased()) {
            releaseQuietly();
        }
        return new WriteResult(r.getModRevision(), r.getVersion(), r.getHeader().getNodeId());
    }

    public WriteResult putAndUnlock(String key, String value) {
        return putAndUnlock(CairnClient.utf8(key), CairnClient.utf8(value));
    }

    /** Whether this handle holds the lock and its session can still be proven alive. */
    public boolean isHeld() {
        return holds > 0 && session.isAlive();
    }

    /** The fence of the current grant; throws if this handle does not hold the lock. */
    public Fence fence() {
        long t = token;
        if (t == 0) {
            throw new IllegalStateException("lock " + CairnClient.printable(name) + " is not held through this handle");
        }
        return new Fence(name, t);
    }

    /** The current grant's fencing token; 0 when not held. */
    public long token() {
        return token;
    }

    byte[] name() {
        return name.clone();
    }

    byte[] owner() {
        return owner.clone();
    }

    long group() {
        return group;
    }

    /**
     * From any thread, without waiting for an acquire in progress: takes this handle out of the
     * line, or out of the lock, for good. A waiting acquire ends with
     * {@link java.util.concurrent.CancellationException}; a grant that arrives meanwhile is released.
     */
    void withdraw() {
        withdrawn = true;
        // Both sides write, then read the other's flag: whichever reads second sees the first.
        if (holds == 0) {
            releaseQuietly();
        } else {
            close(); // held: the acquire has returned or is returning, so the monitor is free at once
        }
    }

    /** Releases this handle's entry, waiting or granted; an entry already gone is fine. */
    private void releaseQuietly() {
        try {
            join(session.client().releaseEntry(name, owner, session.id()));
        } catch (StaleTokenException | SessionLostException e) {
            // gone already, or with its session
        }
    }

    /** An acquire that {@link #withdraw} overtook: its entry (maybe just granted) leaves, and it ends. */
    private java.util.concurrent.CancellationException withdrawnMeanwhile() {
        releaseQuietly();
        return new java.util.concurrent.CancellationException("the request for " + CairnClient.printable(name)
                + " was withdrawn");
    }

    /** Releases every hold this handle has. */
    @Override
    public synchronized void close() {
        if (holds > 0) {
            holds = 1;
            unlock();
        }
    }

    private OptionalLong acquire(boolean waits, long deadlineNanos) throws InterruptedException {
        session.checkUsable();
        if (holds > 0) {
            holds++;
            return OptionalLong.of(token);
        }
        while (true) {
            // A session lost while waiting (no keep-alive proven) must not go on to take the lock.
            session.checkUsable();
            if (withdrawn) {
                throw withdrawnMeanwhile();
            }
            long sent = System.nanoTime();
            AcquireResponse r = join(session.client().acquireEntry(name, owner, session.id(), session.ttlMillis(),
                    permits, weight, waits, session.lockDelayMillis(), value));
            session.touched(group, name, sent);
            if (withdrawn) {
                throw withdrawnMeanwhile(); // the request may have (re)made the entry after the withdrawal
            }
            if (r.getAcquired()) {
                return granted(r.getGrant().getToken());
            }
            if (!waits || r.getQueuePosition() == 0) {
                return OptionalLong.empty(); // busy, or closed by a lock delay
            }
            long granted = awaitGrant(deadlineNanos);
            if (withdrawn) {
                throw withdrawnMeanwhile();
            }
            if (granted > 0) {
                return granted(granted);
            }
            if (System.nanoTime() - deadlineNanos >= 0) {
                // Out of time: leave the line. The grant may have come meanwhile; then it is released here.
                join(session.client().releaseEntry(name, owner, session.id()));
                return OptionalLong.empty();
            }
            // The wait ended without an answer (a stream cut, a moved replica): ask the leader again.
        }
    }

    private OptionalLong granted(long grantToken) {
        holds = 1;
        token = grantToken;
        if (withdrawn) {
            holds = 0;
            token = 0;
            throw withdrawnMeanwhile();
        }
        return OptionalLong.of(grantToken);
    }

    /** Waits on the server's stream for the entry: its token once granted; 0 to look again. */
    private long awaitGrant(long deadlineNanos) throws InterruptedException {
        long waitMillis = Math.min(WAIT_STREAM_MILLIS, TimeUnit.NANOSECONDS.toMillis(deadlineNanos - System.nanoTime()));
        if (waitMillis <= 0) {
            return 0;
        }
        String address = session.endpoints().leaderGuess(group);
        if (address == null) {
            address = session.endpoints().configured().get(0);
        }
        WaitRequest req = WaitRequest.newBuilder().setName(com.google.protobuf.ByteString.copyFrom(name))
                .setSessionId(session.id()).setOwner(com.google.protobuf.ByteString.copyFrom(owner)).build();
        try {
            Iterator<WaitResponse> answers = LockGrpc.newBlockingStub(session.endpoints().channel(address))
                    .withDeadlineAfter(waitMillis, TimeUnit.MILLISECONDS).awaitGrant(req);
            if (answers.hasNext()) {
                WaitResponse w = answers.next();
                return w.getGranted() ? w.getGrant().getToken() : 0;
            }
            return 0;
        } catch (StatusRuntimeException e) {
            if (Thread.interrupted()) {
                join(session.client().releaseEntry(name, owner, session.id()));
                throw new InterruptedException("interrupted while waiting for lock " + CairnClient.printable(name));
            }
            if (e.getStatus().getCode() == io.grpc.Status.Code.UNAVAILABLE
                    || e.getStatus().getCode() == io.grpc.Status.Code.DEADLINE_EXCEEDED) {
                return 0;
            }
            throw new CairnException("waiting for lock " + CairnClient.printable(name) + " failed: " + e.getStatus(), e);
        }
    }

    private <T> T join(java.util.concurrent.CompletableFuture<T> f) {
        try {
            return CairnClient.join(f);
        } catch (SessionLostException e) {
            session.endedByCluster(e);
            holds = 0;
            token = 0;
            throw e;
        }
    }
}
