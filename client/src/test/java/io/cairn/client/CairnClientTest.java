package io.cairn.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.cairn.api.proto.Role;
import io.cairn.transport.grpc.GrpcErrors;
import java.io.IOException;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class CairnClientTest {
    private final List<AutoCloseable> toClose = new ArrayList<>();
    private final FakeNode.Store store = new FakeNode.Store();

    @AfterEach
    void closeAll() throws Exception {
        for (int i = toClose.size() - 1; i >= 0; i--) {
            toClose.get(i).close();
        }
    }

    private FakeNode node(long id) throws IOException {
        FakeNode n = new FakeNode(id, store);
        toClose.add(n);
        return n;
    }

    private CairnClient client(Duration timeout, String... endpoints) {
        CairnClient c = CairnClient.builder().endpoints(endpoints).requestTimeout(timeout).build();
        toClose.add(c);
        return c;
    }

    /** An address where nothing listens: a port just freed. */
    private static String deadAddress() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return "127.0.0.1:" + s.getLocalPort();
        }
    }

    @Test
    void followsNotLeaderHintToAnAddressOutsideTheConfiguredOnes() throws Exception {
        FakeNode follower = node(1);
        FakeNode leader = node(2);
        follower.notLeaderHint = leader.address();
        CairnClient client = client(Duration.ofSeconds(5), follower.address());

        WriteResult w = client.put("k", "v");
        assertThat(w.servedBy()).isEqualTo(2);
        assertThat(w.version()).isEqualTo(1);
        KeyValue kv = client.get("k").orElseThrow();
        assertThat(kv.valueUtf8()).isEqualTo("v");
        assertThat(kv.servedBy()).isEqualTo(2);
        // The second request went straight to the leader the client learned of.
        assertThat(follower.received).hasSize(1);
        assertThat(leader.requestsOf("put")).isEqualTo(1);
    }

    @Test
    void notLeaderWithoutHintMovesToTheNextEndpoint() throws Exception {
        FakeNode electing = node(1);
        FakeNode leader = node(2);
        electing.notLeaderHint = "";
        CairnClient client = client(Duration.ofSeconds(5), electing.address(), leader.address());

        for (int i = 0; i < 4; i++) {
            assertThat(client.put("k" + i, "v").servedBy()).isEqualTo(2);
        }
        assertThat(electing.received.size()).isLessThanOrEqualTo(1);
    }

    @Test
    void unavailableIsRetriedWithTheSameSessionAndSequence() throws Exception {
        FakeNode n = node(1);
        for (int i = 0; i < 3; i++) {
            n.failNext.add(GrpcErrors.unavailable("no quorum"));
        }
        CairnClient client = client(Duration.ofSeconds(5), n.address());

        assertThat(client.put("k", "v").version()).isEqualTo(1);
        assertThat(n.received).hasSize(4);
        assertThat(n.received.stream().map(r -> r.clientId() + "/" + r.sequence()).distinct()).hasSize(1);
        assertThat(n.received.get(0).clientId()).isNotZero();
        assertThat(n.received.get(0).sequence()).isEqualTo(1);
    }

    @Test
    void aWriteWhoseReplyWasLostIsAppliedOnce() throws Exception {
        FakeNode n = node(1);
        n.loseRepliesAfterApply.set(2);
        CairnClient client = client(Duration.ofSeconds(5), n.address());

        WriteResult w = client.put("k", "v");
        assertThat(w.version()).as("the retry got the first result, not a second write").isEqualTo(1);
        assertThat(n.received).hasSize(3);
        assertThat(store.applied()).isEqualTo(1);
        // The next write of this single-threaded client uses the same session, next sequence.
        client.put("k", "v2");
        FakeNode.Received last = n.received.get(n.received.size() - 1);
        assertThat(last.clientId()).isEqualTo(n.received.get(0).clientId());
        assertThat(last.sequence()).isEqualTo(2);
    }

    @Test
    void connectionFailureMovesToTheNextEndpoint() throws Exception {
        FakeNode n = node(1);
        CairnClient client = client(Duration.ofSeconds(5), deadAddress(), n.address());
        for (int i = 0; i < 3; i++) {
            assertThat(client.put("k", "v" + i).servedBy()).isEqualTo(1);
        }
        assertThat(client.get("k").orElseThrow().valueUtf8()).isEqualTo("v2");
    }

    @Test
    void deadlineFailsNamingEveryEndpointTriedAndTheLastError() throws Exception {
        String a = deadAddress();
        String b = deadAddress();
        CairnClient client = client(Duration.ofMillis(400), a, b);

        long start = System.nanoTime();
        assertThatThrownBy(() -> client.put("k", "v"))
                .isInstanceOf(CairnUnavailableException.class)
                .hasMessageContaining(a)
                .hasMessageContaining(b)
                .hasMessageContaining("last error")
                .hasMessageContaining("UNAVAILABLE");
        long elapsedMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
        assertThat(elapsedMillis).isBetween(350L, 3_000L);
    }

    @Test
    void staleHintsBouncingBetweenTwoNodesBackOffUntilTheDeadline() throws Exception {
        FakeNode a = node(1);
        FakeNode b = node(2);
        a.notLeaderHint = b.address();
        b.notLeaderHint = a.address();
        CairnClient client = client(Duration.ofMillis(600), a.address());

        assertThatThrownBy(() -> client.get("k"))
                .isInstanceOf(CairnUnavailableException.class)
                .hasMessageContaining(a.address())
                .hasMessageContaining(b.address())
                .hasMessageContaining("not the leader");
        // Back-off after the first redirects keeps this far below a busy loop.
        assertThat(a.received.size() + b.received.size()).isBetween(4, 40);
    }

    @Test
    void invalidArgumentFromTheServerIsNotRetried() throws Exception {
        FakeNode n = node(1);
        n.failNext.add(GrpcErrors.invalidArgument("value", 1 << 20, 5 << 20));
        CairnClient client = client(Duration.ofSeconds(5), n.address());

        assertThatThrownBy(() -> client.put("k", "v"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("value")
                .hasMessageContaining("1048576")
                .hasMessageContaining("5242880");
        assertThat(n.received).hasSize(1);
    }

    /** Issue 12: an oversized message was retried until the deadline instead of failing at once. */
    @Test
    void aMessageOverGrpcsSizeLimitFailsAtOnceNamingTheLimit() throws Exception {
        FakeNode n = node(1);
        n.failNext.add(io.grpc.Status.RESOURCE_EXHAUSTED
                .withDescription("gRPC message exceeds maximum size 4194304: 5242880").asRuntimeException());
        CairnClient client = client(Duration.ofSeconds(5), n.address());

        assertThatThrownBy(() -> client.put("k", "v"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("exceeds maximum size 4194304");
        assertThat(n.received).as("sent once, never retried").hasSize(1);
    }

    @Test
    void anOverloadedNodesResourceExhaustedIsRetried() throws Exception {
        FakeNode n = node(1);
        n.failNext.add(io.grpc.Status.RESOURCE_EXHAUSTED.withDescription("queue full").asRuntimeException());
        CairnClient client = client(Duration.ofSeconds(5), n.address());

        client.put("k", "v");
        assertThat(n.received).hasSize(2);
    }

    @Test
    void badArgumentsAreRefusedBeforeAnythingIsSent() throws Exception {
        FakeNode n = node(1);
        CairnClient client = client(Duration.ofSeconds(5), n.address());

        assertThatThrownBy(() -> client.put("", "v")).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("key must not be empty");
        assertThatThrownBy(() -> client.get("x".repeat(4097))).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("key is 4097 bytes, over the limit keyBytesMax=4096");
        assertThatThrownBy(() -> client.put(new byte[] {1}, new byte[(1 << 20) + 1]))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("valueBytesMax=1048576");
        assertThatThrownBy(() -> client.put("k", "v", Duration.ofSeconds(-1)))
                .isInstanceOf(IllegalArgumentException.class);
        assertThat(n.received).isEmpty();
    }

    @Test
    void compareAndSetReturnsTheNewVersionOrTheCurrentOne() throws Exception {
        FakeNode n = node(1);
        CairnClient client = client(Duration.ofSeconds(5), n.address());

        assertThat(client.compareAndSet("k", 0, "a")).isEqualTo(1);
        assertThat(client.compareAndSet("k", 1, "b")).isEqualTo(2);
        assertThatThrownBy(() -> client.compareAndSet("k", 1, "c"))
                .isInstanceOfSatisfying(CasFailedException.class, e -> assertThat(e.currentVersion()).isEqualTo(2));
        assertThat(client.get("k").orElseThrow().valueUtf8()).isEqualTo("b");
        assertThat(client.delete("k")).isTrue();
        assertThat(client.delete("k")).isFalse();
        assertThat(client.get("k")).isEmpty();
    }

    @Test
    void concurrentWritesNeverShareASessionAndReuseFreedOnes() throws Exception {
        FakeNode n = node(1);
        n.writeGate = new Semaphore(0);
        CairnClient client = CairnClient.builder().endpoints(n.address()).requestTimeout(Duration.ofSeconds(10))
                .writeSessionsMax(3).build();
        toClose.add(client);

        List<CompletableFuture<WriteResult>> writes = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            writes.add(client.putAsync(("k" + i).getBytes(), "v".getBytes()));
        }
        // Three writes reach the server, one per session; the others wait for a session.
        waitUntil(() -> n.received.size() == 3);
        // Let the writes through one at a time. A write is sent only when a finished one hands
        // its session on, and a write finishes only after the store applied it, so at no moment
        // may the server have seen more than three writes beyond those applied.
        for (int finished = 1; finished <= 7; finished++) {
            n.writeGate.release(1);
            int sent = 3 + finished;
            waitUntil(() -> n.received.size() >= sent);
            int seen = n.received.size();
            assertThat(seen).as("writes sent with all three sessions busy").isLessThanOrEqualTo(3 + store.applied());
        }
        n.writeGate.release(1_000);
        CompletableFuture.allOf(writes.toArray(CompletableFuture[]::new)).get(10, TimeUnit.SECONDS);

        Set<Long> sessions = n.received.stream().map(FakeNode.Received::clientId).collect(Collectors.toSet());
        assertThat(sessions).hasSize(3);
        assertThat(store.overlapSeen()).as("a session with two writes in flight").isZero();
        assertThat(store.staleSeen()).isZero();
        assertThat(store.applied()).isEqualTo(10);
        for (long session : sessions) {
            List<Long> sequences = n.received.stream().filter(r -> r.clientId() == session)
                    .map(FakeNode.Received::sequence).toList();
            assertThat(sequences).isSortedAccordingTo(Long::compare).doesNotHaveDuplicates().startsWith(1L);
        }
    }

    @Test
    void aWriteWaitingForASessionTimesOutWithoutSending() throws Exception {
        FakeNode n = node(1);
        n.writeGate = new Semaphore(0);
        CairnClient client = CairnClient.builder().endpoints(n.address()).requestTimeout(Duration.ofMillis(300))
                .writeSessionsMax(1).build();
        toClose.add(client);

        CompletableFuture<WriteResult> first = client.putAsync("a".getBytes(), "v".getBytes());
        CompletableFuture<WriteResult> second = client.putAsync("b".getBytes(), "v".getBytes());
        assertThatThrownBy(() -> second.get(5, TimeUnit.SECONDS)).isInstanceOf(ExecutionException.class)
                .hasCauseInstanceOf(CairnUnavailableException.class)
                .hasMessageContaining("write sessions stayed busy");
        assertThatThrownBy(() -> first.get(5, TimeUnit.SECONDS))
                .hasCauseInstanceOf(CairnUnavailableException.class);
        assertThat(n.received.stream().filter(r -> r.sequence() > 0).map(FakeNode.Received::clientId).distinct())
                .hasSize(1);
    }

    @Test
    void scanPagesFollowTheServersTokens() throws Exception {
        FakeNode n = node(1);
        CairnClient client = client(Duration.ofSeconds(5), n.address());
        for (String k : List.of("a/1", "a/2", "a/3", "b/1")) {
            client.put(k, "v-" + k);
        }

        ScanQuery q = ScanQuery.prefix("a/");
        ScanPage first = client.scan(q);
        assertThat(first.kvs()).extracting(KeyValue::keyUtf8).containsExactly("a/1", "a/2");
        assertThat(first.hasMore()).isTrue();
        ScanPage second = client.scan(q.after(first));
        assertThat(second.kvs()).extracting(KeyValue::keyUtf8).containsExactly("a/3");
        assertThat(second.hasMore()).isFalse();
        assertThat(second.kvs().get(0).valueUtf8()).isEqualTo("v-a/3");
    }

    @Test
    void clusterStatusAsksEveryMemberAndMarksTheSilentOnesUnreachable() throws Exception {
        FakeNode n1 = node(1);
        FakeNode n2 = node(2);
        FakeNode n3 = node(3);
        n1.role = Role.ROLE_FOLLOWER;
        n2.role = Role.ROLE_LEADER;
        n2.term = 5;
        n3.role = Role.ROLE_FOLLOWER;
        // Every node lists all three; only n1 is configured, so n2 and n3 are found through it.
        var n3Listed = n3.selfStatus();
        n1.statusNodes = () -> List.of(n1.selfStatus(), n2.selfStatus(), n3Listed);
        n3.close();
        String dead = deadAddress();
        CairnClient client = client(Duration.ofSeconds(2), n1.address(), dead);

        ClusterStatus status = client.clusterStatus();
        assertThat(status.leaderId()).isEqualTo(2);
        assertThat(status.term()).isEqualTo(5);
        assertThat(status.members()).extracting(ClusterStatus.Member::id).containsExactly(1L, 2L, 3L, 0L);
        assertThat(status.members()).extracting(ClusterStatus.Member::role).containsExactly(
                ClusterStatus.Role.FOLLOWER, ClusterStatus.Role.LEADER, ClusterStatus.Role.UNREACHABLE,
                ClusterStatus.Role.UNREACHABLE);
        assertThat(status.members().get(3).address()).isEqualTo(dead);
        assertThat(n2.requestsOf("status")).isEqualTo(1);
    }

    @Test
    void clusterStatusWithNoMemberAnsweringIsUnavailable() throws Exception {
        String a = deadAddress();
        CairnClient client = client(Duration.ofMillis(500), a);
        assertThatThrownBy(client::clusterStatus).isInstanceOf(CairnUnavailableException.class)
                .hasMessageContaining(a);
    }

    @Test
    void closeFailsRequestsInFlight() throws Exception {
        FakeNode n = node(1);
        n.silent = true;
        CairnClient client = CairnClient.builder().endpoints(n.address()).requestTimeout(Duration.ofSeconds(20))
                .build();
        CompletableFuture<WriteResult> w = client.putAsync("k".getBytes(), "v".getBytes());
        waitUntil(() -> !n.received.isEmpty());
        client.close();
        assertThatThrownBy(() -> w.get(5, TimeUnit.SECONDS)).hasCauseInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> client.get("k")).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void endpointsMustBeHostAndPort() {
        assertThatThrownBy(() -> CairnClient.builder().endpoints("localhost").build())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("host:port");
        assertThatThrownBy(() -> CairnClient.builder().build())
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void sessionPoolHandsSessionsToWaitersInOrder() {
        long[] ids = {0, 7, 7, 8};
        int[] next = {0};
        SessionPool pool = new SessionPool(2, 1, () -> ids[next[0]++]);
        SessionPool.Session a = pool.acquire().join();
        SessionPool.Session b = pool.acquire().join();
        assertThat(new TreeSet<>(List.of(a.id(), b.id()))).containsExactly(7L, 8L);
        CompletableFuture<SessionPool.Session> waiter = pool.acquire();
        assertThat(waiter).isNotDone();
        assertThatThrownBy(pool::acquire).isInstanceOf(java.util.concurrent.RejectedExecutionException.class);
        assertThat(a.nextSequence()).isEqualTo(1);
        pool.release(a);
        assertThat(waiter.join()).isSameAs(a);
        assertThat(a.nextSequence()).isEqualTo(2);
        assertThat(pool.sessionsCreated()).isEqualTo(2);
    }

    /** Returns as soon as the condition holds; fails after 5 s. */
    private static void waitUntil(java.util.function.BooleanSupplier condition) {
        org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(5)).pollInterval(Duration.ofMillis(1))
                .until(condition::getAsBoolean);
    }
}
