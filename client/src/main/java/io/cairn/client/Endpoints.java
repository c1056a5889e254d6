package io.cairn.client;

import io.cairn.placement.ShardMap;
import io.grpc.ConnectivityState;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.netty.channel.ChannelOption;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Pattern;

/**
 * The addresses a client talks to: the configured endpoints, one plaintext channel per address
 * (configured or learned from a leader hint), and the client's guess of the leader's address.
 * Thread-safe.
 */
final class Endpoints implements AutoCloseable {
    /** Largest response a client accepts: a scan page of big values can exceed gRPC's 4 MiB default. */
    static final int INBOUND_MESSAGE_BYTES_MAX = 64 << 20;
    private static final Pattern ADDRESS = Pattern.compile("[^:\\s,]+:[0-9]{1,5}");
    private static final long CLOSE_GRACE_MILLIS = 1_000;

    private final List<String> configured;
    private final int connectTimeoutMillis;
    /** Shard 0's group, which also serves requests without a key (scans). */
    static final long FIRST_GROUP = 1;

    private final Map<String, ManagedChannel> channels = new ConcurrentHashMap<>();
    /** Shard group -> the address that last served as its leader. */
    private final Map<Long, String> leaderGuesses = new ConcurrentHashMap<>();
    /** The cluster's shards as its servers report them; null until the first response says. */
    private volatile ShardMap shardMap;
    private final AtomicInteger rotation = new AtomicInteger();
    private volatile boolean closed;

    private final io.grpc.ChannelCredentials credentials;
    /** Null when the client sends no password (no authentication, or a client certificate). */
    private final Login login;

    Endpoints(List<String> endpoints, int connectTimeoutMillis) {
        this(endpoints, connectTimeoutMillis, io.grpc.InsecureChannelCredentials.create(), null);
    }

    Endpoints(List<String> endpoints, int connectTimeoutMillis, io.grpc.ChannelCredentials credentials, Login login) {
        this.credentials = credentials;
        this.login = login;
        LinkedHashSet<String> unique = new LinkedHashSet<>();
        for (String e : endpoints) {
            unique.add(checkAddress(e));
        }
        if (unique.isEmpty()) {
            throw new IllegalArgumentException("at least one endpoint (host:port) is required");
        }
        this.configured = List.copyOf(unique);
        this.connectTimeoutMillis = connectTimeoutMillis;
    }

    /** Trims and checks {@code host:port}. */
    static String checkAddress(String address) {
        String a = address == null ? "" : address.trim();
        if (!ADDRESS.matcher(a).matches() || Integer.parseInt(a.substring(a.lastIndexOf(':') + 1)) > 65535) {
            throw new IllegalArgumentException("endpoint '" + address + "' must be host:port with port 0-65535");
        }
        return a;
    }

    List<String> configured() {
        return configured;
    }

    /** Where a request starts its walk over the configured endpoints: spreads clients' load. */
    int nextRotationStart() {
        return Math.floorMod(rotation.getAndIncrement(), configured.size());
    }

    /**
     * The group of the shard {@code key} belongs to, as far as this client knows the cluster's
     * shards; {@link #FIRST_GROUP} before it knows (the server routes or redirects anyway).
     */
    long groupOf(byte[] key) {
        ShardMap map = shardMap;
        return map == null ? FIRST_GROUP : FIRST_GROUP + map.shardOfKey(key);
    }

    /** The cluster's shard count as servers reported it; 0 before any said. */
    int shardCount() {
        ShardMap map = shardMap;
        return map == null ? 0 : map.shardCount();
    }

    /** A server said the cluster has {@code shardCount} shards (0: a server that does not say). */
    void shardCountIs(int shardCount) {
        ShardMap map = shardMap;
        if (shardCount > 0 && (map == null || map.shardCount() != shardCount)) {
            shardMap = ShardMap.of(shardCount);
        }
    }

    /** The address that last served as {@code group}'s leader, or null. */
    String leaderGuess(long group) {
        return leaderGuesses.get(group);
    }

