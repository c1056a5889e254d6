package io.cairn.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.cairn.client.CairnClient;
import io.cairn.client.LockInfo;
import io.cairn.client.LockSession;
import io.cairn.client.SessionLock;
import io.cairn.client.SessionLostException;
import io.cairn.client.StaleTokenException;
import io.cairn.common.NodeId;
import io.cairn.server.CairnServer;
import io.cairn.server.ClusterSpec;
import io.cairn.server.ServerConfig;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.OptionalLong;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Locks held by sessions through the real client and server on a sharded cluster: fair waiting
 * pushed by the server, semaphores and read-write locks, and a session whose keep-alives stop
 * losing its locks to the next in line, its late writes fenced out.
 */
@org.junit.jupiter.api.Timeout(value = 3, unit = TimeUnit.MINUTES)
class SessionLockTest {
    @TempDir
    Path dir;

    private final List<CairnServer> servers = new ArrayList<>();
    private final List<AutoCloseable> closeables = new ArrayList<>();
    private final ExecutorService threads = Executors.newCachedThreadPool();

    @AfterEach
    void stop() throws Exception {
        threads.shutdownNow();
        Collections.reverse(closeables);
        for (AutoCloseable c : closeables) {
            c.close();
        }
        servers.forEach(CairnServer::close);
    }

    @Test
    void waitersAreGrantedInTheOrderTheyAskedWithGrowingTokens() throws Exception {
        ClusterSpec spec = start(3, 4);
        List<LockSession> sessions = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            sessions.add(session(client(spec), Duration.ofSeconds(10)));
        }
        SessionLock first = sessions.get(0).lock("{q}lock");
        long t1 = first.lock();
        List<Integer> grantOrder = Collections.synchronizedList(new ArrayList<>());
        List<CompletableFuture<Long>> waiting = new ArrayList<>();
        for (int i = 1; i < 3; i++) {
            int who = i;
            SessionLock handle = sessions.get(i).lock("{q}lock");
            waiting.add(CompletableFuture.supplyAsync(() -> {
                try {
                    long token = handle.lock();
                    grantOrder.add(who); // recorded before the release, so the next grant comes after it
                    handle.unlock();
                    return token;
                } catch (InterruptedException e) {
                    throw new IllegalStateException(e);
                }
            }, threads));
            // The next one asks only once this one waits in line.
            Awaitility.await("waiter " + who + " queued").atMost(Duration.ofSeconds(10))
                    .until(() -> waiters(spec, "{q}lock") == who);
        }
        assertThat(grantOrder).isEmpty();

        first.unlock();

