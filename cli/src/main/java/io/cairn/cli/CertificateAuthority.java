package io.cairn.cli;

import java.io.IOException;
import java.io.InputStream;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.Date;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.regex.Pattern;
import org.bouncycastle.asn1.ASN1OctetString;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x500.X500NameBuilder;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.asn1.x509.AuthorityKeyIdentifier;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.asn1.x509.SubjectKeyIdentifier;
import org.bouncycastle.cert.CertIOException;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.openssl.PEMKeyPair;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;
import org.bouncycastle.operator.ContentSigner;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.util.IPAddress;

/**
 * A certificate authority for a Cairn cluster's TLS: it issues node certificates (subject
 * {@code O=cairn-node}, usable as TLS server and client, since nodes dial each other) and client
 * certificates ({@code O=cairn-client}, whose CN names the user). The transport tells the two
 * apart by that O.
 *
 * <p>Keys are EC P-256 made by the JDK; BouncyCastle only builds the certificates, through its
 * lightweight API, so it is never registered as a JCA provider. Files are PEM: certificates as
 * {@code CERTIFICATE}, keys as unencrypted PKCS#8 {@code PRIVATE KEY}, the one key form gRPC's
 * {@code CertificateUtils} reads. Key files are owner-only where the file system has POSIX
 * permissions. Files are replaced atomically, because nodes reload them when they change and
 * must never see one half written.
 */
public final class CertificateAuthority {
    /**
     * The subject's O says what a certificate is for; the transport authorizes peers by it, so
     * these must stay equal to the ones it checks ({@code io.cairn.client.Tls}).
     */
    static final String NODE_ORGANIZATION = io.cairn.client.Tls.NODE_ORGANIZATION;
    static final String CLIENT_ORGANIZATION = io.cairn.client.Tls.CLIENT_ORGANIZATION;
    static final String CA_ORGANIZATION = "cairn-ca";
    /** How far back a new certificate's validity starts, for peers whose clocks are a little behind. */
    static final Duration CLOCK_SKEW = Duration.ofMinutes(5);

    private static final String CURVE = "secp256r1";
    private static final SecureRandom RANDOM = new SecureRandom();
    /**
     * Host names as RFC 1123 allows, plus '_' (container and service names often carry one) and a
     * leading wildcard label; anything else (a port, a URL, a space) is a mistake worth naming.
     */
    private static final Pattern DNS_NAME = Pattern.compile("(\\*\\.)?[A-Za-z0-9_]([A-Za-z0-9_-]*[A-Za-z0-9_])?"
            + "(\\.[A-Za-z0-9_]([A-Za-z0-9_-]*[A-Za-z0-9_])?)*\\.?");

    private final X509Certificate certificate;
    private final PrivateKey key;

    private CertificateAuthority(X509Certificate certificate, PrivateKey key) {
        this.certificate = certificate;
        this.key = key;
    }

    /** A certificate with its private key. */
    public record Issued(X509Certificate certificate, PrivateKey key) {
        public Issued {
            Objects.requireNonNull(certificate, "certificate");
            Objects.requireNonNull(key, "key");
        }

        /** Writes both as PEM; the key file is readable by its owner only. */
        public void writeTo(Path certPem, Path keyPem) {
            writeCertificate(certPem, certificate);
            writeKey(keyPem, key);
        }
    }

