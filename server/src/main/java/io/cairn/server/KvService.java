package io.cairn.server;

import com.google.protobuf.ByteString;
import io.cairn.api.proto.CompareAndSetRequest;
import io.cairn.api.proto.CompareAndSetResponse;
import io.cairn.api.proto.Consistency;
import io.cairn.api.proto.DeleteRequest;
import io.cairn.api.proto.DeleteResponse;
import io.cairn.api.proto.GetRequest;
import io.cairn.api.proto.GetResponse;
import io.cairn.api.proto.KvGrpc;
import io.cairn.api.proto.MultiGetRequest;
import io.cairn.api.proto.MultiGetResponse;
import io.cairn.api.proto.PutRequest;
import io.cairn.api.proto.PutResponse;
import io.cairn.api.proto.ResponseHeader;
import io.cairn.api.proto.ScanRequest;
import io.cairn.api.proto.ScanResponse;
import io.cairn.api.proto.ShardReport;
import io.cairn.common.Bytes;
import io.cairn.common.Clock;
import io.cairn.common.GroupId;
import io.cairn.common.NodeId;
import io.cairn.consensus.Status;
import io.cairn.kv.state.Command;
import io.cairn.kv.state.IntentMeeting;
import io.cairn.kv.state.KeyRange;
import io.cairn.kv.state.KeyValue;
import io.cairn.kv.state.Limits;
import io.cairn.kv.state.Result;
import io.cairn.kv.state.ScanPage;
import io.cairn.placement.ShardGroups;
import io.cairn.placement.Topology;
import io.cairn.transport.grpc.Forwarding;
import io.cairn.transport.grpc.GrpcErrors;
import io.grpc.Context;
import io.grpc.Deadline;
import io.grpc.MethodDescriptor;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.StreamObserver;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * The client KV API. Every request is checked against the limits before anything is
 * proposed, so bad input changes nothing; writes go through the Raft loop, reads are confirmed
 * with ReadIndex unless the caller asked for EVENTUAL.
 *
 * <p>A request for a shard this node does not hold, or a write this node cannot lead, is
 * forwarded once to the node that can ({@link Forwarder}) unless the caller routes by itself
 * ({@link Forwarding}); then it gets WRONG_SHARD or NOT_LEADER with a hint instead.
 */
final class KvService extends KvGrpc.KvImplBase {
    private final RaftLoop loop;
    private final ClusterMap map;
    private final ServerConfig config;
    private final Clock clock;
    private final FaultInjection faults;
    private final Forwarder forwarder;
    private final TxnRecovery recovery;
    private final CrossShardTxns crossShard;
    private final NodeMetrics metrics;

    /**
     * One client call: what to forward it as, where to answer, whether it may be forwarded, and
     * until when it may wait here for a shard that has no leader (an election). Trying a write
     * again is safe then, even without a session: NOT_LEADER means nothing was appended.
     * {@code retrySafe} is false for calls whose parts are started once (cross-shard scan, multi-get).
     */
    private record Call<Q, R>(MethodDescriptor<Q, R> method, Q request, StreamObserver<R> out, boolean mayForward,
                              Deadline deadline, boolean retrySafe, long waitUntilNanos) {
        boolean mayWaitForLeader() {
            return mayForward && retrySafe && System.nanoTime() < waitUntilNanos;
        }
    }

    /** How long a plain client's call may wait for a shard to elect a leader before it is told. */
    static final long LEADER_WAIT_MILLIS = 5_000;
    private static final long LEADER_POLL_MILLIS = 50;

    KvService(RaftLoop loop, ClusterMap map, ServerConfig config, Clock clock, Forwarder forwarder,
              FaultInjection faults, CrossShardTxns crossShard, NodeMetrics metrics) {
        this.crossShard = crossShard;
        this.metrics = metrics;
        this.faults = faults;
        this.loop = loop;
        this.map = map;
        this.config = config;
        this.clock = clock;
        this.forwarder = forwarder;
        this.recovery = new TxnRecovery(loop, map, config, clock, forwarder, g -> forwardTarget(g, null));
    }

    /** Cleans up what crashed transaction coordinators left, from now until the forwarder's timer stops. */
    void startTxnRecovery() {
        recovery.start();
    }

    /** On the handler's thread, where the call's context is current. */
    private static <Q, R> Call<Q, R> call(MethodDescriptor<Q, R> method, Q request, StreamObserver<R> out,
                                          boolean retrySafe) {
        Deadline deadline = Context.current().getDeadline();
        long waitNanos = TimeUnit.MILLISECONDS.toNanos(LEADER_WAIT_MILLIS);
        if (deadline != null) {
            waitNanos = Math.min(waitNanos, deadline.timeRemaining(TimeUnit.NANOSECONDS) - waitNanos / 10);
        }
        return new Call<>(method, request, out, Forwarding.mayForward(), deadline, retrySafe, System.nanoTime() + waitNanos);
    }

    @Override
    public void put(PutRequest req, StreamObserver<PutResponse> out) {
        Bytes key = Bytes.wrap(req.getKey().toByteArray());
        Bytes value = Bytes.wrap(req.getValue().toByteArray());
        if (!checkKey(key, out) || !checkValue(value, out) || !checkTtl(req.getTtlMs(), out)) {
            return;
        }
        GroupId group = map.current().groupOfKey(key.toArray());
        Command command = fenced(req.hasFence() ? req.getFence() : null, group, new Command.Put(key, value, req.getTtlMs()), out);
        if (command == null) {
            return;
        }
        write(group, call(KvGrpc.getPutMethod(), req, out, true), req.getClientId(), req.getSequence(),
                command, r -> {
            if (r instanceof Result.Written w) {
                return PutResponse.newBuilder().setHeader(header(group)).setModRevision(w.revision()).setVersion(w.version())
                        .setReleased(command instanceof Command.Fenced f && f.release()).build();
            }
            throw unexpected(r);
        });
    }

    @Override
    public void expire(io.cairn.api.proto.ExpireRequest req, StreamObserver<io.cairn.api.proto.ExpireResponse> out) {
        Bytes key = Bytes.wrap(req.getKey().toByteArray());
        if (!checkKey(key, out) || !checkTtl(req.getTtlMs(), out)) {
            return;
        }
        GroupId group = map.current().groupOfKey(key.toArray());
        Command command = fenced(req.hasFence() ? req.getFence() : null, group, new Command.SetTtl(key, req.getTtlMs()), out);
        if (command == null) {
            return;
        }
        write(group, call(KvGrpc.getExpireMethod(), req, out, true), req.getClientId(), req.getSequence(), command, r -> {
            var b = io.cairn.api.proto.ExpireResponse.newBuilder().setHeader(header(group));
            if (r instanceof Result.Written w) {
                return b.setExisted(true).setModRevision(w.revision()).setVersion(w.version()).build();
            }
            if (r instanceof Result.Deleted d && !d.existed()) {
                return b.setExisted(false).build();
            }
            throw unexpected(r);
        });
    }

    @Override
    public void delete(DeleteRequest req, StreamObserver<DeleteResponse> out) {
        Bytes key = Bytes.wrap(req.getKey().toByteArray());
        if (!checkKey(key, out)) {
            return;
        }
        GroupId group = map.current().groupOfKey(key.toArray());
        Command command = fenced(req.hasFence() ? req.getFence() : null, group, new Command.Delete(key), out);
        if (command == null) {
            return;
        }
        write(group, call(KvGrpc.getDeleteMethod(), req, out, true), req.getClientId(), req.getSequence(),
                command, r -> {
            if (r instanceof Result.Deleted d) {
                return DeleteResponse.newBuilder().setHeader(header(group)).setDeleted(d.existed()).build();
            }
            throw unexpected(r);
        });
    }

    @Override
    public void compareAndSet(CompareAndSetRequest req, StreamObserver<CompareAndSetResponse> out) {
        Bytes key = Bytes.wrap(req.getKey().toByteArray());
        Bytes value = Bytes.wrap(req.getValue().toByteArray());
        if (!checkKey(key, out) || !checkValue(value, out) || !checkTtl(req.getTtlMs(), out)) {
            return;
        }
        GroupId group = map.current().groupOfKey(key.toArray());
        Command cas = fenced(req.hasFence() ? req.getFence() : null, group,
                new Command.CompareAndSet(key, req.getExpectedVersion(), value, req.getTtlMs()), out);
        if (cas == null) {
            return;
        }
        write(group, call(KvGrpc.getCompareAndSetMethod(), req, out, true), req.getClientId(), req.getSequence(), cas, r -> {
            if (r instanceof Result.Written w) {
                return CompareAndSetResponse.newBuilder().setHeader(header(group))
                        .setModRevision(w.revision()).setVersion(w.version()).build();
            }
            if (r instanceof Result.CasFailed f) {
                throw GrpcErrors.preconditionFailed(f.actualVersion());
            }
            throw unexpected(r);
        });
    }

