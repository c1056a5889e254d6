package io.cairn.client;

import com.google.protobuf.Any;
import com.google.protobuf.InvalidProtocolBufferException;
import io.cairn.api.proto.ErrorDetail;
import io.grpc.Status;
import io.grpc.protobuf.StatusProto;

/**
 * Reads the {@link ErrorDetail} a server puts in a failed call's {@code google.rpc.Status}, as
 * {@code io.cairn.transport.grpc.GrpcErrors} writes it (that module is a server-side one).
 */
final class ErrorDetails {
    private static final int DESCRIPTION_CHARS_MAX = 300;

    private ErrorDetails() {}

    /** The detail of a failed call, or null when it has none. */
    static ErrorDetail of(Throwable failure) {
        com.google.rpc.Status status = StatusProto.fromThrowable(failure);
        if (status == null) {
            return null;
        }
        for (Any any : status.getDetailsList()) {
            if (any.is(ErrorDetail.class)) {
                try {
                    return any.unpack(ErrorDetail.class);
                } catch (InvalidProtocolBufferException e) {
                    return null;
                }
            }
        }
        return null;
    }

    /** {@code CODE: description (cause)}, on one line and bounded in length. */
    static String describe(Status status) {
        StringBuilder sb = new StringBuilder(status.getCode().name());
        if (status.getDescription() != null) {
            sb.append(": ").append(status.getDescription());
        }
        Throwable cause = status.getCause();
        if (cause != null && cause.getMessage() != null) {
            sb.append(" (").append(cause.getMessage()).append(')');
        }
        String oneLine = sb.toString().replaceAll("\\s+", " ");
        return oneLine.length() <= DESCRIPTION_CHARS_MAX ? oneLine : oneLine.substring(0, DESCRIPTION_CHARS_MAX) + "...";
    }
}
