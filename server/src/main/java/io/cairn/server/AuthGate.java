package io.cairn.server;

import io.cairn.api.proto.AuthUser;
import io.cairn.client.Tls;
import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.ForwardingServerCallListener;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The edge check of every call, before any handler runs (rules in {@link AccessRules}):
 * <ol>
 *   <li>With TLS, methods meant for nodes (Raft, heartbeats, joins, the users record) answer only
 *       callers with a node certificate of the cluster CA; a node is trusted with everything else
 *       too (it forwards requests its own edge already checked).</li>
 *   <li>With authentication, every other caller is a user: by the token it sends
 *       ({@code authorization: Bearer ...}), else by its client certificate ({@code O=cairn-client},
 *       {@code CN=user}). Then the method's rule: admin methods need the admin permission; data
 *       methods need a permission for every key, range or lock name in each request message, and
 *       a request lacking any is refused whole before it reaches the handler.</li>
 * </ol>
 * Refusals are counted, and logged with user, method and what was missing: never a value, a
 * password or a token.
 */
final class AuthGate implements ServerInterceptor {
    private static final System.Logger LOG = System.getLogger(AuthGate.class.getName());
    static final Metadata.Key<String> AUTHORIZATION = Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);
    static final Context.Key<Principal> PRINCIPAL = Context.key("cairn-principal");
    private static final long LOG_LINES_PER_SECOND_MAX = 10;

    /** Who is calling, and how it proved it ("token", "certificate", "node" or "none"). */
    record Principal(String user, String method) {
        static final Principal NONE = new Principal("", "none");
        static final Principal NODE = new Principal("", "node");

        boolean isNode() {
            return method.equals("node");
        }
    }

    /** Counts refusals by kind; the node's metrics read them. */
    interface Denials {
        void denied(String reason);
    }

    private final boolean tls;
    private final AuthStore store;
    private final Denials denials;
    private final java.util.function.LongSupplier wallMillis;
    private final AtomicLong logWindow = new AtomicLong();
    private final AtomicLong logLines = new AtomicLong();

    /** Streams (watches, aggregations with progress) one user may hold open on one node. */
    static final int STREAMS_PER_USER_MAX_DEFAULT = 1_000;

    private final int streamsPerUserMax;
    private final java.util.concurrent.ConcurrentHashMap<String, java.util.concurrent.atomic.AtomicInteger> streams =
            new java.util.concurrent.ConcurrentHashMap<>();

    private final UserSessions sessions;

    /** @param store null when authentication is off */
    AuthGate(boolean tls, AuthStore store, Denials denials, java.util.function.LongSupplier wallMillis,
             int streamsPerUserMax, UserSessions sessions) {
        this.sessions = sessions;
        this.streamsPerUserMax = streamsPerUserMax;
        this.tls = tls;
        this.store = store;
        this.denials = denials;
        this.wallMillis = wallMillis;
    }

    /** The caller of the current call, as the gate identified it. */
    static Principal principal() {
        Principal p = PRINCIPAL.get();
        return p == null ? Principal.NONE : p;
    }

    @Override
    public <Q, A> ServerCall.Listener<Q> interceptCall(ServerCall<Q, A> call, Metadata headers, ServerCallHandler<Q, A> next) {
        String method = call.getMethodDescriptor().getFullMethodName();
        AccessRules.Rule rule = AccessRules.ruleOf(method);
        Optional<X509Certificate> cert = Tls.peerCertificate(call.getAttributes());
        boolean node = cert.isPresent() && Tls.isNode(cert.get());
        if (node) {
            return withPrincipal(Principal.NODE, call, headers, next);
        }
        boolean nodeOnly = rule == null || rule.caller() == AccessRules.Caller.NODE;
        if (tls && nodeOnly) {
            return refuse(call, Status.PERMISSION_DENIED, "node-only", "", method,
                    "only a node of this cluster (a certificate with O=" + Tls.NODE_ORGANIZATION
                            + " from the cluster CA) may call " + shortName(method));
        }
        if (store == null || rule != null && rule.caller() == AccessRules.Caller.ANYONE) {
            return withPrincipal(Principal.NONE, call, headers, next);
        }
        if (nodeOnly) {
            return refuse(call, Status.PERMISSION_DENIED, "node-only", "", method, shortName(method) + " is for nodes only");
        }
        AuthState state;
        try {
            state = store.current();
        } catch (io.grpc.StatusRuntimeException e) {
            return refuse(call, e.getStatus().getCode() == Status.Code.UNAVAILABLE ? Status.UNAVAILABLE : e.getStatus(),
                    "stale", "", method, String.valueOf(e.getStatus().getDescription()));
        }
        Principal who;
        try {
            who = identify(state, headers, cert);
        } catch (IllegalArgumentException e) {
            return refuse(call, Status.UNAUTHENTICATED, "unauthenticated", "", method, e.getMessage());
        }
        if (rule.caller() == AccessRules.Caller.ADMIN && !state.isAdmin(who.user())) {
            return refuse(call, Status.PERMISSION_DENIED, "denied", who.user(), method,
                    "user " + who.user() + " may not call " + shortName(method) + ": it needs the admin permission");
        }
        if (rule.caller() != AccessRules.Caller.USER) {
            return withPrincipal(who, call, headers, next);
        }
        Granted granted = new Granted();
        boolean stream = !call.getMethodDescriptor().getType().serverSendsOneMessage();
        if (stream) {
            java.util.concurrent.atomic.AtomicInteger open = streams.computeIfAbsent(who.user(), u -> new java.util.concurrent.atomic.AtomicInteger());
            if (open.incrementAndGet() > streamsPerUserMax) {
                open.decrementAndGet();
                return refuse(call, Status.RESOURCE_EXHAUSTED, "limit", who.user(), method, "user " + who.user() + " has "
                        + streamsPerUserMax + " watches or streams open on this node, the limit (--max-streams-per-user);"
                        + " close some first");
            }
        }
        ServerCall<Q, A> served = stream ? new Rechecked<>(call, granted, who, method) : call;
        ServerCall.Listener<Q> checked = new Checked<>(withPrincipal(who, served, headers, next), call, rule, who, method, granted);
        return stream ? new Counted<>(checked, streams.get(who.user())) : checked;
    }

    /** Gives a stream's slot back when it ends, however it ends. */
    private static final class Counted<Q> extends ForwardingServerCallListener.SimpleForwardingServerCallListener<Q> {
        private final java.util.concurrent.atomic.AtomicInteger open;
        private final java.util.concurrent.atomic.AtomicBoolean done = new java.util.concurrent.atomic.AtomicBoolean();

        Counted(ServerCall.Listener<Q> delegate, java.util.concurrent.atomic.AtomicInteger open) {
            super(delegate);
            this.open = open;
        }

        @Override
        public void onComplete() {
            release();
            super.onComplete();
        }

        @Override
        public void onCancel() {
            release();
            super.onCancel();
        }

        private void release() {
            if (done.compareAndSet(false, true)) {
                open.decrementAndGet();
            }
        }
    }

    /** What the caller's request messages asked for, as allowed so far. */
    private static final class Granted {
        volatile List<AccessRules.Need> needs = List.of();
    }

    /**
     * A stream's answers (a watch's events, an aggregation's progress) are checked again as they
     * are sent: a user whose permission is revoked while it watches gets PERMISSION_DENIED instead
     * of the next event.
     */
    private final class Rechecked<Q, A> extends io.grpc.ForwardingServerCall.SimpleForwardingServerCall<Q, A> {
        private final Granted granted;
        private final Principal who;
        private final String method;
        private boolean closed;

        Rechecked(ServerCall<Q, A> call, Granted granted, Principal who, String method) {
            super(call);
            this.granted = granted;
            this.who = who;
            this.method = method;
        }

        @Override
        public synchronized void sendMessage(A message) {
            if (closed) {
                return;
            }
            String why;
            try {
                AccessRules.Need missing = AccessRules.firstMissing(store.current(), who.user(), granted.needs);
                why = missing == null ? null : "user " + who.user() + " may no longer " + shortName(method)
                        + ": it lacks " + missing.describe();
            } catch (io.grpc.StatusRuntimeException e) {
                closed = true;
                super.close(e.getStatus(), new Metadata());
                return;
            }
            if (why != null) {
                closed = true;
                record("denied", who.user(), method, why);
                super.close(Status.PERMISSION_DENIED.withDescription(why), new Metadata());
                return;
            }
            super.sendMessage(message);
        }

        @Override
        public synchronized void close(Status status, Metadata trailers) {
            if (!closed) {
                closed = true;
                super.close(status, trailers);
            }
        }
    }

    /** Checks each request message of a data method before the handler sees it. */
    private final class Checked<Q, A> extends ForwardingServerCallListener.SimpleForwardingServerCallListener<Q> {
        private final ServerCall<Q, A> call;
        private final AccessRules.Rule rule;
        private final Principal who;
        private final String method;
        private final Granted granted;
        private boolean refused;

        Checked(ServerCall.Listener<Q> delegate, ServerCall<Q, A> call, AccessRules.Rule rule, Principal who, String method,
                Granted granted) {
            super(delegate);
            this.granted = granted;
            this.call = call;
            this.rule = rule;
            this.who = who;
            this.method = method;
        }

        @Override
        public void onMessage(Q message) {
            if (refused) {
                return;
            }
            String why;
            List<AccessRules.Need> needs;
            try {
                // Judged by the copy held now: a permission revoked since the stream opened counts.
                AuthState state = store.current();
                needs = rule.needs().of(message);
                AccessRules.Need missing = AccessRules.firstMissing(state, who.user(), needs);
                why = missing == null ? null : "user " + who.user() + " may not " + shortName(method) + ": it lacks "
                        + missing.describe() + (needs.size() > 1 ? " (the whole request is refused; nothing changed)" : "");
            } catch (io.grpc.StatusRuntimeException e) {
                refused = true;
                call.close(e.getStatus(), new Metadata());
                return;
            } catch (IllegalArgumentException e) {
                // Malformed input: the handler would refuse it too; say so without running it.
                refused = true;
                call.close(Status.INVALID_ARGUMENT.withDescription(e.getMessage()), new Metadata());
                return;
            }
            if (why != null) {
                refused = true;
                record("denied", who.user(), method, why);
                call.close(Status.PERMISSION_DENIED.withDescription(why), new Metadata());
                return;
            }
            long clientId = AccessRules.clientIdOf(message);
            if (clientId != 0 && !sessions.admit(who.user(), clientId, System.nanoTime())) {
                refused = true;
                String limit = "user " + who.user() + " has " + sessions.perUserMax() + " write sessions open on this node,"
                        + " the limit (--max-sessions-per-user); reuse them (one client object per process) or wait"
                        + " for idle ones to lapse";
                record("limit", who.user(), method, limit);
                call.close(Status.RESOURCE_EXHAUSTED.withDescription(limit), new Metadata());
                return;
            }
            List<AccessRules.Need> all = new java.util.ArrayList<>(granted.needs);
            all.addAll(needs);
            granted.needs = List.copyOf(all);
            super.onMessage(message);
        }

        @Override
        public void onHalfClose() {
            if (!refused) {
                super.onHalfClose();
            }
        }

        @Override
        public void onReady() {
            if (!refused) {
                super.onReady();
            }
        }
    }

    private Principal identify(AuthState state, Metadata headers, Optional<X509Certificate> cert) {
        String header = headers.get(AUTHORIZATION);
        if (header != null) {
            if (!header.startsWith("Bearer ")) {
                throw new IllegalArgumentException("the authorization header must be 'Bearer TOKEN'");
            }
            AuthTokens.Claims claims = claimsOf(state, header.substring(7).trim());
            AuthUser user = state.user(claims.user()).orElseThrow(() ->
                    new IllegalArgumentException("user " + claims.user() + " no longer exists"));
            if (user.getGeneration() != claims.generation()) {
                throw new IllegalArgumentException("the token of " + claims.user()
                        + " was revoked (password changed); log in again");
            }
            return new Principal(claims.user(), "token");
        }
        if (cert.isPresent() && Tls.isClient(cert.get())) {
            String name = Tls.commonName(cert.get());
            if (state.user(name).isEmpty()) {
                throw new IllegalArgumentException("the client certificate names user '" + name
                        + "', who is not a user of this cluster");
            }
            return new Principal(name, "certificate");
        }
        throw new IllegalArgumentException("authentication is on: log in (a user and password) or present a client"
                + " certificate of the cluster CA");
    }

    /**
     * A token's claims, its MAC checked once per token and users-record revision rather than at
     * every call (a client sends the same token for minutes); the expiry is checked every time.
     */
    private AuthTokens.Claims claimsOf(AuthState state, String token) {
        CheckedTokens known = checkedTokens;
        if (known.revision != state.revision() || known.claims.size() >= CHECKED_TOKENS_MAX) {
            known = new CheckedTokens(state.revision());
            checkedTokens = known;
        }
        AuthTokens.Claims claims = known.claims.get(token);
        long now = wallMillis.getAsLong();
        if (claims == null) {
            claims = AuthTokens.verify(state.tokenKey(), token, now);
            known.claims.put(token, claims);
        } else if (now >= claims.expiresAtMillis()) {
            throw new IllegalArgumentException("token expired " + (now - claims.expiresAtMillis()) / 1000 + " s ago; log in again");
        }
        return claims;
    }

    private static final int CHECKED_TOKENS_MAX = 10_000;

    private record CheckedTokens(long revision, java.util.concurrent.ConcurrentHashMap<String, AuthTokens.Claims> claims) {
        CheckedTokens(long revision) {
            this(revision, new java.util.concurrent.ConcurrentHashMap<>());
        }
    }

    private volatile CheckedTokens checkedTokens = new CheckedTokens(-1);

    private <Q, A> ServerCall.Listener<Q> withPrincipal(Principal p, ServerCall<Q, A> call, Metadata headers,
                                                         ServerCallHandler<Q, A> next) {
        return Contexts.interceptCall(Context.current().withValue(PRINCIPAL, p), call, headers, next);
    }

    private <Q, A> ServerCall.Listener<Q> refuse(ServerCall<Q, A> call, Status status, String reason, String user,
                                                  String method, String why) {
        record(reason, user, method, why);
        call.close(status.withDescription(why), new Metadata());
        return new ServerCall.Listener<>() {};
    }

    private void record(String reason, String user, String method, String why) {
        denials.denied(reason);
        long second = System.nanoTime() / 1_000_000_000L;
        if (logWindow.getAndSet(second) != second) {
            logLines.set(0);
        }
        if (logLines.incrementAndGet() <= LOG_LINES_PER_SECOND_MAX) {
            LOG.log(System.Logger.Level.WARNING, "refused {0} for {1}: {2}", shortName(method),
                    user.isEmpty() ? "an unauthenticated caller" : "user " + user, why);
        }
    }

    static String shortName(String fullMethodName) {
        int dot = fullMethodName.lastIndexOf('.');
        return dot < 0 ? fullMethodName : fullMethodName.substring(dot + 1);
    }
}