    @Override
    public void txn(io.cairn.api.proto.TxnRequest req, StreamObserver<io.cairn.api.proto.TxnResponse> out) {
        Command.Txn txn;
        try {
            txn = TxnRequests.toCommand(req);
            config.limits().check(txn);
        } catch (IllegalArgumentException e) {
            out.onError(io.grpc.Status.INVALID_ARGUMENT.withDescription(e.getMessage()).asRuntimeException());
            return;
        }
        if (!txn.keys().isEmpty() && !sameGroup(txn.keys())) {
            // The limits check above refused empty and oversized keys.
            crossShard.run(txn).whenComplete((r, err) -> {
                if (err != null) {
                    out.onError(err instanceof CompletionException && err.getCause() != null ? err.getCause() : err);
                } else {
                    out.onNext(r);
                    out.onCompleted();
                }
            });
            return;
        }
        GroupId group = oneGroup(txn.keys(), out);
        if (group == null) {
            return;
        }
        if (faults.unsafeUncheckedTxns()) {
            txn = new Command.Txn(List.of(), txn.success(), txn.failure());
        }
        write(group, call(KvGrpc.getTxnMethod(), req, out, true), req.getClientId(), req.getSequence(), txn, r -> {
            if (r instanceof Result.TxnDone done) {
                var b = io.cairn.api.proto.TxnResponse.newBuilder().setHeader(header(group))
                        .setSucceeded(done.succeeded()).setFailedCompare(done.failedCompare())
                        .setRevision(done.revision());
                for (Result op : done.results()) {
                    b.addResults(txnOpResult(op));
                }
                return b.build();
            }
            throw unexpected(r);
        });
    }

    private boolean sameGroup(List<Bytes> keys) {
        GroupId first = map.current().groupOfKey(keys.get(0).toArray());
        return keys.stream().allMatch(k -> map.current().groupOfKey(k.toArray()).equals(first));
    }

    private io.cairn.api.proto.TxnOpResult txnOpResult(Result op) {
        var b = io.cairn.api.proto.TxnOpResult.newBuilder();
        if (op instanceof Result.Written w) {
            b.setPut(PutResponse.newBuilder().setModRevision(w.revision()).setVersion(w.version()));
        } else if (op instanceof Result.Deleted d) {
            b.setDelete(DeleteResponse.newBuilder().setDeleted(d.existed()));
        } else if (op instanceof Result.Read r) {
            GetResponse.Builder get = GetResponse.newBuilder();
            r.found().ifPresent(kv -> get.setKv(toProto(kv)));
            b.setGet(get);
        } else {
            throw unexpected(op);
        }
        return b.build();
    }

    @Override
    public void get(GetRequest req, StreamObserver<GetResponse> out) {
        Bytes key = Bytes.wrap(req.getKey().toByteArray());
        if (!checkKey(key, out)) {
            return;
        }
        ReadLevel level = levelOf(req.getConsistency(), req.getMaxStalenessMs(), out);
        if (level == null) {
            return;
        }
        GroupId group = map.current().groupOfKey(key.toArray());
        read(group, call(KvGrpc.getGetMethod(), req, out, true), level, sm -> sm.get(key, readTime(sm)),
                (found, header) -> {
            GetResponse.Builder b = GetResponse.newBuilder().setHeader(header);
            found.ifPresent(kv -> b.setKv(toProto(kv)));
            return b.build();
        });
    }

    @Override
    public void scan(ScanRequest req, StreamObserver<ScanResponse> out) {
        int limit = req.getLimit() == 0 ? config.limits().scanLimitMax() : req.getLimit();
        if (limit > config.limits().scanLimitMax()) {
            out.onError(GrpcErrors.invalidArgument("limit", config.limits().scanLimitMax(), limit));
            return;
        }
        KeyRange range = switch (req.getRangeCase()) {
            case PREFIX -> KeyRange.prefix(Bytes.wrap(req.getPrefix().toByteArray()));
            case KEY_RANGE -> new KeyRange(Bytes.wrap(req.getKeyRange().getStart().toByteArray()),
                    req.getKeyRange().getEnd().isEmpty() ? null : Bytes.wrap(req.getKeyRange().getEnd().toByteArray()));
            case RANGE_NOT_SET -> KeyRange.all();
        };
        if (!req.getPageToken().isEmpty()) {
            range = range.resumeAt(Bytes.wrap(req.getPageToken().toByteArray()));
        }
        KeyRange finalRange = range;
        ReadLevel level = levelOf(req.getConsistency(), req.getMaxStalenessMs(), out);
        if (level == null) {
            return;
        }
        if (map.current().shardCount() == 1 || req.getGroupId() != 0) {
            GroupId group = req.getGroupId() == 0 ? ShardGroups.DATA_GROUP : new GroupId(req.getGroupId());
            if (ShardGroups.shardOfGroup(group) >= map.current().shardCount()) {
                out.onError(GrpcErrors.invalidArgument("group_id", map.current().shardCount(), req.getGroupId()));
                return;
            }
            read(group, call(KvGrpc.getScanMethod(), req, out, true), level,
                    sm -> sm.scan(finalRange, limit, readTime(sm)), this::toScanResponse);
            return;
        }
        // Its parts are started once: a part without a leader fails the scan, and the client retries it.
        scanAcrossShards(finalRange, limit, level, call(KvGrpc.getScanMethod(), req, out, false));
    }

    /**
     * A scan of every shard at once, merged in key order. Each shard's part is read at the
     * requested consistency on its own (a LINEARIZABLE scan is linearizable per shard, not a
     * snapshot across shards): here when this node holds a replica, else from the shard's
     * leader (when the caller lets this node forward).
     */
    private void scanAcrossShards(KeyRange range, int limit, ReadLevel level, Call<ScanRequest, ScanResponse> c) {
        List<GroupId> groups = map.current().allGroups();
        List<CompletableFuture<ReadLevel.Served<ScanPage>>> parts = new ArrayList<>(groups.size());
        for (GroupId group : groups) {
            if (loop.status(group) != null) {
                parts.add(serve(group, level, sm -> sm.scan(range, limit, readTime(sm))));
                continue;
            }
            NodeId target = forwardTarget(group, null);
            if (!c.mayForward() || target == null) {
                c.out().onError(wrongShard(group, target));
                return;
            }
            ScanRequest part = c.request().toBuilder().setGroupId(group.value()).setLimit(limit).build();
            parts.add(forwarder.call(KvGrpc.getScanMethod(), part, map.current().address(target), c.deadline())
                    .thenApply(r -> served(r.getHeader(), toScanPage(r))));
        }
        respond(() -> CompletableFuture.allOf(parts.toArray(CompletableFuture[]::new)).thenApply(done -> {
            List<ReadLevel.Served<ScanPage>> pages = parts.stream().map(CompletableFuture::join).toList();
            return toScanResponse(mergePages(pages.stream().map(ReadLevel.Served::value).toList(), limit),
                    readHeader(headerBuilder(ShardGroups.DATA_GROUP), pages));
        }), c);
    }

    /** A forwarded part's answer with the freshness its server reported. */
    private static <T> ReadLevel.Served<T> served(ResponseHeader h, T value) {
        return new ReadLevel.Served<>(value, h.getReadLevel(), h.getStalenessMsMax(), h.getAppliedIndex());
    }

    /** The header of an answer put together from {@code parts}: the weakest freshness among them. */
    private static ResponseHeader readHeader(ResponseHeader.Builder b, List<? extends ReadLevel.Served<?>> parts) {
        Consistency level = Consistency.CONSISTENCY_LINEARIZABLE;
        long staleness = 0;
        for (ReadLevel.Served<?> p : parts) {
            level = ReadLevel.weaker(level, p.level());
            staleness = ReadLevel.Served.weakerStaleness(staleness, p.stalenessMillisMax());
        }
        b.setReadLevel(level).setStalenessMsMax(staleness);
        if (parts.size() == 1 && parts.get(0).appliedIndex() >= 0) {
            // The index before the read, not the replica's status after it, which may be further on.
            b.setAppliedIndex(parts.get(0).appliedIndex());
        }
        return b.build();
    }

    private static ScanPage toScanPage(ScanResponse r) {
        List<KeyValue> entries = new ArrayList<>(r.getKvsCount());
        r.getKvsList().forEach(kv -> entries.add(fromProto(kv)));
        Optional<Bytes> next = r.getNextPageToken().isEmpty() ? Optional.empty()
                : Optional.of(Bytes.wrap(r.getNextPageToken().toByteArray()));
        return new ScanPage(entries, next);
    }

