package io.cairn.cli;

import java.io.ByteArrayOutputStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.regex.Pattern;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * Certificates for a cluster's TLS, laid out as a directory that the nodes' and clients' TLS
 * options point into: DIR/ca.crt and ca.key, DIR/nodes/NAME.crt and .key, DIR/clients/NAME.crt
 * and .key.
 */
@Command(name = "certs", mixinStandardHelpOptions = true,
        description = "Makes a CA and the certificates of a cluster's nodes and clients, for TLS.",
        subcommands = {CertsCommand.InitCommand.class, CertsCommand.IssueCommand.class, CertsCommand.ShowCommand.class})
final class CertsCommand implements Runnable {
    static final String CA_CERT = "ca.crt";
    static final String CA_KEY = "ca.key";
    static final String NODES = "nodes";
    static final String CLIENTS = "clients";
    /** Names become file names: nothing that could leave the directory or need quoting. */
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9._-]+");

    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "a subcommand is required: init, issue or show");
    }

    @Command(name = "init", mixinStandardHelpOptions = true,
            description = {"Creates a CA and a certificate and key for each node and client:",
                    "  DIR/ca.crt, DIR/ca.key, DIR/nodes/NAME.crt + .key, DIR/clients/NAME.crt + .key",
                    "Node certificates serve and dial (nodes are clients of each other) and",
                    "name localhost, 127.0.0.1 and each of --hosts. Keys are EC P-256 in",
                    "PKCS#8 PEM files that only their owner can read. Refuses a DIR that has",
                    "a ca.key already (writing nothing) unless --force.",
                    "Prints one line per file written, then how long they are valid;",
                    "--json prints one object: {\"ca\":\"DIR/ca.crt\",\"ca_key\":...,",
                    "  \"nodes\":{\"n1\":{\"cert\":...,\"key\":...}},\"clients\":{...},\"not_after\":...}"})
    static final class InitCommand implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Parameters(index = "0", paramLabel = "DIR", description = "Where to write the files (created if missing).")
        Path dir;

        @Option(names = "--nodes", required = true, split = ",", paramLabel = "NAME",
                description = "The nodes' names, e.g. n1,n2,n3 (letters, digits, '.', '_', '-').")
        List<String> nodes;

        @Option(names = "--hosts", split = ",", paramLabel = "HOST",
                description = "Host names and IP addresses that every node certificate names besides localhost and"
                        + " 127.0.0.1: those that clients and peers dial.")
        List<String> hosts = new ArrayList<>();

        @Option(names = "--clients", split = ",", paramLabel = "USER",
                description = "Users to issue client certificates to. Default: ${DEFAULT-VALUE}")
        List<String> clients = new ArrayList<>(List.of("root"));

        @Option(names = "--days", paramLabel = "N", description = "How long the CA and certificates are valid. Default: ${DEFAULT-VALUE}")
        int days = 365;

        @Option(names = "--force", description = "Replace the CA and certificates of an existing DIR.")
        boolean force;

        @Option(names = "--json", description = "Print one JSON object.")
        boolean json;

        @Override
        public Integer call() {
            checkNames(nodes, "--nodes");
            checkNames(clients, "--clients");
            checkHosts(hosts);
            Duration validity = validity(days);
            if (Files.exists(dir.resolve(CA_KEY)) && !force) {
                throw new IllegalArgumentException(dir.resolve(CA_KEY) + " exists: " + dir + " holds a CA already;"
                        + " use 'cairn certs issue' to add a certificate, or --force to replace them all");
            }
            // Everything is made before anything is written: a failure leaves DIR as it was.
            CertificateAuthority ca = CertificateAuthority.create("cairn-ca", validity);
            Instant notBefore = ca.certificate().getNotBefore().toInstant();
            Instant notAfter = ca.certificate().getNotAfter().toInstant();
            Map<String, CertificateAuthority.Issued> nodeCerts = new LinkedHashMap<>();
            for (String n : nodes) {
                nodeCerts.put(n, ca.issueNode(n, hosts, notBefore, notAfter));
            }
            Map<String, CertificateAuthority.Issued> clientCerts = new LinkedHashMap<>();
            for (String u : clients) {
                clientCerts.put(u, ca.issueClient(u, notBefore, notAfter));
            }

            List<Path> written = new ArrayList<>();
            Path caCert = dir.resolve(CA_CERT);
            Path caKey = dir.resolve(CA_KEY);
            ca.writeTo(caCert, caKey);
            written.add(caCert);
            written.add(caKey);
            Map<String, Path[]> nodeFiles = writeAll(nodeCerts, dir.resolve(NODES), written);
            Map<String, Path[]> clientFiles = writeAll(clientCerts, dir.resolve(CLIENTS), written);

            PrintWriter out = spec.commandLine().getOut();
            if (json) {
                StringBuilder sb = new StringBuilder("{\"ca\":").append(KvJson.quote(caCert.toString()))
                        .append(",\"ca_key\":").append(KvJson.quote(caKey.toString()))
                        .append(",\"nodes\":").append(filesJson(nodeFiles))
                        .append(",\"clients\":").append(filesJson(clientFiles))
                        .append(",\"not_after\":").append(KvJson.quote(notAfter.truncatedTo(ChronoUnit.SECONDS).toString()))
                        .append('}');
                out.println(sb);
            } else {
                for (Path p : written) {
                    out.println("wrote " + p);
                }
                out.println(validityLine(notAfter));
            }
            out.flush();
            return CairnCli.EXIT_OK;
        }

        private static Map<String, Path[]> writeAll(Map<String, CertificateAuthority.Issued> issued, Path dir,
                                                    List<Path> written) {
            Map<String, Path[]> files = new LinkedHashMap<>();
            for (var e : issued.entrySet()) {
                Path cert = dir.resolve(e.getKey() + ".crt");
                Path key = dir.resolve(e.getKey() + ".key");
                e.getValue().writeTo(cert, key);
                written.add(cert);
                written.add(key);
                files.put(e.getKey(), new Path[] {cert, key});
            }
            return files;
        }

        private static String filesJson(Map<String, Path[]> files) {
            StringBuilder sb = new StringBuilder("{");
            for (var e : files.entrySet()) {
                sb.append(sb.length() == 1 ? "" : ",").append(KvJson.quote(e.getKey())).append(":{\"cert\":")
                        .append(KvJson.quote(e.getValue()[0].toString())).append(",\"key\":")
                        .append(KvJson.quote(e.getValue()[1].toString())).append('}');
            }
            return sb.append('}').toString();
        }
    }

    @Command(name = "issue", mixinStandardHelpOptions = true,
            description = {"Issues one more certificate with the CA in DIR (see 'certs init'): for",
                    "a node (DIR/nodes/NAME.crt + .key) or a client (DIR/clients/NAME.crt",
                    "+ .key). It ends no later than the CA does. Refuses to replace a",
                    "certificate of that name unless --force (to renew one).",
                    "--json prints {\"cert\":...,\"key\":...,\"not_after\":...}."})
    static final class IssueCommand implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Parameters(index = "0", paramLabel = "DIR", description = "The directory with ca.crt and ca.key.")
        Path dir;

        @Option(names = "--node", paramLabel = "NAME", description = "Issue a node certificate.")
        String node;

        @Option(names = "--client", paramLabel = "USER", description = "Issue a client certificate.")
        String client;

        @Option(names = "--hosts", split = ",", paramLabel = "HOST",
                description = "With --node: host names and IP addresses it names besides localhost and 127.0.0.1.")
        List<String> hosts = new ArrayList<>();

        @Option(names = "--days", paramLabel = "N", description = "How long it is valid. Default: ${DEFAULT-VALUE}")
        int days = 365;

        @Option(names = "--force", description = "Replace an existing certificate and key of that name.")
        boolean force;

        @Option(names = "--json", description = "Print one JSON object.")
        boolean json;

        @Override
        public Integer call() {
            if ((node == null) == (client == null)) {
                throw new IllegalArgumentException("give one of --node NAME or --client USER");
            }
            if (client != null && !hosts.isEmpty()) {
                throw new IllegalArgumentException("--hosts is for node certificates; a client's names nothing");
            }
            String name = node != null ? node : client;
            checkNames(List.of(name), node != null ? "--node" : "--client");
            checkHosts(hosts);
            Duration validity = validity(days);
            Path caCert = dir.resolve(CA_CERT);
            Path caKey = dir.resolve(CA_KEY);
            if (!Files.exists(caCert) || !Files.exists(caKey)) {
                throw new IllegalArgumentException(dir + " has no " + (Files.exists(caCert) ? CA_KEY : CA_CERT)
                        + "; make a CA there with 'cairn certs init' first");
            }
            Path cert = dir.resolve(node != null ? NODES : CLIENTS).resolve(name + ".crt");
            Path key = dir.resolve(node != null ? NODES : CLIENTS).resolve(name + ".key");
            if (!force && (Files.exists(cert) || Files.exists(key))) {
                throw new IllegalArgumentException((Files.exists(cert) ? cert : key) + " exists; add --force to replace it");
            }
            CertificateAuthority ca = CertificateAuthority.load(caCert, caKey);
            Instant now = Instant.now();
            Instant caEnd = ca.certificate().getNotAfter().toInstant();
            if (!caEnd.isAfter(now)) {
                throw new IllegalArgumentException("the CA in " + caCert + " expired on " + caEnd
                        + "; make a new one with 'cairn certs init --force'");
            }
            // A certificate outliving its CA would not verify past the CA's end anyway; say so by
            // ending it there rather than printing a date that means nothing.
            Instant notAfter = now.plus(validity).isAfter(caEnd) ? caEnd : now.plus(validity);
            Instant notBefore = now.minus(CertificateAuthority.CLOCK_SKEW);
            CertificateAuthority.Issued issued = node != null
                    ? ca.issueNode(name, hosts, notBefore, notAfter)
                    : ca.issueClient(name, notBefore, notAfter);
            issued.writeTo(cert, key);

            PrintWriter out = spec.commandLine().getOut();
            if (json) {
                out.println("{\"cert\":" + KvJson.quote(cert.toString()) + ",\"key\":" + KvJson.quote(key.toString())
                        + ",\"not_after\":" + KvJson.quote(notAfter.truncatedTo(ChronoUnit.SECONDS).toString()) + "}");
            } else {
                out.println("wrote " + cert);
                out.println("wrote " + key);
                out.println(validityLine(notAfter) + (notAfter.equals(caEnd) ? " (when the CA expires)" : ""));
            }
            out.flush();
            return CairnCli.EXIT_OK;
        }
    }

    @Command(name = "show", mixinStandardHelpOptions = true,
            description = {"Prints what a PEM certificate says: subject, issuer, names, usage,",
                    "validity and whether it has expired. A file with a chain shows each",
                    "certificate. --json prints an array of objects."})
    static final class ShowCommand implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Parameters(index = "0", paramLabel = "FILE", description = "A PEM certificate, e.g. DIR/nodes/n1.crt.")
        Path file;

        @Option(names = "--json", description = "Print one JSON array.")
        boolean json;

        @Override
        public Integer call() {
            List<X509Certificate> certs = CertificateAuthority.readCertificates(file);
            if (certs.isEmpty()) {
                throw new IllegalArgumentException(file + " holds no certificate");
            }
            Instant now = Instant.now();
            PrintWriter out = spec.commandLine().getOut();
            StringBuilder js = new StringBuilder("[");
            for (int i = 0; i < certs.size(); i++) {
                X509Certificate c = certs.get(i);
                Instant notBefore = c.getNotBefore().toInstant();
                Instant notAfter = c.getNotAfter().toInstant();
                List<String> sans;
                List<String> usage;
                try {
                    sans = alternativeNames(c);
                    usage = extendedUsage(c);
                } catch (CertificateParsingException e) {
                    throw new IllegalArgumentException(file + " has a malformed extension: " + e.getMessage(), e);
                }
                String status = status(now, notBefore, notAfter);
                if (json) {
                    js.append(i == 0 ? "" : ",")
                            .append("{\"subject\":").append(KvJson.quote(c.getSubjectX500Principal().toString()))
                            .append(",\"issuer\":").append(KvJson.quote(c.getIssuerX500Principal().toString()))
                            .append(",\"serial\":").append(KvJson.quote(c.getSerialNumber().toString(16)))
                            .append(",\"ca\":").append(c.getBasicConstraints() >= 0)
                            .append(",\"sans\":").append(jsonArray(sans))
                            .append(",\"usage\":").append(jsonArray(usage))
                            .append(",\"not_before\":").append(KvJson.quote(notBefore.toString()))
                            .append(",\"not_after\":").append(KvJson.quote(notAfter.toString()))
                            .append(",\"expired\":").append(!now.isBefore(notAfter))
                            .append('}');
                } else {
                    if (i > 0) {
                        out.println();
                    }
                    out.println("subject:    " + c.getSubjectX500Principal());
                    out.println("issuer:     " + c.getIssuerX500Principal());
                    out.println("serial:     " + c.getSerialNumber().toString(16));
                    out.println("ca:         " + (c.getBasicConstraints() >= 0 ? "yes" : "no"));
                    out.println("sans:       " + (sans.isEmpty() ? "(none)" : String.join(", ", sans)));
                    out.println("usage:      " + (usage.isEmpty() ? "(any)" : String.join(", ", usage)));
                    out.println("not before: " + notBefore);
                    out.println("not after:  " + notAfter);
                    out.println("status:     " + status);
                }
            }
            if (json) {
                out.println(js.append(']'));
            }
            out.flush();
            return CairnCli.EXIT_OK;
        }

        private static String status(Instant now, Instant notBefore, Instant notAfter) {
            if (!now.isBefore(notAfter)) {
                return "expired " + ago(Duration.between(notAfter, now)) + " ago";
            }
            if (now.isBefore(notBefore)) {
                return "not yet valid: starts in " + ago(Duration.between(now, notBefore));
            }
            return "valid, expires in " + ago(Duration.between(now, notAfter));
        }

        private static String ago(Duration d) {
            if (d.toDays() >= 2) {
                return d.toDays() + " days";
            }
            if (d.toHours() >= 2) {
                return d.toHours() + " hours";
            }
            return Math.max(d.toMinutes(), 0) + " minutes";
        }

        /** "DNS:host" and "IP:addr", as openssl prints them; other kinds by their number. */
        private static List<String> alternativeNames(X509Certificate c) throws CertificateParsingException {
            List<String> names = new ArrayList<>();
            Collection<List<?>> all = c.getSubjectAlternativeNames();
            if (all != null) {
                for (List<?> san : all) {
                    int type = (Integer) san.get(0);
                    String kind = switch (type) {
                        case 1 -> "email";
                        case 2 -> "DNS";
                        case 6 -> "URI";
                        case 7 -> "IP";
                        default -> "type" + type;
                    };
                    names.add(kind + ":" + san.get(1));
                }
            }
            return names;
        }

        private static List<String> extendedUsage(X509Certificate c) throws CertificateParsingException {
            List<String> usage = new ArrayList<>();
            List<String> oids = c.getExtendedKeyUsage();
            if (oids != null) {
                for (String oid : oids) {
                    usage.add(switch (oid) {
                        case "1.3.6.1.5.5.7.3.1" -> "serverAuth";
                        case "1.3.6.1.5.5.7.3.2" -> "clientAuth";
                        default -> oid;
                    });
                }
            }
            if (c.getBasicConstraints() >= 0) {
                boolean[] ku = c.getKeyUsage();
                if (ku != null && ku.length > 5 && ku[5]) {
                    usage.add("certSign");
                }
            }
            return usage;
        }
    }

    static void checkNames(List<String> names, String option) {
        if (names.isEmpty()) {
            throw new IllegalArgumentException(option + " needs at least one name");
        }
        for (String n : names) {
            if (!NAME.matcher(n).matches()) {
                throw new IllegalArgumentException(option + ": \"" + n + "\" is not a name: use letters, digits, '.', '_'"
                        + " and '-'");
            }
            if (n.equals(".") || n.equals("..")) {
                throw new IllegalArgumentException(option + ": \"" + n + "\" is not a name");
            }
        }
        if (new LinkedHashSet<>(names).size() != names.size()) {
            throw new IllegalArgumentException(option + " names one twice: " + String.join(",", names));
        }
    }

    /** Fails on a bad host before any key is made, so that nothing is half written. */
    static void checkHosts(List<String> hosts) {
        for (String h : hosts) {
            CertificateAuthority.alternativeName(h);
        }
    }

    static Duration validity(int days) {
        if (days < 1) {
            throw new IllegalArgumentException("--days must be at least 1: " + days);
        }
        return Duration.ofDays(days);
    }

    private static String validityLine(Instant notAfter) {
        // Rounded: the milliseconds spent since the CA was made should not turn 365 days into 364.
        long days = (Duration.between(Instant.now(), notAfter).toSeconds() + 43_200) / 86_400;
        return "valid for " + days + (days == 1 ? " day" : " days") + ", until "
                + notAfter.truncatedTo(ChronoUnit.SECONDS);
    }

    private static String jsonArray(List<String> items) {
        StringBuilder sb = new StringBuilder("[");
        for (String s : items) {
            sb.append(sb.length() == 1 ? "" : ",").append(KvJson.quote(s));
        }
        return sb.append(']').toString();
    }
}