        long t2 = waiting.get(0).get(20, TimeUnit.SECONDS);
        long t3 = waiting.get(1).get(20, TimeUnit.SECONDS);
        assertThat(grantOrder).containsExactly(1, 2);
        assertThat(t1).isLessThan(t2);
        assertThat(t2).isLessThan(t3);
    }

    /**
     * putAndUnlock: the fenced write and the release are one entry, the waiter is granted in it
     * (its token is the write's revision), and the handle no longer holds; with a stale grant
     * nothing is written.
     */
    @Test
    void aWriteThatUnlocksHandsTheLockToTheNextInLineInItsOwnEntry() throws Exception {
        ClusterSpec spec = start(3, 4);
        CairnClient client = client(spec);
        LockSession a = session(client, Duration.ofSeconds(10));
        LockSession b = session(client(spec), Duration.ofSeconds(10));
        SessionLock first = a.lock("{w}lock");
        long t1 = first.lock();
        SessionLock second = b.lock("{w}lock");
        CompletableFuture<Long> waiting = CompletableFuture.supplyAsync(() -> {
            try {
                return second.lock();
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
        }, threads);
        Awaitility.await("second queued").atMost(Duration.ofSeconds(10)).until(() -> waiters(spec, "{w}lock") == 1);

        io.cairn.client.WriteResult written = first.putAndUnlock(utf8("{w}result"), utf8("done"));

        long t2 = waiting.get(20, TimeUnit.SECONDS);
        assertThat(t2).isGreaterThan(t1).isEqualTo(written.modRevision());
        assertThat(first.isHeld()).isFalse();
        assertThatThrownBy(first::unlock).isInstanceOf(IllegalStateException.class);
        assertThat(client.get("{w}result").orElseThrow().valueUtf8()).isEqualTo("done");
        second.putAndUnlock(utf8("{w}result"), utf8("second"));
        assertThat(client.get("{w}result").orElseThrow().valueUtf8()).isEqualTo("second");
        assertThat(first.tryLock().orElseThrow()).isGreaterThan(t2);

        // A semaphore's holders may share a token: its write does not release it.
        SessionLock permit = a.semaphore("{w}pool", 2);
        permit.lock();
        assertThatThrownBy(() -> permit.putAndUnlock(utf8("{w}result"), utf8("x"))).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("2 permits");
        assertThat(permit.isHeld()).isTrue();
        permit.unlock();
    }

    @Test
    void aSessionWhoseKeepalivesStopLosesItsLockToTheNextInLineAndItsLateWritesAreRefused() throws Exception {
        ClusterSpec spec = start(3, 4);
        CairnClient holderClient = client(spec);
        LockSession holder = session(holderClient, Duration.ofMillis(1_500));
        AtomicReference<SessionLostException> lost = new AtomicReference<>();
        holder.onLost(lost::set);
        SessionLock held = holder.lock("{acct}lock");
        long oldToken = held.lock();
        holderClient.put("{acct}/balance".getBytes(StandardCharsets.UTF_8), utf8("100"), held.fence());

        CairnClient otherClient = client(spec);
        LockSession other = session(otherClient, Duration.ofSeconds(10));
        SessionLock next = other.lock("{acct}lock");
        CompletableFuture<Long> nextToken = CompletableFuture.supplyAsync(() -> {
            try {
                return next.lock();
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
        }, threads);
        Awaitility.await("the other session waits").atMost(Duration.ofSeconds(10))
                .until(() -> waiters(spec, "{acct}lock") == 1);

        // The holder's client loses the cluster: its keep-alives stop, its locks go to the next in line.
        CairnClient cutOff = holderClient;
        closeables.remove(cutOff);
        cutOff.close();
        long newToken = nextToken.get(20, TimeUnit.SECONDS);
        assertThat(newToken).isGreaterThan(oldToken);
        Awaitility.await("the holder knows it lost the session").atMost(Duration.ofSeconds(5))
                .until(() -> lost.get() != null);
        assertThat(holder.isAlive()).isFalse();

        try (CairnClient late = client(spec)) {
            assertThatThrownBy(() -> late.put("{acct}/balance".getBytes(StandardCharsets.UTF_8), utf8("stale"),
                    new io.cairn.client.Fence(utf8("{acct}lock"), oldToken)))
                    .isInstanceOfSatisfying(StaleTokenException.class, e -> assertThat(e.currentToken()).isEqualTo(newToken));
            late.put("{acct}/balance".getBytes(StandardCharsets.UTF_8), utf8("90"), next.fence());
        }
    }

    @Test
    void aSemaphoreSharesItsPermitsAndAReadWriteLockKeepsReadersBehindAWaitingWriter() throws Exception {
        ClusterSpec spec = start(3, 2);
        LockSession a = session(client(spec), Duration.ofSeconds(10));
        LockSession b = session(client(spec), Duration.ofSeconds(10));
        LockSession c = session(client(spec), Duration.ofSeconds(10));

        assertThat(a.semaphore("pool", 2).tryLock()).isPresent();
        assertThat(b.semaphore("pool", 2).tryLock()).isPresent();
        assertThat(c.semaphore("pool", 2).tryLock()).as("both permits taken").isEmpty();
        assertThatThrownBy(() -> c.semaphore("pool", 3).tryLock()).as("another permit count")
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("2 permits");

        SessionLock readerA = a.readWriteLock("doc").readLock();
        SessionLock writerB = b.readWriteLock("doc").writeLock();
        SessionLock readerC = c.readWriteLock("doc").readLock();
        assertThat(readerA.tryLock()).isPresent();
        assertThat(c.readWriteLock("doc").readLock().tryLock()).as("readers share").isPresent();
        CompletableFuture<OptionalLong> writer = CompletableFuture.supplyAsync(() -> {
            try {
                return writerB.tryLock(Duration.ofSeconds(20));
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
        }, threads);
        Awaitility.await("the writer waits").atMost(Duration.ofSeconds(10)).until(() -> waiters(spec, "doc") == 1);
        assertThat(readerC.tryLock()).as("a new reader stays behind the waiting writer").isEmpty();

        a.close();
        assertThat(writer.isDone()).as("one reader still holds it").isFalse();
        c.close();
        assertThat(writer.get(20, TimeUnit.SECONDS)).isPresent();
    }

    @Test
    void aLockSurvivesItsShardLeaderDyingWhileTheSessionKeepsItAlive() throws Exception {
        ClusterSpec spec = start(3, 1);
        LockSession session = session(client(spec), Duration.ofSeconds(2));
        long token = session.lock("L").lock();
        CairnClient admin = client(spec);
        long leaderId = Awaitility.await("the shard has a leader").atMost(Duration.ofSeconds(10))
                .until(() -> admin.shards().shards().get(0).leader(), id -> id != 0);
        CairnServer leader = servers.get((int) leaderId - 1);

        servers.remove(leader);
        leader.close();

        LockSession other = session(client(spec), Duration.ofSeconds(10));
        Awaitility.await("a new leader answers").atMost(Duration.ofSeconds(15)).ignoreExceptions()
                .until(() -> other.lock("L").tryLock().isEmpty());
        // For two TTLs and more after the new leader took over, the lock stays the first session's.
        Awaitility.await("the lock stays held while its session is kept alive").during(Duration.ofSeconds(5))
                .atMost(Duration.ofSeconds(8)).pollInterval(Duration.ofMillis(250))
                .until(() -> other.lock("L").tryLock().isEmpty());
        assertThat(session.isAlive()).isTrue();
        assertThat(admin.listLocks(10)).singleElement().satisfies(l -> {
            assertThat(l.holders()).singleElement().satisfies(h -> assertThat(h.token()).isEqualTo(token));
        });
    }

    @Test
    void candidatesAreElectedInTurnAndObserversSeeEveryLeaderAndValue() throws Exception {
        ClusterSpec spec = start(3, 2);
        LockSession a = session(client(spec), Duration.ofSeconds(10));
        LockSession b = session(client(spec), Duration.ofSeconds(10));
        List<String> seen = Collections.synchronizedList(new ArrayList<>());
        List<Long> tokens = Collections.synchronizedList(new ArrayList<>());
        AutoCloseable observing = client(spec).openSession(Duration.ofSeconds(10)).election("primary").observe(leader -> {
            seen.add(leader.map(l -> new String(l.value(), StandardCharsets.UTF_8)).orElse("-"));
            leader.ifPresent(l -> tokens.add(l.token()));
        });
        closeables.add(observing);

        io.cairn.client.Election ea = a.election("primary");
        long termA = ea.campaign(utf8("node-a:7000"));
        io.cairn.client.Election eb = b.election("primary");
        CompletableFuture<Long> termB = CompletableFuture.supplyAsync(() -> {
            try {
                return eb.campaign(utf8("node-b:7000"));
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
        }, threads);
        Awaitility.await("the observer sees a").atMost(Duration.ofSeconds(10)).until(() -> seen.contains("node-a:7000"));
        assertThat(ea.leader()).hasValueSatisfying(l -> assertThat(l.token()).isEqualTo(termA));
        assertThatThrownBy(() -> eb.proclaim(utf8("x"))).isInstanceOf(IllegalStateException.class);

        ea.proclaim(utf8("node-a:7001"));
        Awaitility.await("the observer sees the new value").atMost(Duration.ofSeconds(10))
                .until(() -> seen.contains("node-a:7001"));
        assertThat(termB).isNotDone();

        ea.resign();
        assertThat(termB.get(20, TimeUnit.SECONDS)).isGreaterThan(termA);
        Awaitility.await("the observer sees b").atMost(Duration.ofSeconds(10)).until(() -> seen.contains("node-b:7000"));
        assertThat(tokens).isSorted();

        // A candidate waiting in line resigns from another thread: its campaign ends, and it is
        // out of the line, so when b resigns nobody is elected.
        io.cairn.client.Election ec = session(client(spec), Duration.ofSeconds(10)).election("primary");
        CompletableFuture<Long> termC = CompletableFuture.supplyAsync(() -> {
            try {
                return ec.campaign(utf8("node-c:7000"));
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
        }, threads);
        Awaitility.await("c in line").atMost(Duration.ofSeconds(10)).until(() -> waiters(spec, "primary") == 1);
        ec.resign();
        assertThatThrownBy(() -> termC.get(20, TimeUnit.SECONDS)).hasCauseInstanceOf(java.util.concurrent.CancellationException.class);
        assertThat(waiters(spec, "primary")).isZero();
        eb.resign();
        Awaitility.await("no leader").atMost(Duration.ofSeconds(10)).until(() -> eb.leader().isEmpty());
        assertThat(seen).doesNotContain("node-c:7000");
    }

    private int waiters(ClusterSpec spec, String lock) {
        try (CairnClient c = client(spec)) {
            return c.listLocks(100).stream().filter(l -> new String(l.name(), StandardCharsets.UTF_8).equals(lock))
                    .mapToInt(l -> l.waiters().size()).sum();
        }
    }

    private LockSession session(CairnClient client, Duration ttl) {
        LockSession s = client.openSession(ttl);
        closeables.add(s);
        return s;
    }

    private ClusterSpec start(int nodes, int shards) throws IOException {
        TreeMap<NodeId, String> m = new TreeMap<>();
        for (int i = 1; i <= nodes; i++) {
            m.put(NodeId.of(i), "127.0.0.1:" + io.cairn.server.LocalPorts.free());
        }
        ClusterSpec spec = new ClusterSpec(m);
        for (int i = 1; i <= nodes; i++) {
            ServerConfig c = ServerConfig.of(NodeId.of(i), spec.address(NodeId.of(i)), dir.resolve("n" + i), spec)
                    .withTicks(20, 10).withShards(shards);
            servers.add(CairnServer.start(c));
        }
        return spec;
    }

    private CairnClient client(ClusterSpec spec) {
        CairnClient c = CairnClient.builder().endpoints(List.copyOf(spec.addresses().values()))
                .requestTimeout(Duration.ofSeconds(10)).build();
        closeables.add(c);
        return c;
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
