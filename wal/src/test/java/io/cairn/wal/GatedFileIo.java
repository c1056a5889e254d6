package io.cairn.wal;

import java.io.IOException;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;

/** Wraps a FileIo so a test can hold the writer inside one force while other threads act. */
final class GatedFileIo extends ForwardingFileIo {
    private final AtomicBoolean armed = new AtomicBoolean();
    private final CountDownLatch entered = new CountDownLatch(1);
    private final CountDownLatch released = new CountDownLatch(1);

    GatedFileIo(FileIo delegate) {
        super(delegate);
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
    protected Handle wrap(Handle handle) {
        return new ForwardingHandle(handle) {
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
                super.force();
            }
        };
    }
}
