package io.cairn.cli.bench;

/**
 * A peer system's transaction that lost its race (another client changed what it read), as a
 * bench target reports it; counted as {@link ErrorKind#TXN_CONFLICT}, like Cairn's own
 * {@code TransactionConflictException}.
 */
public final class TxnAborted extends RuntimeException {
    public TxnAborted(String message) {
        super(message);
    }
}
