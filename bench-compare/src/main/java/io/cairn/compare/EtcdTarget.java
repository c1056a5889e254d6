package io.cairn.compare;

import com.google.protobuf.ByteString;
import io.cairn.cli.bench.BenchKeys;
import io.cairn.cli.bench.BenchTarget;
import io.cairn.client.CairnUnavailableException;
import io.cairn.client.Consistency;
import io.cairn.compare.etcd.proto.Compare;
import io.cairn.compare.etcd.proto.KVGrpc;
import io.cairn.compare.etcd.proto.LeaseGrantRequest;
import io.cairn.compare.etcd.proto.LeaseGrantResponse;
import io.cairn.compare.etcd.proto.LeaseGrpc;
import io.cairn.compare.etcd.proto.LeaseKeepAliveRequest;
import io.cairn.compare.etcd.proto.LeaseKeepAliveResponse;
import io.cairn.compare.etcd.proto.LeaseRevokeRequest;
import io.cairn.compare.etcd.proto.LockGrpc;
import io.cairn.compare.etcd.proto.LockRequest;
import io.cairn.compare.etcd.proto.LockResponse;
import io.cairn.compare.etcd.proto.PutRequest;
import io.cairn.compare.etcd.proto.RangeRequest;
import io.cairn.compare.etcd.proto.RangeResponse;
import io.cairn.compare.etcd.proto.RequestOp;
import io.cairn.compare.etcd.proto.ResponseOp;
import io.cairn.compare.etcd.proto.TxnRequest;
import io.cairn.compare.etcd.proto.TxnResponse;
import io.cairn.compare.etcd.proto.UnlockRequest;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.AbstractStub;
import io.grpc.stub.StreamObserver;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
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
 *       run's consistency;</li>
 *   <li>lock cycle (only when opened with {@link #connectForLocks}): etcd's lock service,
 *       {@code v3lockpb.Lock/Lock} with a lease, which waits in line on the server and answers
 *       with the ownership key; a {@code Txn} that puts the value only if that key still exists
 *       as granted (etcd's fencing idiom: see {@link #fencedPutRequest}); the hold;
 *       {@code v3lockpb.Lock/Unlock} of the key.</li>
 * </ul>
 *
 * <p>Leases, for locks: etcd's lock owner is a lease, and a second {@code Lock} with a lease
 * already in a lock's line is granted at once with the same key (etcd treats it as the same
 * owner). So one lease for the whole run would let every cycle on one lock hold it at once.
 * Each cycle takes a lease of its own from a pool instead: {@code clients} leases (TTL
 * {@value #LEASE_TTL_SECONDS} s, as Cairn's bench session) granted before the run, all kept
 * alive by one {@code LeaseKeepAlive} stream, each lease used by one cycle at a time, as
 * Cairn's cycles each take a lock handle of their own in its one session. A cycle that failed
 * gives its lease up (revoked, which deletes any lock key it still had) and the next cycle that
 * finds the pool empty grants a new one.
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
    /** The TTL of the lock workload's leases: that of Cairn's bench lock session. */
    static final long LEASE_TTL_SECONDS = 10;
    /** A keep-alive round every third of the TTL, as etcd's own client does. */
    private static final long KEEP_ALIVE_PERIOD_MILLIS = TimeUnit.SECONDS.toMillis(LEASE_TTL_SECONDS) / 3;
    private static final long CLOSE_GRACE_MILLIS = 2_000;

    /** One gRPC channel and the stubs of each etcd service on it. */
    private record Channel(ManagedChannel channel, String endpoint, KVGrpc.KVStub kv, LockGrpc.LockStub lock,
                           LeaseGrpc.LeaseStub lease) {}

    private final List<Channel> channels;
    private final boolean serializable;
    private final long timeoutNanos;
    private final AtomicLong nextChannel = new AtomicLong();
    /** How long a lock cycle holds its lock after its write; null when not opened for locks. */
    private final Duration lockHold;
    /** Leases kept alive and in no cycle now. */
    private final Queue<Long> idleLeases = new ConcurrentLinkedQueue<>();
    /** Every lease kept alive: idle or in a cycle. */
    private final Set<Long> liveLeases = ConcurrentHashMap.newKeySet();
    /** Keep-alive rounds and lock holds; null when not opened for locks. */
    private final ScheduledExecutorService timer;
    /** The keep-alive stream's sending side; only the timer's thread uses it. Null when not open. */
    private StreamObserver<LeaseKeepAliveRequest> keepAlive;

    private EtcdTarget(List<String> endpoints, int channelCount, Consistency consistency, Duration timeout,
                       Duration lockHold) {
        this.channels = new ArrayList<>(channelCount);
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
            channels.add(new Channel(channel, endpoint, KVGrpc.newStub(channel), LockGrpc.newStub(channel),
                    LeaseGrpc.newStub(channel)));
        }
        this.serializable = consistency.level() == Consistency.Level.EVENTUAL;
        this.timeoutNanos = timeout.toNanos();
        this.lockHold = lockHold;
        this.timer = lockHold == null ? null : Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "etcd-lease-keepalive");
            t.setDaemon(true);
            return t;
        });
    }

    /** Channels to {@code endpoints} ({@code host:port}), {@code channelCount} of them, round-robin. */
    static EtcdTarget connect(List<String> endpoints, int channelCount, Consistency consistency, Duration timeout) {
        checkConnect(endpoints, channelCount);
        return new EtcdTarget(endpoints, channelCount, consistency, timeout, null);
    }

    /**
     * As {@link #connect}, for the lock workload: grants {@code leases} leases (one per cycle that
     * may be in flight: the run's clients) and starts keeping them alive; each lock cycle holds
     * its lock {@code lockHold} after its write.
     *
     * @throws CairnUnavailableException when etcd cannot be reached to grant them
     */
    static EtcdTarget connectForLocks(List<String> endpoints, int channelCount, Duration timeout, Duration lockHold,
                                      int leases) throws InterruptedException {
        checkConnect(endpoints, channelCount);
        if (lockHold == null || lockHold.isNegative()) {
            throw new IllegalArgumentException("etcd: a lock hold is zero or more: " + lockHold);
        }
        if (leases < 1) {
            throw new IllegalArgumentException("etcd: at least one lease is required: " + leases);
        }
        EtcdTarget target = new EtcdTarget(endpoints, channelCount, Consistency.LINEARIZABLE, timeout, lockHold);
        try {
            List<CompletableFuture<Long>> granted = new ArrayList<>(leases);
            for (int i = 0; i < leases; i++) {
                granted.add(target.grantLease(target.nextChannelIndex()));
            }
            try {
                CompletableFuture.allOf(granted.toArray(CompletableFuture[]::new))
                        .get(2 * timeout.toNanos(), TimeUnit.NANOSECONDS);
            } catch (ExecutionException e) {
                throw e.getCause() instanceof RuntimeException r ? r : new IllegalStateException(e.getCause());
            } catch (TimeoutException e) {
                throw new CairnUnavailableException("etcd: " + leases + " leases not granted within "
                        + 2 * timeout.toMillis() + " ms", endpoints, null);
            }
            granted.forEach(lease -> target.idleLeases.add(lease.join()));
            target.timer.scheduleWithFixedDelay(target::keepLeasesAlive, KEEP_ALIVE_PERIOD_MILLIS,
                    KEEP_ALIVE_PERIOD_MILLIS, TimeUnit.MILLISECONDS);
            return target;
        } catch (InterruptedException | RuntimeException e) {
            target.close();
            throw e;
        }
    }

    private static void checkConnect(List<String> endpoints, int channelCount) {
        if (endpoints.isEmpty()) {
            throw new IllegalArgumentException("etcd: at least one endpoint is required");
        }
        if (channelCount < 1) {
            throw new IllegalArgumentException("etcd: at least one connection is required: " + channelCount);
        }
    }

    @Override
    public CompletableFuture<?> put(byte[] key, byte[] value) {
        return kv(putRequest(key, value), KVGrpc.KVStub::put);
    }

    @Override
    public CompletableFuture<?> get(byte[] key) {
        return kv(getRequest(key, serializable), KVGrpc.KVStub::range);
    }

    @Override
    public CompletableFuture<Long> version(byte[] key) {
        return kv(getRequest(key, serializable), KVGrpc.KVStub::range).thenApply(EtcdTarget::versionOf);
    }

    @Override
    public CompletableFuture<?> compareAndSet(byte[] key, long expectedVersion, byte[] value) {
        return kv(compareAndSetRequest(key, expectedVersion, value), KVGrpc.KVStub::txn).thenApply(response -> {
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
        CompletableFuture<RangeResponse> a = kv(getRequest(first, false), KVGrpc.KVStub::range);
        CompletableFuture<RangeResponse> b = kv(getRequest(second, false), KVGrpc.KVStub::range);
        return a.thenCombine(b, (ra, rb) -> transferRequest(first, versionOf(ra), second, versionOf(rb), value))
                .thenCompose(request -> kv(request, KVGrpc.KVStub::txn)).thenApply(response -> {
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
        return kv(scanRequest(fromKey, limit, serializable), KVGrpc.KVStub::range);
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

    /** One KV call on the next channel. */
    private <Q, R> CompletableFuture<R> kv(Q request, Call<KVGrpc.KVStub, Q, R> method) {
        int i = nextChannelIndex();
        return call(i, channels.get(i).kv(), request, method);
    }

    private int nextChannelIndex() {
        return (int) Math.floorMod(nextChannel.getAndIncrement(), (long) channels.size());
    }

    /** One unary call on channel {@code i}, with the run's deadline; failures in {@link Failures}' kinds. */
    private <S extends AbstractStub<S>, Q, R> CompletableFuture<R> call(int i, S stub, Q request, Call<S, Q, R> method) {
        String endpoint = channels.get(i).endpoint();
        CompletableFuture<R> future = new CompletableFuture<>();
        method.start(stub.withDeadlineAfter(timeoutNanos, TimeUnit.NANOSECONDS), request, new StreamObserver<>() {
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
    private interface Call<S, Q, R> {
        void start(S stub, Q request, StreamObserver<R> responses);
    }

    /**
     * One lock cycle, every call of it on the next channel: a lease from the pool, Lock (waiting
     * in line at most the request timeout), the fenced put, the hold, Unlock. The lease goes back
     * to the pool after a cycle that succeeded, and is revoked after one that failed.
     */
    @Override
    public CompletableFuture<?> lockCycle(byte[] lock, byte[] key, byte[] value) {
        if (lockHold == null) {
            throw new IllegalStateException("etcd: this target was not opened for locks (connectForLocks)");
        }
        int i = nextChannelIndex();
        Channel c = channels.get(i);
        Long idle = idleLeases.poll();
        CompletableFuture<Long> leased = idle != null ? CompletableFuture.completedFuture(idle) : grantLease(i);
        return leased.thenCompose(lease -> {
            CompletableFuture<?> cycle = call(i, c.lock(), lockRequest(lock, lease), LockGrpc.LockStub::lock)
                    .thenCompose(granted -> call(i, c.kv(), fencedPutRequest(granted, key, value), KVGrpc.KVStub::txn)
                            .thenCompose(txn -> {
                                if (!txn.getSucceeded()) {
                                    throw new IllegalStateException("etcd: the lock key "
                                            + granted.getKey().toStringUtf8() + " was gone before the fenced put");
                                }
                                return hold();
                            })
                            .thenCompose(held -> call(i, c.lock(), UnlockRequest.newBuilder().setKey(granted.getKey())
                                    .build(), LockGrpc.LockStub::unlock)));
            return cycle.whenComplete((done, failure) -> {
                // A lease the keep-alives found gone during the cycle is not put back.
                if (failure == null && liveLeases.contains(lease)) {
                    idleLeases.add(lease);
                } else {
                    giveUp(i, lease);
                }
            });
        });
    }

    /** Completes after the lock hold, on the timer's thread (no thread waits meanwhile). */
    private CompletableFuture<Void> hold() {
        if (lockHold.isZero()) {
            return CompletableFuture.completedFuture(null);
        }
        CompletableFuture<Void> held = new CompletableFuture<>();
        timer.schedule(() -> held.complete(null), lockHold.toNanos(), TimeUnit.NANOSECONDS);
        return held;
    }

    /** A new lease of {@link #LEASE_TTL_SECONDS}, kept alive from now on. */
    private CompletableFuture<Long> grantLease(int i) {
        return call(i, channels.get(i).lease(), LeaseGrantRequest.newBuilder().setTtl(LEASE_TTL_SECONDS).build(),
                LeaseGrpc.LeaseStub::leaseGrant).thenApply(EtcdTarget::grantedLease).thenApply(lease -> {
                    liveLeases.add(lease);
                    return lease;
                });
    }

    static long grantedLease(LeaseGrantResponse response) {
        if (!response.getError().isEmpty()) {
            throw new IllegalStateException("etcd: lease not granted: " + response.getError());
        }
        return response.getId();
    }

    /**
     * Stops keeping {@code lease} alive and revokes it, which deletes whatever lock key it still
     * had (a cycle that failed between Lock and Unlock, or whose Lock was granted as its deadline
     * passed): nothing of a failed cycle is left holding a lock. The revoke is not waited for.
     */
    private void giveUp(int i, long lease) {
        liveLeases.remove(lease);
        call(i, channels.get(i).lease(), LeaseRevokeRequest.newBuilder().setId(lease).build(),
                LeaseGrpc.LeaseStub::leaseRevoke);
    }

    /**
     * One keep-alive round, on the timer's thread: a request per live lease on the one stream,
     * opened again if it failed since the last round. A lease the answer says is gone leaves the
     * pool; a cycle that held it fails at its fenced put or Unlock.
     */
    private void keepLeasesAlive() {
        if (keepAlive == null) {
            keepAlive = channels.get(0).lease().leaseKeepAlive(new StreamObserver<>() {
                @Override
                public void onNext(LeaseKeepAliveResponse response) {
                    if (response.getTtl() <= 0) {
                        liveLeases.remove(response.getId());
                        idleLeases.remove(response.getId());
                    }
                }

                @Override
                public void onError(Throwable t) {
                    streamEnded();
                }

                @Override
                public void onCompleted() {
                    streamEnded();
                }
            });
        }
        for (long lease : liveLeases) {
            keepAlive.onNext(LeaseKeepAliveRequest.newBuilder().setId(lease).build());
        }
    }

    /** The next round opens the keep-alive stream again; after close() there is none. */
    private void streamEnded() {
        try {
            timer.execute(() -> keepAlive = null);
        } catch (RejectedExecutionException e) {
            // Closing: no more rounds.
        }
    }

    static LockRequest lockRequest(byte[] name, long lease) {
        return LockRequest.newBuilder().setName(ByteString.copyFrom(name)).setLease(lease).build();
    }

    /**
     * Put {@code value} to {@code key} only while the lock is still ours: if the ownership key
     * exists with the create revision it had when granted. That is the comparison etcd's own
     * mutex offers ({@code IsOwner}: the key's create revision equals the owner's); the lock
     * service does not return the create revision itself, but its header's revision H is one at
     * which the key existed, granted, so the key's create revision was in (0, H] then. A key
     * deleted since (unlocked, lease lapsed) has create revision 0; one created again can only
     * be newer than H. So "0 < create revision < H + 1" holds exactly for the granted key.
     */
    static TxnRequest fencedPutRequest(LockResponse granted, byte[] key, byte[] value) {
        ByteString owner = granted.getKey();
        return TxnRequest.newBuilder()
                .addCompare(Compare.newBuilder().setResult(Compare.CompareResult.GREATER)
                        .setTarget(Compare.CompareTarget.CREATE).setKey(owner).setCreateRevision(0))
                .addCompare(Compare.newBuilder().setResult(Compare.CompareResult.LESS)
                        .setTarget(Compare.CompareTarget.CREATE).setKey(owner)
                        .setCreateRevision(granted.getHeader().getRevision() + 1))
                .addSuccess(RequestOp.newBuilder().setRequestPut(PutRequest.newBuilder()
                        .setKey(ByteString.copyFrom(key)).setValue(ByteString.copyFrom(value))))
                .build();
    }

    /**
     * Stops the keep-alives, revokes the leases left (so that no lock key of this run outlives
     * it: a run right after would otherwise queue behind one until its lease lapsed) and closes
     * every channel, waiting at most {@value #CLOSE_GRACE_MILLIS} ms in all.
     */
    @Override
    public void close() {
        long deadlineNanos = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(CLOSE_GRACE_MILLIS);
        if (timer != null) {
            timer.shutdownNow();
            List<CompletableFuture<?>> revoked = new ArrayList<>();
            for (long lease : liveLeases) {
                int i = nextChannelIndex();
                revoked.add(call(i, channels.get(i).lease(), LeaseRevokeRequest.newBuilder().setId(lease).build(),
                        LeaseGrpc.LeaseStub::leaseRevoke));
            }
            try {
                CompletableFuture.allOf(revoked.toArray(CompletableFuture[]::new))
                        .get(Math.max(0, deadlineNanos - System.nanoTime()), TimeUnit.NANOSECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } catch (ExecutionException | TimeoutException e) {
                // Best effort: a lease not revoked lapses within its TTL.
            }
        }
        channels.forEach(c -> c.channel().shutdownNow());
        try {
            for (Channel c : channels) {
                long leftNanos = deadlineNanos - System.nanoTime();
                if (leftNanos <= 0 || !c.channel().awaitTermination(leftNanos, TimeUnit.NANOSECONDS)) {
                    return;
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
