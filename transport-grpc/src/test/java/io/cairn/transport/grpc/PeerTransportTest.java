package io.cairn.transport.grpc;

import static org.assertj.core.api.Assertions.assertThat;

import io.cairn.common.Bytes;
import io.cairn.common.GroupId;
import io.cairn.common.NodeId;
import io.cairn.consensus.LogEntry;
import io.cairn.raft.RaftMessage;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Real gRPC over loopback; every server and transport a test starts is stopped after it. */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class PeerTransportTest {
    private static final NodeId A = NodeId.of(1);
    private static final NodeId B = NodeId.of(2);
    private static final int GROUPS = 5;
    private static final Duration WAIT = Duration.ofSeconds(10);
    private static final PeerTransport.Config FAST_RETRY = PeerTransport.Config.defaults().withBackoff(20, 200);

    /** Closed last-in first-out: transports before the servers they talk to. */
    private final Deque<AutoCloseable> started = new ArrayDeque<>();

    @AfterEach
    void stopEverything() throws Exception {
        while (!started.isEmpty()) {
            started.pop().close();
        }
    }

    @Test
    void twoNodesExchangeThousandsOfMessagesInOrderForSeveralGroups() throws Exception {
        TestNode a = node(A, 0);
        TestNode b = node(B, 0);
        Map<NodeId, String> book = Map.of(A, a.address(), B, b.address());
        PeerTransport fromA = transport(A, book, PeerTransport.Config.defaults());
        PeerTransport fromB = transport(B, book, PeerTransport.Config.defaults());
        int count = 5_000;

        Thread sendA = new Thread(() -> sendNumbered(fromA, A, B, count));
        Thread sendB = new Thread(() -> sendNumbered(fromB, B, A, count));
        sendA.start();
        sendB.start();
        sendA.join();
        sendB.join();

        // The senders count a batch just after handing it to the stream, so the peer may have it first.
        awaitUntil(() -> b.received.size() == count && a.received.size() == count
                && fromA.metrics().sent() == count && fromB.metrics().sent() == count);
        assertArrivedInOrder(b.from(A), count);
        assertArrivedInOrder(a.from(B), count);
        for (PeerTransport t : List.of(fromA, fromB)) {
            assertThat(t.metrics().dropped()).isZero();
            assertThat(t.metrics().sent()).isEqualTo(count);
            assertThat(t.metrics().batches()).isBetween(1L, (long) count);
        }
        assertThat(b.service.metrics()).isEqualTo(new RaftTransportService.Metrics(count, 0));
    }

    @Test
    void queuedMessagesWrittenByTheCallerArriveInOrderAmongSentOnes() throws Exception {
        TestNode a = node(A, 0);
        TestNode b = node(B, 0);
        Map<NodeId, String> book = Map.of(A, a.address(), B, b.address());
        PeerTransport fromA = transport(A, book, PeerTransport.Config.defaults());
        int count = 3_000;

        // As the Raft loop does: queue a step's messages, then flush; the first flush finds no
        // stream yet (it opens one and the sender threads write once it is ready), later ones
        // write on this thread. Every seventh message goes the other way, through send.
        for (int i = 0; i < count; i++) {
            RaftMessage m = i % 10 == 0 ? append(A, B, i, 100) : heartbeat(A, B, i);
            assertThat(i % 7 == 0 ? fromA.send(B, group(i), m) : fromA.queue(B, group(i), m)).isTrue();
            if (i % 5 == 4) {
                fromA.flush(B);
            }
        }
        fromA.flush(B);

        // The sender counts a batch just after handing it to the stream, so the peer may have it first.
        awaitUntil(() -> b.received.size() == count && fromA.metrics().sent() == count);
        assertArrivedInOrder(b.from(A), count);
        assertThat(fromA.metrics().dropped()).isZero();
    }

    @Test
    void peerThatIsDownThenUpReceivesLaterMessages() throws Exception {
        TestNode b = node(B, 0);
        int port = b.port();
        PeerTransport fromA = transport(A, Map.of(B, b.address()), FAST_RETRY);
        // Sends happen inside polled conditions below, so the counter lives outside the lambdas.
        java.util.concurrent.atomic.AtomicLong next = new java.util.concurrent.atomic.AtomicLong();
        Runnable sendNext = () -> {
            long seq = next.getAndIncrement();
            fromA.send(B, group(seq), heartbeat(A, B, seq));
        };

        // Connected: everything arrives.
        while (next.get() < 100) {
            sendNext.run();
        }
        awaitUntil(() -> b.received.size() == 100);

        // Down: the stream breaks and sends are dropped while the sender backs off. Sends are
        // what make the sender notice and retry, so they go on until it has dropped some and
        // tried at least once to reopen the stream to the dead peer.
        b.close();
        started.remove(b);
        // One send per poll: the poll interval paces them like heartbeats.
        Awaitility.await("a drop and a reconnect").atMost(WAIT).pollInterval(Duration.ofMillis(2)).until(() -> {
            sendNext.run();
            return fromA.metrics().dropped() > 0 && fromA.metrics().reconnects() > 0;
        });

        // Up again on the same address: later messages arrive, in order.
        TestNode b2 = node(B, port);
        long firstAfterRestart = next.get();
        // One send per poll, at a steady rate: the check below that the first message to arrive
        // was sent soon after the restart counts messages.
        Awaitility.await("100 messages after the restart").atMost(WAIT).pollInterval(Duration.ofMillis(1)).until(() -> {
            sendNext.run();
            return b2.received.size() >= 100;
        });
        List<TestNode.Received> after = b2.from(A);
        assertThat(after).hasSizeGreaterThanOrEqualTo(100);
        assertThat(seqs(after)).isSorted().doesNotHaveDuplicates();
        assertThat(seqs(after).get(0)).isLessThan(firstAfterRestart + 1_000);
        assertThat(fromA.metrics().reconnects()).isPositive();
    }

    @Test
    void fullQueueDropsAndCountsInsteadOfBlocking() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        ExecutorService serverThreads = Executors.newFixedThreadPool(2);
        started.push(serverThreads::shutdownNow);
        TestNode b = node(TestNode.start(B, 0, serverThreads, () -> awaitQuietly(release)));
        started.push(release::countDown);
        PeerTransport.Config smallQueue = PeerTransport.Config.defaults().withQueue(100, 8L << 20);
        PeerTransport fromA = transport(A, Map.of(B, b.address()), smallQueue);

        // 2,000 appends of 16 KiB each: far more than the receiver's flow-control window and
        // the queue, while the receiver's inbox is stuck on the first one.
        int offered = 2_000;
        int accepted = 0;
        long startNanos = System.nanoTime();
        for (int i = 0; i < offered; i++) {
            if (fromA.send(B, group(i), append(A, B, i, 16 << 10))) {
                accepted++;
            }
        }
        long elapsedMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNanos);
        assertThat(elapsedMs).as("send never waits for the network").isLessThan(5_000);
        assertThat(offered - accepted).isPositive();
        assertThat(fromA.metrics().dropped()).isEqualTo(offered - accepted);

        // Released, the receiver gets exactly what was accepted, in order.
        release.countDown();
        int expected = accepted;
        awaitUntil(() -> b.received.size() == expected);
        assertThat(fromA.metrics().sent()).isEqualTo(accepted);
        assertThat(commits(b.from(A))).isSorted().doesNotHaveDuplicates();
    }

    @Test
    void addressChangeMovesTrafficToTheNewAddress() throws Exception {
        TestNode oldB = node(B, 0);
        TestNode newB = node(B, 0);
        PeerTransport fromA = transport(A, Map.of(B, oldB.address()), PeerTransport.Config.defaults());
        for (long seq = 0; seq < 10; seq++) {
            fromA.send(B, group(seq), heartbeat(A, B, seq));
        }
        awaitUntil(() -> oldB.received.size() == 10);

        fromA.updatePeers(Map.of(A, "ignored:1", B, newB.address()));
        assertThat(fromA.peers()).isEqualTo(Map.of(B, newB.address()));
        for (long seq = 10; seq < 20; seq++) {
            fromA.send(B, group(seq), heartbeat(A, B, seq));
        }
        awaitUntil(() -> newB.received.size() == 10);
        assertThat(oldB.received).hasSize(10);

        fromA.updatePeers(Map.of());
        assertThat(fromA.send(B, group(0), heartbeat(A, B, 99))).isFalse();
    }

    @Test
    void misaddressedMessagesAreRejectedByTheReceiver() throws Exception {
        TestNode b = node(B, 0);
        // The address book wrongly puts node 3 at B's address.
        NodeId c = NodeId.of(3);
        PeerTransport fromA = transport(A, Map.of(c, b.address()), PeerTransport.Config.defaults());
        fromA.send(c, group(0), heartbeat(A, c, 0));
        awaitUntil(() -> b.service.metrics().rejected() == 1);
        assertThat(b.received).isEmpty();
    }

    @Test
    void closingReleasesPortsAndThreads() throws Exception {
        TestNode a = node(A, 0);
        TestNode b = node(B, 0);
        Map<NodeId, String> book = Map.of(A, a.address(), B, b.address());
        PeerTransport fromA = transport(A, book, PeerTransport.Config.defaults());
        PeerTransport fromB = transport(B, book, PeerTransport.Config.defaults());
        List<Integer> ports = List.of(a.port(), b.port());
        sendNumbered(fromA, A, B, 200);
        sendNumbered(fromB, B, A, 200);
        awaitUntil(() -> a.received.size() == 200 && b.received.size() == 200);

        fromA.close();
        fromB.close();
        // Transports half-close their streams, so a graceful server shutdown completes.
        assertThat(a.shutdownGracefully(5_000)).isTrue();
        assertThat(b.shutdownGracefully(5_000)).isTrue();
        started.clear();

        for (int port : ports) {
            try (ServerSocket rebound = new ServerSocket(port, 1, InetAddress.getLoopbackAddress())) {
                assertThat(rebound.getLocalPort()).isEqualTo(port);
            }
        }
        // Only our own sender threads are checked: gRPC's shared event loops and executors are
        // process-wide, may still serve other tests in this JVM, and are freed on gRPC's schedule.
        awaitUntil(() -> transportThreads().isEmpty());
        assertThat(fromA.send(B, group(0), heartbeat(A, B, 0))).isFalse();
    }

    // ---- helpers ----------------------------------------------------------------------------

    private TestNode node(NodeId id, int port) {
        return node(TestNode.start(id, port));
    }

    private TestNode node(TestNode node) {
        started.push(node);
        return node;
    }

    private PeerTransport transport(NodeId id, Map<NodeId, String> book, PeerTransport.Config config) {
        PeerTransport t = new PeerTransport(id, book, config);
        started.push(t);
        return t;
    }

    /** Messages numbered 0..count-1 (in commit), spread over the groups, every tenth an append. */
    private static void sendNumbered(PeerTransport transport, NodeId from, NodeId to, int count) {
        for (int i = 0; i < count; i++) {
            RaftMessage m = i % 10 == 0 ? append(from, to, i, 100) : heartbeat(from, to, i);
            assertThat(transport.send(to, group(i), m)).isTrue();
        }
    }

    private static void assertArrivedInOrder(List<TestNode.Received> received, int count) {
        List<Long> expected = new ArrayList<>();
        for (long i = 0; i < count; i++) {
            expected.add(i);
        }
        assertThat(commits(received)).isEqualTo(expected);
        for (TestNode.Received r : received) {
            assertThat(r.group()).isEqualTo(group(commitOf(r.message())));
        }
    }

    private static GroupId group(long i) {
        return new GroupId(i % GROUPS);
    }

    private static RaftMessage heartbeat(NodeId from, NodeId to, long seq) {
        return new RaftMessage.Heartbeat(from, to, 1, seq, seq, seq);
    }

    private static RaftMessage append(NodeId from, NodeId to, long commit, int payloadBytes) {
        LogEntry entry = LogEntry.normal(commit + 1, 1, Bytes.wrap(new byte[payloadBytes]));
        return new RaftMessage.AppendEntries(from, to, 1, commit, 1, List.of(entry), commit);
    }

    private static long commitOf(RaftMessage m) {
        if (m instanceof RaftMessage.Heartbeat h) {
            return h.commit();
        }
        return ((RaftMessage.AppendEntries) m).commit();
    }

    private static List<Long> commits(List<TestNode.Received> received) {
        return received.stream().map(r -> commitOf(r.message())).toList();
    }

    private static List<Long> seqs(List<TestNode.Received> received) {
        return received.stream().map(r -> ((RaftMessage.Heartbeat) r.message()).seq()).toList();
    }

    private static List<String> transportThreads() {
        return Thread.getAllStackTraces().keySet().stream()
                .filter(Thread::isAlive)
                .map(Thread::getName)
                .filter(n -> n.startsWith("cairn-raft-"))
                .toList();
    }

    /** Returns as soon as the condition holds; the pause is only the interval between checks. */
    private static void awaitUntil(BooleanSupplier condition) {
        try {
            Awaitility.await().atMost(WAIT).pollInterval(Duration.ofMillis(1)).until(condition::getAsBoolean);
        } catch (org.awaitility.core.ConditionTimeoutException e) {
            throw new AssertionError(e.getMessage() + "; live transport threads: " + transportThreads(), e);
        }
    }

    private static void awaitQuietly(CountDownLatch latch) {
        try {
            latch.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
