package io.cairn.faults;

import com.google.protobuf.ByteString;
import io.cairn.api.proto.GetRequest;
import io.cairn.api.proto.KvGrpc;
import io.cairn.cli.CertificateAuthority;
import io.cairn.client.CairnClient;
import io.cairn.client.Tls;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * How the suite's nodes and clients talk: in the open (the default), or, for {@code --secure},
 * with TLS everywhere (mutual between nodes) and authentication on, every client signed in as
 * root. Every node command line, every {@link CairnClient} and every raw channel of the suite is
 * made here, so a plain run is exactly what it was before security existed and a secure run
 * cannot leave a client in the clear by accident.
 *
 * <p>A secure run keeps its CA, certificates and root password in {@code DIR/security}, next
 * to the node logs, so a failed run's directory still holds what its nodes were started with.
 */
final class SecureSetup implements AutoCloseable {
    static final String ROOT = "root";
    /** Long enough for any run, soak included; a certificate expiring mid-run would be a fault of our making. */
    private static final Duration VALIDITY = Duration.ofDays(30);

    private final Path dir;
    private final CertificateAuthority ca;
    private final String rootPassword;
    /** The root client certificate, for the raw channels: it signs their calls in as root with no login. */
    private final Tls rawTls;
    private final Instant notBefore;
    private final Instant notAfter;

    private SecureSetup(Path dir, CertificateAuthority ca, String rootPassword, Tls rawTls, Instant notBefore,
                        Instant notAfter) {
        this.dir = dir;
        this.ca = ca;
        this.rootPassword = rootPassword;
        this.rawTls = rawTls;
        this.notBefore = notBefore;
        this.notAfter = notAfter;
    }

    /** No TLS, no authentication: the suite as it always ran. */
    static SecureSetup plain() {
        return new SecureSetup(null, null, null, null, null, null);
    }

    /**
     * A CA, node certificates for {@code n1..nFounders} (later nodes get theirs when first
     * started), a root client certificate and a root password, all under {@code runDir/security}.
     */
    static SecureSetup create(Path runDir, int founders) throws IOException {
        Path dir = runDir.resolve("security");
        Files.createDirectories(dir);
        CertificateAuthority ca = CertificateAuthority.create("cairn fault suite CA", VALIDITY);
        ca.writeTo(dir.resolve("ca.crt"), dir.resolve("ca.key"));
        // Backdated a little, as the CA itself is: a certificate must be valid the moment a node reads it.
        Instant notBefore = Instant.now().minus(Duration.ofMinutes(5));
        Instant notAfter = notBefore.plus(VALIDITY);
        ca.issueClient(ROOT, notBefore, notAfter).writeTo(dir.resolve("root.crt"), dir.resolve("root.key"));
        byte[] random = new byte[18];
        new java.security.SecureRandom().nextBytes(random);
        String password = java.util.Base64.getUrlEncoder().withoutPadding().encodeToString(random);
        Path passwordFile = dir.resolve("root.password");
        Files.createFile(passwordFile, java.nio.file.attribute.PosixFilePermissions.asFileAttribute(
                java.nio.file.attribute.PosixFilePermissions.fromString("rw-------")));
        Files.writeString(passwordFile, password + "\n", StandardCharsets.UTF_8);
        Tls rawTls = Tls.load(new Tls.Files(dir.resolve("ca.crt"), dir.resolve("root.crt"), dir.resolve("root.key")),
                Tls.RELOAD_EVERY_DEFAULT);
        SecureSetup setup = new SecureSetup(dir, ca, password, rawTls, notBefore, notAfter);
        for (int id = 1; id <= founders; id++) {
            setup.nodeCertificate(id);
        }
        return setup;
    }

    boolean secure() {
        return ca != null;
    }

    /** The {@code cairn server} arguments that secure node {@code nodeId}; none in a plain run. */
    List<String> serverArgs(int nodeId) {
        if (!secure()) {
            return List.of();
        }
        Path[] cert = nodeCertificate(nodeId);
        return List.of("--cacert", dir.resolve("ca.crt").toString(), "--cert", cert[0].toString(),
                "--key-file", cert[1].toString(), "--auth", "--root-password-file", dir.resolve("root.password").toString());
    }

    /** What {@link LockHolderProcess} needs to connect as {@link #client} does: CA, certificate, key; none in a plain run. */
    List<String> clientTlsArgs() {
        if (!secure()) {
            return List.of();
        }
        return List.of(dir.resolve("ca.crt").toString(), dir.resolve("root.crt").toString(), dir.resolve("root.key").toString());
    }

