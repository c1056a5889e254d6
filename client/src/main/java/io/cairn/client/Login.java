package io.cairn.client;

import io.cairn.api.proto.AuthGrpc;
import io.cairn.api.proto.LoginRequest;
import io.cairn.api.proto.LoginResponse;
import io.grpc.CallCredentials;
import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.ClientInterceptor;
import io.grpc.ForwardingClientCall;
import io.grpc.ForwardingClientCallListener;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.StreamObserver;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.function.LongSupplier;

/**
 * A user's password exchanged for tokens: the first call logs in (at the node it is sent to),
 * later calls carry the token until shortly before it expires, and a call the server answers
 * UNAUTHENTICATED drops the token so the next attempt logs in again (the password changed, the
 * token expired early). Concurrent calls share one login.
 */
final class Login {
    static final Metadata.Key<String> AUTHORIZATION = Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);
    /**
     * A token is renewed before use once this close to its expiry (or in its last quarter, for
     * short-lived ones): clocks drift, calls take time.
     */
    private static final long RENEW_BEFORE_MILLIS = 30_000;

    private record Token(String value, long renewAtMillis) {}

    private final String user;
    private final String password;
    private final LongSupplier wallMillis;
    private volatile Token token;
    private volatile boolean authOff;
    private CompletableFuture<Token> inFlight;

    Login(String user, String password, LongSupplier wallMillis) {
        if (user == null || user.isEmpty() || password == null || password.isEmpty()) {
            throw new IllegalArgumentException("a login needs a user and a password");
        }
        this.user = user;
        this.password = password;
        this.wallMillis = wallMillis;
    }

    String user() {
        return user;
    }

    /** Adds the token to every call on a channel, logging in through that channel when needed. */
    ClientInterceptor interceptor() {
        return new ClientInterceptor() {
            @Override
            public <Q, R> ClientCall<Q, R> interceptCall(MethodDescriptor<Q, R> method, CallOptions options, Channel next) {
                if (method.getFullMethodName().equals(AuthGrpc.getLoginMethod().getFullMethodName())) {
                    return next.newCall(method, options);
                }
                ClientCall<Q, R> call = next.newCall(method, options.withCallCredentials(credentials(next)));
                return new ForwardingClientCall.SimpleForwardingClientCall<>(call) {
                    @Override
                    public void start(Listener<R> listener, Metadata headers) {
                        super.start(new ForwardingClientCallListener.SimpleForwardingClientCallListener<>(listener) {
                            @Override
                            public void onClose(Status status, Metadata trailers) {
                                if (status.getCode() == Status.Code.UNAUTHENTICATED) {
                                    token = null;
                                }
                                super.onClose(status, trailers);
                            }
                        }, headers);
                    }
                };
            }
        };
    }

    private CallCredentials credentials(Channel channel) {
        return new CallCredentials() {
            @Override
            public void applyRequestMetadata(RequestInfo info, Executor executor, MetadataApplier applier) {
                Token t = token;
                if (authOff) {
                    applier.apply(new Metadata());
                    return;
                }
                if (t != null && t.renewAtMillis() > wallMillis.getAsLong()) {
                    apply(applier, t);
                    return;
                }
                login(channel).whenComplete((fresh, e) -> {
                    if (e == null) {
                        apply(applier, fresh);
                    } else if (Status.fromThrowable(e).getCode() == Status.Code.FAILED_PRECONDITION) {
                        // The cluster runs without authentication: the calls need no token.
                        authOff = true;
                        applier.apply(new Metadata());
                    } else {
                        Status s = Status.fromThrowable(e);
                        applier.fail(s.getCode() == Status.Code.UNAUTHENTICATED
                                ? Status.UNAUTHENTICATED.withDescription("login as " + user + " failed: " + s.getDescription())
                                : s);
                    }
                });
            }
        };
    }

    private static void apply(CallCredentials.MetadataApplier applier, Token t) {
        Metadata m = new Metadata();
        m.put(AUTHORIZATION, "Bearer " + t.value());
        applier.apply(m);
    }

    private synchronized CompletableFuture<Token> login(Channel channel) {
        if (inFlight != null && !inFlight.isDone()) {
            return inFlight;
        }
        CompletableFuture<Token> f = new CompletableFuture<>();
        inFlight = f;
        LoginRequest req = LoginRequest.newBuilder().setUser(user).setPassword(password).build();
        ClientCalls.asyncUnaryCall(channel.newCall(AuthGrpc.getLoginMethod(), CallOptions.DEFAULT
                        .withDeadlineAfter(10, java.util.concurrent.TimeUnit.SECONDS)), req,
                new StreamObserver<LoginResponse>() {
                    @Override
                    public void onNext(LoginResponse r) {
                        long now = wallMillis.getAsLong();
                        long renewBefore = Math.min(RENEW_BEFORE_MILLIS, Math.max(0, r.getExpiresAtMs() - now) / 4);
                        Token t = new Token(r.getToken(), r.getExpiresAtMs() - renewBefore);
                        token = t;
                        f.complete(t);
                    }

                    @Override
                    public void onError(Throwable e) {
                        f.completeExceptionally(e);
                    }

                    @Override
                    public void onCompleted() {
                        f.complete(token);
                    }
                });
        return f;
    }
}
