package io.cairn.transport.grpc;

import com.google.protobuf.Any;
import com.google.protobuf.InvalidProtocolBufferException;
import io.cairn.api.proto.ErrorDetail;
import io.cairn.api.proto.InvalidArgument;
import io.cairn.api.proto.NotLeader;
import io.cairn.api.proto.PreconditionFailed;
import io.cairn.api.proto.Unavailable;
import io.cairn.api.proto.WrongShard;
import io.cairn.common.NodeId;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.protobuf.StatusProto;
import java.util.Optional;

/**
 * Builds and reads the errors of the client API: a gRPC status whose {@code google.rpc.Status}
 * details carry one {@link ErrorDetail}. The status code for each kind is fixed here, as
 * {@code kv.proto} documents, so servers cannot disagree about it.
 */
public final class GrpcErrors {
    private GrpcErrors() {}

    /** UNAVAILABLE: this node does not lead the shard. {@code leader} may be null (unknown). */
    public static StatusRuntimeException notLeader(NodeId leader, String leaderAddress) {
        NotLeader.Builder hint = NotLeader.newBuilder();
        if (leader != null) {
            hint.setLeaderId(leader.value());
        }
        if (leaderAddress != null) {
            hint.setLeaderAddress(leaderAddress);
        }
        String where = leader == null ? "no leader known" : "leader is " + leader;
        return error(Status.Code.UNAVAILABLE, "not the leader; " + where,
                ErrorDetail.newBuilder().setNotLeader(hint).build());
    }

    /**
     * UNAVAILABLE: this node holds no replica of group {@code groupId} (named {@code groupName}
     * for people: "shard 3"); {@code hint} (may be
     * null) is the shard's leader or one of its replicas, as of membership {@code epoch}.
     */
    public static StatusRuntimeException wrongShard(long epoch, long groupId, String groupName, NodeId hint,
                                                    String hintAddress) {
        WrongShard.Builder ws = WrongShard.newBuilder().setEpoch(epoch).setGroupId(groupId);
        if (hint != null) {
            ws.setHintId(hint.value());
        }
        if (hintAddress != null) {
            ws.setHintAddress(hintAddress);
        }
        return error(Status.Code.UNAVAILABLE, "this node holds no replica of " + groupName + " (epoch " + epoch
                + "); " + (hint == null ? "no replica known" : "try " + hint), ErrorDetail.newBuilder().setWrongShard(ws).build());
    }

    /** UNAVAILABLE: retry later (no quorum, shutting down, overloaded). */
    public static StatusRuntimeException unavailable(String reason) {
        return error(Status.Code.UNAVAILABLE, reason,
                ErrorDetail.newBuilder().setUnavailable(Unavailable.newBuilder().setReason(reason)).build());
    }

    /** INVALID_ARGUMENT: {@code field} was {@code value}, above {@code limit}. */
    public static StatusRuntimeException invalidArgument(String field, long limit, long value) {
        return error(Status.Code.INVALID_ARGUMENT, field + " is " + value + ", above the limit " + limit,
                ErrorDetail.newBuilder().setInvalidArgument(
                        InvalidArgument.newBuilder().setField(field).setLimit(limit).setValue(value)).build());
    }

    /** FAILED_PRECONDITION: a compare-and-set found version {@code currentVersion} (0: absent). */
    public static StatusRuntimeException preconditionFailed(long currentVersion) {
        return error(Status.Code.FAILED_PRECONDITION, "version is " + currentVersion,
                ErrorDetail.newBuilder().setPreconditionFailed(
                        PreconditionFailed.newBuilder().setCurrentVersion(currentVersion)).build());
    }

