package io.cairn.server;

import io.cairn.client.Tls;
import java.nio.file.Path;

/**
 * How a node protects itself (docs/security.md).
 *
 * @param tls the cluster CA and this node's certificate and key; null: plaintext. With TLS,
 *            peers must present a node certificate of the same CA (mutual TLS between nodes)
 * @param requireClientCertificates refuse clients without a certificate of the cluster CA
 * @param auth every client request must come from a user (token or client certificate) whose
 *             roles allow it; needs TLS, so passwords and tokens never cross the network in the
 *             clear
 * @param rootPasswordFile the root user's password at bootstrap, first line of the file; null:
 *                         one is generated and printed once
 * @param tokenTtlMillis how long a token from a login is valid
 * @param passwordIterations PBKDF2 iterations of password hashes made by this node
 * @param insecure serve a non-loopback address without TLS and authentication anyway
 * @param streamsPerUserMax with authentication: watches and other streams one user may hold open
 *                          on one node; the next is refused (RESOURCE_EXHAUSTED)
 * @param callsPerConnectionMax concurrent calls on one connection; further calls wait
 * @param sessionsPerUserMax with authentication: write sessions (exactly-once client ids) one
 *                           user may have open on one node; a write in another is refused
 */
public record Security(Tls.Files tls, boolean requireClientCertificates, boolean auth, Path rootPasswordFile,
                       long tokenTtlMillis, int passwordIterations, boolean insecure, int streamsPerUserMax,
                       int callsPerConnectionMax, int sessionsPerUserMax) {
    public static final long TOKEN_TTL_MILLIS_DEFAULT = 10 * 60 * 1000L;
    public static final int STREAMS_PER_USER_MAX_DEFAULT = AuthGate.STREAMS_PER_USER_MAX_DEFAULT;
    public static final int CALLS_PER_CONNECTION_MAX_DEFAULT = 10_000;
    public static final int SESSIONS_PER_USER_MAX_DEFAULT = 10_000;
    public static final Security OPEN = new Security(null, false, false, null, TOKEN_TTL_MILLIS_DEFAULT,
            Passwords.ITERATIONS_DEFAULT, false, STREAMS_PER_USER_MAX_DEFAULT, CALLS_PER_CONNECTION_MAX_DEFAULT,
            SESSIONS_PER_USER_MAX_DEFAULT);

    public Security {
        if (auth && tls == null) {
            throw new IllegalArgumentException("--auth needs TLS (--cacert, --cert and --key-file): passwords and tokens"
                    + " must not cross the network in the clear");
        }
        if (requireClientCertificates && tls == null) {
            throw new IllegalArgumentException("--require-client-certs needs TLS (--cacert, --cert and --key-file)");
        }
        if (tls != null && tls.cert() == null) {
            throw new IllegalArgumentException("a node's TLS needs its own certificate and key (--cert, --key-file)");
        }
        if (rootPasswordFile != null && !auth) {
            throw new IllegalArgumentException("--root-password-file is only used with --auth");
        }
        if (tokenTtlMillis < 1000) {
            throw new IllegalArgumentException("--auth-token-ttl must be at least 1s");
        }
        if (streamsPerUserMax < 1 || callsPerConnectionMax < 1 || sessionsPerUserMax < 1) {
            throw new IllegalArgumentException("--max-streams-per-user, --max-sessions-per-user and"
                    + " --max-calls-per-connection must be positive");
        }
        if (passwordIterations < 1000) {
            throw new IllegalArgumentException("password hashing needs at least 1000 PBKDF2 iterations");
        }
    }

    /** Secure in the sense that refuses open service off loopback: TLS and authentication both on. */
    public boolean secured() {
        return tls != null && auth;
    }
}
