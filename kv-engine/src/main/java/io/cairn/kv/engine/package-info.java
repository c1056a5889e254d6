/**
 * The storage engine under the replicated state machine: the {@link io.cairn.kv.engine.KvEngine}
 * contract, atomic {@link io.cairn.kv.engine.WriteBatch}es, and {@link
 * io.cairn.kv.engine.MemoryKvEngine}, the deterministic engine the simulator runs on. The
 * RocksDB engine lives in {@code kv-engine-rocks}; nothing here may depend on it.
 *
 * <p>An engine does not keep a write-ahead log of its own: the replicated log is the WAL. So
 * the host has these duties:
 * <ol>
 *   <li>Apply committed entries in log order, each (or each run of them) as one {@code
 *       WriteBatch} that also records the applied index, so the data and the index that
 *       covers it are always written together.</li>
 *   <li>Before compacting the log up to index {@code i}, call {@code flush()} after applying
 *       {@code i} and wait for it to return. Never compact past an index that a completed
 *       {@code flush()} (or {@code restore()}) made durable.</li>
 *   <li>After a restart, read the applied index back from the engine; the engine may be at any
 *       batch boundary at or after its last flush. Replay the log from the index after it.</li>
 *   <li>To send a snapshot, {@code checkpoint(dir)} and ship the files it lists; to install
 *       one, {@code restore(dir)}, then continue from the applied index it contains.</li>
 * </ol>
 */
package io.cairn.kv.engine;
