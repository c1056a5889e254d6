package io.cairn.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.grpc.util.CertificateUtils;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.Signature;
import java.security.cert.CertPathValidator;
import java.security.cert.CertificateExpiredException;
import java.security.cert.CertificateFactory;
import java.security.cert.PKIXParameters;
import java.security.cert.TrustAnchor;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLServerSocket;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The cluster CA ({@link CertificateAuthority}) and {@code cairn certs}. */
class CertificateAuthorityTest {
    private static final String SERVER_AUTH = "1.3.6.1.5.5.7.3.1";
    private static final String CLIENT_AUTH = "1.3.6.1.5.5.7.3.2";
    private static final int SAN_DNS = 2;
    private static final int SAN_IP = 7;

    @TempDir
    Path dir;

    private static Instant now() {
        return Instant.now();
    }

    private static CertificateAuthority.Issued node(CertificateAuthority ca, String name, String... hosts) {
        return ca.issueNode(name, List.of(hosts), now().minusSeconds(60), now().plus(Duration.ofDays(1)));
    }

    @Test
    void aNodeCertificateIsSignedByTheCaServesAndDialsAndNamesItsHosts() throws Exception {
        CertificateAuthority ca = CertificateAuthority.create("test-ca", Duration.ofDays(2));
        X509Certificate cert = node(ca, "n1", "node1.example", "10.0.0.5", "::1", "localhost").certificate();

        cert.verify(ca.certificate().getPublicKey());
        cert.checkValidity();
        assertThat(cert.getSubjectX500Principal().getName()).isEqualTo("CN=n1,O=cairn-node");
        assertThat(cert.getIssuerX500Principal()).isEqualTo(ca.certificate().getSubjectX500Principal());
        assertThat(cert.getExtendedKeyUsage()).containsExactlyInAnyOrder(SERVER_AUTH, CLIENT_AUTH);
        assertThat(cert.getBasicConstraints()).isEqualTo(-1);
        boolean[] keyUsage = cert.getKeyUsage();
        assertThat(keyUsage[0]).as("digitalSignature").isTrue();
        assertThat(keyUsage[2]).as("keyEncipherment").isTrue();
        assertThat(keyUsage[5]).as("keyCertSign").isFalse();
        // localhost was asked for again: it is named once.
        assertThat(cert.getSubjectAlternativeNames()).containsExactly(
                List.of(SAN_DNS, "localhost"), List.of(SAN_IP, "127.0.0.1"), List.of(SAN_DNS, "node1.example"),
                List.of(SAN_IP, "10.0.0.5"), List.of(SAN_IP, "0:0:0:0:0:0:0:1"));
        assertThat(cert.getSigAlgName()).isEqualTo("SHA256withECDSA");
        assertThat(cert.getPublicKey().getAlgorithm()).isEqualTo("EC");
        assertThat(cert.getSerialNumber().signum()).isPositive();
        assertThat(cert.getSerialNumber()).isNotEqualTo(node(ca, "n1").certificate().getSerialNumber());
        assertValidPath(cert, ca.certificate());
    }

    @Test
    void theCaIsAMarkedSelfSignedCa() throws Exception {
        X509Certificate ca = CertificateAuthority.create("test-ca", Duration.ofDays(2)).certificate();
        ca.verify(ca.getPublicKey());
        assertThat(ca.getSubjectX500Principal().getName()).isEqualTo("CN=test-ca,O=cairn-ca");
        assertThat(ca.getBasicConstraints()).isGreaterThanOrEqualTo(0);
        assertThat(ca.getCriticalExtensionOIDs()).contains("2.5.29.19"); // basicConstraints
        boolean[] keyUsage = ca.getKeyUsage();
        assertThat(keyUsage[5]).as("keyCertSign").isTrue();
        assertThat(keyUsage[6]).as("cRLSign").isTrue();
        assertThat(ca.getNotAfter().toInstant()).isBetween(now().plus(Duration.ofDays(2)).minusSeconds(60),
                now().plus(Duration.ofDays(2)));
    }

