package io.cairn.client;

import io.grpc.Attributes;
import io.grpc.ChannelCredentials;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ServerCredentials;
import io.grpc.TlsChannelCredentials;
import io.grpc.TlsServerCredentials;
import io.grpc.util.AdvancedTlsX509KeyManager;
import io.grpc.util.AdvancedTlsX509TrustManager;
import io.grpc.util.CertificateUtils;
import java.io.IOException;
import java.io.InputStream;

import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import javax.naming.InvalidNameException;
import javax.naming.ldap.LdapName;
import javax.naming.ldap.Rdn;
import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.SSLSession;

/**
 * TLS material of a node or a client: the cluster CA that peers must be signed by, and
 * optionally an own certificate and key. The files are read again every
 * {@link #RELOAD_EVERY_DEFAULT} (when changed, and only a matching certificate and key), so certificates are rotated by replacing the
 * files: new connections use the new ones, open ones keep theirs.
 *
 * <p>Who is who is read from the certificate's subject: {@code O=cairn-node} marks a node, which
 * may speak Raft and membership to its peers; {@code O=cairn-client} a client, whose {@code CN}
 * names its user. {@code cairn certs init} issues both kinds.
 */
public final class Tls implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(Tls.class.getName());
    public static final Duration RELOAD_EVERY_DEFAULT = Duration.ofSeconds(5);
    public static final String NODE_ORGANIZATION = "cairn-node";
    public static final String CLIENT_ORGANIZATION = "cairn-client";

    /**
     * Where the PEM files are.
     *
     * @param caCert the CA certificates to trust (the cluster's CA)
     * @param cert own certificate chain; null for a client without a certificate
     * @param key own PKCS#8 private key; null exactly when {@code cert} is
     */
    public record Files(Path caCert, Path cert, Path key) {
        public Files {
            if (caCert == null) {
                throw new IllegalArgumentException("TLS needs the CA certificate (--cacert)");
            }
            if ((cert == null) != (key == null)) {
                throw new IllegalArgumentException("--cert and --key-file go together: give both or neither");
            }
        }
    }

    private final Files files;
    private final AdvancedTlsX509TrustManager trust;
    private final AdvancedTlsX509KeyManager keys;
    private final ScheduledExecutorService reloader;
    private byte[] loadedCa;
    private byte[] loadedCert;
    private byte[] loadedKey;
    /** The own certificate as read at start (rotation replaces it in the key manager, not here). */
    private final X509Certificate own;

    private Tls(Files files, AdvancedTlsX509TrustManager trust, AdvancedTlsX509KeyManager keys,
                ScheduledExecutorService reloader, X509Certificate own) {
        this.own = own;
        this.files = files;
        this.trust = trust;
        this.keys = keys;
        this.reloader = reloader;
    }

    /**
     * Reads and checks the files now (so a wrong path or a key that does not match its
     * certificate is refused at start, with the file named), then watches them.
     */
    public static Tls load(Files files, Duration reloadEvery) {
        readCertificates(files.caCert(), "CA certificate");
        X509Certificate own = files.cert() == null ? null : readCertificates(files.cert(), "certificate")[0];
        ScheduledExecutorService reloader = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "tls-reload");
            t.setDaemon(true);
            return t;
        });
        try {
            AdvancedTlsX509TrustManager trust = AdvancedTlsX509TrustManager.newBuilder()
                    .setVerification(AdvancedTlsX509TrustManager.Verification.CERTIFICATE_AND_HOST_NAME_VERIFICATION)
                    .build();
            AdvancedTlsX509KeyManager keys = files.cert() == null ? null : new AdvancedTlsX509KeyManager();
            Tls tls = new Tls(files, trust, keys, reloader, own);
            if (!tls.reload()) {
                throw new IllegalArgumentException("the key " + files.key() + " does not belong to certificate " + files.cert());
            }
            long period = reloadEvery.toMillis();
            reloader.scheduleWithFixedDelay(tls::reloadQuietly, period, period, TimeUnit.MILLISECONDS);
            return tls;
        } catch (IOException | GeneralSecurityException e) {
            reloader.shutdownNow();
            throw new IllegalArgumentException("cannot use the TLS files " + files + ": " + e.getMessage(), e);
        } catch (RuntimeException e) {
            reloader.shutdownNow();
            throw e;
        }
    }

    /**
     * Reads the files and installs what changed since the last load (by content, so a file
     * rewritten within the same second counts). A certificate and key that do not match, as
     * between the writes of a rotation, are left for the next round: the old pair stays in use.
     * Returns false only for such a mismatch.
     */
    private synchronized boolean reload() throws IOException, GeneralSecurityException {
        byte[] ca = java.nio.file.Files.readAllBytes(files.caCert());
        if (!java.util.Arrays.equals(ca, loadedCa)) {
            trust.updateTrustCredentials(readCertificates(files.caCert(), "CA certificate"));
            loadedCa = ca;
        }
        if (keys == null) {
            return true;
        }
        byte[] cert = java.nio.file.Files.readAllBytes(files.cert());
        byte[] key = java.nio.file.Files.readAllBytes(files.key());
        if (java.util.Arrays.equals(cert, loadedCert) && java.util.Arrays.equals(key, loadedKey)) {
            return true;
        }
        X509Certificate[] chain = readCertificates(files.cert(), "certificate");
        PrivateKey privateKey = readKey(files.key());
        if (!belongTogether(chain[0], privateKey)) {
            return false;
        }
        keys.updateIdentityCredentials(chain, privateKey);
        loadedCert = cert;
        loadedKey = key;
        return true;
    }

    private void reloadQuietly() {
        try {
            if (!reload()) {
                LOG.log(System.Logger.Level.WARNING, "{0} and {1} do not match (yet?): still using the previous pair",
                        files.cert(), files.key());
            }
        } catch (IOException | GeneralSecurityException | RuntimeException e) {
            LOG.log(System.Logger.Level.WARNING, "cannot reload the TLS files, still using the previous ones: {0}",
                    e.getMessage());
        }
    }

    /** Whether {@code key} signs what {@code cert}'s public key verifies. */
    private static boolean belongTogether(X509Certificate cert, PrivateKey key) throws GeneralSecurityException {
        if (!cert.getPublicKey().getAlgorithm().equals(key.getAlgorithm())) {
            return false;
        }
        String algorithm = key.getAlgorithm().equals("EC") ? "SHA256withECDSA"
                : key.getAlgorithm().equals("RSA") ? "SHA256withRSA" : null;
        if (algorithm == null) {
            return true; // another key type: the TLS handshake will tell
        }
        byte[] probe = "cairn".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        java.security.Signature signer = java.security.Signature.getInstance(algorithm);
        signer.initSign(key);
        signer.update(probe);
        byte[] signature = signer.sign();
        java.security.Signature verifier = java.security.Signature.getInstance(algorithm);
        verifier.initVerify(cert.getPublicKey());
        verifier.update(probe);
        return verifier.verify(signature);
    }

    public Files files() {
        return files;
    }

    /** The own certificate as it was at start; empty for a client without one. */
    public Optional<X509Certificate> certificate() {
        return Optional.ofNullable(own);
    }

    /** Whether this side has a certificate of its own to present. */
    public boolean hasIdentity() {
        return keys != null;
    }

    /**
     * A server's credentials: it always asks for a client certificate (peers must present one;
     * see {@link #isNode}); {@code requireClientCertificates} refuses clients without one.
     */
    public ServerCredentials serverCredentials(boolean requireClientCertificates) {
        if (keys == null) {
            throw new IllegalStateException("a server needs a certificate and key");
        }
        return TlsServerCredentials.newBuilder()
                .keyManager(keys)
                .trustManager(trust)
                .clientAuth(requireClientCertificates ? TlsServerCredentials.ClientAuth.REQUIRE
                        : TlsServerCredentials.ClientAuth.OPTIONAL)
                .build();
    }

    /** A channel's credentials: trusts the cluster CA, and presents this side's certificate if it has one. */
    public ChannelCredentials channelCredentials() {
        TlsChannelCredentials.Builder b = TlsChannelCredentials.newBuilder().trustManager(trust);
        if (keys != null) {
            b.keyManager(keys);
        }
        return b.build();
    }

    /**
     * The same material for the JDK's own TLS (HTTPS: a node's dashboard and metrics, and the
     * clients that read them): this side's certificate if it has one, trusting the cluster CA.
     */
    public javax.net.ssl.SSLContext sslContext() {
        try {
            javax.net.ssl.SSLContext ctx = javax.net.ssl.SSLContext.getInstance("TLS");
            ctx.init(keys == null ? null : new javax.net.ssl.KeyManager[] {keys},
                    new javax.net.ssl.TrustManager[] {trust}, null);
            return ctx;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("this JVM cannot make a TLS context: " + e.getMessage(), e);
        }
    }

    /** Plaintext when {@code tls} is null. */
    public static ChannelCredentials channelCredentials(Tls tls) {
        return tls == null ? InsecureChannelCredentials.create() : tls.channelCredentials();
    }

    /** The certificate the caller of a server call presented, if it came over TLS with one. */
    public static Optional<X509Certificate> peerCertificate(Attributes callAttributes) {
        SSLSession session = callAttributes.get(Grpc.TRANSPORT_ATTR_SSL_SESSION);
        if (session == null) {
            return Optional.empty();
        }
        try {
            Certificate[] chain = session.getPeerCertificates();
            return chain.length > 0 && chain[0] instanceof X509Certificate x ? Optional.of(x) : Optional.empty();
        } catch (SSLPeerUnverifiedException e) {
            return Optional.empty();
        }
    }

    /** Whether the call came over TLS at all. */
    public static boolean isTls(Attributes callAttributes) {
        return callAttributes.get(Grpc.TRANSPORT_ATTR_SSL_SESSION) != null;
    }

    /** A certificate the cluster CA issued to a node ({@code O=cairn-node}). */
    public static boolean isNode(X509Certificate certificate) {
        return NODE_ORGANIZATION.equals(subjectAttribute(certificate, "O"));
    }

    /** A certificate the cluster CA issued to a client ({@code O=cairn-client}). */
    public static boolean isClient(X509Certificate certificate) {
        return CLIENT_ORGANIZATION.equals(subjectAttribute(certificate, "O"));
    }

    /** The subject's common name: a node's name or a client's user; empty when it has none. */
    public static String commonName(X509Certificate certificate) {
        String cn = subjectAttribute(certificate, "CN");
        return cn == null ? "" : cn;
    }

    private static String subjectAttribute(X509Certificate certificate, String type) {
        try {
            for (Rdn rdn : new LdapName(certificate.getSubjectX500Principal().getName()).getRdns()) {
                if (rdn.getType().equalsIgnoreCase(type)) {
                    return String.valueOf(rdn.getValue());
                }
            }
            return null;
        } catch (InvalidNameException e) {
            return null;
        }
    }

    private static X509Certificate[] readCertificates(Path file, String what) {
        try (InputStream in = java.nio.file.Files.newInputStream(file)) {
            X509Certificate[] certs = CertificateUtils.getX509Certificates(in);
            if (certs.length == 0) {
                throw new IllegalArgumentException(what + " " + file + " holds no PEM certificate");
            }
            return certs;
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot read " + what + " " + file + ": " + e.getMessage(), e);
        } catch (GeneralSecurityException e) {
            throw new IllegalArgumentException(what + " " + file + " is not a PEM certificate: " + e.getMessage(), e);
        }
    }

    private static PrivateKey readKey(Path file) {
        try (InputStream in = java.nio.file.Files.newInputStream(file)) {
            return CertificateUtils.getPrivateKey(in);
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot read key " + file + ": " + e.getMessage(), e);
        } catch (GeneralSecurityException | RuntimeException e) {
            throw new IllegalArgumentException("key " + file + " is not a PKCS#8 PEM private key: " + e.getMessage(), e);
        }
    }

    @Override
    public void close() {
        reloader.shutdownNow();
    }
}
