package io.cairn.wal;

import java.io.IOException;
import java.nio.file.Path;

/**
 * The log on disk is damaged where a crash cannot have damaged it, so acknowledged data may be
 * lost. The WAL refuses to open: the node must stop and be repaired or rebuilt from its peers.
 */
public final class WalCorruptionException extends IOException {
    private static final long serialVersionUID = 1L;

    private final transient Path file;
    private final long offset;

    public WalCorruptionException(Path file, long offset, String detail) {
        super("WAL corrupt in " + file + " at byte " + offset + ": " + detail);
        this.file = file;
        this.offset = offset;
    }

    public Path file() {
        return file;
    }

    /** Byte offset in {@link #file()} of the first damaged byte or record. */
    public long offset() {
        return offset;
    }
}
