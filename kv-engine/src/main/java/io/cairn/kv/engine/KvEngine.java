package io.cairn.kv.engine;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/**
 * An ordered byte-key store under a replicated state machine. Keys compare as unsigned bytes;
 * the empty key is a valid key. Arrays passed in are not retained; arrays returned belong to
 * the caller.
 *
 * <p>Writes are atomic per {@link WriteBatch}; the state machine puts the applied index in the
 * same batch as the data it covers, so after a crash the engine is exactly at some applied
 * index. Implementations need not make writes durable on their own (the replicated log is the
 * write-ahead log); {@link #flush()} makes everything written so far durable. The host may
 * therefore compact its log only up to an applied index that a completed {@code flush()} (or
 * {@link #restore}) has made durable.
 *
 * <p>Failures are kept apart: a null argument or a negative limit is a bad argument
 * ({@link NullPointerException}, {@link IllegalArgumentException}); a call after {@link #close()}
 * throws {@link IllegalStateException}; a failure of the storage underneath (I/O error,
 * corruption, full disk) throws {@link KvEngineException} from the unchecked methods and
 * {@link IOException} from those that declare it.
 *
 * <p>Whether an engine may be used from several threads is up to the implementation, which
 * says so in its own documentation.
 *
 * <p>This contract must not depend on RocksDB: {@code kv-engine-rocks} implements it, and the
 * simulator runs on {@link MemoryKvEngine}.
 */
public interface KvEngine extends AutoCloseable {
    /** The value stored under key, or null. */
    byte[] get(byte[] key);

    /** Applies every operation of the batch atomically, in order. An empty batch does nothing. */
    void write(WriteBatch batch);

    /**
     * Pairs with {@code fromInclusive <= key < toExclusive} in ascending unsigned key order, at
     * most {@code limit} of them; {@code toExclusive} null means no upper bound. An empty range
     * ({@code fromInclusive >= toExclusive}) or a limit of 0 gives an empty list. A scan sees
     * the writes of whole batches only.
     *
     * @throws IllegalArgumentException if {@code limit < 0}
     */
    List<KvPair> scan(byte[] fromInclusive, byte[] toExclusive, int limit);

    /** Makes every write so far durable; returns when it is (RocksDB: flush memtables). */
    void flush();

    /**
     * Writes a consistent image of the whole store, including writes not yet flushed, as files
     * into {@code dir}, which must not exist yet; missing parent directories are created
     * (RocksDB: a checkpoint of hard links). Returns the files written, relative to {@code dir},
     * in ascending order. The image is durable when this returns.
     *
     * @throws java.nio.file.FileAlreadyExistsException if {@code dir} exists
     */
    List<Path> checkpoint(Path dir) throws IOException;

    /**
     * Replaces the entire content with the image in {@code dir}, made by {@link #checkpoint} of
     * an engine of the same kind; {@code dir} is only read. The restored content is durable when
     * this returns. On failure (a missing, damaged or foreign image) it throws and the previous
     * content is intact.
     */
    void restore(Path dir) throws IOException;

    /** Approximate bytes stored, for status and compaction policy. */
    long approximateSizeBytes();

    /** Releases every resource. Idempotent; any other method called afterwards throws. */
    @Override
    void close();
}
