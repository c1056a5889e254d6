package io.cairn.server;

import io.cairn.api.proto.AuthChangeRequest;
import io.cairn.api.proto.AuthChangeResponse;
import io.cairn.api.proto.AuthFetchRequest;
import io.cairn.api.proto.AuthFetchResponse;
import io.cairn.api.proto.AuthGrpc;
import io.cairn.api.proto.AuthListRequest;
import io.cairn.api.proto.AuthListResponse;
import io.cairn.api.proto.AuthRefreshRequest;
import io.cairn.api.proto.AuthRefreshResponse;
import io.cairn.api.proto.AuthUser;
import io.cairn.api.proto.AuthUserView;
import io.cairn.api.proto.LoginRequest;
import io.cairn.api.proto.LoginResponse;
import io.cairn.api.proto.WhoAmIRequest;
import io.cairn.api.proto.WhoAmIResponse;
import io.cairn.transport.grpc.Forwarding;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Logins, the users and roles API, and the node-to-node refresh of the users record. With
 * authentication off, Login and the admin calls say so (FAILED_PRECONDITION) and WhoAmI answers
 * that nobody needs to sign in.
 */
final class AuthService extends AuthGrpc.AuthImplBase {
    /** Failed logins for a user are answered after 100 ms, doubling per failure, up to this. */
    static final long LOGIN_DELAY_MILLIS_MAX = 5_000;
    private static final long LOGIN_DELAY_MILLIS_FIRST = 100;

    private final AuthStore store;
    private final ServerConfig config;
    private final java.util.function.LongSupplier wallMillis;
    private final ScheduledExecutorService timer;
    private final ConcurrentHashMap<String, Integer> failures = new ConcurrentHashMap<>();
    /**
     * Passwords that passed PBKDF2 recently, by {@link #proof}: a client that logs in again (a new
     * process, a renewed token) costs a SHA-256, not 150 ms of a core. Bounded; forgets after
     * {@link #VERIFIED_FOR_NANOS}.
     */
    private final ConcurrentHashMap<String, Long> verified = new ConcurrentHashMap<>();
    private static final int VERIFIED_MAX = 10_000;
    private static final long VERIFIED_FOR_NANOS = TimeUnit.MINUTES.toNanos(10);

    /** @param store null when authentication is off */
    AuthService(AuthStore store, ServerConfig config, java.util.function.LongSupplier wallMillis,
                ScheduledExecutorService timer) {
        this.store = store;
        this.config = config;
        this.wallMillis = wallMillis;
        this.timer = timer;
    }

    @Override
    public void login(LoginRequest req, StreamObserver<LoginResponse> out) {
        if (store == null) {
            out.onError(off());
            return;
        }
        AuthState state;
        try {
            state = store.current();
        } catch (io.grpc.StatusRuntimeException e) {
            out.onError(e);
            return;
        }
        String user = req.getUser();
        Optional<AuthUser> known = state.user(user);
        String proof = known.isEmpty() ? null : proof(known.get(), req.getPassword());
        Long until = proof == null ? null : verified.get(proof);
        if (until != null && until > System.nanoTime()) {
            // This exact password of this user (same salt, so unchanged) passed PBKDF2 lately.
            answer(state, known.get(), out);
            return;
        }
        int failed = failures.getOrDefault(user, 0);
        long delay = failed == 0 ? 0 : Math.min(LOGIN_DELAY_MILLIS_MAX, LOGIN_DELAY_MILLIS_FIRST << Math.min(failed - 1, 20));
        Runnable check = () -> {
            try {
                store.hashing().execute(() -> answerLogin(state, req, out));
            } catch (RejectedExecutionException e) {
                out.onError(Status.RESOURCE_EXHAUSTED.withDescription("too many logins at once; retry").asRuntimeException());
            }
        };
        if (delay == 0) {
            check.run();
        } else {
            timer.schedule(check, delay, TimeUnit.MILLISECONDS);
        }
    }

    private void answerLogin(AuthState state, LoginRequest req, StreamObserver<LoginResponse> out) {
        Optional<AuthUser> user = state.user(req.getUser());
        boolean ok = user.isPresent() && !user.get().getHash().isEmpty()
                && Passwords.matches(req.getPassword(), user.get().getSalt().toByteArray(), user.get().getHash().toByteArray(),
                user.get().getIterations());
        if (!ok) {
            failures.merge(req.getUser(), 1, Integer::sum);
            // One message whether the user exists or not: a login does not tell who the users are.
            out.onError(Status.UNAUTHENTICATED.withDescription("login refused: wrong user or password").asRuntimeException());
            return;
        }
        failures.remove(req.getUser());
        if (verified.size() >= VERIFIED_MAX) {
            verified.clear();
        }
        verified.put(proof(user.get(), req.getPassword()), System.nanoTime() + VERIFIED_FOR_NANOS);
        answer(state, user.get(), out);
    }

