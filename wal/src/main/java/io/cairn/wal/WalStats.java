package io.cairn.wal;

/**
 * Counters since the WAL was opened. {@code dataSyncs / appendCalls} is the group-commit ratio: 1
 * when every append waits for its own fdatasync, far below 1 when many appends share one.
 *
 * @param appendCalls batches made durable
 * @param records records made durable
 * @param bytesWritten encoded record bytes written, headers included
 * @param dataSyncs fdatasyncs of record data (segment creation syncs not counted)
 * @param segmentsCreated segments started by this instance
 */
public record WalStats(long appendCalls, long records, long bytesWritten, long dataSyncs, long segmentsCreated) {
    static final WalStats ZERO = new WalStats(0, 0, 0, 0, 0);
}
