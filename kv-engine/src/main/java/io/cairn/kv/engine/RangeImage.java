package io.cairn.kv.engine;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/**
 * A consistent image of a key range as of the moment {@link RangedKvEngine#captureRange} took it
 * (RocksDB: a snapshot), written out later and possibly on another thread, while the engine
 * takes new writes. It pins what it needs until closed: close it once written.
 */
public interface RangeImage extends AutoCloseable {
    /**
     * Writes the image as {@link RangedKvEngine#exportRange} does: files in {@code dir}, which
     * must not exist yet; returns them relative to {@code dir}, in ascending order (none for an
     * empty range); durable when this returns.
     */
    List<Path> writeTo(Path dir) throws IOException;

    /** Releases the image. Idempotent. */
    @Override
    void close();
}
