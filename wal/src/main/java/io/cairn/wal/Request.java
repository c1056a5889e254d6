package io.cairn.wal;

import java.util.List;
import java.util.concurrent.CompletableFuture;

/** One appended batch waiting to be written, its encoded size, and the future its appender holds. */
record Request(List<WalRecord> records, int bytes, CompletableFuture<Void> durable) {}
