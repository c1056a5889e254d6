package io.cairn.compare;

import io.cairn.cli.bench.BenchTarget;
import io.cairn.client.CairnUnavailableException;
import io.cairn.client.Consistency;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BiConsumer;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.framework.recipes.locks.InterProcessMutex;
import org.apache.curator.retry.RetryNTimes;
import org.apache.zookeeper.CreateMode;
import org.apache.zookeeper.KeeperException;
import org.apache.zookeeper.KeeperException.Code;
import org.apache.zookeeper.Watcher;
import org.apache.zookeeper.ZooDefs;
import org.apache.zookeeper.ZooKeeper;

/**
 * A ZooKeeper ensemble as a bench target, through ZooKeeper's asynchronous client API. Each key
 * is a znode ({@link ZnodePaths}); a ZooKeeper version counts changes since creation from 0, so
 * the bench's version is ZooKeeper's plus one, and an absent znode is version 0, as in Cairn:
 * <ul>
 *   <li>put: {@code setData} with any version; a missing znode is created (and if another
 *       request created it meanwhile, set again);</li>
 *   <li>get: {@code getData}, the contacted server's local state, for eventual reads;
 *       {@code sync} then {@code getData} for linearizable ones (ZooKeeper's way to read what
 *       the leader has committed; strictly, sync-then-read is not linearizable, but it is
 *       the strongest read ZooKeeper offers);</li>
 *   <li>version: {@code exists}, with {@code sync} first for linearizable reads;</li>
 *   <li>compare-and-set: {@code setData} with version {@code expected - 1}, or {@code create}
 *       when expecting 0 (absent). A bad version or an existing node is a version mismatch,
 *       counted as Cairn's are; ZooKeeper does not say which version it found;</li>
 *   <li>scan: ZooKeeper has no ordered range read, so no scan is compared; the command refuses
 *       the scan workload before connecting, and {@link #scan} fails;</li>
 *   <li>lock cycle (only when opened with {@link #connectForLocks}): Curator's
 *       {@link InterProcessMutex} on {@link ZnodePaths#lockPath the lock's znode}, waiting in
 *       line at most the request timeout; then the put above on the same session (ZooKeeper
 *       has no fenced write: the lock is the only guard); the hold; the release.</li>
 * </ul>
 *
 * <p>Sessions: {@code sessions} of them, the i-th with endpoint {@code i mod endpoints} alone
 * (so the load is spread as for etcd, not left to ZooKeeper's random pick); each request goes
 * to the next session round-robin. A session serves its requests in order (ZooKeeper's FIFO
 * client order). Each request fails after the run's request timeout and is not retried. For the
 * lock workload the sessions are Curator's ({@link CuratorFramework}, one per session, with
 * the same endpoint each and no retries), since its lock recipe needs its own client; puts and
 * reads then go through the ZooKeeper handle Curator keeps.
 */
final class ZooKeeperTarget implements BenchTarget, AutoCloseable {
    static final String NO_SCAN = "zookeeper has no ordered range read; scan is not compared";
    /** ZooKeeper bounds it to [2, 20] server ticks: with the default 2 s tick, [4 s, 40 s]. */
    static final int SESSION_TIMEOUT_MILLIS = 10_000;
    private static final long CONNECT_WAIT_SECONDS = 15;
    /** setData, create (the node was missing), setData (another request created it first). */
    private static final int PUT_ATTEMPTS_MAX = 3;

    /**
     * One session: a plain {@link ZooKeeper} handle, or (for locks) a Curator client, whose
     * handle is asked for each time since Curator replaces it if the session is lost.
     */
    private record Session(ZooKeeper plain, CuratorFramework curator, String endpoint) {
        ZooKeeper zk() {
            if (curator == null) {
                return plain;
            }
            try {
                return curator.getZookeeperClient().getZooKeeper();
            } catch (Exception e) {
                throw new CompletionException(e);
            }
        }
    }

