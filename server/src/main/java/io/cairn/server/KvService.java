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
import io.cairn.api.proto.PutRequest;
import io.cairn.api.proto.PutResponse;
import io.cairn.api.proto.ResponseHeader;
import io.cairn.api.proto.ScanRequest;
import io.cairn.api.proto.ScanResponse;
import io.cairn.common.Bytes;
import io.cairn.common.Clock;
import io.cairn.common.GroupId;
import io.cairn.common.NodeId;
import io.cairn.consensus.Status;
import io.cairn.kv.state.Command;
import io.cairn.kv.state.KeyRange;
import io.cairn.kv.state.KeyValue;
import io.cairn.kv.state.Limits;
import io.cairn.kv.state.Result;
import io.cairn.kv.state.ScanPage;
import io.cairn.placement.ShardGroups;
import io.cairn.placement.Topology;
import io.cairn.transport.grpc.GrpcErrors;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.StreamObserver;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.function.Function;

/**
 * The client KV API. Every request is checked against the limits before anything is
 * proposed, so bad input changes nothing; writes go through the Raft loop, reads are confirmed
 * with ReadIndex unless the caller asked for EVENTUAL.
 */
final class KvService extends KvGrpc.KvImplBase {
    private final RaftLoop loop;
    private final ClusterMap map;
    private final ServerConfig config;
    private final Clock clock;

    KvService(RaftLoop loop, ClusterMap map, ServerConfig config, Clock clock) {
        this.loop = loop;
        this.map = map;
        this.config = config;
        this.clock = clock;
    }

