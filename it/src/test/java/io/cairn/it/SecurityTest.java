package io.cairn.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.cairn.api.proto.AuthGrpc;
import io.cairn.api.proto.GetRequest;
import io.cairn.api.proto.KvGrpc;
import io.cairn.api.proto.LoginRequest;
import io.cairn.api.proto.RaftBatch;
import io.cairn.api.proto.RaftTransportGrpc;
import io.cairn.api.proto.StreamAck;
import io.cairn.cli.CairnCli;
import io.cairn.cli.CertificateAuthority;
import io.cairn.client.AccessControl;
import io.cairn.client.AccessDeniedException;
import io.cairn.client.AuthenticationException;
import io.cairn.client.CairnClient;
import io.cairn.client.CairnUnavailableException;
import io.cairn.client.TxnOp;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.TlsChannelCredentials;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.MetadataUtils;
import io.grpc.stub.StreamObserver;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * A real 3-node, 2-shard cluster with TLS (mutual between nodes) and authentication, attacked
 * the ways an operator fears: a client of another CA, an expired certificate, a plaintext
 * client, a node of another cluster and a client pretending to be a node speaking Raft, a
 * wrong password, an expired token, a user revoked while connected, a role without write
 * writing directly, in a transaction and across shards, a non-admin doing admin work. Each
 * gets a clear error and changes nothing. Certificates are rotated without a restart.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class SecurityTest {
    private static final Duration TOKEN_TTL = Duration.ofSeconds(3);
    private static final String ROOT_PASSWORD = "root-password-for-tests";
    private static final int STREAMS_MAX = 3;

    @TempDir
    static Path dir;

    private LocalCluster cluster;
    private CertificateAuthority ca;
    private CertificateAuthority foreign;
    private Path certs;
    private CairnClient root;
    private int httpPort;

    @BeforeAll
    void startSecureCluster() throws Exception {
        certs = Files.createDirectories(dir.resolve("certs"));
        Instant now = Instant.now().minusSeconds(60);
        Instant later = now.plus(Duration.ofDays(1));
        ca = CertificateAuthority.create("test CA", Duration.ofDays(2));
        ca.writeTo(certs.resolve("ca.crt"), certs.resolve("ca.key"));
        for (int i = 1; i <= 3; i++) {
            ca.issueNode("n" + i, List.of(), now, later).writeTo(certs.resolve("n" + i + ".crt"), certs.resolve("n" + i + ".key"));
        }
        ca.issueClient("carol", now, later).writeTo(certs.resolve("carol.crt"), certs.resolve("carol.key"));
        ca.issueClient("dave", now.minus(Duration.ofDays(3)), now.minus(Duration.ofDays(1)))
                .writeTo(certs.resolve("expired.crt"), certs.resolve("expired.key"));
        foreign = CertificateAuthority.create("someone else's CA", Duration.ofDays(2));
        foreign.writeTo(certs.resolve("foreign-ca.crt"), certs.resolve("foreign-ca.key"));
        foreign.issueNode("n1", List.of(), now, later).writeTo(certs.resolve("foreign-n1.crt"), certs.resolve("foreign-n1.key"));
        foreign.issueClient("root", now, later).writeTo(certs.resolve("foreign-root.crt"), certs.resolve("foreign-root.key"));
        Files.writeString(dir.resolve("root.password"), ROOT_PASSWORD + "\n");

        cluster = new LocalCluster(dir, 3, List.of());
        httpPort = io.cairn.server.LocalPorts.free();
        for (int i = 1; i <= 3; i++) {
            cluster.start(i, List.of("--shards", "2", "--http-listen", i == 1 ? "127.0.0.1:" + httpPort : "off", "--cacert", certs.resolve("ca.crt").toString(),
                    "--cert", certs.resolve("n" + i + ".crt").toString(), "--key-file", certs.resolve("n" + i + ".key").toString(),
                    "--auth", "--root-password-file", dir.resolve("root.password").toString(),
                    "--auth-token-ttl", TOKEN_TTL.toMillis() + "ms", "--max-streams-per-user", Integer.toString(STREAMS_MAX)));
        }
        root = client("root", ROOT_PASSWORD);
        await().atMost(Duration.ofSeconds(60)).ignoreExceptions().until(() -> {
            root.put("ready", "yes");
            return true;
        });
        AccessControl access = root.access();
        access.addRole("app");
        access.grant("app", AccessControl.Permission.parse("readwrite:app/"));
        access.addRole("reader");
        access.grant("reader", AccessControl.Permission.parse("read:app/"));
        access.addUser("alice", "alice-password", List.of("app"));
        access.addUser("bob", "bob-password", List.of("reader"));
        access.addUser("carol", null, List.of("app"));
        access.addUser("erin", "erin-password", List.of("app"));
    }

    @AfterAll
    void stop() throws InterruptedException {
        if (root != null) {
            root.close();
        }
        if (cluster != null) {
            cluster.close();
        }
    }

    private CairnClient client(String user, String password) {
        return CairnClient.builder().endpoints(cluster.endpoints()).requestTimeout(Duration.ofSeconds(5))
                .tls(certs.resolve("ca.crt"), null, null).credentials(user, password).build();
    }

    private CairnClient.Builder shortClient() {
        return CairnClient.builder().endpoints(cluster.endpoints()).requestTimeout(Duration.ofSeconds(2));
    }

    @Test
    void clientsOfAnotherCaOrWithAnExpiredCertificateCannotConnect() {
        try (CairnClient stranger = shortClient().tls(certs.resolve("foreign-ca.crt"), certs.resolve("foreign-root.crt"),
                certs.resolve("foreign-root.key")).build()) {
            assertThatThrownBy(() -> stranger.put("app/stranger", "x")).isInstanceOf(CairnUnavailableException.class);
        }
        try (CairnClient expired = shortClient().tls(certs.resolve("ca.crt"), certs.resolve("expired.crt"),
                certs.resolve("expired.key")).build()) {
            assertThatThrownBy(() -> expired.put("app/expired", "x")).isInstanceOf(CairnUnavailableException.class);
        }
        assertThat(root.get("app/stranger")).isEmpty();
        assertThat(root.get("app/expired")).isEmpty();
    }

    @Test
    void aPlaintextClientIsToldTheNodesSpeakTls() {
        StringWriter err = new StringWriter();
        String[] args = {"--endpoints", String.join(",", cluster.endpoints()), "--timeout", "2s", "put", "app/plain", "x"};
        picocli.CommandLine cli = CairnCli.commandLine(args);
        cli.setErr(new PrintWriter(err));
        cli.setOut(new PrintWriter(new StringWriter()));
        assertThat(cli.execute(args)).isEqualTo(CairnCli.EXIT_UNAVAILABLE);
        assertThat(err.toString()).contains("give --cacert");
        assertThat(root.get("app/plain")).isEmpty();
    }

    @Test
    void theSessionsBenchKeepsItsSessionsAliveOverTlsAsItsUser() {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        String[] args = {"--endpoints", String.join(",", cluster.endpoints()), "--cacert", certs.resolve("ca.crt").toString(),
            "--user", "root", "--password-file", dir.resolve("root.password").toString(),
            "bench", "sessions", "--keys", "20", "--clients", "1", "--seconds", "1", "--rate", "10", "--ttl", "1s", "--json"};
        picocli.CommandLine cli = CairnCli.commandLine(args);
        cli.setOut(new PrintWriter(out));
        cli.setErr(new PrintWriter(err));
        // Exit 0: every session took its lock through the acquire and keep-alive calls the bench
        // makes itself, and exactly the locks of the sessions it stopped keeping alive were freed.
        assertThat(cli.execute(args)).as("stdout: %s%nstderr: %s", out, err).isZero();
        assertThat(out.toString()).contains("\"sessions\":20,").doesNotContain("\"dropped\":0,");
    }

    @Test
    void onlyNodesOfThisClusterMaySpeakRaft() throws Exception {
        // A node certificate of another CA: the TLS handshake itself fails.
        ManagedChannel foreignNode = channel(certs.resolve("foreign-ca.crt"), certs.resolve("foreign-n1.crt"),
                certs.resolve("foreign-n1.key"));
        // A client certificate of this CA: it connects, but Raft is for nodes only.
        ManagedChannel client = channel(certs.resolve("ca.crt"), certs.resolve("carol.crt"), certs.resolve("carol.key"));
        try {
            assertThat(raftStreamStatus(foreignNode).getCode()).isEqualTo(Status.Code.UNAVAILABLE);
            Status asClient = raftStreamStatus(client);
            assertThat(asClient.getCode()).isEqualTo(Status.Code.PERMISSION_DENIED);
            assertThat(asClient.getDescription()).contains("only a node of this cluster");
        } finally {
            foreignNode.shutdownNow();
            client.shutdownNow();
        }
        assertThat(root.put("app/after-raft-attempts", "ok").version()).isEqualTo(1);
    }

    private static Status raftStreamStatus(ManagedChannel channel) throws Exception {
        CompletableFuture<Status> closed = new CompletableFuture<>();
        StreamObserver<RaftBatch> out = RaftTransportGrpc.newStub(channel).withDeadlineAfter(5, TimeUnit.SECONDS)
                .stream(new StreamObserver<StreamAck>() {
                    @Override
                    public void onNext(StreamAck value) {}

                    @Override
                    public void onError(Throwable t) {
                        closed.complete(Status.fromThrowable(t));
                    }

                    @Override
                    public void onCompleted() {
                        closed.complete(Status.OK);
                    }
                });
        out.onNext(RaftBatch.getDefaultInstance());
        return closed.get(10, TimeUnit.SECONDS);
    }

    private ManagedChannel channel(Path caCert, Path cert, Path key) throws Exception {
        TlsChannelCredentials.Builder b = TlsChannelCredentials.newBuilder().trustManager(caCert.toFile());
        if (cert != null) {
            b.keyManager(cert.toFile(), key.toFile());
        }
        return NettyChannelBuilder.forTarget(cluster.address(1), b.build()).build();
    }

    @Test
    void aWrongPasswordIsRefusedAndWritesNothing() {
        try (CairnClient wrong = client("alice", "not-her-password")) {
            assertThatThrownBy(() -> wrong.put("app/wrong-password", "x"))
                    .isInstanceOf(AuthenticationException.class)
                    .hasMessageContaining("wrong user or password");
        }
        assertThat(root.get("app/wrong-password")).isEmpty();
    }

    @Test
    void anExpiredTokenIsRefused() throws Exception {
        ManagedChannel channel = channel(certs.resolve("ca.crt"), null, null);
        CairnClient alice = client("alice", "alice-password");
        try {
            alice.put("app/renewed-1", "x");
            String token = AuthGrpc.newBlockingStub(channel).login(
                    LoginRequest.newBuilder().setUser("alice").setPassword("alice-password").build()).getToken();
            KvGrpc.KvBlockingStub withToken = KvGrpc.newBlockingStub(channel).withInterceptors(bearer(token));
            withToken.get(GetRequest.newBuilder().setKey(utf8("app/x")).build());
            await().atMost(TOKEN_TTL.multipliedBy(3)).pollInterval(Duration.ofMillis(200)).untilAsserted(() ->
                    assertThatThrownBy(() -> withToken.get(GetRequest.newBuilder().setKey(utf8("app/x")).build()))
                            .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
                                assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAUTHENTICATED);
                                assertThat(e.getStatus().getDescription()).contains("token expired");
                            }));
            // Alice's client logged in before that token was minted, so its first token has
            // expired too: it renews by itself, and a long-lived client keeps working.
            assertThat(alice.put("app/renewed-2", "x").version()).isEqualTo(1);
        } finally {
            channel.shutdownNow();
            alice.close();
        }
    }

    @Test
    void aUserRevokedWhileConnectedIsDeniedItsNextRequestAndItsWatchEnds() {
        CompletableFuture<Throwable> watchEnded = new CompletableFuture<>();
        java.util.concurrent.atomic.AtomicInteger seen = new java.util.concurrent.atomic.AtomicInteger();
        try (CairnClient erin = client("erin", "erin-password");
             io.cairn.client.Watch watch = erin.watch(io.cairn.client.WatchQuery.prefix("app/erin"), new io.cairn.client.Watch.Listener() {
                 @Override
                 public void onEvents(int shard, List<io.cairn.client.WatchEvent> events, long progressRevision) {
                     seen.addAndGet(events.size());
                 }

                 @Override
                 public void onError(Throwable error) {
                     watchEnded.complete(error);
                 }
             })) {
            erin.put("app/erin", "1");
            await().atMost(Duration.ofSeconds(10)).until(() -> seen.get() >= 1);
            root.access().revokeRole("erin", "app");
            assertThatThrownBy(() -> erin.put("app/erin", "2"))
                    .isInstanceOf(AccessDeniedException.class)
                    .hasMessageContaining("lacks write on key app/erin");
            root.put("app/erin-next", "by root");
            assertThat(watchEnded).succeedsWithin(Duration.ofSeconds(10))
                    .isInstanceOf(AccessDeniedException.class);
            assertThat(seen.get()).isEqualTo(1);
        }
        assertThat(root.get("app/erin").orElseThrow().valueUtf8()).isEqualTo("1");
    }

    @Test
    void aRoleWithoutWriteCannotWriteDirectlyInATransactionOrAcrossShards() {
        root.put("app/balance", "10");
        try (CairnClient bob = client("bob", "bob-password")) {
            assertThat(bob.get("app/balance").orElseThrow().valueUtf8()).isEqualTo("10");
            assertThatThrownBy(() -> bob.put("app/balance", "0")).isInstanceOf(AccessDeniedException.class);
            assertThatThrownBy(() -> bob.delete("app/balance")).isInstanceOf(AccessDeniedException.class);
            assertThatThrownBy(() -> bob.txn().then(TxnOp.put("app/balance", "0")).commit())
                    .isInstanceOf(AccessDeniedException.class);
            // Keys of both shards in one transaction: refused whole before any shard prepares.
            List<String> keys = InProcessNodes.keysOverShards("app/t", 2, 2);
            assertThatThrownBy(() -> {
                try (var tx = bob.begin()) {
                    tx.put(keys.get(0), "0");
                    tx.put(keys.get(1), "0");
                    tx.commit();
                }
            }).isInstanceOf(AccessDeniedException.class);
            assertThatThrownBy(() -> bob.multiGet("app/balance", "secret/x")).isInstanceOf(AccessDeniedException.class)
                    .hasMessageContaining("secret/x");
        }
        assertThat(root.get("app/balance").orElseThrow().valueUtf8()).isEqualTo("10");
        for (String k : InProcessNodes.keysOverShards("app/t", 2, 2)) {
            assertThat(root.get(k)).isEmpty();
        }
    }

    @Test
    void adminOperationsNeedTheAdminPermission() {
        try (CairnClient alice = client("alice", "alice-password")) {
            assertThatThrownBy(() -> alice.addNode(9, "127.0.0.1:1")).isInstanceOf(AccessDeniedException.class)
                    .hasMessageContaining("admin");
            assertThatThrownBy(() -> alice.access().addUser("mallory", "mallory-password", List.of("app")))
                    .isInstanceOf(AccessDeniedException.class);
            assertThatThrownBy(() -> alice.access().grant("app", AccessControl.Permission.parse("readwrite:")))
                    .isInstanceOf(AccessDeniedException.class);
        }
        assertThat(root.access().list().users()).extracting(AccessControl.User::name).doesNotContain("mallory");
        assertThat(root.members().members()).noneMatch(m -> m.id() == 9);
    }

    @Test
    void aClientCertificateSignsInAsItsUser() {
        try (CairnClient carol = shortClient().tls(certs.resolve("ca.crt"), certs.resolve("carol.crt"),
                certs.resolve("carol.key")).build()) {
            AccessControl.Identity me = carol.access().whoAmI();
            assertThat(me.user()).isEqualTo("carol");
            assertThat(me.method()).isEqualTo("certificate");
            carol.put("app/carol", "hi");
            assertThatThrownBy(() -> carol.put("other/carol", "hi")).isInstanceOf(AccessDeniedException.class);
        }
    }

    @Test
    void aChangedPasswordRevokesEarlierTokens() throws Exception {
        root.access().addUser("frank", "frank-password-1", List.of("app"));
        ManagedChannel channel = channel(certs.resolve("ca.crt"), null, null);
        try {
            String token = AuthGrpc.newBlockingStub(channel).login(
                    LoginRequest.newBuilder().setUser("frank").setPassword("frank-password-1").build()).getToken();
            root.access().changePassword("frank", "frank-password-2");
            assertThatThrownBy(() -> KvGrpc.newBlockingStub(channel).withInterceptors(bearer(token))
                    .get(GetRequest.newBuilder().setKey(utf8("app/x")).build()))
                    .isInstanceOfSatisfying(StatusRuntimeException.class, e ->
                            assertThat(e.getStatus().getDescription()).contains("revoked"));
        } finally {
            channel.shutdownNow();
        }
    }

    @Test
    void aNodeCertificateReplacedOnDiskIsServedWithoutARestart() throws Exception {
        BigInteger before = servedCertificate(cluster.address(2)).getSerialNumber();
        Instant now = Instant.now().minusSeconds(60);
        CertificateAuthority.Issued fresh = ca.issueNode("n2", List.of(), now, now.plus(Duration.ofDays(1)));
        fresh.writeTo(certs.resolve("n2.crt"), certs.resolve("n2.key"));
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofSeconds(1)).untilAsserted(() ->
                assertThat(servedCertificate(cluster.address(2)).getSerialNumber())
                        .isEqualTo(fresh.certificate().getSerialNumber()).isNotEqualTo(before));
        assertThat(root.put("app/after-rotation", "ok").version()).isEqualTo(1);
    }

    /** The certificate a node presents to a new TLS connection. */
    private X509Certificate servedCertificate(String address) throws Exception {
        java.security.KeyStore trust = java.security.KeyStore.getInstance(java.security.KeyStore.getDefaultType());
        trust.load(null, null);
        trust.setCertificateEntry("ca", ca.certificate());
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(trust);
        javax.net.ssl.SSLContext ctx = javax.net.ssl.SSLContext.getInstance("TLS");
        ctx.init(null, tmf.getTrustManagers(), null);
        String host = address.substring(0, address.lastIndexOf(':'));
        int port = Integer.parseInt(address.substring(address.lastIndexOf(':') + 1));
        try (SSLSocket socket = (SSLSocket) ctx.getSocketFactory().createSocket(host, port)) {
            javax.net.ssl.SSLParameters p = socket.getSSLParameters();
            p.setApplicationProtocols(new String[] {"h2"});
            socket.setSSLParameters(p);
            socket.startHandshake();
            return (X509Certificate) socket.getSession().getPeerCertificates()[0];
        }
    }

    @Test
    void aUserMayHoldOnlySoManyWatchesOnANode() throws Exception {
        ManagedChannel channel = channel(certs.resolve("ca.crt"), certs.resolve("carol.crt"), certs.resolve("carol.key"));
        List<io.grpc.Context.CancellableContext> open = new java.util.ArrayList<>();
        try {
            List<CompletableFuture<Status>> ends = new java.util.ArrayList<>();
            for (int i = 0; i <= STREAMS_MAX; i++) {
                io.grpc.Context.CancellableContext ctx = io.grpc.Context.current().withCancellation();
                open.add(ctx);
                CompletableFuture<Status> end = new CompletableFuture<>();
                ends.add(end);
                ctx.run(() -> io.cairn.api.proto.WatchGrpc.newStub(channel).watch(io.cairn.api.proto.WatchRequest.newBuilder()
                        .setKey(utf8("app/")).setPrefix(true).setShard(0).build(), new StreamObserver<>() {
                            @Override
                            public void onNext(io.cairn.api.proto.WatchResponse value) {}

                            @Override
                            public void onError(Throwable t) {
                                end.complete(Status.fromThrowable(t));
                            }

                            @Override
                            public void onCompleted() {
                                end.complete(Status.OK);
                            }
                        }));
            }
            Status refused = await().atMost(Duration.ofSeconds(10)).until(
                    () -> ends.stream().filter(CompletableFuture::isDone).map(CompletableFuture::join)
                            .filter(st -> st.getCode() == Status.Code.RESOURCE_EXHAUSTED).findFirst().orElse(null),
                    java.util.Objects::nonNull);
            assertThat(refused.getDescription()).contains("carol").contains("the limit");
            assertThat(ends.stream().filter(CompletableFuture::isDone).count()).isEqualTo(1);
            // Closing one frees its place.
            open.get(0).cancel(null);
            await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
                CompletableFuture<Status> again = new CompletableFuture<>();
                io.grpc.Context.CancellableContext ctx = io.grpc.Context.current().withCancellation();
                open.add(ctx);
                ctx.run(() -> io.cairn.api.proto.WatchGrpc.newStub(channel).watch(io.cairn.api.proto.WatchRequest.newBuilder()
                        .setKey(utf8("app/")).setPrefix(true).setShard(0).build(), new StreamObserver<>() {
                            @Override
                            public void onNext(io.cairn.api.proto.WatchResponse value) {
                                again.complete(Status.OK);
                            }

                            @Override
                            public void onError(Throwable t) {
                                again.complete(Status.fromThrowable(t));
                            }

                            @Override
                            public void onCompleted() {
                                again.complete(Status.OK);
                            }
                        }));
                root.put(InProcessNodes.keysOverShards("app/poke", 1, 2).get(0), "x");
                assertThat(again.get(5, TimeUnit.SECONDS).getCode()).isEqualTo(Status.Code.OK);
            });
        } finally {
            open.forEach(c -> c.cancel(null));
            channel.shutdownNow();
        }
    }

    @Test
    void aNodeWithTlsServesItsHttpSideOverHttpsOnly() throws Exception {
        io.cairn.client.Tls tls = io.cairn.client.Tls.load(new io.cairn.client.Tls.Files(certs.resolve("ca.crt"), null, null),
                io.cairn.client.Tls.RELOAD_EVERY_DEFAULT);
        try {
            java.net.http.HttpClient https = java.net.http.HttpClient.newBuilder().sslContext(tls.sslContext())
                    .connectTimeout(Duration.ofSeconds(5)).build();
            java.net.http.HttpResponse<String> health = https.send(java.net.http.HttpRequest.newBuilder(
                            java.net.URI.create("https://127.0.0.1:" + httpPort + "/health")).build(),
                    java.net.http.HttpResponse.BodyHandlers.ofString());
            assertThat(health.statusCode()).isEqualTo(200);
            assertThat(health.body()).isEqualTo("ok\n");
            java.net.http.HttpClient plain = java.net.http.HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
            assertThatThrownBy(() -> plain.send(java.net.http.HttpRequest.newBuilder(
                            java.net.URI.create("http://127.0.0.1:" + httpPort + "/health")).timeout(Duration.ofSeconds(5)).build(),
                    java.net.http.HttpResponse.BodyHandlers.ofString())).isInstanceOf(java.io.IOException.class);
        } finally {
            tls.close();
        }
    }

    /**
     * The negative control: the same attempts against a node without TLS and authentication
     * succeed, so the refusals above come from the security layer and these tests can fail.
     */
    @Test
    void withoutSecurityTheSameAttemptsSucceed() throws Exception {
        try (InProcessNodes open = new InProcessNodes(dir.resolve("open"), 1, 1).startAll();
             CairnClient anyone = open.client()) {
            assertThat(anyone.put("other/x", "1").version()).isEqualTo(1);
            assertThat(anyone.access().whoAmI().authEnabled()).isFalse();
            ManagedChannel plain = NettyChannelBuilder.forTarget(open.spec.address(io.cairn.common.NodeId.of(1))).usePlaintext().build();
            try {
                assertThat(raftStreamStatus(plain).getCode()).isNotEqualTo(Status.Code.PERMISSION_DENIED);
            } finally {
                plain.shutdownNow();
            }
        }
    }

    private static io.grpc.ClientInterceptor bearer(String token) {
        Metadata m = new Metadata();
        m.put(Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER), "Bearer " + token);
        return MetadataUtils.newAttachHeadersInterceptor(m);
    }

    private static com.google.protobuf.ByteString utf8(String s) {
        return com.google.protobuf.ByteString.copyFrom(s, StandardCharsets.UTF_8);
    }
}