    private final List<Session> sessions;
    private final boolean sync;
    private final long timeoutNanos;
    private final AtomicLong nextSession = new AtomicLong();
    /** How long a lock cycle holds its lock after the write; null when not opened for locks. */
    private final Duration lockHold;
    /**
     * The lock cycles' threads: InterProcessMutex blocks its caller while it waits in line, so
     * each cycle runs on a thread of its own, as many as are in flight (as Cairn's target does).
     */
    private final ExecutorService lockThreads;

    private ZooKeeperTarget(List<Session> sessions, Consistency consistency, Duration timeout, Duration lockHold) {
        this.sessions = sessions;
        this.sync = consistency.level() == Consistency.Level.LINEARIZABLE;
        this.timeoutNanos = timeout.toNanos();
        this.lockHold = lockHold;
        this.lockThreads = lockHold == null ? null : Executors.newCachedThreadPool(r -> {
            Thread t = new Thread(r, "zookeeper-lock-cycle");
            t.setDaemon(true);
            return t;
        });
    }

    /**
     * Opens {@code sessionCount} sessions over {@code endpoints} ({@code host:port}), waits until
     * each is connected and makes sure {@link ZnodePaths#ROOT} exists.
     *
     * @throws CairnUnavailableException when a session does not connect in time
     */
    static ZooKeeperTarget connect(List<String> endpoints, int sessionCount, Consistency consistency, Duration timeout)
            throws IOException, InterruptedException {
        return open(endpoints, sessionCount, consistency, timeout, null);
    }

    /**
     * As {@link #connect}, for the lock workload: each session is a started Curator client, and
     * each lock cycle holds its lock {@code lockHold} after its write.
     */
    static ZooKeeperTarget connectForLocks(List<String> endpoints, int sessionCount, Duration timeout, Duration lockHold)
            throws IOException, InterruptedException {
        if (lockHold == null || lockHold.isNegative()) {
            throw new IllegalArgumentException("zookeeper: a lock hold is zero or more: " + lockHold);
        }
        return open(endpoints, sessionCount, Consistency.LINEARIZABLE, timeout, lockHold);
    }

    private static ZooKeeperTarget open(List<String> endpoints, int sessionCount, Consistency consistency,
                                        Duration timeout, Duration lockHold) throws IOException, InterruptedException {
        if (endpoints.isEmpty()) {
            throw new IllegalArgumentException("zookeeper: at least one endpoint is required");
        }
        if (sessionCount < 1) {
            throw new IllegalArgumentException("zookeeper: at least one session is required: " + sessionCount);
        }
        List<Session> sessions = new ArrayList<>(sessionCount);
        ZooKeeperTarget target = new ZooKeeperTarget(sessions, consistency, timeout, lockHold);
        try {
            List<CountDownLatch> connected = new ArrayList<>(sessionCount);
            for (int i = 0; i < sessionCount; i++) {
                String endpoint = endpoints.get(i % endpoints.size());
                if (lockHold != null) {
                    sessions.add(new Session(null, curator(endpoint), endpoint));
                    continue;
                }
                CountDownLatch latch = new CountDownLatch(1);
                Watcher watcher = event -> {
                    if (event.getState() == Watcher.Event.KeeperState.SyncConnected) {
                        latch.countDown();
                    }
                };
                sessions.add(new Session(new ZooKeeper(endpoint, SESSION_TIMEOUT_MILLIS, watcher), null, endpoint));
                connected.add(latch);
            }
            long deadlineNanos = System.nanoTime() + TimeUnit.SECONDS.toNanos(CONNECT_WAIT_SECONDS);
            for (int i = 0; i < sessionCount; i++) {
                Session s = sessions.get(i);
                long leftNanos = deadlineNanos - System.nanoTime();
                boolean up = s.curator() != null
                        // At least 1 ms: Curator reads a wait of 0 as "wait forever".
                        ? s.curator().blockUntilConnected((int) Math.max(1, TimeUnit.NANOSECONDS.toMillis(leftNanos)),
                                TimeUnit.MILLISECONDS)
                        : connected.get(i).await(leftNanos, TimeUnit.NANOSECONDS);
                if (!up) {
                    String endpoint = s.endpoint();
                    throw new CairnUnavailableException("zookeeper: no session with " + endpoint + " within "
                            + CONNECT_WAIT_SECONDS + " s", List.of(endpoint), null);
                }
            }
            target.createRoot();
            return target;
        } catch (IOException | InterruptedException | RuntimeException e) {
            target.close();
            throw e;
        }
    }

