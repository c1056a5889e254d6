package io.cairn.wal;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.List;

/**
 * A {@link FileIo} that hands every operation to another, for wrappers that change a few: fault
 * injection, timing. Handles the delegate opens pass through {@link #wrap}, so a wrapper of
 * handles extends {@link ForwardingHandle} and overrides only what it changes.
 */
public abstract class ForwardingFileIo implements FileIo {
    protected final FileIo delegate;

    protected ForwardingFileIo(FileIo delegate) {
        this.delegate = delegate;
    }

    /** The handle callers get for one the delegate opened or created; itself unless overridden. */
    protected Handle wrap(Handle handle) {
        return handle;
    }

    @Override
    public Handle create(Path file) throws IOException {
        return wrap(delegate.create(file));
    }

    @Override
    public Handle open(Path file) throws IOException {
        return wrap(delegate.open(file));
    }

    @Override
    public List<Path> list(Path dir) throws IOException {
        return delegate.list(dir);
    }

    @Override
    public void createDirectories(Path dir) throws IOException {
        delegate.createDirectories(dir);
    }

    @Override
    public void delete(Path file) throws IOException {
        delegate.delete(file);
    }

    @Override
    public void rename(Path source, Path target) throws IOException {
        delegate.rename(source, target);
    }

    @Override
    public void syncDirectory(Path dir) throws IOException {
        delegate.syncDirectory(dir);
    }

    /** A {@link FileIo.Handle} that hands every operation to another. */
    public abstract static class ForwardingHandle implements Handle {
        protected final Handle delegate;

        protected ForwardingHandle(Handle delegate) {
            this.delegate = delegate;
        }

        @Override
        public void write(ByteBuffer source, long position) throws IOException {
            delegate.write(source, position);
        }

        @Override
        public int read(ByteBuffer target, long position) throws IOException {
            return delegate.read(target, position);
        }

        @Override
        public void force() throws IOException {
            delegate.force();
        }

        @Override
        public void truncate(long sizeBytes) throws IOException {
            delegate.truncate(sizeBytes);
        }

        @Override
        public long size() throws IOException {
            return delegate.size();
        }

        @Override
        public void close() throws IOException {
            delegate.close();
        }
    }
}
