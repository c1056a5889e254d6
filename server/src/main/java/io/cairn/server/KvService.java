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
import io.cairn.common.NodeId;
import io.cairn.consensus.Status;
import io.cairn.kv.state.Command;
import io.cairn.kv.state.KeyRange;
import io.cairn.kv.state.KeyValue;
import io.cairn.kv.state.Limits;
import io.cairn.kv.state.Result;
import io.cairn.kv.state.ScanPage;
import io.cairn.transport.grpc.GrpcErrors;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.StreamObserver;
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
    private final ServerConfig config;
    private final Clock clock;

    KvService(RaftLoop loop, ServerConfig config, Clock clock) {
        this.loop = loop;
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
        write(req.getClientId(), req.getSequence(), new Command.Put(key, value, req.getTtlMs()), out, r -> {
            if (r instanceof Result.Written w) {
                return PutResponse.newBuilder().setHeader(header()).setModRevision(w.revision()).setVersion(w.version()).build();
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
        write(req.getClientId(), req.getSequence(), new Command.Delete(key), out, r -> {
            if (r instanceof Result.Deleted d) {
                return DeleteResponse.newBuilder().setHeader(header()).setDeleted(d.existed()).build();
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
        write(req.getClientId(), req.getSequence(), cas, out, r -> {
            if (r instanceof Result.Written w) {
                return CompareAndSetResponse.newBuilder().setHeader(header())
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
        read(req.getConsistency(), sm -> sm.get(key, clock.epochMillis()), out, found -> {
            GetResponse.Builder b = GetResponse.newBuilder().setHeader(header());
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
        read(req.getConsistency(), sm -> sm.scan(finalRange, limit, clock.epochMillis()), out, (ScanPage page) -> {
            ScanResponse.Builder b = ScanResponse.newBuilder().setHeader(header());
            for (KeyValue kv : page.entries()) {
                b.addKvs(toProto(kv));
            }
            page.nextKey().ifPresent(k -> b.setNextPageToken(ByteString.copyFrom(k.toArray())));
            return b.build();
        });
    }

    private <R> void write(long clientId, long sequence, Command command, StreamObserver<R> out,
                           Function<Result, R> toResponse) {
        respond(loop.propose(ServerIds.DATA_GROUP, clientId, sequence, command).thenApply(r -> {
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

    private <T, R> void read(Consistency consistency, Function<io.cairn.kv.state.KvStateMachine, T> query,
                             StreamObserver<R> out, Function<T, R> toResponse) {
        CompletableFuture<T> result = consistency == Consistency.CONSISTENCY_EVENTUAL
                ? loop.readLocal(ServerIds.DATA_GROUP, query)
                : loop.readLinearizable(ServerIds.DATA_GROUP, query);
        respond(result.thenApply(toResponse), out);
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
                String address = leader == null ? "" : config.initialCluster().addresses().getOrDefault(leader, "");
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

    private ResponseHeader header() {
        Status s = loop.status(ServerIds.DATA_GROUP);
        return ResponseHeader.newBuilder().setNodeId(s.id().value()).setGroupId(ServerIds.DATA_GROUP.value())
                .setTerm(s.term()).setAppliedIndex(s.appliedIndex())
                .setServedBy(ClusterService.roleOf(s.role())).build();
    }

    static io.cairn.api.proto.KeyValue toProto(KeyValue kv) {
        return io.cairn.api.proto.KeyValue.newBuilder()
                .setKey(ByteString.copyFrom(kv.key().toArray()))
                .setValue(ByteString.copyFrom(kv.value().toArray()))
                .setCreateRevision(kv.createRevision()).setModRevision(kv.modRevision())
                .setVersion(kv.version()).build();
    }
}