    /**
     * A started Curator client of {@code endpoint} alone: no ensemble tracking (it would widen the
     * connect string to every member and undo the spread over endpoints) and no retries (one
     * attempt per request, as everywhere in this tool; a healthy ensemble needs none).
     */
    private static CuratorFramework curator(String endpoint) {
        CuratorFramework curator = CuratorFrameworkFactory.builder()
                .connectString(endpoint)
                .sessionTimeoutMs(SESSION_TIMEOUT_MILLIS)
                // Curator warns when this exceeds the session timeout.
                .connectionTimeoutMs(SESSION_TIMEOUT_MILLIS)
                .retryPolicy(new RetryNTimes(0, 0))
                .ensembleTracker(false)
                .build();
        curator.start();
        return curator;
    }

    private void createRoot() throws InterruptedException {
        try {
            sessions.get(0).zk().create(ZnodePaths.ROOT, new byte[0], ZooDefs.Ids.OPEN_ACL_UNSAFE, CreateMode.PERSISTENT);
        } catch (KeeperException.NodeExistsException e) {
            // Made by an earlier run: fine.
        } catch (KeeperException e) {
            throw new IllegalStateException("zookeeper: cannot create " + ZnodePaths.ROOT + ": " + e.getMessage(), e);
        }
    }

    @Override
    public CompletableFuture<?> put(byte[] key, byte[] value) {
        String path = ZnodePaths.path(key);
        return this.<Void>request((s, f) -> setAnyVersion(s, path, value, f, PUT_ATTEMPTS_MAX));
    }

    private static void setAnyVersion(Session s, String path, byte[] value, CompletableFuture<Void> f, int attempts) {
        s.zk().setData(path, value, -1, (rc, p, ctx, stat) -> {
            Code code = Code.get(rc);
            if (code == Code.OK) {
                f.complete(null);
            } else if (code == Code.NONODE && attempts > 1) {
                createOrSet(s, path, value, f, attempts - 1);
            } else {
                f.completeExceptionally(KeeperException.create(code, path));
            }
        }, null);
    }

    private static void createOrSet(Session s, String path, byte[] value, CompletableFuture<Void> f, int attempts) {
        s.zk().create(path, value, ZooDefs.Ids.OPEN_ACL_UNSAFE, CreateMode.PERSISTENT, (rc, p, ctx, name) -> {
            Code code = Code.get(rc);
            if (code == Code.OK) {
                f.complete(null);
            } else if (code == Code.NODEEXISTS && attempts > 1) {
                setAnyVersion(s, path, value, f, attempts - 1);
            } else {
                f.completeExceptionally(KeeperException.create(code, path));
            }
        }, null);
    }

    @Override
    public CompletableFuture<?> get(byte[] key) {
        String path = ZnodePaths.path(key);
        return request((s, f) -> afterSync(s, path, f, () -> s.zk().getData(path, false, (rc, p, ctx, data, stat) -> {
            Code code = Code.get(rc);
            if (code == Code.OK || code == Code.NONODE) {
                // An absent key is an answer, as a Cairn get of an absent key is.
                f.complete(data);
            } else {
                f.completeExceptionally(KeeperException.create(code, path));
            }
        }, null)));
    }

    @Override
    public CompletableFuture<Long> version(byte[] key) {
        String path = ZnodePaths.path(key);
        return request((s, f) -> afterSync(s, path, f, () -> s.zk().exists(path, false, (rc, p, ctx, stat) -> {
            Code code = Code.get(rc);
            if (code == Code.OK) {
                f.complete(stat.getVersion() + 1L);
            } else if (code == Code.NONODE) {
                f.complete(0L);
            } else {
                f.completeExceptionally(KeeperException.create(code, path));
            }
        }, null)));
    }

