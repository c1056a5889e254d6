package io.cairn.client;

import io.cairn.api.proto.LockGrpc;
import io.cairn.api.proto.ObserveRequest;
import io.cairn.api.proto.ObserveResponse;
import java.time.Duration;
import java.util.Iterator;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * Leader election on a lock session (as etcd's election and Curator's LeaderLatch): candidates
 * {@link #campaign} with a value and are elected in the order they asked; the leader may
 * {@link #proclaim} a new value and {@link #resign}; anyone may read the {@link #leader} or
 * {@link #observe} every change. The leader's token is the fencing token of its term: it only
 * grows, so a resource that remembers the largest token seen can refuse a deposed leader.
 * A leader stays elected until it resigns or its session ends; {@link LockSession#onLost} says
 * when that can no longer be proven. One campaign per {@code Election} object at a time; another
 * thread may {@link #resign} while it waits.
 */
public final class Election {
    /** The leader: what it proclaims, its token (term), and its session. */
    public record Leader(byte[] value, long token, long sessionId) {}

    private final LockSession session;
    private final byte[] name;
    /** The current campaign's handle; replaced under this object's monitor, waited on outside it. */
    private volatile SessionLock candidate;

    Election(LockSession session, byte[] name) {
        if (name == null || name.length == 0) {
            throw new IllegalArgumentException("an election needs a name");
        }
        this.session = session;
        this.name = name.clone();
    }

    /**
     * Waits until elected, as long as it takes; returns the leadership's token. A {@link #resign}
     * from another thread meanwhile ends it with {@link java.util.concurrent.CancellationException}.
     */
    public long campaign(byte[] value) throws InterruptedException {
        return candidate(value).lock();
    }

    /** Waits at most {@code timeout} to be elected; empty (and out of the running) if not; ended as {@link #campaign(byte[])} is by a resign. */
    public OptionalLong campaign(byte[] value, Duration timeout) throws InterruptedException {
        return candidate(value).tryLock(timeout);
    }

    /** As the leader, proclaims {@code value} instead; {@link StaleTokenException} if no longer the leader. */
    public void proclaim(byte[] value) {
        SessionLock c = candidate;
        if (c == null || c.token() == 0) {
            throw new IllegalStateException("not the leader of election " + CairnClient.printable(name));
        }
        session.checkUsable();
        CairnClient.join(session.client().proclaimEntry(name, c.owner(), session.id(), value));
    }

    /**
     * Gives up the leadership, or the place in line (also while another thread waits in
     * {@link #campaign}, which then ends); the next candidate is elected.
     */
    public void resign() {
        SessionLock c;
        synchronized (this) {
            c = candidate;
            candidate = null;
        }
        if (c != null) {
            c.withdraw(); // without waiting for a campaigning thread
        }
    }

    /** The leader now, read linearizably; empty when there is none. */
    public Optional<Leader> leader() {
        return session.client().lockInfo(name).flatMap(i -> i.holders().stream().findFirst())
                .map(h -> new Leader(h.value(), h.token(), h.sessionId()));
    }

    /**
     * Calls {@code listener} with the leader now and after every change (a new leader, a new value,
     * none), from a thread of its own, until the returned handle is closed. Streams from a replica
     * of the election's shard and reconnects after a failure; tokens never go backwards.
     */
    public AutoCloseable observe(Consumer<Optional<Leader>> listener) {
        Thread t = new Thread(() -> watch(listener), "cairn-election-" + CairnClient.printable(name));
        t.setDaemon(true);
        t.start();
        return t::interrupt;
    }

    private synchronized SessionLock candidate(byte[] value) {
        if (candidate != null && candidate.token() != 0) {
            throw new IllegalStateException("already the leader of election " + CairnClient.printable(name));
        }
        candidate = new SessionLock(session, name, 1, 1, value);
        return candidate;
    }

    private void watch(Consumer<Optional<Leader>> listener) {
        Endpoints endpoints = session.endpoints();
        long group = endpoints.groupOf(name);
        ObserveRequest req = ObserveRequest.newBuilder().setName(com.google.protobuf.ByteString.copyFrom(name)).build();
        long lastToken = -1;
        byte[] lastValue = null;
        int attempt = 0;
        while (!Thread.currentThread().isInterrupted()) {
            String address = endpoints.leaderGuess(group);
            if (address == null || attempt > 0) {
                address = endpoints.configured().get(attempt % endpoints.configured().size());
            }
            String target = address;
            var ctx = io.grpc.Context.current().withCancellation();
            try {
                Iterator<ObserveResponse> answers = ctx.call(() -> LockGrpc.newBlockingStub(endpoints.channel(target))
                        .observe(req));
                while (answers.hasNext()) {
                    ObserveResponse r = answers.next();
                    attempt = 0;
                    long token = r.hasLeader() ? r.getLeader().getToken() : 0;
                    byte[] value = r.hasLeader() ? r.getLeader().getValue().toByteArray() : new byte[0];
                    if (token < lastToken || token == lastToken && java.util.Arrays.equals(value, lastValue)) {
                        continue; // another replica, behind the one before
                    }
                    lastToken = token;
                    lastValue = value;
                    listener.accept(r.hasLeader()
                            ? Optional.of(new Leader(value, token, r.getLeader().getSessionId())) : Optional.empty());
                }
            } catch (Exception e) {
                if (Thread.currentThread().isInterrupted()) {
                    break;
                }
            } finally {
                ctx.cancel(null);
            }
            attempt++;
            try {
                TimeUnit.MILLISECONDS.sleep(Math.min(1_000, 50L * attempt)); // back off before the next replica
            } catch (InterruptedException e) {
                break;
            }
        }
    }
}
