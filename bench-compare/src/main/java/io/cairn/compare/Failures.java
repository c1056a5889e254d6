package io.cairn.compare;

import io.cairn.cli.bench.ErrorKind;
import io.cairn.client.CairnUnavailableException;
import io.cairn.client.CasFailedException;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.util.List;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeoutException;
import org.apache.zookeeper.KeeperException;

/**
 * Puts etcd's and ZooKeeper's failures in the terms {@link ErrorKind#of} reads, so that a run
 * against them counts failures by the same kinds as a run against Cairn:
 * <ul>
 *   <li>a compare-and-set that found another version is a {@link CasFailedException}
 *       ({@link ErrorKind#CAS_CONFLICT}, not an error), as Cairn's client reports it;</li>
 *   <li>a request whose deadline passed is a {@link CairnUnavailableException} whose cause has
 *       status {@code DEADLINE_EXCEEDED} ({@link ErrorKind#TIMEOUT});</li>
 *   <li>a server that cannot serve (gRPC {@code UNAVAILABLE}, a lost ZooKeeper connection or
 *       session) is a {@link CairnUnavailableException} with that cause
 *       ({@link ErrorKind#UNAVAILABLE});</li>
 *   <li>anything else is left as it is ({@link ErrorKind#OTHER}).</li>
 * </ul>
 */
final class Failures {
    /** The version a ZooKeeper compare-and-set reports when it lost: ZooKeeper does not say which it found. */
    static final long VERSION_UNKNOWN = -1;

    private Failures() {}

    static CasFailedException casConflict(long currentVersion) {
        return new CasFailedException(currentVersion);
    }

    /** A gRPC failure of a call to {@code endpoint}. */
    static Throwable ofGrpc(Throwable failure, String endpoint) {
        Status.Code code = Status.fromThrowable(failure).getCode();
        if (code == Status.Code.DEADLINE_EXCEEDED || code == Status.Code.UNAVAILABLE) {
            return new CairnUnavailableException(endpoint + ": " + failure.getMessage(), List.of(endpoint), failure);
        }
        return failure;
    }

    /** A ZooKeeper failure of a request to {@code endpoint}; a {@link TimeoutException} is our own deadline. */
    static Throwable ofZooKeeper(Throwable failure, String endpoint) {
        Throwable t = failure instanceof CompletionException && failure.getCause() != null ? failure.getCause() : failure;
        if (t instanceof TimeoutException) {
            StatusRuntimeException deadline = Status.DEADLINE_EXCEEDED
                    .withDescription("no answer within the request timeout").asRuntimeException();
            return new CairnUnavailableException(endpoint + ": no answer within the request timeout",
                    List.of(endpoint), deadline);
        }
        if (t instanceof KeeperException keeper && isUnavailable(keeper.code())) {
            return new CairnUnavailableException(endpoint + ": " + keeper.getMessage(), List.of(endpoint), keeper);
        }
        return t;
    }

    private static boolean isUnavailable(KeeperException.Code code) {
        return switch (code) {
            case CONNECTIONLOSS, SESSIONEXPIRED, SESSIONMOVED, OPERATIONTIMEOUT, NOTREADONLY, REQUESTTIMEOUT -> true;
            default -> false;
        };
    }
}