    @Override
    public void put(PutRequest req, StreamObserver<PutResponse> out) {
        Bytes key = Bytes.wrap(req.getKey().toByteArray());
        Bytes value = Bytes.wrap(req.getValue().toByteArray());
        if (!checkKey(key, out) || !checkValue(value, out) || !checkTtl(req.getTtlMs(), out)) {
            return;
        }
        GroupId group = map.current().groupOfKey(key.toArray());
        write(group, req.getClientId(), req.getSequence(), new Command.Put(key, value, req.getTtlMs()), out, r -> {
            if (r instanceof Result.Written w) {
                return PutResponse.newBuilder().setHeader(header(group)).setModRevision(w.revision()).setVersion(w.version()).build();
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
        write(group, req.getClientId(), req.getSequence(), new Command.Delete(key), out, r -> {
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
        Command cas = new Command.CompareAndSet(key, req.getExpectedVersion(), value, req.getTtlMs());
        GroupId group = map.current().groupOfKey(key.toArray());
        write(group, req.getClientId(), req.getSequence(), cas, out, r -> {
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
    public void get(GetRequest req, StreamObserver<GetResponse> out) {
        Bytes key = Bytes.wrap(req.getKey().toByteArray());
        if (!checkKey(key, out)) {
            return;
        }
        GroupId group = map.current().groupOfKey(key.toArray());
        read(group, req.getConsistency(), sm -> sm.get(key, clock.epochMillis()), out, found -> {
            GetResponse.Builder b = GetResponse.newBuilder().setHeader(header(group));
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
        if (map.current().shardCount() == 1 || req.getGroupId() != 0) {
            GroupId group = req.getGroupId() == 0 ? ShardGroups.DATA_GROUP : new GroupId(req.getGroupId());
            if (ShardGroups.shardOfGroup(group) >= map.current().shardCount()) {
                out.onError(GrpcErrors.invalidArgument("group_id", map.current().shardCount(), req.getGroupId()));
                return;
            }
            read(group, req.getConsistency(), sm -> sm.scan(finalRange, limit, clock.epochMillis()), out,
                    page -> toScanResponse(group, page));
            return;
        }
        scanAcrossShards(finalRange, limit, req.getConsistency(), out);
    }

    /**
     * A scan of every shard at once, merged in key order. Each shard's part is read at the
     * requested consistency on its own (a LINEARIZABLE scan is linearizable per shard, not a
     * snapshot across shards). Needs a replica of every shard on this node.
     */
    private void scanAcrossShards(KeyRange range, int limit, Consistency consistency, StreamObserver<ScanResponse> out) {
        List<GroupId> groups = map.current().allGroups();
        List<CompletableFuture<ScanPage>> parts = new ArrayList<>(groups.size());
        for (GroupId group : groups) {
            if (loop.status(group) == null) {
                out.onError(GrpcErrors.unavailable("a scan across shards needs a node that hosts every shard; "
                        + config.nodeId() + " does not host shard " + ShardGroups.shardOfGroup(group)));
                return;
            }
            parts.add(consistency == Consistency.CONSISTENCY_EVENTUAL
                    ? loop.readLocal(group, sm -> sm.scan(range, limit, clock.epochMillis()))
                    : loop.readLinearizable(group, sm -> sm.scan(range, limit, clock.epochMillis())));
        }
        respond(CompletableFuture.allOf(parts.toArray(CompletableFuture[]::new))
                .thenApply(done -> toScanResponse(ShardGroups.DATA_GROUP,
                        mergePages(parts.stream().map(CompletableFuture::join).toList(), limit))), out);
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

    private ScanResponse toScanResponse(GroupId group, ScanPage page) {
        ScanResponse.Builder b = ScanResponse.newBuilder().setHeader(header(group));
        for (KeyValue kv : page.entries()) {
            b.addKvs(toProto(kv));
        }
        page.nextKey().ifPresent(k -> b.setNextPageToken(ByteString.copyFrom(k.toArray())));
        return b.build();
    }

    private <R> void write(GroupId group, long clientId, long sequence, Command command, StreamObserver<R> out,
                           Function<Result, R> toResponse) {
        if (!hosted(group, out)) {
            return;
        }
        respond(loop.propose(group, clientId, sequence, command).thenApply(r -> {
            if (r instanceof Result.Rejected rej) {
                throw GrpcErrors.invalidArgument(rej.reason().name().toLowerCase(), 0, 0);
            }
            if (r instanceof Result.Stale s) {
                throw io.grpc.Status.FAILED_PRECONDITION.withDescription("sequence " + sequence
                        + " is older than the last one applied for client " + clientId + " (" + s.lastSequence() + ")")
                        .asRuntimeException();
            }
            return toResponse.apply(r);
        }), out);
    }

    private <T, R> void read(GroupId group, Consistency consistency, Function<io.cairn.kv.state.KvStateMachine, T> query,
                             StreamObserver<R> out, Function<T, R> toResponse) {
        if (!hosted(group, out)) {
            return;
        }
        CompletableFuture<T> result = consistency == Consistency.CONSISTENCY_EVENTUAL
                ? loop.readLocal(group, query)
                : loop.readLinearizable(group, query);
        respond(result.thenApply(toResponse), out);
    }

    /**
     * Whether this node replicates {@code group}; if not, answers NOT_LEADER pointing at one of
     * the shard's replicas, which knows its leader, so a client following hints gets there.
     */
    private boolean hosted(GroupId group, StreamObserver<?> out) {
        if (loop.status(group) != null) {
            return true;
        }
        Topology t = map.current();
        NodeId replica = t.replicasOf(group).isEmpty() ? null : t.replicasOf(group).get(0);
        out.onError(GrpcErrors.notLeader(replica, replica == null ? "" : t.address(replica)));
        return false;
    }

    private <R> void respond(CompletableFuture<R> future, StreamObserver<R> out) {
        future.whenComplete((r, err) -> {
            if (err == null) {
                out.onNext(r);
                out.onCompleted();
            } else {
                out.onError(toStatus(err));
            }
        });
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

    private static IllegalStateException unexpected(Result r) {
        return new IllegalStateException("unexpected result " + r);
    }

    private ResponseHeader header(GroupId group) {
        Status s = loop.status(group);
        ResponseHeader.Builder b = ResponseHeader.newBuilder().setNodeId(config.nodeId().value()).setGroupId(group.value())
                .setShardCount(map.current().shardCount());
        if (s != null) { // null when the replica moved away after serving
            b.setTerm(s.term()).setAppliedIndex(s.appliedIndex()).setServedBy(ClusterService.roleOf(s.role()));
        }
        return b.build();
    }

    static io.cairn.api.proto.KeyValue toProto(KeyValue kv) {
        return io.cairn.api.proto.KeyValue.newBuilder()
                .setKey(ByteString.copyFrom(kv.key().toArray()))
                .setValue(ByteString.copyFrom(kv.value().toArray()))
                .setCreateRevision(kv.createRevision()).setModRevision(kv.modRevision())
                .setVersion(kv.version()).build();
    }
}