    /**
     * Reads many keys: each shard's keys in one read (one ReadIndex) where this node holds a
     * replica, else from the shard's leader; the found keys come back in the order asked.
     */
    @Override
    public void multiGet(MultiGetRequest req, StreamObserver<MultiGetResponse> out) {
        if (req.getKeysCount() > config.limits().scanLimitMax()) {
            out.onError(GrpcErrors.invalidArgument("keys", config.limits().scanLimitMax(), req.getKeysCount()));
            return;
        }
        LinkedHashMap<GroupId, List<Bytes>> byGroup = new LinkedHashMap<>();
        List<Bytes> asked = new ArrayList<>(req.getKeysCount());
        for (com.google.protobuf.ByteString k : req.getKeysList()) {
            Bytes key = Bytes.wrap(k.toByteArray());
            if (!checkKey(key, out)) {
                return;
            }
            asked.add(key);
            byGroup.computeIfAbsent(map.current().groupOfKey(key.toArray()), g -> new ArrayList<>()).add(key);
        }
        // Its parts are started once: a part without a leader fails the call, and the client retries it.
        Call<MultiGetRequest, MultiGetResponse> c = call(KvGrpc.getMultiGetMethod(), req, out, false);
        ReadLevel level = levelOf(req.getConsistency(), req.getMaxStalenessMs(), out);
        if (level == null) {
            return;
        }
        List<CompletableFuture<ReadLevel.Served<List<KeyValue>>>> parts = new ArrayList<>();
        for (Map.Entry<GroupId, List<Bytes>> e : byGroup.entrySet()) {
            CompletableFuture<ReadLevel.Served<List<KeyValue>>> part = readKeys(e.getKey(), e.getValue(), level, req, c);
            if (part == null) {
                return;
            }
            parts.add(part);
        }
        respond(() -> CompletableFuture.allOf(parts.toArray(CompletableFuture[]::new)).thenApply(done -> {
            LinkedHashMap<Bytes, KeyValue> found = new LinkedHashMap<>();
            List<ReadLevel.Served<List<KeyValue>>> served = parts.stream().map(CompletableFuture::join).toList();
            served.forEach(p -> p.value().forEach(kv -> found.put(kv.key(), kv)));
            // One shard's keys: that shard's header, so a routing client learns its leader.
            MultiGetResponse.Builder b = MultiGetResponse.newBuilder().setHeader(readHeader(byGroup.size() == 1
                    ? headerBuilder(byGroup.keySet().iterator().next()) : nodeHeaderBuilder(), served));
            asked.stream().distinct().map(found::get).filter(java.util.Objects::nonNull).forEach(kv -> b.addKvs(toProto(kv)));
            return b.build();
        }), c);
    }

    /** One shard's part of a multi-get, or null after answering the caller with an error. */
    private CompletableFuture<ReadLevel.Served<List<KeyValue>>> readKeys(GroupId group, List<Bytes> keys, ReadLevel level,
                                                                        MultiGetRequest req,
                                                                        Call<MultiGetRequest, MultiGetResponse> c) {
        if (loop.status(group) != null) {
            Function<io.cairn.kv.state.KvStateMachine, List<KeyValue>> query = sm -> {
                long now = readTime(sm);
                List<KeyValue> out = new ArrayList<>();
                keys.forEach(k -> sm.get(k, now).ifPresent(out::add));
                return out;
            };
            return serve(group, level, query);
        }
        NodeId target = forwardTarget(group, null);
        if (!c.mayForward() || target == null) {
            c.out().onError(wrongShard(group, target));
            return null;
        }
        MultiGetRequest.Builder part = MultiGetRequest.newBuilder().setConsistency(req.getConsistency())
                .setMaxStalenessMs(req.getMaxStalenessMs());
        keys.forEach(k -> part.addKeys(ByteString.copyFrom(k.toArray())));
        return forwarder.call(KvGrpc.getMultiGetMethod(), part.build(), map.current().address(target), c.deadline())
                .thenApply(r -> served(r.getHeader(), r.getKvsList().stream().map(KvService::fromProto).toList()));
    }

    /**
     * One page from per-shard pages of the same range: keys below every unfinished shard's
     * resume key are complete, so the page holds the first {@code limit} of those and resumes at
     * the next of them, or at the smallest resume key.
     */
    static ScanPage mergePages(List<ScanPage> pages, int limit) {
        Bytes bound = null;
        for (ScanPage p : pages) {
            if (p.nextKey().isPresent() && (bound == null || p.nextKey().get().compareTo(bound) < 0)) {
                bound = p.nextKey().get();
            }
        }
        List<KeyValue> complete = new ArrayList<>();
        for (ScanPage p : pages) {
            for (KeyValue kv : p.entries()) {
                if (bound == null || kv.key().compareTo(bound) < 0) {
                    complete.add(kv);
                }
            }
        }
        complete.sort(Comparator.comparing(KeyValue::key));
        if (complete.size() > limit) {
            return new ScanPage(complete.subList(0, limit), Optional.of(complete.get(limit).key()));
        }
        return new ScanPage(complete, Optional.ofNullable(bound));
    }

    private ScanResponse toScanResponse(ScanPage page, ResponseHeader header) {
        ScanResponse.Builder b = ScanResponse.newBuilder().setHeader(header);
        for (KeyValue kv : page.entries()) {
            b.addKvs(toProto(kv));
        }
        page.nextKey().ifPresent(k -> b.setNextPageToken(ByteString.copyFrom(k.toArray())));
        return b.build();
    }

    private <Q, R> void write(GroupId group, Call<Q, R> c, long clientId, long sequence, Command command,
                              Function<Result, R> toResponse) {
        if (!hosted(group, c)) {
            return;
        }
        long giveUpNanos = c.deadline() == null ? System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(config.requestTimeoutMillis())
                : System.nanoTime() + c.deadline().timeRemaining(TimeUnit.NANOSECONDS);
        respond(() -> proposePastIntents(group, clientId, sequence, command, giveUpNanos).thenApply(r -> {
            if (r instanceof Result.Rejected rej) {
                throw GrpcErrors.rejected(rej.reason().name().toLowerCase(java.util.Locale.ROOT), rej.message());
            }
            if (r instanceof Result.SessionEnded ended) {
                throw GrpcErrors.sessionEnded(ended.sessionId());
            }
            if (r instanceof Result.FencedOut f) {
                throw GrpcErrors.staleToken(f.currentToken());
            }
            if (r instanceof Result.Stale s) {
                throw io.grpc.Status.FAILED_PRECONDITION.withDescription("sequence " + sequence
                        + " is older than the last one applied for client " + clientId + " (" + s.lastSequence() + ")")
                        .asRuntimeException();
            }
            return toResponse.apply(r);
        }), c);
    }

    /**
     * Proposes {@code command}; when a prepared transaction's intent stops it ({@link Result.Locked},
     * which changed nothing and left the session's sequence unused), waits until that intent is
     * gone and proposes the same command again. An intent older than the transaction timeout is
     * ended here: its transaction is aborted in its record unless decided already, and the
     * intent resolved as the record says. A prepare does not wait: it conflicts at once.
     */
    private CompletableFuture<Result> proposePastIntents(GroupId group, long clientId, long sequence, Command command,
                                                         long giveUpNanos) {
        return loop.propose(group, clientId, sequence, command).thenCompose(r -> {
            if (!(r instanceof Result.Locked locked)) {
                return CompletableFuture.completedFuture(r);
            }
            boolean prepare = command instanceof Command.Prepare;
            metrics.txnConflict(group, prepare, locked.key().toArray());
            IntentMeeting.Action action = IntentMeeting.action(locked, prepare, clock.epochMillis(),
                    config.txnTimeoutMillis(), System.nanoTime() >= giveUpNanos);
            if (action == IntentMeeting.Action.PUSH) {
                return recovery.push(group, locked).thenCompose(x -> proposePastIntents(group, clientId, sequence, command,
                        giveUpNanos));
            }
            if (action == IntentMeeting.Action.CONFLICT) {
                return CompletableFuture.failedFuture(GrpcErrors.txnConflict(prepare, locked.key().toArray(),
                        locked.txnId().toArray(), locked.primaryKey().toArray()));
            }
            CompletableFuture<Result> again = new CompletableFuture<>();
            waitForIntent(group, locked, giveUpNanos, () -> proposePastIntents(group, clientId, sequence, command,
                    giveUpNanos).whenComplete((v, e) -> {
                if (e != null) {
                    again.completeExceptionally(e);
                } else {
                    again.complete(v);
                }
            }));
            return again;
        });
    }

