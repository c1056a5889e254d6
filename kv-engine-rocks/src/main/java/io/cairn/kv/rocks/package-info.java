/**
 * {@link io.cairn.kv.rocks.RocksKvEngine}, the production {@link io.cairn.kv.engine.KvEngine}:
 * RocksDB with its own WAL off, because the Raft log is the write-ahead log. Its class comment
 * states the invariant the host must keep: compact the log only up to an applied index that
 * {@code flush()} has made durable. No other package in Cairn imports {@code org.rocksdb}.
 */
package io.cairn.kv.rocks;
