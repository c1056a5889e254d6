package io.cairn.compare;

import com.google.protobuf.ByteString;
import io.cairn.cli.bench.BenchKeys;
import io.cairn.cli.bench.BenchTarget;
import io.cairn.client.Consistency;
import io.cairn.compare.etcd.proto.Compare;
import io.cairn.compare.etcd.proto.KVGrpc;
import io.cairn.compare.etcd.proto.PutRequest;
import io.cairn.compare.etcd.proto.RangeRequest;
import io.cairn.compare.etcd.proto.RangeResponse;
import io.cairn.compare.etcd.proto.RequestOp;
import io.cairn.compare.etcd.proto.ResponseOp;
import io.cairn.compare.etcd.proto.TxnRequest;
import io.cairn.compare.etcd.proto.TxnResponse;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.StreamObserver;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * An etcd v3 cluster as a bench target, over etcd's own gRPC KV API:
 * <ul>
 *   <li>put: {@code Put};</li>
 *   <li>get: {@code Range} of the key, {@code serializable} for eventual reads (served by the
 *       member asked), not for linearizable ones (etcd's default, confirmed through the
 *       leader);</li>
 *   <li>version: the same {@code Range}, the key's {@code version}, 0 when absent;</li>
 *   <li>compare-and-set: {@code Txn} if {@code version(key) == expected} then {@code Put}, else
 *       {@code Range} of the key to learn its version. etcd's version counts writes since the
 *       key was created, 0 when absent, as Cairn's does, so expected versions mean the same. A
 *       Txn that did not succeed is a version mismatch, counted as Cairn's are (a conflict,
 *       not an error);</li>
 *   <li>scan: {@code Range} of {@code [fromKey, end of the bench's keys)} with a limit, at the
 *       run's consistency.</li>
 * </ul>
 *
 * <p>Connections are made as etcd's own {@code benchmark} tool makes them: {@code channels}
 * gRPC channels, the i-th to endpoint {@code i mod endpoints}, each request on the next channel
 * round-robin. Followers forward writes and linearizable reads to the leader themselves. The
 * channels are built as Cairn's client builds its own (Netty, plaintext, 64 MiB inbound, no
 * gRPC retries, answers on the Netty thread). Each request has the run's request timeout as its deadline and is not
 * retried: a failure is counted once, by {@link Failures}' kinds.
 */
final class EtcdTarget implements BenchTarget, AutoCloseable {
    static final int INBOUND_MESSAGE_BYTES_MAX = 64 << 20;
    private static final long CLOSE_GRACE_MILLIS = 2_000;

    private final List<ManagedChannel> channels;
    private final List<KVGrpc.KVStub> stubs;
    private final List<String> channelEndpoints;
    private final boolean serializable;
    private final long timeoutNanos;
    private final AtomicLong nextChannel = new AtomicLong();

    private EtcdTarget(List<String> endpoints, int channelCount, Consistency consistency, Duration timeout) {
        this.channels = new ArrayList<>(channelCount);
        this.stubs = new ArrayList<>(channelCount);
        this.channelEndpoints = new ArrayList<>(channelCount);
        for (int i = 0; i < channelCount; i++) {
            String endpoint = endpoints.get(i % endpoints.size());
            ManagedChannel channel = NettyChannelBuilder.forTarget(endpoint)
                    .usePlaintext()
                    .maxInboundMessageSize(INBOUND_MESSAGE_BYTES_MAX)
                    .disableRetry()
                    // Answers complete the runner's futures on the Netty thread that read them: its
                    // callbacks only record and start calls, never block.
                    .directExecutor()
                    .build();
            channels.add(channel);
            stubs.add(KVGrpc.newStub(channel));
            channelEndpoints.add(endpoint);
        }
        this.serializable = consistency.level() == Consistency.Level.EVENTUAL;
        this.timeoutNanos = timeout.toNanos();
    }

    /** Channels to {@code endpoints} ({@code host:port}), {@code channelCount} of them, round-robin. */
    static EtcdTarget connect(List<String> endpoints, int channelCount, Consistency consistency, Duration timeout) {
        if (endpoints.isEmpty()) {
            throw new IllegalArgumentException("etcd: at least one endpoint is required");
        }
        if (channelCount < 1) {
            throw new IllegalArgumentException("etcd: at least one connection is required: " + channelCount);
        }
        return new EtcdTarget(endpoints, channelCount, consistency, timeout);
    }

    @Override
    public CompletableFuture<?> put(byte[] key, byte[] value) {
        return call(putRequest(key, value), KVGrpc.KVStub::put);
    }

    @Override
    public CompletableFuture<?> get(byte[] key) {
        return call(getRequest(key, serializable), KVGrpc.KVStub::range);
    }

    @Override
    public CompletableFuture<Long> version(byte[] key) {
        return call(getRequest(key, serializable), KVGrpc.KVStub::range).thenApply(EtcdTarget::versionOf);
    }

    @Override
    public CompletableFuture<?> compareAndSet(byte[] key, long expectedVersion, byte[] value) {
        return call(compareAndSetRequest(key, expectedVersion, value), KVGrpc.KVStub::txn).thenApply(response -> {
            if (!response.getSucceeded()) {
                throw Failures.casConflict(currentVersionOf(response));
            }
            return response;
        });
    }

    /**
     * etcd's optimistic transaction, as its STM does it: read both keys, then one Txn that puts
     * both only if each still has the version read.
     */
    @Override
    public CompletableFuture<?> transaction(byte[] first, byte[] second, byte[] value) {
        CompletableFuture<RangeResponse> a = call(getRequest(first, false), KVGrpc.KVStub::range);
        CompletableFuture<RangeResponse> b = call(getRequest(second, false), KVGrpc.KVStub::range);
        return a.thenCombine(b, (ra, rb) -> transferRequest(first, versionOf(ra), second, versionOf(rb), value))
                .thenCompose(request -> call(request, KVGrpc.KVStub::txn)).thenApply(response -> {
                    if (!response.getSucceeded()) {
                        throw new io.cairn.cli.bench.TxnAborted("etcd: a key read changed before the commit");
                    }
                    return response;
                });
    }

    static TxnRequest transferRequest(byte[] first, long firstVersion, byte[] second, long secondVersion, byte[] value) {
        TxnRequest.Builder b = TxnRequest.newBuilder();
        for (Object[] kv : new Object[][] {{first, firstVersion}, {second, secondVersion}}) {
            ByteString k = ByteString.copyFrom((byte[]) kv[0]);
            b.addCompare(Compare.newBuilder().setResult(Compare.CompareResult.EQUAL)
                    .setTarget(Compare.CompareTarget.VERSION).setKey(k).setVersion((Long) kv[1]));
            b.addSuccess(RequestOp.newBuilder().setRequestPut(PutRequest.newBuilder().setKey(k)
                    .setValue(ByteString.copyFrom(value))));
        }
        return b.build();
    }

    @Override
    public CompletableFuture<?> scan(byte[] fromKey, int limit) {
        return call(scanRequest(fromKey, limit, serializable), KVGrpc.KVStub::range);
    }

    static PutRequest putRequest(byte[] key, byte[] value) {
        return PutRequest.newBuilder().setKey(ByteString.copyFrom(key)).setValue(ByteString.copyFrom(value)).build();
    }

    static RangeRequest getRequest(byte[] key, boolean serializable) {
        return RangeRequest.newBuilder().setKey(ByteString.copyFrom(key)).setSerializable(serializable).build();
    }

    static RangeRequest scanRequest(byte[] fromKey, int limit, boolean serializable) {
        if (limit < 1) {
            throw new IllegalArgumentException("a scan needs a positive limit: " + limit);
        }
        return RangeRequest.newBuilder()
                .setKey(ByteString.copyFrom(fromKey))
                .setRangeEnd(ByteString.copyFrom(BenchKeys.END_EXCLUSIVE))
                .setLimit(limit)
                .setSerializable(serializable)
                .build();
    }

    /**
     * If the key's version is {@code expectedVersion} (0: absent), put {@code value}; otherwise
     * read the key, so that the answer carries the version found.
     */
    static TxnRequest compareAndSetRequest(byte[] key, long expectedVersion, byte[] value) {
        if (expectedVersion < 0) {
            throw new IllegalArgumentException("expected version must not be negative: " + expectedVersion);
        }
        ByteString k = ByteString.copyFrom(key);
        return TxnRequest.newBuilder()
                .addCompare(Compare.newBuilder()
                        .setResult(Compare.CompareResult.EQUAL)
                        .setTarget(Compare.CompareTarget.VERSION)
                        .setKey(k)
                        .setVersion(expectedVersion))
                .addSuccess(RequestOp.newBuilder().setRequestPut(PutRequest.newBuilder().setKey(k)
                        .setValue(ByteString.copyFrom(value))))
                .addFailure(RequestOp.newBuilder().setRequestRange(RangeRequest.newBuilder().setKey(k)))
                .build();
    }

    static long versionOf(RangeResponse response) {
        return response.getKvsCount() == 0 ? 0 : response.getKvs(0).getVersion();
    }

    /** The version a failed compare-and-set found: its failure branch read the key. */
    static long currentVersionOf(TxnResponse response) {
        if (response.getResponsesCount() == 0) {
            return Failures.VERSION_UNKNOWN;
        }
        ResponseOp op = response.getResponses(0);
        return op.hasResponseRange() ? versionOf(op.getResponseRange()) : Failures.VERSION_UNKNOWN;
    }

    /** One unary call on the next channel, with the run's deadline; failures in {@link Failures}' kinds. */
    private <Q, R> CompletableFuture<R> call(Q request, Call<Q, R> method) {
        int i = (int) Math.floorMod(nextChannel.getAndIncrement(), (long) stubs.size());
        String endpoint = channelEndpoints.get(i);
        KVGrpc.KVStub stub = stubs.get(i).withDeadlineAfter(timeoutNanos, TimeUnit.NANOSECONDS);
        CompletableFuture<R> future = new CompletableFuture<>();
        method.start(stub, request, new StreamObserver<>() {
            @Override
            public void onNext(R response) {
                future.complete(response);
            }

            @Override
            public void onError(Throwable t) {
                future.completeExceptionally(Failures.ofGrpc(t, endpoint));
            }

            @Override
            public void onCompleted() {
                // After onNext this does nothing; before it, the server ended a unary call without an answer.
                future.completeExceptionally(new IllegalStateException(endpoint + ": the call ended without an answer"));
            }
        });
        return future;
    }

    /** An async stub's unary method: {@code KVGrpc.KVStub::put} and the like. */
    @FunctionalInterface
    private interface Call<Q, R> {
        void start(KVGrpc.KVStub stub, Q request, StreamObserver<R> responses);
    }

    @Override
    public void close() {
        channels.forEach(ManagedChannel::shutdownNow);
        long deadlineNanos = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(CLOSE_GRACE_MILLIS);
        try {
            for (ManagedChannel channel : channels) {
                long leftNanos = deadlineNanos - System.nanoTime();
                if (leftNanos <= 0 || !channel.awaitTermination(leftNanos, TimeUnit.NANOSECONDS)) {
                    return;
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Refused before a run starts ({@link CompareBench#NO_LOCK}); never called. */
    @Override
    public CompletableFuture<?> lockCycle(byte[] lock, byte[] key, byte[] value) {
        throw new IllegalStateException(CompareBench.NO_LOCK);
    }
}