    /**
     * A client of {@code endpoints}; in a secure run it presents the root client certificate, which
     * signs it in as root with no login. Password logins are kept to {@link #passwordClient}: a
     * login is a 600,000-round PBKDF2 on the node's single hashing thread, about 1.5 s on the
     * suite's C1-only node JVMs, so a dozen clients logging in at once would queue for 20 s.
     */
    CairnClient.Builder client(List<String> endpoints) {
        CairnClient.Builder b = CairnClient.builder().endpoints(endpoints);
        if (secure()) {
            b.tls(dir.resolve("ca.crt"), dir.resolve("root.crt"), dir.resolve("root.key"));
        }
        return b;
    }

    /**
     * A client of {@code endpoints} that, in a secure run, logs in as root with the password and
     * sends the token on every call, as applications do: the register workload's routed clients
     * use it, so tokens are checked by nodes that restart, lose their leadership or are cut off.
     */
    CairnClient.Builder passwordClient(List<String> endpoints) {
        CairnClient.Builder b = CairnClient.builder().endpoints(endpoints);
        if (secure()) {
            b.tls(dir.resolve("ca.crt"), null, null).credentials(ROOT, rootPassword);
        }
        return b;
    }

    /**
     * A bare gRPC channel to one node: plaintext, or TLS presenting the root client certificate
     * (which authenticates its calls as root without a login, and which the FaultControl
     * service, outside authentication, simply ignores).
     */
    ManagedChannel channel(String address) {
        return secure() ? NettyChannelBuilder.forTarget(address, rawTls.channelCredentials()).build()
                : NettyChannelBuilder.forTarget(address).usePlaintext().build();
    }

    /**
     * What node {@code address} got wrong about callers a secure run must turn away: a plaintext
     * call must fail, and one over TLS with neither token nor client certificate must be refused
     * as UNAUTHENTICATED. Empty when both were refused, and in a plain run; so a secure run shows
     * its nodes were secure rather than assuming it.
     */
    List<String> unrefusedCallers(String address) throws InterruptedException {
        if (!secure()) {
            return List.of();
        }
        List<String> problems = new ArrayList<>();
        ManagedChannel plaintext = NettyChannelBuilder.forTarget(address).usePlaintext().build();
        try (Tls anonymous = Tls.load(new Tls.Files(dir.resolve("ca.crt"), null, null), Tls.RELOAD_EVERY_DEFAULT)) {
            ManagedChannel noUser = NettyChannelBuilder.forTarget(address, anonymous.channelCredentials()).build();
            try {
                Status.Code code = probe(plaintext);
                if (code == Status.Code.OK) {
                    problems.add(address + " answered a plaintext get");
                }
                // UNAVAILABLE until the node holds a fresh copy of the users: it cannot judge before.
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
                while ((code = probe(noUser)) == Status.Code.UNAVAILABLE && System.nanoTime() - deadline < 0) {
                    TimeUnit.MILLISECONDS.sleep(100); // poll interval while the node refreshes its users
                }
                if (code != Status.Code.UNAUTHENTICATED) {
                    problems.add(address + " answered a get over TLS without a user with " + code
                            + ", not UNAUTHENTICATED");
                }
            } finally {
                noUser.shutdownNow();
            }
        } finally {
            plaintext.shutdownNow();
        }
        return problems;
    }

    private static Status.Code probe(ManagedChannel channel) {
        try {
            KvGrpc.newBlockingStub(channel).withDeadlineAfter(5, TimeUnit.SECONDS)
                    .get(GetRequest.newBuilder().setKey(ByteString.copyFromUtf8(Workload.key(0))).build());
            return Status.Code.OK;
        } catch (StatusRuntimeException e) {
            return e.getStatus().getCode();
        }
    }

    /** The certificate and key of node {@code nodeId}, issued on first use (joiners come and go during a run). */
    private synchronized Path[] nodeCertificate(int nodeId) {
        Path crt = dir.resolve("n" + nodeId + ".crt");
        Path key = dir.resolve("n" + nodeId + ".key");
        if (!Files.exists(crt)) {
            ca.issueNode("n" + nodeId, List.of(), notBefore, notAfter).writeTo(crt, key);
        }
        return new Path[] {crt, key};
    }

    @Override
    public void close() {
        if (rawTls != null) {
            rawTls.close();
        }
    }
}