    void leaderIs(long group, String address) {
        leaderGuesses.put(group, address);
    }

    /** {@code address} is not (or no longer) {@code group}'s leader: forget it unless a newer guess replaced it. */
    void notLeader(long group, String address) {
        leaderGuesses.remove(group, address);
    }

    /**
     * The channel to {@code address}, connecting on first use. A channel that failed to connect
     * waits out gRPC's reconnect back-off (1 s growing to 2 min); the client has its own
     * back-off, so it asks for a reconnect at once.
     *
     * @throws IllegalStateException once the client is closed
     */
    /**
     * Tells servers this client routes by itself (kv.proto's "cairn-no-forward"), so a node that
     * cannot serve a request says who can instead of forwarding it: the client learns the leaders
     * and goes straight to them next time. MultiGet is the exception: its keys span shards, and
     * the node that gets it may gather the parts it does not hold from their leaders.
     */
    private static final io.grpc.ClientInterceptor ROUTES_ITSELF = new io.grpc.ClientInterceptor() {
        private final io.grpc.Metadata.Key<String> noForward =
                io.grpc.Metadata.Key.of("cairn-no-forward", io.grpc.Metadata.ASCII_STRING_MARSHALLER);

        @Override
        public <Q, R> io.grpc.ClientCall<Q, R> interceptCall(io.grpc.MethodDescriptor<Q, R> method,
                                                             io.grpc.CallOptions options, io.grpc.Channel next) {
            io.grpc.ClientCall<Q, R> call = next.newCall(method, options);
            if (method.getFullMethodName().equals(io.cairn.api.proto.KvGrpc.getMultiGetMethod().getFullMethodName())) {
                return call;
            }
            return new io.grpc.ForwardingClientCall.SimpleForwardingClientCall<>(call) {
                @Override
                public void start(Listener<R> listener, io.grpc.Metadata headers) {
                    headers.put(noForward, "1");
                    super.start(listener, headers);
                }
            };
        }
    };

    ManagedChannel channel(String address) {
        if (closed) {
            throw new IllegalStateException("CairnClient is closed");
        }
        ManagedChannel channel = channels.computeIfAbsent(address, this::connect);
        if (closed) {
            // close() may have missed a channel created concurrently with it.
            channel.shutdownNow();
            throw new IllegalStateException("CairnClient is closed");
        }
        if (channel.getState(false) == ConnectivityState.TRANSIENT_FAILURE) {
            channel.resetConnectBackoff();
        }
        return channel;
    }

    private ManagedChannel connect(String address) {
        NettyChannelBuilder b = NettyChannelBuilder.forTarget(address, credentials);
        if (login != null) {
            b.intercept(login.interceptor());
        }
        return b.intercept(ROUTES_ITSELF)
                .withOption(ChannelOption.CONNECT_TIMEOUT_MILLIS, connectTimeoutMillis)
                .maxInboundMessageSize(INBOUND_MESSAGE_BYTES_MAX)
                // Cairn retries itself, with the exactly-once sequence the server dedups on.
                .disableRetry()
                // Responses complete the caller's futures on the Netty thread that read them, with
                // no hop to a pool thread (see CairnClient: callbacks must not block).
                .directExecutor()
                .build();
    }

    /** Whether calls log in with a password, so an UNAUTHENTICATED answer may be cured by logging in again. */
    boolean logsIn() {
        return login != null;
    }

    boolean isClosed() {
        return closed;
    }

    /** Shuts every channel down: calls in flight fail; waits briefly for them to finish. */
    @Override
    public void close() {
        closed = true;
        List<ManagedChannel> all = new ArrayList<>(channels.values());
        all.forEach(ManagedChannel::shutdownNow);
        long deadlineNanos = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(CLOSE_GRACE_MILLIS);
        for (ManagedChannel channel : all) {
            long leftNanos = deadlineNanos - System.nanoTime();
            try {
                if (leftNanos <= 0 || !channel.awaitTermination(leftNanos, TimeUnit.NANOSECONDS)) {
                    break;
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
    }
}
