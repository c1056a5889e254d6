package io.cairn.client;

import io.cairn.api.proto.KeepAliveRequest;
import io.cairn.api.proto.KeepAliveResponse;
import io.cairn.api.proto.LockGrpc;
import io.grpc.stub.StreamObserver;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

/**
 * A lock session: the locks, semaphores and read-write locks taken through it
 * ({@link #lock}, {@link #semaphore}, {@link #readWriteLock}) last until released, or until the
 * session ends, which releases them all and grants whoever waits behind them.
 *
 * <p><b>Liveness.</b> The session is a random 64-bit id with a TTL. A background thread sends a
 * keep-alive every quarter TTL on one stream to every node of the cluster; each shard's leader
 * ends the session in its shard when it received none for the TTL (a new leader first gives
 * every session a full TTL). Nothing is written to the log for a keep-alive.
 *
 * <p><b>Knowing it is lost.</b> A node answers each keep-alive with the shards it leads. The
 * session counts as alive only while, for every shard it has locks in, a keep-alive sent less
 * than {@code TTL × (1 - }{@link #SAFETY_MARGIN}{@code )} ago was acknowledged by a node leading
 * that shard. The margin leaves room for clocks running at different rates and for an old leader
 * that has not yet noticed it was replaced. As soon as that fails, or a request is refused because
 * the cluster ended the session, the session is lost for good: {@link #onLost} listeners run once,
 * every operation throws {@link SessionLostException}, and the locks must be considered gone.
 * Fence the writes a lock guards: a lost holder's fenced writes are refused whatever it believes.
 *
 * <p>Thread-safe. Closing ends the session in every shard it touched and stops its keep-alives.
 */
public final class LockSession implements AutoCloseable {
    /** The part of the TTL held back when proving the session alive. */
    public static final double SAFETY_MARGIN = 1.0 / 3;
    public static final Duration TTL_MIN = Duration.ofMillis(300);
    public static final Duration TTL_MAX = Duration.ofHours(1);
    /** How often the node list is read again, for nodes that joined. */
    static final long NODES_REFRESH_MILLIS = 30_000;

    private final CairnClient client;
    private final Endpoints endpoints;
    private final long id;
    private final long ttlMillis;
    private final long lockDelayMillis;
    private final ScheduledExecutorService timer;
    private final Map<String, NodeStream> streams = new ConcurrentHashMap<>();
    private volatile List<String> nodes;
    /** Per shard group this session has entries in: the send time of its newest keep-alive a leader of it acknowledged. */
    private final Map<Long, Long> provenSentNanos = new ConcurrentHashMap<>();
    /** Per shard group: a lock name in it, to end the session there. */
    private final Map<Long, byte[]> touched = new ConcurrentHashMap<>();
    private final AtomicLong sequence = new AtomicLong();
    private final Map<Long, Long> sentNanos = new ConcurrentHashMap<>();
    private final List<Consumer<SessionLostException>> listeners = new CopyOnWriteArrayList<>();
    private volatile SessionLostException lost;
    private volatile boolean closed;