    /**
     * Another transaction holds an intent on {@code key}: FAILED_PRECONDITION for a prepare (the
     * caller's transaction conflicts), UNAVAILABLE for a write that waited for it in vain.
     */
    public static StatusRuntimeException txnConflict(boolean prepare, byte[] key, byte[] txnId, byte[] primaryKey) {
        String message = "key " + new String(key, java.nio.charset.StandardCharsets.UTF_8)
                + " is held by a prepared transaction (record with key "
                + new String(primaryKey, java.nio.charset.StandardCharsets.UTF_8) + ")"
                + (prepare ? "" : "; it is resolved or aborted within the transaction timeout");
        return error(prepare ? Status.Code.FAILED_PRECONDITION : Status.Code.UNAVAILABLE, message,
                ErrorDetail.newBuilder().setTxnConflict(io.cairn.api.proto.TxnConflict.newBuilder()
                        .setKey(com.google.protobuf.ByteString.copyFrom(key))
                        .setTxnId(com.google.protobuf.ByteString.copyFrom(txnId))
                        .setPrimaryKey(com.google.protobuf.ByteString.copyFrom(primaryKey))).build());
    }

    /** FAILED_PRECONDITION: the token given is not the lock's current grant, {@code currentToken} (0: free). */
    public static StatusRuntimeException staleToken(long currentToken) {
        return error(Status.Code.FAILED_PRECONDITION, "stale fencing token: the lock's current token is "
                        + currentToken + (currentToken == 0 ? " (free or expired)" : ""),
                ErrorDetail.newBuilder().setStaleToken(
                        io.cairn.api.proto.StaleToken.newBuilder().setCurrentToken(currentToken)).build());
    }

    /** FAILED_PRECONDITION: lock session {@code sessionId} ended in the lock's shard. */
    public static StatusRuntimeException sessionEnded(long sessionId) {
        return error(Status.Code.FAILED_PRECONDITION, "lock session " + Long.toHexString(sessionId)
                        + " ended (no keep-alive for its TTL, or closed); open a new session",
                ErrorDetail.newBuilder().setSessionEnded(
                        io.cairn.api.proto.SessionEnded.newBuilder().setSessionId(sessionId)).build());
    }

    /** INVALID_ARGUMENT: the state machine refused the command for {@code reason}, explained by {@code message}. */
    public static StatusRuntimeException rejected(String reason, String message) {
        return error(Status.Code.INVALID_ARGUMENT, message,
                ErrorDetail.newBuilder().setInvalidArgument(InvalidArgument.newBuilder().setField(reason)).build());
    }

    /** The ErrorDetail a failed call carries, if any. */
    public static Optional<ErrorDetail> detailOf(Throwable failure) {
        com.google.rpc.Status status = StatusProto.fromThrowable(failure);
        if (status == null) {
            return Optional.empty();
        }
        for (Any any : status.getDetailsList()) {
            if (any.is(ErrorDetail.class)) {
                try {
                    return Optional.of(any.unpack(ErrorDetail.class));
                } catch (InvalidProtocolBufferException e) {
                    return Optional.empty();
                }
            }
        }
        return Optional.empty();
    }

    /** OUT_OF_RANGE: a watch from a revision older than the replica's retained history. */
    public static StatusRuntimeException compacted(String message, long requested, long oldest) {
        return error(Status.Code.OUT_OF_RANGE, message, ErrorDetail.newBuilder().setCompacted(
                io.cairn.api.proto.Compacted.newBuilder().setRequestedRevision(requested).setOldestRevision(oldest)).build());
    }

    /**
     * A watch the server ended: RESOURCE_EXHAUSTED when the watcher fell too far behind, else
     * UNAVAILABLE (the replica went away); either way it resumes from {@code nextRevision}.
     */
    public static StatusRuntimeException watchCancelled(String reason, long nextRevision, boolean tooSlow) {
        return error(tooSlow ? Status.Code.RESOURCE_EXHAUSTED : Status.Code.UNAVAILABLE,
                reason + "; resume from revision " + nextRevision, ErrorDetail.newBuilder().setWatchCancelled(
                        io.cairn.api.proto.WatchCancelled.newBuilder().setReason(reason).setNextRevision(nextRevision)).build());
    }

    private static StatusRuntimeException error(Status.Code code, String message, ErrorDetail detail) {
        com.google.rpc.Status status = com.google.rpc.Status.newBuilder()
                .setCode(code.value())
                .setMessage(message)
                .addDetails(Any.pack(detail))
                .build();
        return StatusProto.toStatusRuntimeException(status);
    }
}
