package io.cairn.cli.bench;

import io.cairn.client.CairnUnavailableException;
import io.cairn.client.CasFailedException;
import io.grpc.Status;
import java.util.Locale;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;

/**
 * Why a request ended without success. The client retries inside its request timeout; these
 * are the outcomes left once it gives up, each counted, none retried by the bench.
 */
public enum ErrorKind {
    /** The deadline passed while nodes refused or could not be reached (no leader, connection refused). */
    UNAVAILABLE,
    /**
     * The deadline passed while the last attempt was still waiting for an answer, or before any
     * attempt (waiting for a write session); or a fixed-rate request fell so far behind its
     * schedule that it was not sent.
     */
    TIMEOUT,
    /** A compare-and-set found another version: an answer, not a failure of the cluster. */
    CAS_CONFLICT,
    /** A transaction aborted because another wrote what it read (optimistic concurrency). */
    TXN_CONFLICT,
    /** Anything else: a server error, a refused argument, a closed client. */
    OTHER;

    public String jsonName() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** Whether this kind counts in the run's {@code errors}; a CAS conflict does not. */
    public boolean isError() {
        return this != CAS_CONFLICT && this != TXN_CONFLICT;
    }

    /** The kind of a request's failure, looking through future wrappers. */
    public static ErrorKind of(Throwable failure) {
        Throwable t = failure;
        while ((t instanceof CompletionException || t instanceof ExecutionException) && t.getCause() != null) {
            t = t.getCause();
        }
        if (t instanceof CasFailedException) {
            return CAS_CONFLICT;
        }
        if (t instanceof io.cairn.client.TransactionConflictException || t instanceof TxnAborted) {
            return TXN_CONFLICT;
        }
        if (t instanceof CairnUnavailableException unavailable) {
            Throwable last = unavailable.getCause();
            // No last error: the deadline passed before the request got an attempt of its own.
            if (last == null || Status.fromThrowable(last).getCode() == Status.Code.DEADLINE_EXCEEDED) {
                return TIMEOUT;
            }
            return UNAVAILABLE;
        }
        return OTHER;
    }
}