    /**
     * A new CA with a fresh key, valid from a few minutes ago (so that a peer whose clock is a
     * little behind already accepts what it signs) for {@code validity}.
     */
    public static CertificateAuthority create(String commonName, Duration validity) {
        requireName(commonName, "the CA's common name");
        if (validity.isNegative() || validity.isZero()) {
            throw new IllegalArgumentException("the CA's validity must be positive: " + validity);
        }
        Instant now = Instant.now();
        KeyPair pair = newKeyPair();
        try {
            JcaX509ExtensionUtils ext = new JcaX509ExtensionUtils();
            X500Name subject = name(commonName, CA_ORGANIZATION);
            X509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(subject, serial(),
                    Date.from(now.minus(CLOCK_SKEW)), Date.from(now.plus(validity)), subject, pair.getPublic());
            b.addExtension(Extension.basicConstraints, true, new BasicConstraints(true));
            b.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign));
            b.addExtension(Extension.subjectKeyIdentifier, false, ext.createSubjectKeyIdentifier(pair.getPublic()));
            b.addExtension(Extension.authorityKeyIdentifier, false, ext.createAuthorityKeyIdentifier(pair.getPublic()));
            return new CertificateAuthority(sign(b, pair.getPrivate()), pair.getPrivate());
        } catch (GeneralSecurityException | CertIOException e) {
            throw new IllegalStateException("cannot make a CA certificate: " + e.getMessage(), e);
        }
    }

    /**
     * Reads a CA from PEM files. The key may be PKCS#8 or, for a CA made with openssl, SEC1 or
     * PKCS#1. Refuses a certificate that is not a CA's and a key that does not belong to it.
     */
    public static CertificateAuthority load(Path caCertPem, Path caKeyPem) {
        X509Certificate cert = readCertificate(caCertPem);
        if (cert.getBasicConstraints() < 0) {
            throw new IllegalArgumentException(caCertPem + " is not a CA certificate (basicConstraints has no CA=true)");
        }
        PrivateKey key = readKey(caKeyPem);
        if (!matches(cert.getPublicKey(), key)) {
            throw new IllegalArgumentException("key " + caKeyPem + " does not belong to certificate " + caCertPem);
        }
        return new CertificateAuthority(cert, key);
    }

    /** Writes the CA's certificate and key as PEM; the key file is readable by its owner only. */
    public void writeTo(Path caCertPem, Path caKeyPem) {
        writeCertificate(caCertPem, certificate);
        writeKey(caKeyPem, key);
    }

    public X509Certificate certificate() {
        return certificate;
    }

    /**
     * A node certificate: {@code CN=nodeName, O=cairn-node}, for TLS server and client use, with
     * DNS {@code localhost}, IP {@code 127.0.0.1} and each of {@code hosts} as subject alternative
     * names (an IPv4 or IPv6 literal as an IP name, anything else as a DNS name).
     */
    public Issued issueNode(String nodeName, List<String> hosts, Instant notBefore, Instant notAfter) {
        requireName(nodeName, "a node's name");
        Set<GeneralName> sans = new LinkedHashSet<>();
        sans.add(new GeneralName(GeneralName.dNSName, "localhost"));
        sans.add(new GeneralName(GeneralName.iPAddress, "127.0.0.1"));
        for (String host : hosts == null ? List.<String>of() : hosts) {
            sans.add(alternativeName(host));
        }
        return issue(name(nodeName, NODE_ORGANIZATION), notBefore, notAfter,
                new KeyPurposeId[] {KeyPurposeId.id_kp_serverAuth, KeyPurposeId.id_kp_clientAuth},
                new GeneralNames(sans.toArray(GeneralName[]::new)));
    }

    /** A client certificate: {@code CN=userName, O=cairn-client}, for TLS client use only. */
    public Issued issueClient(String userName, Instant notBefore, Instant notAfter) {
        requireName(userName, "a client's user name");
        return issue(name(userName, CLIENT_ORGANIZATION), notBefore, notAfter,
                new KeyPurposeId[] {KeyPurposeId.id_kp_clientAuth}, null);
    }

    private Issued issue(X500Name subject, Instant notBefore, Instant notAfter, KeyPurposeId[] purposes,
                         GeneralNames sans) {
        if (!notAfter.isAfter(notBefore)) {
            throw new IllegalArgumentException("a certificate's notAfter (" + notAfter + ") must be after its notBefore ("
                    + notBefore + ")");
        }
        KeyPair pair = newKeyPair();
        try {
            JcaX509ExtensionUtils ext = new JcaX509ExtensionUtils();
            X509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(certificate, serial(), Date.from(notBefore),
                    Date.from(notAfter), subject, pair.getPublic());
            b.addExtension(Extension.basicConstraints, true, new BasicConstraints(false));
            b.addExtension(Extension.keyUsage, true,
                    new KeyUsage(KeyUsage.digitalSignature | KeyUsage.keyEncipherment));
            b.addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(purposes));
            if (sans != null) {
                b.addExtension(Extension.subjectAlternativeName, false, sans);
            }
            b.addExtension(Extension.subjectKeyIdentifier, false, ext.createSubjectKeyIdentifier(pair.getPublic()));
            b.addExtension(Extension.authorityKeyIdentifier, false, authorityKeyIdentifier(ext));
            return new Issued(sign(b, key), pair.getPrivate());
        } catch (GeneralSecurityException | CertIOException e) {
            throw new IllegalStateException("cannot issue a certificate for " + subject + ": " + e.getMessage(), e);
        }
    }

    /**
     * The CA's own key identifier when its certificate has one: a CA loaded from elsewhere may have
     * computed it another way, and path builders match the two byte for byte.
     */
    private AuthorityKeyIdentifier authorityKeyIdentifier(JcaX509ExtensionUtils ext) {
        byte[] ski = certificate.getExtensionValue(Extension.subjectKeyIdentifier.getId());
        if (ski != null) {
            byte[] id = SubjectKeyIdentifier.getInstance(ASN1OctetString.getInstance(ski).getOctets()).getKeyIdentifier();
            return new AuthorityKeyIdentifier(id);
        }
        return ext.createAuthorityKeyIdentifier(certificate.getPublicKey());
    }

    private static X509Certificate sign(X509v3CertificateBuilder b, PrivateKey signer) throws CertificateException {
        try {
            ContentSigner s = new JcaContentSignerBuilder(signatureAlgorithm(signer)).build(signer);
            return new JcaX509CertificateConverter().getCertificate(b.build(s));
        } catch (OperatorCreationException e) {
            throw new CertificateException("cannot sign with a " + signer.getAlgorithm() + " key: " + e.getMessage(), e);
        }
    }

    /** ECDSA for our own keys; RSA only for a CA that was made elsewhere and loaded. */
    private static String signatureAlgorithm(PrivateKey key) {
        return key.getAlgorithm().equals("RSA") ? "SHA256withRSA" : "SHA256withECDSA";
    }

    private static KeyPair newKeyPair() {
        try {
            KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
            g.initialize(new ECGenParameterSpec(CURVE), RANDOM);
            return g.generateKeyPair();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("this JDK cannot make " + CURVE + " keys: " + e.getMessage(), e);
        }
    }

    /** 128 random bits: serials must be unique per CA, and unpredictable ones defeat chosen-prefix attacks. */
    private static BigInteger serial() {
        BigInteger serial;
        do {
            serial = new BigInteger(128, RANDOM);
        } while (serial.signum() == 0);
        return serial;
    }

    /** O first, so that the RFC 2253 form (which lists the last RDN first) reads "CN=..., O=...". */
    private static X500Name name(String commonName, String organization) {
        return new X500NameBuilder(BCStyle.INSTANCE)
                .addRDN(BCStyle.O, organization)
                .addRDN(BCStyle.CN, commonName)
                .build();
    }

    private static void requireName(String name, String what) {
        if (name == null || name.isBlank()) {
            throw new IllegalArgumentException(what + " must not be empty");
        }
    }

    /** An IP literal (IPv6 possibly in brackets) as an IP name, else a DNS name. */
    static GeneralName alternativeName(String host) {
        String h = host == null ? "" : host.trim();
        if (h.startsWith("[") && h.endsWith("]")) {
            h = h.substring(1, h.length() - 1);
        }
        if (IPAddress.isValidIPv4(h) || IPAddress.isValidIPv6(h)) {
            return new GeneralName(GeneralName.iPAddress, h);
        }
        if (!DNS_NAME.matcher(h).matches()) {
            throw new IllegalArgumentException("not a host name or IP address: \"" + host + "\""
                    + (h.contains(":") ? " (give hosts without a port)" : ""));
        }
        return new GeneralName(GeneralName.dNSName, h);
    }

    /** Whether {@code key} is the private half of {@code publicKey}: a signature it makes must verify. */
    private static boolean matches(PublicKey publicKey, PrivateKey key) {
        if (!publicKey.getAlgorithm().equals(key.getAlgorithm())) {
            return false;
        }
        try {
            String algorithm = signatureAlgorithm(key);
            byte[] message = "cairn: does this key belong to this certificate?".getBytes(StandardCharsets.US_ASCII);
            Signature s = Signature.getInstance(algorithm);
            s.initSign(key);
            s.update(message);
            byte[] signature = s.sign();
            Signature v = Signature.getInstance(algorithm);
            v.initVerify(publicKey);
            v.update(message);
            return v.verify(signature);
        } catch (GeneralSecurityException e) {
            return false;
        }
    }

    // ---- PEM files ----

    /** The first certificate in a PEM (or DER) file. */
    static X509Certificate readCertificate(Path file) {
        List<X509Certificate> all = readCertificates(file);
        if (all.isEmpty()) {
            throw new IllegalArgumentException(file + " holds no certificate");
        }
        return all.get(0);
    }

    /** Every certificate in a PEM file, in order (a chain has several). */
    static List<X509Certificate> readCertificates(Path file) {
        try (InputStream in = Files.newInputStream(file)) {
            List<X509Certificate> out = new ArrayList<>();
            for (var c : CertificateFactory.getInstance("X.509").generateCertificates(in)) {
                out.add((X509Certificate) c);
            }
            return out;
        } catch (NoSuchFileException e) {
            throw new IllegalArgumentException("no such file: " + file, e);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file + ": " + e.getMessage(), e);
        } catch (CertificateException e) {
            throw new IllegalArgumentException(file + " is not a PEM certificate: " + e.getMessage(), e);
        }
    }

    static PrivateKey readKey(Path file) {
        Object pem;
        try (Reader r = Files.newBufferedReader(file, StandardCharsets.US_ASCII); PEMParser parser = new PEMParser(r)) {
            pem = parser.readObject();
        } catch (NoSuchFileException e) {
            throw new IllegalArgumentException("no such file: " + file, e);
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot read key " + file + ": " + e.getMessage(), e);
        }
        try {
            JcaPEMKeyConverter converter = new JcaPEMKeyConverter();
            if (pem instanceof PrivateKeyInfo info) {
                return converter.getPrivateKey(info);
            }
            if (pem instanceof PEMKeyPair pair) {
                return converter.getPrivateKey(pair.getPrivateKeyInfo());
            }
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot use key " + file + ": " + e.getMessage(), e);
        }
        throw new IllegalArgumentException(file + " is not an unencrypted PEM private key"
                + (pem == null ? "" : " (it holds " + pem.getClass().getSimpleName() + ")"));
    }

    static void writeCertificate(Path file, X509Certificate certificate) {
        try {
            write(file, pem("CERTIFICATE", certificate.getEncoded()), false);
        } catch (CertificateException e) {
            throw new IllegalStateException("cannot encode the certificate for " + file + ": " + e.getMessage(), e);
        }
    }

    static void writeKey(Path file, PrivateKey key) {
        if (!"PKCS#8".equals(key.getFormat())) {
            throw new IllegalArgumentException("a " + key.getAlgorithm() + " key in " + key.getFormat()
                    + " form cannot be written as PKCS#8");
        }
        byte[] encoded = key.getEncoded();
        try {
            write(file, pem("PRIVATE KEY", encoded), true);
        } finally {
            Arrays.fill(encoded, (byte) 0);
        }
    }

    private static byte[] pem(String type, byte[] der) {
        String body = Base64.getMimeEncoder(64, new byte[] {'\n'}).encodeToString(der);
        return ("-----BEGIN " + type + "-----\n" + body + "\n-----END " + type + "-----\n")
                .getBytes(StandardCharsets.US_ASCII);
    }

    /**
     * Writes a new file beside {@code file} and moves it over: a node reloading its files sees
     * the old one or the new one, never a part. A secret's file gets its owner-only mode when it
     * is created, so that it is never readable by others, not even empty.
     */
    private static void write(Path file, byte[] content, boolean secret) {
        Path dir = file.toAbsolutePath().getParent();
        boolean posix = file.getFileSystem().supportedFileAttributeViews().contains("posix");
        FileAttribute<?>[] attrs = posix
                ? new FileAttribute<?>[] {PosixFilePermissions.asFileAttribute(
                        PosixFilePermissions.fromString(secret ? "rw-------" : "rw-r--r--"))}
                : new FileAttribute<?>[0];
        Path tmp = null;
        try {
            Files.createDirectories(dir);
            tmp = Files.createTempFile(dir, "." + file.getFileName(), ".tmp", attrs);
            if (posix && !secret) {
                // createTempFile's mode passes through the umask; a certificate is public, so let
                // other users (a service account running the node) read it.
                Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rw-r--r--"));
            }
            Files.write(tmp, content);
            try {
                Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
            }
            tmp = null;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file + ": " + e.getMessage(), e);
        } finally {
            if (tmp != null) {
                try {
                    Files.deleteIfExists(tmp);
                } catch (IOException ignored) {
                    // The write already failed and says why; a stray temp file is the lesser matter.
                }
            }
        }
    }
}