    /**
     * Runs {@code then} once the applied state no longer holds {@code locked}'s intent, or it has
     * outlived the transaction timeout, or the caller's deadline is near: watched by local reads,
     * so waiting writes nothing to the log.
     */
    private void waitForIntent(GroupId group, Result.Locked locked, long giveUpNanos, Runnable then) {
        forwarder.later(() -> loop.read(group, ReadLevel.EVENTUAL, sm -> sm.intentHolders(locked.key()))
                .whenComplete((holders, err) -> {
                    boolean gone = err != null || !holders.value().contains(locked.txnId());
                    boolean old = clock.epochMillis() - locked.preparedAtMillis() >= config.txnTimeoutMillis();
                    if (gone || old || System.nanoTime() >= giveUpNanos) {
                        then.run();
                    } else {
                        waitForIntent(group, locked, giveUpNanos, then);
                    }
                }), INTENT_POLL_MILLIS);
    }

    /** How often a write stopped by an intent looks again whether it is gone. */
    private static final long INTENT_POLL_MILLIS = 5;

    /**
     * The time a read judges expiry by: this node's clock, or the latest leader time its replica
     * applied if that is later. A replica whose clock runs behind the leader's thus never shows
     * a key past a deadline it has already seen the leader's time pass (docs/watch.md, TTL).
     */
    private long readTime(io.cairn.kv.state.KvStateMachine sm) {
        return Math.max(clock.epochMillis(), sm.clockMillis());
    }

    /** The level a request asked for, or null after answering it with INVALID_ARGUMENT. */
    private static ReadLevel levelOf(Consistency consistency, long maxStalenessMillis, StreamObserver<?> out) {
        try {
            return ReadLevel.of(consistency, maxStalenessMillis);
        } catch (io.grpc.StatusRuntimeException e) {
            out.onError(e);
            return null;
        }
    }

    /** A read of this node's replica of {@code group}; every read is EVENTUAL under the fault suite's negative control. */
    private <T> CompletableFuture<ReadLevel.Served<T>> serve(GroupId group, ReadLevel level,
                                                          Function<io.cairn.kv.state.KvStateMachine, T> query) {
        return loop.read(group, faults.unsafeLocalReads() ? ReadLevel.EVENTUAL : level,
                        sm -> new AtIndex<>(sm.appliedIndex(), query.apply(sm)))
                .thenApply(s -> new ReadLevel.Served<>(s.value().value(), s.level(), s.stalenessMillisMax(),
                        s.value().index()));
    }

    /** A read's result and the applied index taken before it (the engine's applied index only grows). */
    private record AtIndex<T>(long index, T value) {
    }

    private <Q, T, R> void read(GroupId group, Call<Q, R> c, ReadLevel level,
                                Function<io.cairn.kv.state.KvStateMachine, T> query,
                                java.util.function.BiFunction<T, ResponseHeader, R> toResponse) {
        if (!hosted(group, c)) {
            return;
        }
        respond(() -> serve(group, level, query).thenApply(s -> toResponse.apply(s.value(),
                readHeader(headerBuilder(group), List.of(s)))), c);
    }

    /**
     * Whether this node replicates {@code group}. If not, the call is forwarded to the shard's
     * leader, or answered with WRONG_SHARD naming it (or a replica, which knows its leader).
     */
    private boolean hosted(GroupId group, Call<?, ?> c) {
        if (loop.status(group) != null) {
            return true;
        }
        NodeId target = forwardTarget(group, null);
        if (c.mayForward() && target != null) {
            relay(c, target);
        } else {
            c.out().onError(wrongShard(group, target));
        }
        return false;
    }

    /**
     * Forwards the call to {@code target} and relays the answer. The target may itself not lead
     * (this node's view of the shard can be a heartbeat old): its hint is followed once more.
     */
    private <Q, R> void relay(Call<Q, R> c, NodeId target) {
        String address = map.current().address(target);
        forwarder.call(c.method(), c.request(), address, c.deadline()).whenComplete((r, err) -> {
            String hint = err == null ? "" : hintOf(err);
            if (err == null) {
                c.out().onNext(r);
                c.out().onCompleted();
            } else if (!hint.isEmpty() && !hint.equals(address)) {
                forwarder.relay(c.method(), c.request(), hint, c.deadline(), c.out());
            } else if (electing(err) && c.mayWaitForLeader()) {
                forwarder.later(() -> relay(c, target), LEADER_POLL_MILLIS);
            } else {
                c.out().onError(err);
            }
        });
    }

    /** Whether a peer answered NOT_LEADER without knowing any leader: an election is running. */
    private static boolean electing(Throwable err) {
        return GrpcErrors.detailOf(err).map(d -> d.hasNotLeader() && d.getNotLeader().getLeaderId() == 0).orElse(false);
    }

    /** The address a NOT_LEADER or WRONG_SHARD answer points at, or "". */
    private static String hintOf(Throwable err) {
        return GrpcErrors.detailOf(err).map(d -> d.hasNotLeader() ? d.getNotLeader().getLeaderAddress()
                : d.hasWrongShard() ? d.getWrongShard().getHintAddress() : "").orElse("");
    }

    private StatusRuntimeException wrongShard(GroupId group, NodeId hint) {
        Topology t = map.current();
        return GrpcErrors.wrongShard(t.epoch, group.value(), ShardGroups.describe(group), hint, hint == null ? "" : t.address(hint));
    }

    /**
     * Where a request for {@code group} goes from here: {@code leader} if known, else the
     * shard's leader as its last report names it, else the first replica the placement gives the
     * shard; never this node, and null when none has an address.
     */
    private NodeId forwardTarget(GroupId group, NodeId leader) {
        Topology t = map.current();
        List<NodeId> candidates = new ArrayList<>();
        if (leader != null) {
            candidates.add(leader);
        }
        int shard = ShardGroups.shardOfGroup(group);
        for (ShardReport r : map.reports()) {
            if (r.getShard() == shard && r.getLeader() != 0) {
                candidates.add(NodeId.of(r.getLeader()));
            }
        }
        if (shard >= 0 && shard < t.shardCount()) {
            candidates.addAll(t.replicasOf(group));
        }
        for (NodeId n : candidates) {
            if (!n.equals(config.nodeId()) && !t.address(n).isEmpty()) {
                return n;
            }
        }
        return null;
    }

    /**
     * Answers the call with the attempt's outcome. A write that reached a follower (NOT_LEADER
     * with a known leader) is forwarded to the leader when the caller allows it; while the shard
     * has no leader at all, a plain client's call is tried again here for a few seconds.
     */
    private <Q, R> void respond(Supplier<CompletableFuture<R>> attempt, Call<Q, R> c) {
        attempt.get().whenComplete((r, err) -> {
            if (err == null) {
                c.out().onNext(r);
                c.out().onCompleted();
                return;
            }
            NodeId leader = leaderOf(err);
            if (c.mayForward() && leader != null && !map.current().address(leader).isEmpty()) {
                relay(c, leader);
            } else if (noLeaderYet(err) && c.mayWaitForLeader()) {
                forwarder.later(() -> respond(attempt, c), LEADER_POLL_MILLIS);
            } else {
                c.out().onError(toStatus(err));
            }
        });
    }

    private static boolean noLeaderYet(Throwable err) {
        Throwable cause = err instanceof CompletionException && err.getCause() != null ? err.getCause() : err;
        return cause instanceof RaftLoop.NotServedException n && n.kind == RaftLoop.NotServedException.Kind.NOT_LEADER
                && n.leader == null;
    }

    /** The leader a NOT_LEADER failure names, if it is another node. */
    private NodeId leaderOf(Throwable err) {
        Throwable cause = err instanceof CompletionException && err.getCause() != null ? err.getCause() : err;
        if (cause instanceof RaftLoop.NotServedException n && n.kind == RaftLoop.NotServedException.Kind.NOT_LEADER
                && n.leader != null && !n.leader.equals(config.nodeId())) {
            return n.leader;
        }
        return null;
    }

    private StatusRuntimeException toStatus(Throwable err) {
        Throwable cause = err instanceof CompletionException && err.getCause() != null ? err.getCause() : err;
        if (cause instanceof StatusRuntimeException s) {
            return s;
        }
        if (cause instanceof RaftLoop.NotServedException n) {
            if (n.kind == RaftLoop.NotServedException.Kind.NOT_LEADER) {
                NodeId leader = n.leader == null || n.leader.equals(config.nodeId()) ? null : n.leader;
                String address = leader == null ? "" : map.current().address(leader);
                return GrpcErrors.notLeader(leader, address);
            }
            return GrpcErrors.unavailable(n.getMessage());
        }
        return io.grpc.Status.INTERNAL.withDescription(String.valueOf(cause)).asRuntimeException();
    }

    private boolean checkKey(Bytes key, StreamObserver<?> out) {
        if (key.isEmpty()) {
            out.onError(GrpcErrors.invalidArgument("key", 1, 0));
            return false;
        }
        return checkSize("key", key.size(), config.limits().keyBytesMax(), out);
    }

    private boolean checkValue(Bytes value, StreamObserver<?> out) {
        return checkSize("value", value.size(), config.limits().valueBytesMax(), out);
    }

