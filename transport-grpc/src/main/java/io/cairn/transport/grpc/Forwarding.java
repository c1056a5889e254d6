package io.cairn.transport.grpc;

import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.ClientInterceptor;
import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.ForwardingClientCall;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;

/**
 * Whether a node may forward a client request it cannot serve to the node that can. Any node
 * forwards by default, so a plain gRPC client needs no shard map; a request is forwarded at most
 * once (the forwarded copy carries {@code cairn-forwarded}), and a client that routes by itself
 * sends {@code cairn-no-forward} to be told NOT_LEADER / WRONG_SHARD instead, so it learns the
 * leaders.
 */
public final class Forwarding {
    static final Metadata.Key<String> FORWARDED = Metadata.Key.of("cairn-forwarded", Metadata.ASCII_STRING_MARSHALLER);
    static final Metadata.Key<String> NO_FORWARD = Metadata.Key.of("cairn-no-forward", Metadata.ASCII_STRING_MARSHALLER);
    private static final Context.Key<Boolean> MAY_FORWARD = Context.key("cairn-may-forward");

    private Forwarding() {}

    /** On a handler's thread: whether this request may be forwarded. */
    public static boolean mayForward() {
        return Boolean.TRUE.equals(MAY_FORWARD.get());
    }

    /** Reads the two headers into the call's context. */
    public static ServerInterceptor serverInterceptor() {
        return new ServerInterceptor() {
            @Override
            public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
                                                              ServerCallHandler<Q, R> next) {
                boolean may = !headers.containsKey(FORWARDED) && !headers.containsKey(NO_FORWARD);
                return Contexts.interceptCall(Context.current().withValue(MAY_FORWARD, may), call, headers, next);
            }
        };
    }

    /** Marks every call as forwarded: the receiver serves it or says why not, never forwards it again. */
    public static ClientInterceptor markForwarded() {
        return header(FORWARDED);
    }

    /** Asks the server not to forward: the caller routes by itself. */
    public static ClientInterceptor noForward() {
        return header(NO_FORWARD);
    }

    private static ClientInterceptor header(Metadata.Key<String> key) {
        return new ClientInterceptor() {
            @Override
            public <Q, R> ClientCall<Q, R> interceptCall(MethodDescriptor<Q, R> method, CallOptions options, Channel next) {
                return new ForwardingClientCall.SimpleForwardingClientCall<>(next.newCall(method, options)) {
                    @Override
                    public void start(Listener<R> listener, Metadata headers) {
                        headers.put(key, "1");
                        super.start(listener, headers);
                    }
                };
            }
        };
    }
}
