package io.cairn.wal;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;

/** Wraps a FileIo so a test can hold the writer inside one force while other threads act. */
final class GatedFileIo implements FileIo {
    private final FileIo delegate;
    private final AtomicBoolean armed = new AtomicBoolean();
    private final CountDownLatch entered = new CountDownLatch(1);
    private final CountDownLatch released = new CountDownLatch(1);

    GatedFileIo(FileIo delegate) {
        this.delegate = delegate;
    }

    /** The next force waits, after {@link #awaitHeld()} returns, until {@link #release()}. */
    void holdNextForce() {
        armed.set(true);
    }

    void awaitHeld() throws InterruptedException {
        entered.await();
    }

    void release() {
        released.countDown();
    }

    @Override
    public Handle create(Path file) throws IOException {
        return new GatedHandle(delegate.create(file));
    }

    @Override
    public Handle open(Path file) throws IOException {
        return new GatedHandle(delegate.open(file));
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

    private final class GatedHandle implements Handle {
        private final Handle handle;

        GatedHandle(Handle handle) {
            this.handle = handle;
        }

        @Override
        public void write(ByteBuffer source, long position) throws IOException {
            handle.write(source, position);
        }

        @Override
        public int read(ByteBuffer target, long position) throws IOException {
            return handle.read(target, position);
        }

        @Override
        public void force() throws IOException {
            if (armed.compareAndSet(true, false)) {
                entered.countDown();
                try {
                    released.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IOException("interrupted while held", e);
                }
            }
            handle.force();
        }

        @Override
        public void truncate(long sizeBytes) throws IOException {
            handle.truncate(sizeBytes);
        }

        @Override
        public long size() throws IOException {
            return handle.size();
        }

        @Override
        public void close() throws IOException {
            handle.close();
        }
    }
}