    @Test
    void aClientCertificateOnlyDials() throws Exception {
        CertificateAuthority ca = CertificateAuthority.create("test-ca", Duration.ofDays(2));
        X509Certificate cert = ca.issueClient("alice", now(), now().plus(Duration.ofHours(1))).certificate();
        cert.verify(ca.certificate().getPublicKey());
        assertThat(cert.getSubjectX500Principal().getName()).isEqualTo("CN=alice,O=cairn-client");
        assertThat(cert.getExtendedKeyUsage()).containsExactly(CLIENT_AUTH);
        assertThat(cert.getSubjectAlternativeNames()).isNull();
        assertValidPath(cert, ca.certificate());
    }

    @Test
    void theKeyFileIsPkcs8ThatGrpcReadsAndItMatchesTheCertificate() throws Exception {
        CertificateAuthority ca = CertificateAuthority.create("test-ca", Duration.ofDays(2));
        node(ca, "n1").writeTo(dir.resolve("n1.crt"), dir.resolve("n1.key"));

        assertThat(Files.readString(dir.resolve("n1.key"))).startsWith("-----BEGIN PRIVATE KEY-----\n")
                .endsWith("-----END PRIVATE KEY-----\n");
        assertThat(Files.readString(dir.resolve("n1.crt"))).startsWith("-----BEGIN CERTIFICATE-----\n");
        PrivateKey key;
        X509Certificate[] certs;
        try (InputStream k = Files.newInputStream(dir.resolve("n1.key"));
             InputStream c = Files.newInputStream(dir.resolve("n1.crt"))) {
            key = CertificateUtils.getPrivateKey(k);
            certs = CertificateUtils.getX509Certificates(c);
        }
        assertThat(certs).hasSize(1);
        byte[] message = "raft append entries".getBytes(StandardCharsets.UTF_8);
        Signature sign = Signature.getInstance("SHA256withECDSA");
        sign.initSign(key);
        sign.update(message);
        byte[] signature = sign.sign();
        Signature verify = Signature.getInstance("SHA256withECDSA");
        verify.initVerify(certs[0].getPublicKey());
        verify.update(message);
        assertThat(verify.verify(signature)).isTrue();
        // And not the key of another certificate of the same CA.
        Signature other = Signature.getInstance("SHA256withECDSA");
        other.initVerify(node(ca, "n2").certificate().getPublicKey());
        other.update(message);
        assertThat(other.verify(signature)).isFalse();
    }

