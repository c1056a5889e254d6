package io.cairn.wal;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.function.BooleanSupplier;

/**
 * A {@link FileIo} on a disk that may be full: while {@code full} says so, every file creation
 * and every write fails as ENOSPC would, and everything else (reads, syncs, renames, deletions)
 * works. The fault suite's nodes and the simulator's machines inject a full disk through it.
 */
public final class FullDiskFileIo extends ForwardingFileIo {
    private final BooleanSupplier full;
    private final String origin;

    /** @param origin how the message names the fault, e.g. "injected" */
    public FullDiskFileIo(FileIo delegate, BooleanSupplier full, String origin) {
        super(delegate);
        this.full = full;
        this.origin = origin;
    }

    @Override
    public Handle create(Path file) throws IOException {
        failIfFull();
        return super.create(file);
    }

    @Override
    protected Handle wrap(Handle handle) {
        return new ForwardingHandle(handle) {
            @Override
            public void write(ByteBuffer source, long position) throws IOException {
                failIfFull();
                super.write(source, position);
            }
        };
    }

    private void failIfFull() throws IOException {
        if (full.getAsBoolean()) {
            throw new IOException("No space left on device (" + origin + ")");
        }
    }
}