    private void answer(AuthState state, AuthUser user, StreamObserver<LoginResponse> out) {
        long expires = wallMillis.getAsLong() + config.security().tokenTtlMillis();
        String token = AuthTokens.mint(state.tokenKey(), user.getName(), user.getGeneration(), expires);
        out.onNext(LoginResponse.newBuilder().setToken(token).setExpiresAtMs(expires).build());
        out.onCompleted();
    }

    /**
     * What a checked password is remembered by: a SHA-256 of the user, its salt and generation and
     * the password. A new salt (password change) or generation makes it unknown again; the
     * password itself is never kept.
     */
    private static String proof(AuthUser user, String password) {
        try {
            java.security.MessageDigest d = java.security.MessageDigest.getInstance("SHA-256");
            d.update(user.getName().getBytes(java.nio.charset.StandardCharsets.UTF_8));
            d.update((byte) 0);
            d.update(user.getSalt().toByteArray());
            d.update(Long.toString(user.getGeneration()).getBytes(java.nio.charset.StandardCharsets.US_ASCII));
            d.update((byte) 0);
            d.update(password.getBytes(java.nio.charset.StandardCharsets.UTF_8));
            return java.util.HexFormat.of().formatHex(d.digest());
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException("this JVM has no SHA-256", e);
        }
    }

    @Override
    public void whoAmI(WhoAmIRequest req, StreamObserver<WhoAmIResponse> out) {
        AuthGate.Principal who = AuthGate.principal();
        WhoAmIResponse.Builder b = WhoAmIResponse.newBuilder().setUser(who.user()).setMethod(who.method())
                .setAuthEnabled(store != null);
        if (store != null && !who.user().isEmpty()) {
            try {
                AuthState state = store.current();
                b.addAllRoles(state.roleNamesOf(who.user())).addAllPermissions(state.permissionsOf(who.user()));
            } catch (io.grpc.StatusRuntimeException e) {
                out.onError(e);
                return;
            }
        }
        out.onNext(b.build());
        out.onCompleted();
    }

    @Override
    public void change(AuthChangeRequest req, StreamObserver<AuthChangeResponse> out) {
        if (store == null) {
            out.onError(off());
            return;
        }
        relay(store.change(req, Forwarding.mayForward()), out);
    }

    @Override
    public void list(AuthListRequest req, StreamObserver<AuthListResponse> out) {
        if (store == null) {
            out.onError(off());
            return;
        }
        try {
            AuthState state = store.current();
            AuthListResponse.Builder b = AuthListResponse.newBuilder().setRevision(state.revision()).addAllRoles(state.roles());
            for (AuthUser u : state.users()) {
                b.addUsers(AuthUserView.newBuilder().setName(u.getName()).addAllRoles(u.getRolesList())
                        .setHasPassword(!u.getHash().isEmpty()));
            }
            out.onNext(b.build());
            out.onCompleted();
        } catch (io.grpc.StatusRuntimeException e) {
            out.onError(e);
        }
    }

    @Override
    public void fetch(AuthFetchRequest req, StreamObserver<AuthFetchResponse> out) {
        if (store == null) {
            out.onNext(AuthFetchResponse.newBuilder().setAuthEnabled(false).build());
            out.onCompleted();
            return;
        }
        relay(store.serveFetch(req), out);
    }

    @Override
    public void refresh(AuthRefreshRequest req, StreamObserver<AuthRefreshResponse> out) {
        if (store == null) {
            out.onNext(AuthRefreshResponse.newBuilder().build());
            out.onCompleted();
            return;
        }
        relay(store.serveRefresh(req), out);
    }

    private static <T> void relay(CompletableFuture<T> future, StreamObserver<T> out) {
        future.whenComplete((r, e) -> {
            if (e == null) {
                out.onNext(r);
                out.onCompleted();
                return;
            }
            Throwable cause = e instanceof java.util.concurrent.CompletionException && e.getCause() != null ? e.getCause() : e;
            if (cause instanceof IllegalArgumentException) {
                out.onError(Status.INVALID_ARGUMENT.withDescription(cause.getMessage()).asRuntimeException());
            } else if (cause instanceof io.grpc.StatusRuntimeException || cause instanceof io.grpc.StatusException) {
                out.onError(cause);
            } else {
                out.onError(Status.UNAVAILABLE.withDescription(AuthStore.rootMessage(cause)).asRuntimeException());
            }
        });
    }

    private io.grpc.StatusRuntimeException off() {
        return Status.FAILED_PRECONDITION.withDescription("authentication is off on " + config.nodeId()
                + " (start the nodes with --auth)").asRuntimeException();
    }
}