    private boolean checkTtl(long ttlMillis, StreamObserver<?> out) {
        return checkSize("ttl_ms", ttlMillis, Limits.TTL_MILLIS_MAX, out);
    }

    private static boolean checkSize(String field, long value, long max, StreamObserver<?> out) {
        if (value > max) {
            out.onError(GrpcErrors.invalidArgument(field, max, value));
            return false;
        }
        return true;
    }

    /**
     * {@code write} under {@code fence} (null: unfenced), or null after answering the caller
     * with why the fence is unusable: the lock must hash to the key's shard, since one shard
     * decides both atomically.
     */
    private Command fenced(io.cairn.api.proto.Fence fence, GroupId group, Command write, StreamObserver<?> out) {
        if (fence == null) {
            return write;
        }
        Bytes lock = Bytes.wrap(fence.getLock().toByteArray());
        if (!checkKey(lock, out)) {
            return null;
        }
        if (fence.getToken() < 1) {
            out.onError(io.grpc.Status.INVALID_ARGUMENT.withDescription("a fence needs a token (a positive"
                    + " number from a lock grant)").asRuntimeException());
            return null;
        }
        if (!map.current().groupOfKey(lock.toArray()).equals(group)) {
            out.onError(io.grpc.Status.INVALID_ARGUMENT.withDescription("the fence's lock and the key hash to"
                    + " different shards; give both the same {tag} so one shard decides them together")
                    .asRuntimeException());
            return null;
        }
        if (fence.getRelease() && !(write instanceof Command.Put || write instanceof Command.Delete)) {
            out.onError(io.grpc.Status.INVALID_ARGUMENT.withDescription("only a put or a delete can release its"
                    + " fence's lock").asRuntimeException());
            return null;
        }
        return new Command.Fenced(lock, fence.getToken(), write, fence.getRelease());
    }

    /** The Aggregate service (docs/aggregation.md), served beside this one. */
    io.grpc.BindableService aggregateService() {
        return new AggregateService();
    }

    /** Keys a shard folds per read while aggregating; reads of one replica, off the Raft loop. */
    private static final int AGGREGATE_CHUNK_KEYS = 10_000;