    /**
     * ZooKeeper's optimistic transaction: read both znodes' versions (after a sync, as gets do),
     * then one {@code multi} that sets each at the version read, or creates it if it was absent;
     * a version or existence that changed fails the whole multi.
     */
    @Override
    public CompletableFuture<?> transaction(byte[] first, byte[] second, byte[] value) {
        String a = ZnodePaths.path(first);
        String b = ZnodePaths.path(second);
        return version(first).thenCombine(version(second), (va, vb) -> java.util.List.of(
                        writeAt(a, va, value), writeAt(b, vb, value)))
                .thenCompose(ops -> this.<Object>request((s, f) -> s.zk().multi(ops, (rc, p, ctx, results) -> {
                    Code code = Code.get(rc);
                    if (code == Code.OK) {
                        f.complete(null);
                    } else if (code == Code.BADVERSION || code == Code.NODEEXISTS || code == Code.NONODE) {
                        f.completeExceptionally(new io.cairn.cli.bench.TxnAborted(
                                "ZooKeeper: a znode read changed before the multi"));
                    } else {
                        f.completeExceptionally(KeeperException.create(code, p));
                    }
                }, null)));
    }

    /** Sets the znode at the version read (Cairn's version minus one), or creates it if it was absent. */
    private static org.apache.zookeeper.Op writeAt(String path, long version, byte[] value) {
        return version == 0
                ? org.apache.zookeeper.Op.create(path, value, ZooDefs.Ids.OPEN_ACL_UNSAFE, CreateMode.PERSISTENT)
                : org.apache.zookeeper.Op.setData(path, value, (int) (version - 1));
    }

    @Override
    public CompletableFuture<?> compareAndSet(byte[] key, long expectedVersion, byte[] value) {
        String path = ZnodePaths.path(key);
        if (expectedVersion < 0 || expectedVersion - 1 > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("expected version outside ZooKeeper's range: " + expectedVersion);
        }
        if (expectedVersion == 0) {
            return request((s, f) -> s.zk().create(path, value, ZooDefs.Ids.OPEN_ACL_UNSAFE, CreateMode.PERSISTENT,
                    (rc, p, ctx, name) -> {
                        Code code = Code.get(rc);
                        if (code == Code.OK) {
                            f.complete(null);
                        } else if (code == Code.NODEEXISTS) {
                            f.completeExceptionally(Failures.casConflict(Failures.VERSION_UNKNOWN));
                        } else {
                            f.completeExceptionally(KeeperException.create(code, path));
                        }
                    }, null));
        }
        int zkVersion = (int) (expectedVersion - 1);
        return request((s, f) -> s.zk().setData(path, value, zkVersion, (rc, p, ctx, stat) -> {
            Code code = Code.get(rc);
            if (code == Code.OK) {
                f.complete(null);
            } else if (code == Code.BADVERSION) {
                f.completeExceptionally(Failures.casConflict(Failures.VERSION_UNKNOWN));
            } else if (code == Code.NONODE) {
                f.completeExceptionally(Failures.casConflict(0));
            } else {
                f.completeExceptionally(KeeperException.create(code, path));
            }
        }, null));
    }

    @Override
    public CompletableFuture<?> scan(byte[] fromKey, int limit) {
        return CompletableFuture.failedFuture(new IllegalStateException(NO_SCAN));
    }

    /** Runs {@code read} at once for eventual reads; after a {@code sync} of {@code path} for linearizable ones. */
    private <T> void afterSync(Session s, String path, CompletableFuture<T> f, Runnable read) {
        if (!sync) {
            read.run();
            return;
        }
        s.zk().sync(path, (rc, p, ctx) -> {
            Code code = Code.get(rc);
            if (code == Code.OK) {
                read.run();
            } else {
                f.completeExceptionally(KeeperException.create(code, path));
            }
        }, null);
    }