    @Test
    void aCaRoundTripsThroughItsFilesAndRefusesAKeyOfAnother() throws Exception {
        CertificateAuthority ca = CertificateAuthority.create("test-ca", Duration.ofDays(2));
        ca.writeTo(dir.resolve("ca.crt"), dir.resolve("ca.key"));
        CertificateAuthority loaded = CertificateAuthority.load(dir.resolve("ca.crt"), dir.resolve("ca.key"));
        assertThat(loaded.certificate()).isEqualTo(ca.certificate());
        X509Certificate cert = node(loaded, "n9").certificate();
        cert.verify(ca.certificate().getPublicKey());
        assertValidPath(cert, ca.certificate());

        CertificateAuthority.create("other", Duration.ofDays(1)).writeTo(dir.resolve("o.crt"), dir.resolve("o.key"));
        assertThatThrownBy(() -> CertificateAuthority.load(dir.resolve("ca.crt"), dir.resolve("o.key")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("does not belong");
        node(ca, "n1").writeTo(dir.resolve("n1.crt"), dir.resolve("n1.key"));
        assertThatThrownBy(() -> CertificateAuthority.load(dir.resolve("n1.crt"), dir.resolve("n1.key")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("not a CA");
    }

    @Test
    void aNodeAndAClientCompleteAMutualTlsHandshake() throws Exception {
        CertificateAuthority ca = CertificateAuthority.create("test-ca", Duration.ofDays(2));
        CertificateAuthority.Issued server = node(ca, "n1");
        CertificateAuthority.Issued client = ca.issueClient("root", now().minusSeconds(60), now().plusSeconds(3600));
        SSLContext serverContext = context(server, ca.certificate());
        SSLContext clientContext = context(client, ca.certificate());

        try (SSLServerSocket listener = (SSLServerSocket) serverContext.getServerSocketFactory()
                .createServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            listener.setNeedClientAuth(true);
            CompletableFuture<String> peer = CompletableFuture.supplyAsync(() -> {
                try (SSLSocket s = (SSLSocket) listener.accept()) {
                    s.setSoTimeout(10_000);
                    int b = s.getInputStream().read();
                    s.getOutputStream().write(b);
                    s.getOutputStream().flush();
                    return ((X509Certificate) s.getSession().getPeerCertificates()[0]).getSubjectX500Principal().getName();
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            });
            try (SSLSocket s = (SSLSocket) clientContext.getSocketFactory().createSocket("localhost", listener.getLocalPort())) {
                s.setSoTimeout(10_000);
                var params = s.getSSLParameters();
                params.setEndpointIdentificationAlgorithm("HTTPS"); // checks the node's SANs
                s.setSSLParameters(params);
                OutputStream out = s.getOutputStream();
                out.write(42);
                out.flush();
                assertThat(s.getInputStream().read()).isEqualTo(42);
            }
            assertThat(peer.get(10, TimeUnit.SECONDS)).isEqualTo("CN=root,O=cairn-client");
        }
    }

    @Test
    void initWritesTheCaNodesAndClientsWithOwnerOnlyKeys() throws Exception {
        Path certs = dir.resolve("certs");
        CliRun run = CliRun.of("certs", "init", certs.toString(), "--nodes", "n1,n2,n3", "--hosts", "db.example,10.1.2.3");
        assertThat(run.exitCode()).as(run.err()).isZero();
        assertThat(run.err()).isEmpty();
        String[] lines = run.out().split("\n");
        assertThat(lines).hasSize(11);
        assertThat(lines[0]).isEqualTo("wrote " + certs.resolve("ca.crt"));
        assertThat(lines[2]).isEqualTo("wrote " + certs.resolve("nodes").resolve("n1.crt"));
        assertThat(lines[9]).isEqualTo("wrote " + certs.resolve("clients").resolve("root.key"));
        assertThat(lines[10]).startsWith("valid for 365 days, until ");

        X509Certificate ca = CertificateAuthority.readCertificate(certs.resolve("ca.crt"));
        for (String n : List.of("n1", "n2", "n3")) {
            X509Certificate cert = CertificateAuthority.readCertificate(certs.resolve("nodes/" + n + ".crt"));
            cert.verify(ca.getPublicKey());
            assertThat(cert.getSubjectX500Principal().getName()).isEqualTo("CN=" + n + ",O=cairn-node");
            assertThat(cert.getSubjectAlternativeNames()).contains(List.of(SAN_DNS, "db.example"),
                    List.of(SAN_IP, "10.1.2.3"));
            assertThat(cert.getNotAfter()).isBeforeOrEqualTo(ca.getNotAfter());
        }
        X509Certificate root = CertificateAuthority.readCertificate(certs.resolve("clients/root.crt"));
        assertThat(root.getSubjectX500Principal().getName()).isEqualTo("CN=root,O=cairn-client");

        assumeTrue(certs.getFileSystem().supportedFileAttributeViews().contains("posix"));
        List<Path> keys;
        try (Stream<Path> all = Files.walk(certs)) {
            keys = all.filter(p -> p.toString().endsWith(".key")).toList();
        }
        assertThat(keys).hasSize(5);
        for (Path k : keys) {
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(k))).as(k.toString())
                    .isEqualTo("rw-------");
        }
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(certs.resolve("ca.crt"))))
                .isEqualTo("rw-r--r--");
        try (Stream<Path> all = Files.list(certs.resolve("nodes"))) {
            assertThat(all.map(p -> p.getFileName().toString())).as("no temporary files are left")
                    .containsExactlyInAnyOrder("n1.crt", "n1.key", "n2.crt", "n2.key", "n3.crt", "n3.key");
        }
    }

    @Test
    void initRefusesADirWithACaUnlessForced() throws Exception {
        Path certs = dir.resolve("certs");
        assertThat(CliRun.of("certs", "init", certs.toString(), "--nodes", "n1").exitCode()).isZero();
        Map<Path, byte[]> before = contents(certs);
        Map<Path, FileTime> modified = modificationTimes(certs);

        CliRun again = CliRun.of("certs", "init", certs.toString(), "--nodes", "n1,n2");
        assertThat(again.exitCode()).isEqualTo(CairnCli.EXIT_BAD_INPUT);
        assertThat(again.out()).isEmpty();
        assertThat(again.errLines()).hasSize(1);
        assertThat(again.err()).startsWith("cairn: ").contains("ca.key").contains("--force");
        Map<Path, byte[]> after = contents(certs);
        assertThat(after.keySet()).isEqualTo(before.keySet());
        for (Path p : before.keySet()) {
            assertThat(after.get(p)).as(p.toString()).isEqualTo(before.get(p));
        }
        assertThat(modificationTimes(certs)).isEqualTo(modified);

        CliRun forced = CliRun.of("certs", "init", certs.toString(), "--nodes", "n1", "--force");
        assertThat(forced.exitCode()).as(forced.err()).isZero();
        assertThat(Files.readAllBytes(certs.resolve("ca.crt"))).isNotEqualTo(before.get(certs.resolve("ca.crt")));
    }

    @Test
    void badNamesAndHostsAreRefusedBeforeAnythingIsWritten() {
        Path certs = dir.resolve("certs");
        assertBadInput(CliRun.of("certs", "init", certs.toString(), "--nodes", "n1,../n2"), "is not a name");
        assertBadInput(CliRun.of("certs", "init", certs.toString(), "--nodes", "n1,n1"), "twice");
        assertBadInput(CliRun.of("certs", "init", certs.toString(), "--nodes", "n1", "--hosts", "db:7401"),
                "without a port");
        assertBadInput(CliRun.of("certs", "init", certs.toString(), "--nodes", "n1", "--days", "0"), "--days");
        assertBadInput(CliRun.of("certs", "init", certs.toString()), "--nodes");
        assertThat(certs).doesNotExist();
        assertBadInput(CliRun.of("certs", "issue", certs.toString(), "--node", "n4"), "cairn certs init");
    }

    @Test
    void issueAddsACertificateSignedByTheExistingCa() throws Exception {
        Path certs = dir.resolve("certs");
        assertThat(CliRun.of("certs", "init", certs.toString(), "--nodes", "n1").exitCode()).isZero();
        X509Certificate ca = CertificateAuthority.readCertificate(certs.resolve("ca.crt"));

        CliRun node = CliRun.of("certs", "issue", certs.toString(), "--node", "n4", "--hosts", "n4.example", "--json");
        assertThat(node.exitCode()).as(node.err()).isZero();
        assertThat(node.out()).startsWith("{\"cert\":\"" + certs.resolve("nodes/n4.crt") + "\",\"key\":\"");
        X509Certificate n4 = CertificateAuthority.readCertificate(certs.resolve("nodes/n4.crt"));
        assertValidPath(n4, ca);
        assertThat(n4.getSubjectAlternativeNames()).contains(List.of(SAN_DNS, "n4.example"));
        assertThat(n4.getExtendedKeyUsage()).containsExactlyInAnyOrder(SERVER_AUTH, CLIENT_AUTH);

        CliRun client = CliRun.of("certs", "issue", certs.toString(), "--client", "alice", "--days", "30");
        assertThat(client.exitCode()).as(client.err()).isZero();
        X509Certificate alice = CertificateAuthority.readCertificate(certs.resolve("clients/alice.crt"));
        assertValidPath(alice, ca);
        assertThat(alice.getExtendedKeyUsage()).containsExactly(CLIENT_AUTH);

        assertBadInput(CliRun.of("certs", "issue", certs.toString(), "--client", "alice"), "--force");
        assertBadInput(CliRun.of("certs", "issue", certs.toString(), "--node", "a", "--client", "b"), "one of");
        assertBadInput(CliRun.of("certs", "issue", certs.toString(), "--client", "b", "--hosts", "h"), "--hosts");
    }

    @Test
    void showSaysWhenACertificateHasExpired() throws Exception {
        CertificateAuthority ca = CertificateAuthority.create("test-ca", Duration.ofDays(30));
        CertificateAuthority.Issued old = ca.issueClient("old", now().minus(Duration.ofDays(10)), now().minus(Duration.ofDays(3)));
        assertThatThrownBy(() -> old.certificate().checkValidity()).isInstanceOf(CertificateExpiredException.class);
        old.writeTo(dir.resolve("old.crt"), dir.resolve("old.key"));
        node(ca, "n1", "db.example").writeTo(dir.resolve("n1.crt"), dir.resolve("n1.key"));

        CliRun expired = CliRun.of("certs", "show", dir.resolve("old.crt").toString());
        assertThat(expired.exitCode()).as(expired.err()).isZero();
        assertThat(expired.out()).contains("subject:    CN=old, O=cairn-client\n")
                .contains("issuer:     CN=test-ca, O=cairn-ca\n")
                .contains("status:     expired 3 days ago\n");

        CliRun valid = CliRun.of("certs", "show", dir.resolve("n1.crt").toString());
        assertThat(valid.out()).contains("sans:       DNS:localhost, IP:127.0.0.1, DNS:db.example\n")
                .contains("usage:      serverAuth, clientAuth\n")
                .contains("status:     valid, expires in ")
                .doesNotContain("expired");

        CliRun json = CliRun.of("certs", "show", "--json", dir.resolve("old.crt").toString());
        assertThat(json.out()).startsWith("[{\"subject\":\"CN=old, O=cairn-client\"").contains("\"expired\":true}]");

        assertBadInput(CliRun.of("certs", "show", dir.resolve("missing.crt").toString()), "no such file");
    }

    private static void assertBadInput(CliRun run, String messagePart) {
        assertThat(run.exitCode()).as(run.err()).isEqualTo(CairnCli.EXIT_BAD_INPUT);
        assertThat(run.out()).isEmpty();
        assertThat(run.errLines()).hasSize(1);
        assertThat(run.err()).startsWith("cairn: ").contains(messagePart);
    }

    /** Validates as the JDK's TLS does: PKIX from the CA as the only trust anchor, no revocation. */
    private static void assertValidPath(X509Certificate cert, X509Certificate ca) throws Exception {
        PKIXParameters params = new PKIXParameters(Set.of(new TrustAnchor(ca, null)));
        params.setRevocationEnabled(false);
        CertPathValidator.getInstance("PKIX")
                .validate(CertificateFactory.getInstance("X.509").generateCertPath(List.of(cert)), params);
    }

    private static SSLContext context(CertificateAuthority.Issued own, X509Certificate ca) throws Exception {
        char[] password = "unused".toCharArray();
        KeyStore keys = KeyStore.getInstance("PKCS12");
        keys.load(null, null);
        keys.setKeyEntry("own", own.key(), password, new X509Certificate[] {own.certificate()});
        KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(keys, password);
        KeyStore trust = KeyStore.getInstance("PKCS12");
        trust.load(null, null);
        trust.setCertificateEntry("ca", ca);
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(trust);
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(kmf.getKeyManagers(), tmf.getTrustManagers(), null);
        return context;
    }

    private static Map<Path, FileTime> modificationTimes(Path root) throws IOException {
        Map<Path, FileTime> times = new HashMap<>();
        try (Stream<Path> all = Files.walk(root)) {
            for (Path p : all.toList()) {
                times.put(p, Files.getLastModifiedTime(p));
            }
        }
        return times;
    }

    private static Map<Path, byte[]> contents(Path root) throws IOException {
        Map<Path, byte[]> files = new HashMap<>();
        try (Stream<Path> all = Files.walk(root)) {
            for (Path p : all.filter(Files::isRegularFile).toList()) {
                files.put(p, Files.readAllBytes(p));
            }
        }
        return files;
    }
}