    /**
     * Aggregations block (a run waits for its rounds, a part reads chunk after chunk), so they
     * run here, never on the gRPC thread that took the request. Daemon threads: a node stops
     * without waiting for an aggregation.
     */
    private final java.util.concurrent.ExecutorService aggregateThreads = java.util.concurrent.Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "cairn-aggregate");
        t.setDaemon(true);
        return t;
    });

    private final AggregateRunner aggregateRunner = new AggregateRunner(this::askAggregatePart);

    /** Turns of AGGREGATE_SPREAD_ROUND_ROBIN, per group. */
    private final java.util.concurrent.ConcurrentHashMap<GroupId, java.util.concurrent.atomic.AtomicLong> aggregateTurns =
            new java.util.concurrent.ConcurrentHashMap<>();

    /** A shard's part, asked of the replica the request's spread picks: here, or forwarded. */
    private CompletableFuture<io.cairn.api.proto.AggregatePartResponse> askAggregatePart(
            GroupId group, io.cairn.api.proto.AggregatePartRequest part, long deadlineNanos) {
        Deadline deadline = Deadline.after(Math.max(1, deadlineNanos - System.nanoTime()), TimeUnit.NANOSECONDS);
        NodeId target = aggregateReplica(group, part.getQuery());
        if (target == null) {
            return CompletableFuture.failedFuture(wrongShard(group, null));
        }
        if (!target.equals(config.nodeId())) {
            return forwarder.call(io.cairn.api.proto.AggregateGrpc.getPartMethod(), part, map.current().address(target),
                    deadline);
        }
        CompletableFuture<io.cairn.api.proto.AggregatePartResponse> local = new CompletableFuture<>();
        new AggregateService().part(part, new StreamObserver<>() {
            @Override
            public void onNext(io.cairn.api.proto.AggregatePartResponse r) {
                local.complete(r);
            }

            @Override
            public void onError(Throwable t) {
                local.completeExceptionally(t);
            }

            @Override
            public void onCompleted() {
            }
        });
        return local;
    }

    /** The node whose replica of {@code group} does its part, by the request's spread; null when none is known. */
    private NodeId aggregateReplica(GroupId group, io.cairn.api.proto.AggregateRequest q) {
        boolean hostedHere = loop.status(group) != null;
        List<NodeId> replicas = new ArrayList<>();
        for (NodeId n : map.current().replicasOf(group)) {
            if (n.equals(config.nodeId()) ? hostedHere : !map.current().address(n).isEmpty()) {
                replicas.add(n);
            }
        }
        switch (q.getSpread()) {
            case AGGREGATE_SPREAD_LEADER -> {
                io.cairn.consensus.Status s = loop.status(group);
                if (s != null && s.role() == io.cairn.consensus.Role.LEADER) {
                    return config.nodeId();
                }
                return forwardTarget(group, s == null ? null : s.leader());
            }
            case AGGREGATE_SPREAD_ROUND_ROBIN -> {
                if (!replicas.isEmpty()) {
                    long turn = aggregateTurns.computeIfAbsent(group, g -> new java.util.concurrent.atomic.AtomicLong())
                            .getAndIncrement();
                    return replicas.get((int) Math.floorMod(turn, replicas.size()));
                }
            }
            case AGGREGATE_SPREAD_RANDOM -> {
                if (!replicas.isEmpty()) {
                    return replicas.get(java.util.concurrent.ThreadLocalRandom.current().nextInt(replicas.size()));
                }
            }
            case AGGREGATE_SPREAD_WEIGHTED -> {
                long total = 0;
                for (NodeId n : replicas) {
                    total += q.getReplicaWeightsOrDefault(n.toString(), 1);
                }
                if (total > 0) {
                    long pick = java.util.concurrent.ThreadLocalRandom.current().nextLong(total);
                    for (NodeId n : replicas) {
                        pick -= q.getReplicaWeightsOrDefault(n.toString(), 1);
                        if (pick < 0) {
                            return n;
                        }
                    }
                }
            }
            default -> {
                // LOCAL, below
            }
        }
        return hostedHere ? config.nodeId() : forwardTarget(group, null);
    }

    private static KeyRange rangeOf(io.cairn.api.proto.AggregateRequest q) {
        return switch (q.getRangeCase()) {
            case PREFIX -> KeyRange.prefix(Bytes.wrap(q.getPrefix().toByteArray()));
            case KEY_RANGE -> new KeyRange(Bytes.wrap(q.getKeyRange().getStart().toByteArray()),
                    q.getKeyRange().getEnd().isEmpty() ? null : Bytes.wrap(q.getKeyRange().getEnd().toByteArray()));
            case RANGE_NOT_SET -> KeyRange.all();
        };
    }

    private static StatusRuntimeException badAggregation(String message) {
        return io.grpc.Status.INVALID_ARGUMENT.withDescription(message).asRuntimeException();
    }

    private final class AggregateService extends io.cairn.api.proto.AggregateGrpc.AggregateImplBase {
        @Override
        public void run(io.cairn.api.proto.AggregateRequest req, StreamObserver<io.cairn.api.proto.AggregateResponse> out) {
            start(req, out, AggregateRunner.Progress.NONE, r -> {
                out.onNext(r);
                out.onCompleted();
            });
        }

        @Override
        public void runWithProgress(io.cairn.api.proto.AggregateRequest req,
                                    StreamObserver<io.cairn.api.proto.AggregateProgress> out) {
            // Parts are read on several threads; a stream takes one message at a time.
            Object sending = new Object();
            start(req, out, (group, part, attempt) -> {
                synchronized (sending) {
                    out.onNext(io.cairn.api.proto.AggregateProgress.newBuilder().setAttempt(attempt)
                            .setPart(AggregateRunner.served(group, part)).build());
                }
            }, r -> {
                synchronized (sending) {
                    out.onNext(io.cairn.api.proto.AggregateProgress.newBuilder().setResult(r).build());
                    out.onCompleted();
                }
            });
        }

        /** Checks the request, then runs it on an aggregation thread; answers {@code out}'s errors itself. */
        private void start(io.cairn.api.proto.AggregateRequest req, StreamObserver<?> out,
                           AggregateRunner.Progress progress,
                           java.util.function.Consumer<io.cairn.api.proto.AggregateResponse> done) {
            long start = System.nanoTime();
            io.cairn.aggregate.Aggregation aggregation;
            try {
                aggregation = io.cairn.aggregate.Aggregation.of(req.getAggregator(), req.getParamsMap(),
                        req.getGroupBySegment());
                rangeOf(req);
            } catch (IllegalArgumentException e) {
                out.onError(badAggregation(e.getMessage()));
                return;
            }
            if (levelOf(req.getConsistency(), req.getMaxStalenessMs(), out) == null) {
                return;
            }
            if (req.getConsistency() == Consistency.CONSISTENCY_LEASE) {
                out.onError(badAggregation("aggregations run at LINEARIZABLE (one cut), BOUNDED or EVENTUAL, not LEASE"));
                return;
            }
            long deadlineMillis = req.getDeadlineMs() == 0 ? AggregateRunner.DEADLINE_MILLIS_DEFAULT : req.getDeadlineMs();
            if (deadlineMillis > AggregateRunner.DEADLINE_MILLIS_MAX) {
                out.onError(GrpcErrors.invalidArgument("deadline_ms", AggregateRunner.DEADLINE_MILLIS_MAX, deadlineMillis));
                return;
            }
            long deadlineNanos = start + TimeUnit.MILLISECONDS.toNanos(deadlineMillis);
            aggregateThreads.execute(() -> {
                try {
                    io.cairn.api.proto.AggregateResponse r = aggregateRunner.run(req, aggregation, map.current(), start,
                            deadlineNanos, faults.unsafeUncutAggregates(), progress);
                    done.accept(r.toBuilder().setNodeId(config.nodeId().value()).build());
                } catch (AggregateRunner.NoCutException e) {
                    out.onError(io.grpc.Status.FAILED_PRECONDITION.withDescription(e.getMessage()).asRuntimeException());
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    out.onError(GrpcErrors.unavailable("node is stopping"));
                } catch (RuntimeException e) {
                    out.onError(toStatus(e));
                }
            });
        }

        @Override
        public void part(io.cairn.api.proto.AggregatePartRequest req,
                         StreamObserver<io.cairn.api.proto.AggregatePartResponse> out) {
            GroupId group = new GroupId(req.getGroupId());
            if (loop.status(group) == null) {
                out.onError(wrongShard(group, forwardTarget(group, null)));
                return;
            }
            io.cairn.api.proto.AggregateRequest q = req.getQuery();
            io.cairn.aggregate.Aggregation aggregation;
            KeyRange range;
            try {
                aggregation = io.cairn.aggregate.Aggregation.of(q.getAggregator(), q.getParamsMap(), q.getGroupBySegment());
                range = rangeOf(q);
            } catch (IllegalArgumentException e) {
                out.onError(badAggregation(e.getMessage()));
                return;
            }
            ReadLevel level = levelOf(q.getConsistency(), q.getMaxStalenessMs(), out);
            if (level == null) {
                return;
            }
            if (req.getCheckOnly()) {
                // Linearizable, on the loop: the watch history is as far as the applied state.
                serve(group, ReadLevel.LINEARIZABLE, sm -> io.cairn.kv.state.CutCheck.unsettled(loop.watches(group), sm,
                        range, req.getSinceRevision())).whenComplete((s, err) -> {
                    if (err != null) {
                        out.onError(toStatus(err));
                        return;
                    }
                    out.onNext(io.cairn.api.proto.AggregatePartResponse.newBuilder().setHeader(header(group))
                            .setRevision(s.appliedIndex()).setChanged(s.value()).build());
                    out.onCompleted();
                });
                return;
            }
            // The read at the requested level fixes where the shard starts; the keys are then
            // folded from this replica's applied state (never older), off the loop.
            serve(group, level, sm -> sm.writeIntentsIn(range, Integer.MAX_VALUE)).whenComplete((s, err) -> {
                if (err != null) {
                    out.onError(toStatus(err));
                    return;
                }
                aggregateThreads.execute(() -> {
                    try {
                        io.cairn.aggregate.Aggregation.Partial partial = aggregation.newPartial();
                        java.util.Optional<Bytes> resume = java.util.Optional.of(range.fromInclusive());
                        while (resume.isPresent()) {
                            KeyRange rest = new KeyRange(resume.get(), range.toExclusive());
                            resume = loop.readLocal(group, sm -> sm.forEachLive(rest, AGGREGATE_CHUNK_KEYS, readTime(sm),
                                    partial::add)).join();
                        }
                        out.onNext(io.cairn.api.proto.AggregatePartResponse.newBuilder().setHeader(header(group))
                                .setPartial(ByteString.copyFrom(partial.encode())).setRevision(s.appliedIndex())
                                .setWriteIntents(s.value()).setKeys(partial.keys()).build());
                        out.onCompleted();
                    } catch (IllegalStateException e) {
                        out.onError(badAggregation(e.getMessage()));
                    } catch (RuntimeException e) {
                        out.onError(toStatus(e));
                    }
                });
            });
        }
    }

    /** The Txn service (cross-shard transactions' participants), served beside this one. */
    io.grpc.BindableService txnService() {
        return new TxnService();
    }

    private final class TxnService extends io.cairn.api.proto.TxnGrpc.TxnImplBase {
        @Override
        public void prepare(io.cairn.api.proto.TxnPrepareRequest req,
                            StreamObserver<io.cairn.api.proto.TxnPrepareResponse> out) {
            Command.Prepare prepare;
            try {
                Command.Txn parts = TxnRequests.toCommand(io.cairn.api.proto.TxnRequest.newBuilder()
                        .addAllCompare(req.getCompareList()).addAllSuccess(req.getWriteList()).build());
                prepare = new Command.Prepare(Bytes.wrap(req.getTxnId().toByteArray()),
                        Bytes.wrap(req.getPrimaryKey().toByteArray()), parts.compares(), parts.success(), req.getLockReads());
                config.limits().check(prepare);
            } catch (IllegalArgumentException e) {
                out.onError(io.grpc.Status.INVALID_ARGUMENT.withDescription(e.getMessage()).asRuntimeException());
                return;
            }
            List<Bytes> keys = new ArrayList<>();
            prepare.compares().forEach(c -> keys.add(c.key()));
            prepare.writes().forEach(w -> keys.add(w.key()));
            GroupId group = oneGroup(keys, out);
            if (group == null) {
                return;
            }
            if (faults.unsafeUncheckedTxns()) {
                prepare = new Command.Prepare(prepare.txnId(), prepare.primaryKey(), List.of(), prepare.writes(),
                        prepare.lockReads());
            }
            write(group, call(io.cairn.api.proto.TxnGrpc.getPrepareMethod(), req, out, true), req.getClientId(),
                    req.getSequence(), prepare, r -> {
                if (r instanceof Result.Prepared p) {
                    return io.cairn.api.proto.TxnPrepareResponse.newBuilder().setHeader(header(group))
                            .setPrepared(p.ok()).setFailedCompare(p.failedCompare()).build();
                }
                if (r instanceof Result.Decided) {
                    return io.cairn.api.proto.TxnPrepareResponse.newBuilder().setHeader(header(group))
                            .setPrepared(false).setFailedCompare(-1).setAlreadyDecided(true).build();
                }
                throw unexpected(r);
            });
        }

        @Override
        public void decide(io.cairn.api.proto.TxnDecideRequest req, StreamObserver<io.cairn.api.proto.TxnDecideResponse> out) {
            List<Bytes> intentKeys = new ArrayList<>(req.getIntentKeysCount());
            req.getIntentKeysList().forEach(k -> intentKeys.add(Bytes.wrap(k.toByteArray())));
            Command.Decide decide = Command.Decide.of(Bytes.wrap(req.getTxnId().toByteArray()), req.getCommit(),
                    Bytes.wrap(req.getPrimaryKey().toByteArray()), intentKeys);
            GroupId group = recordGroup(decide, req.getPrimaryKey(), out);
            if (group == null) {
                return;
            }
            write(group, call(io.cairn.api.proto.TxnGrpc.getDecideMethod(), req, out, true), req.getClientId(),
                    req.getSequence(), decide, r -> {
                if (r instanceof Result.Decided d) {
                    return io.cairn.api.proto.TxnDecideResponse.newBuilder().setHeader(header(group))
                            .setCommitted(d.committed()).build();
                }
                if (r instanceof Result.OutcomeUnknown) {
                    return io.cairn.api.proto.TxnDecideResponse.newBuilder().setHeader(header(group))
                            .setOutcomeUnknown(true).build();
                }
                throw unexpected(r);
            });
        }

        @Override
        public void forget(io.cairn.api.proto.TxnForgetRequest req, StreamObserver<io.cairn.api.proto.TxnForgetResponse> out) {
            Command.Forget forget = new Command.Forget(Bytes.wrap(req.getTxnId().toByteArray()));
            GroupId group = recordGroup(forget, req.getPrimaryKey(), out);
            if (group == null) {
                return;
            }
            write(group, call(io.cairn.api.proto.TxnGrpc.getForgetMethod(), req, out, true), req.getClientId(),
                    req.getSequence(), forget, r -> {
                if (r instanceof Result.Deleted d) {
                    return io.cairn.api.proto.TxnForgetResponse.newBuilder().setHeader(header(group))
                            .setForgotten(d.existed()).build();
                }
                throw unexpected(r);
            });
        }

        /**
         * The shard of a transaction's record (its primary key's), or null after answering
         * INVALID_ARGUMENT for a command or key that breaks a limit.
         */
        private GroupId recordGroup(Command command, ByteString primaryKey, StreamObserver<?> out) {
            try {
                config.limits().check(command);
            } catch (IllegalArgumentException e) {
                out.onError(io.grpc.Status.INVALID_ARGUMENT.withDescription(e.getMessage()).asRuntimeException());
                return null;
            }
            Bytes key = Bytes.wrap(primaryKey.toByteArray());
            return checkKey(key, out) ? map.current().groupOfKey(key.toArray()) : null;
        }

        @Override
        public void resolve(io.cairn.api.proto.TxnResolveRequest req,
                            StreamObserver<io.cairn.api.proto.TxnResolveResponse> out) {
            List<Bytes> keys = new ArrayList<>(req.getKeysCount());
            req.getKeysList().forEach(k -> keys.add(Bytes.wrap(k.toByteArray())));
            Command.Resolve resolve = new Command.Resolve(Bytes.wrap(req.getTxnId().toByteArray()), req.getCommit(), keys);
            try {
                config.limits().check(resolve);
            } catch (IllegalArgumentException e) {
                out.onError(io.grpc.Status.INVALID_ARGUMENT.withDescription(e.getMessage()).asRuntimeException());
                return;
            }
            GroupId group = oneGroup(keys, out);
            if (group == null) {
                return;
            }
            write(group, call(io.cairn.api.proto.TxnGrpc.getResolveMethod(), req, out, true), req.getClientId(),
                    req.getSequence(), resolve, r -> {
                if (r instanceof Result.Resolved resolved) {
                    return io.cairn.api.proto.TxnResolveResponse.newBuilder().setHeader(header(group))
                            .setIntents(resolved.intents()).build();
                }
                throw unexpected(r);
            });
        }
    }

    /**
     * The one shard all {@code keys} hash to, or null after answering INVALID_ARGUMENT: a
     * transaction's part in one shard is one entry of that shard's log.
     */
    private GroupId oneGroup(List<Bytes> keys, StreamObserver<?> out) {
        GroupId group = null;
        Bytes first = null;
        for (Bytes key : keys) {
            if (!checkKey(key, out)) {
                return null;
            }
            GroupId g = map.current().groupOfKey(key.toArray());
            if (group == null) {
                group = g;
                first = key;
            } else if (!g.equals(group)) {
                out.onError(io.grpc.Status.INVALID_ARGUMENT.withDescription("keys " + first.toUtf8() + " and "
                        + key.toUtf8() + " hash to different shards; a transaction's keys share one shard:"
                        + " give them the same {tag}").asRuntimeException());
                return null;
            }
        }
        if (group == null) {
            out.onError(io.grpc.Status.INVALID_ARGUMENT.withDescription("a transaction needs at least one key")
                    .asRuntimeException());
        }
        return group;
    }

    /** The Lock service, served beside this one with the same routing, forwarding and errors. */
    io.grpc.BindableService lockService() {
        return new LockService();
    }

    private final class LockService extends io.cairn.api.proto.LockGrpc.LockImplBase {
        @Override
        public void acquire(io.cairn.api.proto.AcquireRequest req, StreamObserver<io.cairn.api.proto.AcquireResponse> out) {
            Bytes name = Bytes.wrap(req.getName().toByteArray());
            Bytes owner = Bytes.wrap(req.getOwner().toByteArray());
            if (!checkKey(name, out) || !checkOwner(owner, out)) {
                return;
            }
            if (req.getTtlMs() < 1) {
                out.onError(io.grpc.Status.INVALID_ARGUMENT.withDescription("a lock needs a TTL of at least 1 ms (its"
                        + " own, or its session's), so that it is freed when its holder dies").asRuntimeException());
                return;
            }
            if (!checkTtl(req.getTtlMs(), out) || !checkTtl(req.getLockDelayMs(), out)) {
                return;
            }
            Command.Lock command;
            try {
                int permits = Math.max(1, req.getPermits());
                Bytes value = Bytes.wrap(req.getValue().toByteArray());
                if (!checkValue(value, out)) {
                    return;
                }
                command = new Command.Lock(name, owner, req.getTtlMs(), req.getSessionId(), permits,
                        Math.max(1, req.getWeight()), req.getWait(), req.getLockDelayMs(), value);
                if (command.sessionId() != 0 && command.ttlMillis() > io.cairn.kv.state.Limits.SESSION_TTL_MILLIS_MAX) {
                    throw new IllegalArgumentException("a session's TTL is at most "
                            + io.cairn.kv.state.Limits.SESSION_TTL_MILLIS_MAX + " ms, not " + command.ttlMillis());
                }
            } catch (IllegalArgumentException e) {
                out.onError(io.grpc.Status.INVALID_ARGUMENT.withDescription(e.getMessage()).asRuntimeException());
                return;
            }
            GroupId group = map.current().groupOfKey(name.toArray());
            write(group, call(io.cairn.api.proto.LockGrpc.getAcquireMethod(), req, out, true), req.getClientId(),
                    req.getSequence(), command, r -> {
                var b = io.cairn.api.proto.AcquireResponse.newBuilder().setHeader(header(group));
                if (r instanceof Result.LockGranted g) {
                    return b.setAcquired(true).setGrant(grant(name, g.token(), g.expiresAtMillis())).build();
                }
                if (r instanceof Result.LockBusy busy) {
                    return b.setAcquired(false).setGrant(grant(name, busy.token(), busy.expiresAtMillis())).build();
                }
                if (r instanceof Result.LockQueued q) {
                    return b.setAcquired(false).setQueuePosition(q.position()).setGrant(grant(name, q.holderToken(), 0))
                            .build();
                }
                throw unexpected(r);
            });
        }

        @Override
        public void release(io.cairn.api.proto.ReleaseRequest req, StreamObserver<io.cairn.api.proto.ReleaseResponse> out) {
            Bytes name = Bytes.wrap(req.getName().toByteArray());
            if (!checkKey(name, out)) {
                return;
            }
            Command command;
            if (req.getSessionId() != 0) {
                Bytes owner = Bytes.wrap(req.getOwner().toByteArray());
                if (!checkOwner(owner, out)) {
                    return;
                }
                command = new Command.LockRelease(name, req.getSessionId(), owner);
            } else if (req.getToken() < 1) {
                out.onError(io.grpc.Status.INVALID_ARGUMENT.withDescription("a release needs the grant's token"
                        + " (a positive number), or a session and owner").asRuntimeException());
                return;
            } else {
                command = new Command.Unlock(name, req.getToken());
            }
            GroupId group = map.current().groupOfKey(name.toArray());
            write(group, call(io.cairn.api.proto.LockGrpc.getReleaseMethod(), req, out, true), req.getClientId(),
                    req.getSequence(), command, r -> {
                if (r instanceof Result.Released released) {
                    return io.cairn.api.proto.ReleaseResponse.newBuilder().setHeader(header(group))
                            .setToken(released.token()).build();
                }
                if (r instanceof Result.NotHolder n) {
                    throw GrpcErrors.staleToken(n.currentToken());
                }
                throw unexpected(r);
            });
        }

        @Override
        public void describe(io.cairn.api.proto.DescribeLockRequest req,
                             StreamObserver<io.cairn.api.proto.DescribeLockResponse> out) {
            Bytes name = Bytes.wrap(req.getName().toByteArray());
            if (!checkKey(name, out)) {
                return;
            }
            ReadLevel level = levelOf(req.getConsistency(), 0, out);
            if (level == null) {
                return;
            }
            GroupId group = map.current().groupOfKey(name.toArray());
            read(group, call(io.cairn.api.proto.LockGrpc.getDescribeMethod(), req, out, true), level,
                    sm -> sm.lockState(name, readTime(sm)), (found, header) -> {
                var b = io.cairn.api.proto.DescribeLockResponse.newBuilder().setHeader(header);
                found.ifPresent(state -> {
                    b.setState(lockState(state));
                    state.newestHolder().ifPresent(h -> b.setGrant(grant(name, h.token(), h.expiresAtMillis())
                            .setOwner(ByteString.copyFrom(h.owner().toArray()))));
                });
                return b.build();
            });
        }

        @Override
        public StreamObserver<io.cairn.api.proto.KeepAliveRequest> keepAlive(
                StreamObserver<io.cairn.api.proto.KeepAliveResponse> out) {
            return loop.lockSessions().keepAlive(out, config.nodeId().value());
        }

        @Override
        public void awaitGrant(io.cairn.api.proto.WaitRequest req, StreamObserver<io.cairn.api.proto.WaitResponse> out) {
            Bytes name = Bytes.wrap(req.getName().toByteArray());
            Bytes owner = Bytes.wrap(req.getOwner().toByteArray());
            if (!checkKey(name, out) || !checkOwner(owner, out)) {
                return;
            }
            if (req.getSessionId() == 0) {
                out.onError(io.grpc.Status.INVALID_ARGUMENT.withDescription("only a session's entry waits")
                        .asRuntimeException());
                return;
            }
            loop.lockSessions().await(map.current().groupOfKey(name.toArray()), name, req.getSessionId(), owner, out);
        }

        @Override
        public void endSession(io.cairn.api.proto.EndSessionRequest req,
                               StreamObserver<io.cairn.api.proto.EndSessionResponse> out) {
            Bytes name = Bytes.wrap(req.getName().toByteArray());
            if (!checkKey(name, out)) {
                return;
            }
            if (req.getSessionId() == 0) {
                out.onError(io.grpc.Status.INVALID_ARGUMENT.withDescription("a session id is not 0").asRuntimeException());
                return;
            }
            GroupId group = map.current().groupOfKey(name.toArray());
            write(group, call(io.cairn.api.proto.LockGrpc.getEndSessionMethod(), req, out, true), req.getClientId(),
                    req.getSequence(), new Command.EndSessions(List.of(req.getSessionId()), false), r -> {
                if (r instanceof Result.SessionsEnded ended) {
                    return io.cairn.api.proto.EndSessionResponse.newBuilder().setHeader(header(group))
                            .setEntries(ended.entries()).build();
                }
                throw unexpected(r);
            });
        }

        @Override
        public void list(io.cairn.api.proto.ListLocksRequest req, StreamObserver<io.cairn.api.proto.ListLocksResponse> out) {
            io.cairn.placement.Topology t = map.current();
            if (req.getShard() >= t.shardCount()) {
                out.onError(GrpcErrors.invalidArgument("shard", t.shardCount() - 1L, req.getShard()));
                return;
            }
            int limit = req.getLimit() == 0 ? 100 : req.getLimit();
            try {
                config.limits().checkScanLimit(limit);
            } catch (IllegalArgumentException e) {
                out.onError(io.grpc.Status.INVALID_ARGUMENT.withDescription(e.getMessage()).asRuntimeException());
                return;
            }
            ReadLevel level = levelOf(req.getConsistency(), 0, out);
            if (level == null) {
                return;
            }
            Bytes from = Bytes.wrap(req.getFromName().toByteArray());
            GroupId group = io.cairn.placement.ShardGroups.groupOfShard(req.getShard());
            // One more than the page, to know where the next starts; the page shrinks to fit the scan limit.
            int page = Math.min(limit, config.limits().scanLimitMax() - 1);
            read(group, call(io.cairn.api.proto.LockGrpc.getListMethod(), req, out, true), level,
                    sm -> sm.locks(from, page + 1, readTime(sm)),
                    (locks, header) -> {
                var b = io.cairn.api.proto.ListLocksResponse.newBuilder().setHeader(header);
                for (int i = 0; i < Math.min(page, locks.size()); i++) {
                    b.addLocks(lockState(locks.get(i)));
                }
                if (locks.size() > page) {
                    b.setNextName(ByteString.copyFrom(locks.get(page).name().toArray()));
                }
                return b.build();
            });
        }

        @Override
        public void proclaim(io.cairn.api.proto.ProclaimRequest req, StreamObserver<io.cairn.api.proto.ProclaimResponse> out) {
            Bytes name = Bytes.wrap(req.getName().toByteArray());
            Bytes owner = Bytes.wrap(req.getOwner().toByteArray());
            Bytes value = Bytes.wrap(req.getValue().toByteArray());
            if (!checkKey(name, out) || !checkOwner(owner, out) || !checkValue(value, out)) {
                return;
            }
            if (req.getSessionId() == 0) {
                out.onError(io.grpc.Status.INVALID_ARGUMENT.withDescription("only a session's entry proclaims a value")
                        .asRuntimeException());
                return;
            }
            GroupId group = map.current().groupOfKey(name.toArray());
            write(group, call(io.cairn.api.proto.LockGrpc.getProclaimMethod(), req, out, true), req.getClientId(),
                    req.getSequence(), new Command.Proclaim(name, req.getSessionId(), owner, value), r -> {
                if (r instanceof Result.LockGranted g) {
                    return io.cairn.api.proto.ProclaimResponse.newBuilder().setHeader(header(group)).setToken(g.token()).build();
                }
                if (r instanceof Result.NotHolder n) {
                    throw GrpcErrors.staleToken(n.currentToken());
                }
                throw unexpected(r);
            });
        }

        @Override
        public void observe(io.cairn.api.proto.ObserveRequest req, StreamObserver<io.cairn.api.proto.ObserveResponse> out) {
            Bytes name = Bytes.wrap(req.getName().toByteArray());
            if (!checkKey(name, out)) {
                return;
            }
            GroupId group = map.current().groupOfKey(name.toArray());
            loop.lockSessions().observe(group, name, out, entry -> {
                var b = io.cairn.api.proto.ObserveResponse.newBuilder().setHeader(header(group));
                if (entry != null) {
                    b.setLeader(lockEntry(entry));
                }
                return b.build();
            });
        }

        private boolean checkOwner(Bytes owner, StreamObserver<?> out) {
            if (owner.isEmpty() || owner.size() > io.cairn.kv.state.Limits.OWNER_BYTES_MAX) {
                out.onError(GrpcErrors.invalidArgument("owner", io.cairn.kv.state.Limits.OWNER_BYTES_MAX, owner.size()));
                return false;
            }
            return true;
        }

        private io.cairn.api.proto.LockState lockState(io.cairn.kv.state.LockState state) {
            var b = io.cairn.api.proto.LockState.newBuilder().setName(ByteString.copyFrom(state.name().toArray()))
                    .setPermits(state.permits()).setDelayUntilMs(state.delayUntilMillis());
            state.holders().forEach(e -> b.addHolders(lockEntry(e)));
            state.waiters().forEach(e -> b.addWaiters(lockEntry(e)));
            return b.build();
        }

        private io.cairn.api.proto.LockEntry lockEntry(io.cairn.kv.state.LockState.Entry e) {
            return io.cairn.api.proto.LockEntry.newBuilder().setOwner(ByteString.copyFrom(e.owner().toArray()))
                    .setSessionId(e.sessionId()).setWeight(e.weight()).setToken(e.token())
                    .setExpiresAtMs(e.expiresAtMillis()).setValue(ByteString.copyFrom(e.value().toArray())).build();
        }

        private io.cairn.api.proto.LockGrant.Builder grant(Bytes name, long token, long expiresAtMillis) {
            return io.cairn.api.proto.LockGrant.newBuilder().setName(ByteString.copyFrom(name.toArray()))
                    .setToken(token).setExpiresAtMs(expiresAtMillis);
        }
    }

    private static IllegalStateException unexpected(Result r) {
        return new IllegalStateException("unexpected result " + r);
    }

    /** A header for an answer that spans shards: who answered and how many shards there are. */
    private ResponseHeader.Builder nodeHeaderBuilder() {
        return ResponseHeader.newBuilder().setNodeId(config.nodeId().value()).setShardCount(map.current().shardCount());
    }

    private ResponseHeader header(GroupId group) {
        return headerBuilder(group).build();
    }

    private ResponseHeader.Builder headerBuilder(GroupId group) {
        Status s = loop.status(group);
        ResponseHeader.Builder b = ResponseHeader.newBuilder().setNodeId(config.nodeId().value()).setGroupId(group.value())
                .setShardCount(map.current().shardCount());
        if (s != null) { // null when the replica moved away after serving
            b.setTerm(s.term()).setAppliedIndex(s.appliedIndex()).setServedBy(ClusterService.roleOf(s.role()));
        }
        return b;
    }

    static KeyValue fromProto(io.cairn.api.proto.KeyValue kv) {
        return new KeyValue(Bytes.wrap(kv.getKey().toByteArray()), Bytes.wrap(kv.getValue().toByteArray()),
                kv.getCreateRevision(), kv.getModRevision(), kv.getVersion(), kv.getExpiresAtMs());
    }

    /** The wire form, with the time left by this node's clock (reads filter expired keys, so at least 1 ms). */
    private io.cairn.api.proto.KeyValue toProto(KeyValue kv) {
        io.cairn.api.proto.KeyValue.Builder b = io.cairn.api.proto.KeyValue.newBuilder()
                .setKey(ByteString.copyFrom(kv.key().toArray()))
                .setValue(ByteString.copyFrom(kv.value().toArray()))
                .setCreateRevision(kv.createRevision()).setModRevision(kv.modRevision())
                .setVersion(kv.version());
        if (kv.expiresAtMillis() != 0) {
            b.setExpiresAtMs(kv.expiresAtMillis()).setTtlRemainingMs(Math.max(1, kv.expiresAtMillis() - clock.epochMillis()));
        }
        return b.build();
    }
}