    /**
     * Starts a request on the next session; its future fails after the request timeout, and its
     * failures are put in {@link Failures}' kinds. The callbacks run on the session's event thread.
     */
    private <T> CompletableFuture<T> request(BiConsumer<Session, CompletableFuture<T>> start) {
        Session s = nextSession();
        CompletableFuture<T> answer = new CompletableFuture<>();
        try {
            start.accept(s, answer);
        } catch (CompletionException e) {
            // Curator had no handle to give (its connection timed out): a failure of this request.
            answer.completeExceptionally(e);
        }
        CompletableFuture<T> result = new CompletableFuture<>();
        answer.orTimeout(timeoutNanos, TimeUnit.NANOSECONDS).whenComplete((value, failure) -> {
            if (failure == null) {
                result.complete(value);
            } else {
                result.completeExceptionally(Failures.ofZooKeeper(failure, s.endpoint()));
            }
        });
        return result;
    }

    private Session nextSession() {
        return sessions.get((int) Math.floorMod(nextSession.getAndIncrement(), (long) sessions.size()));
    }

    /**
     * Closes every session (Curator's too); cycles still waiting for a lock are interrupted. An
     * interrupt stops the closing and stays set.
     */
    @Override
    public void close() {
        if (lockThreads != null) {
            lockThreads.shutdownNow();
        }
        try {
            for (Session s : sessions) {
                if (s.curator() != null) {
                    s.curator().close();
                } else {
                    s.plain().close();
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * One lock cycle on the next session, on a thread of its own: see {@link #cycle}. Its
     * failures are in {@link Failures}' kinds; not being granted within the request timeout is a
     * timeout.
     */
    @Override
    public CompletableFuture<?> lockCycle(byte[] lock, byte[] key, byte[] value) {
        if (lockThreads == null) {
            throw new IllegalStateException("zookeeper: this target was not opened for locks (connectForLocks)");
        }
        Session s = nextSession();
        String lockPath = ZnodePaths.lockPath(lock);
        String keyPath = ZnodePaths.path(key);
        return CompletableFuture.runAsync(() -> {
            try {
                cycle(s, lockPath, keyPath, value);
            } catch (ExecutionException e) {
                throw new CompletionException(Failures.ofZooKeeper(e.getCause(), s.endpoint()));
            } catch (InterruptedException e) {
                // Only close() interrupts: the run is over.
                Thread.currentThread().interrupt();
                throw new CancellationException("interrupted");
            } catch (Exception e) {
                throw new CompletionException(Failures.ofZooKeeper(e, s.endpoint()));
            }
        }, lockThreads);
    }

    /**
     * Takes the lock (waiting in line at most the request timeout), puts {@code value} to the
     * key's znode as {@link #put} does, holds the lock {@link #lockHold}, releases it.
     *
     * <p>A new {@link InterProcessMutex} per cycle, as a client that takes a lock for each task
     * does: a mutex is reentrant for the thread that holds it, and each one is a place of its own
     * in the lock's line (its own sequential znode), so cycles sharing a session still queue
     * behind each other like separate clients, as Cairn's lock handles of one session do.
     */
    private void cycle(Session s, String lockPath, String keyPath, byte[] value) throws Exception {
        InterProcessMutex mutex = new InterProcessMutex(s.curator(), lockPath);
        if (!mutex.acquire(timeoutNanos, TimeUnit.NANOSECONDS)) {
            throw new TimeoutException("zookeeper: " + lockPath + " not granted within the request timeout");
        }
        Exception failure = null;
        try {
            CompletableFuture<Void> written = new CompletableFuture<>();
            setAnyVersion(s, keyPath, value, written, PUT_ATTEMPTS_MAX);
            written.get(timeoutNanos, TimeUnit.NANOSECONDS);
            if (!lockHold.isZero()) {
                Thread.sleep(lockHold.toMillis());
            }
        } catch (Exception e) {
            failure = e;
            throw e;
        } finally {
            try {
                mutex.release();
            } catch (Exception e) {
                // The cycle's first failure is the one counted; a release that failed after it is a detail of it.
                if (failure == null) {
                    throw e;
                }
                failure.addSuppressed(e);
            }
        }
    }
}
