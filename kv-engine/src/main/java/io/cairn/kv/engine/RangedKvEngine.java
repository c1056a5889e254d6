package io.cairn.kv.engine;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/**
 * A {@link KvEngine} that holds many independent key ranges, one per replica a node hosts, and
 * acts on a range as a whole: drop it, export it as a snapshot, replace it from one. A node keeps
 * one such engine for all its shards, so one write, one flush and one compaction serve them
 * all; each replica sees its own range through a {@link PrefixedKvEngine}.
 *
 * <p>Every range here is {@code [fromInclusive, toExclusive)} with both bounds given and
 * {@code fromInclusive < toExclusive} in unsigned byte order; other bounds are bad arguments.
 */
public interface RangedKvEngine extends KvEngine {
    /**
     * Removes every pair of the range. Like a {@link #write}, durable once a later
     * {@link #flush()} returns.
     */
    void deleteRange(byte[] fromInclusive, byte[] toExclusive);

    /**
     * Writes a consistent image of the range's pairs, writes not yet flushed included, as files
     * into {@code dir}, which must not exist yet (missing parents are created). Returns the files
     * written, relative to {@code dir}, in ascending order; none for an empty range. The image is
     * durable when this returns.
     *
     * @throws java.nio.file.FileAlreadyExistsException if {@code dir} exists
     */
    List<Path> exportRange(byte[] fromInclusive, byte[] toExclusive, Path dir) throws IOException;

    /**
     * Captures a consistent image of the range now, to be written out later by
     * {@link RangeImage#writeTo}; cheap (RocksDB: a snapshot), so a host can take it on a busy
     * thread and write it on another.
     */
    RangeImage captureRange(byte[] fromInclusive, byte[] toExclusive);

    /**
     * Replaces the content of the range with an image {@link #exportRange} made of the same
     * range by an engine of the same kind; {@code dir} is only read. Pairs outside the range are
     * untouched. When this returns, the new content of the range and every write made before
     * the call are durable. An image that is damaged, foreign or holds a key outside the range
     * is refused with an {@link IOException} before anything changes; a crash in the middle
     * leaves the old content, or the new once the engine is opened again, never a mix.
     */
    void importRange(byte[] fromInclusive, byte[] toExclusive, Path dir) throws IOException;

    /** Approximate bytes the range takes, flushed or not. */
    long approximateSizeBytes(byte[] fromInclusive, byte[] toExclusive);

    /** Checks a range's bounds as the methods above require them. */
    static void checkRange(byte[] fromInclusive, byte[] toExclusive) {
        if (fromInclusive == null || toExclusive == null) {
            throw new NullPointerException("both bounds of a range are required");
        }
        if (java.util.Arrays.compareUnsigned(fromInclusive, toExclusive) >= 0) {
            throw new IllegalArgumentException("empty or inverted range: its start must sort below its end");
        }
    }
}