    private LockSession(CairnClient client, long id, long ttlMillis, long lockDelayMillis) {
        this.client = client;
        this.endpoints = client.endpointsForSessions();
        this.id = id;
        this.ttlMillis = ttlMillis;
        this.lockDelayMillis = lockDelayMillis;
        this.timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "cairn-session-" + Long.toHexString(id));
            t.setDaemon(true);
            return t;
        });
    }

    static LockSession open(CairnClient client, Duration ttl, Duration lockDelay) {
        if (ttl == null || ttl.compareTo(TTL_MIN) < 0 || ttl.compareTo(TTL_MAX) > 0) {
            throw new IllegalArgumentException("a session's TTL is " + TTL_MIN.toMillis() + " ms to " + TTL_MAX.toHours()
                    + " h, not " + ttl);
        }
        if (lockDelay == null || lockDelay.isNegative() || lockDelay.compareTo(TTL_MAX) > 0) {
            throw new IllegalArgumentException("a lock delay is 0 to " + TTL_MAX.toHours() + " h, not " + lockDelay);
        }
        SecureRandom random = new SecureRandom();
        long id = 0;
        while (id == 0) {
            id = random.nextLong();
        }
        LockSession session = new LockSession(client, id, ttl.toMillis(), lockDelay.toMillis());
        session.nodes = nodesOf(client);
        long periodMillis = Math.max(1, session.ttlMillis / 4);
        session.timer.scheduleAtFixedRate(session::keepAlive, 0, periodMillis, TimeUnit.MILLISECONDS);
        session.timer.scheduleWithFixedDelay(session::refreshNodes, NODES_REFRESH_MILLIS, NODES_REFRESH_MILLIS,
                TimeUnit.MILLISECONDS);
        return session;
    }

    public long id() {
        return id;
    }

    public Duration ttl() {
        return Duration.ofMillis(ttlMillis);
    }

    /** An exclusive lock: one holder at a time, waiters granted in the order they asked. */
    public SessionLock lock(String name) {
        return lock(CairnClient.utf8(name));
    }

    public SessionLock lock(byte[] name) {
        return new SessionLock(this, name, 1, 1);
    }

    /** A counting semaphore of {@code permits}; each acquire through the returned handle takes one. */
    public SessionLock semaphore(String name, int permits) {
        return semaphore(CairnClient.utf8(name), permits, 1);
    }

    /**
     * A counting semaphore of {@code permits} whose handle takes {@code weight} at once. Fair: a
     * waiter that needs more than is free keeps later waiters behind it. Everyone using the
     * semaphore must give the same {@code permits}.
     */
    public SessionLock semaphore(byte[] name, int permits, int weight) {
        if (permits < 1 || permits >= SessionLock.READ_WRITE_PERMITS || weight < 1 || weight > permits) {
            throw new IllegalArgumentException("a semaphore has 1 to " + (SessionLock.READ_WRITE_PERMITS - 1)
                    + " permits and a handle takes 1 to all of them: " + weight + " of " + permits);
        }
        return new SessionLock(this, name, permits, weight);
    }

    /** A fair read-write lock: readers share it; a waiting writer stops readers that come after it. */
    public ReadWriteLock readWriteLock(String name) {
        return readWriteLock(CairnClient.utf8(name));
    }

    public ReadWriteLock readWriteLock(byte[] name) {
        return new ReadWriteLock(new SessionLock(this, name, SessionLock.READ_WRITE_PERMITS, 1),
                new SessionLock(this, name, SessionLock.READ_WRITE_PERMITS, SessionLock.READ_WRITE_PERMITS));
    }

    /** Leader election {@code name} on this session: see {@link Election}. */
    public Election election(String name) {
        return election(CairnClient.utf8(name));
    }

    public Election election(byte[] name) {
        return new Election(this, name);
    }

    /** The two handles of one read-write lock, each taken and released on its own. */
    public record ReadWriteLock(SessionLock readLock, SessionLock writeLock) {}

    /**
     * Runs {@code listener} once, on a thread of its own, when the session is lost (see the class
     * comment); at once if it already is.
     */
    public void onLost(Consumer<SessionLostException> listener) {
        listeners.add(listener);
        SessionLostException l = lost;
        if (l != null && listeners.remove(listener)) {
            notify(List.of(listener), l);
        }
    }

    /** Whether the session can still be proven alive; false once lost or closed. */
    public boolean isAlive() {
        if (lost != null || closed) {
            return false;
        }
        checkProof(System.nanoTime());
        return lost == null;
    }

    /** Ends the session in every shard it touched, releasing its locks there, and stops its keep-alives. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        endEverywhere();
        timer.shutdownNow();
        streams.values().forEach(NodeStream::close);
    }

    // ---- for SessionLock -----------------------------------------------------------------

    CairnClient client() {
        return client;
    }

    Endpoints endpoints() {
        return endpoints;
    }

    long ttlMillis() {
        return ttlMillis;
    }

    long lockDelayMillis() {
        return lockDelayMillis;
    }

    void checkUsable() {
        SessionLostException l = lost;
        if (l != null) {
            throw l;
        }
        if (closed) {
            throw new IllegalStateException("lock session " + Long.toHexString(id) + " is closed");
        }
    }

    /**
     * The session has an entry in {@code group}'s shard, from a request sent at {@code sentNanos}:
     * that shard's leader counts the session's TTL from no earlier than that.
     */
    void touched(long group, byte[] name, long sentNanos) {
        touched.putIfAbsent(group, name.clone());
        provenSentNanos.merge(group, sentNanos, Math::max);
    }

    /** A request found the session ended by the cluster. */
    void endedByCluster(SessionLostException e) {
        lose(e);
    }

    // ---- keep-alives ---------------------------------------------------------------------

    private void keepAlive() {
        try {
            if (closed || lost != null) {
                return;
            }
            long now = System.nanoTime();
            long seq = sequence.incrementAndGet();
            sentNanos.put(seq, now);
            sentNanos.keySet().removeIf(s -> s < seq - 64);
            checkProof(now);
            KeepAliveRequest req = KeepAliveRequest.newBuilder().addSessionIds(id).setSequence(seq).build();
            for (String address : nodes) {
                try {
                    streams.computeIfAbsent(address, NodeStream::new).send(req);
                } catch (RuntimeException e) {
                    // A failure to send is a missing acknowledgement: the proof decides what it means.
                }
            }
        } catch (RuntimeException e) {
            lose(new SessionLostException(id, "its keep-alive thread failed: " + e));
        }
    }

    private void acknowledged(KeepAliveResponse r) {
        Long sent = sentNanos.get(r.getSequence());
        if (sent == null) {
            return;
        }
        for (long group : r.getLeadingGroupsList()) {
            provenSentNanos.merge(group, sent, Math::max);
        }
    }

    private void checkProof(long nowNanos) {
        long provableNanos = TimeUnit.MILLISECONDS.toNanos((long) (ttlMillis * (1 - SAFETY_MARGIN)));
        for (Map.Entry<Long, Long> e : provenSentNanos.entrySet()) {
            if (nowNanos - e.getValue() > provableNanos) {
                lose(new SessionLostException(id, "no keep-alive sent in the last " + provableNanos / 1_000_000
                        + " ms was acknowledged by the leader of shard " + (e.getKey() - Endpoints.FIRST_GROUP)
                        + "; it may have ended the session"));
                return;
            }
        }
    }

    private synchronized void lose(SessionLostException e) {
        if (lost != null || closed) {
            return;
        }
        lost = e;
        List<Consumer<SessionLostException>> toRun = new ArrayList<>(listeners);
        listeners.clear();
        notify(toRun, e);
        timer.shutdown();
        // The locks are as good as gone: free them for others at once where the cluster still hears us.
        Thread ender = new Thread(this::endEverywhere, "cairn-session-end-" + Long.toHexString(id));
        ender.setDaemon(true);
        ender.start();
    }

    private void notify(List<Consumer<SessionLostException>> toRun, SessionLostException e) {
        if (toRun.isEmpty()) {
            return;
        }
        Thread t = new Thread(() -> toRun.forEach(l -> l.accept(e)), "cairn-session-lost-" + Long.toHexString(id));
        t.setDaemon(true);
        t.start();
    }

    private void endEverywhere() {
        List<java.util.concurrent.CompletableFuture<Integer>> ends = new ArrayList<>();
        for (byte[] name : touched.values()) {
            try {
                ends.add(client.endSessionIn(name, id));
            } catch (RuntimeException e) {
                // The client is closed: the shard ends the session itself once its TTL passes.
            }
        }
        for (var end : ends) {
            try {
                end.get(client.requestTimeoutMillis(), TimeUnit.MILLISECONDS);
            } catch (Exception e) {
                // Best effort: a shard not reached ends the session itself once its TTL passes.
            }
        }
    }

    /**
     * Every node's address: the members of a sharded cluster, else the nodes of its one group
     * (as the cluster status reports them), else the configured endpoints.
     */
    static List<String> nodesOf(CairnClient client) {
        List<String> found = new ArrayList<>();
        try {
            for (Members.Member m : client.members().members()) {
                if (m.state() != Members.State.REMOVED && !m.address().isEmpty()) {
                    found.add(m.address());
                }
            }
        } catch (RuntimeException e) {
            try {
                for (ClusterStatus.Member m : client.clusterStatus().members()) {
                    if (!m.address().isEmpty()) {
                        found.add(m.address());
                    }
                }
            } catch (RuntimeException e2) {
                // Fall back to the configured endpoints; the next refresh tries again.
            }
        }
        return found.isEmpty() ? client.endpoints() : List.copyOf(found);
    }

    private void refreshNodes() {
        if (!closed && lost == null) {
            // Off the keep-alive thread's timing: a slow answer delays this, not a keep-alive.
            java.util.concurrent.CompletableFuture.supplyAsync(() -> nodesOf(client)).thenAccept(n -> nodes = n);
        }
    }

    /** One keep-alive stream to one node, opened again after it fails. */
    private final class NodeStream {
        private final String address;
        private final java.util.concurrent.atomic.AtomicReference<StreamObserver<KeepAliveRequest>> requests =
                new java.util.concurrent.atomic.AtomicReference<>();

        NodeStream(String address) {
            this.address = address;
        }

        /** Timer thread only. */
        void send(KeepAliveRequest req) {
            StreamObserver<KeepAliveRequest> current = requests.get();
            if (current == null) {
                current = open();
            }
            try {
                current.onNext(req);
            } catch (RuntimeException e) {
                requests.compareAndSet(current, null);
            }
        }

        private StreamObserver<KeepAliveRequest> open() {
            @SuppressWarnings("unchecked")
            StreamObserver<KeepAliveRequest>[] mine = new StreamObserver[1];
            mine[0] = LockGrpc.newStub(endpoints.channel(address)).keepAlive(new StreamObserver<>() {
                @Override
                public void onNext(KeepAliveResponse r) {
                    acknowledged(r);
                }

                @Override
                public void onError(Throwable t) {
                    requests.compareAndSet(mine[0], null);
                }

                @Override
                public void onCompleted() {
                    requests.compareAndSet(mine[0], null);
                }
            });
            requests.set(mine[0]);
            return mine[0];
        }

        void close() {
            StreamObserver<KeepAliveRequest> r = requests.getAndSet(null);
            if (r != null) {
                try {
                    r.onCompleted();
                } catch (RuntimeException e) {
                    // already closed
                }
            }
        }
    }
}
