package io.cairn.wal;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Batches waiting for the writer, in arrival order; that order is the order in the log.
 *
 * <p>The bound: at most {@code queuedBytesMax} encoded bytes wait here, and an appender blocks
 * until its batch fits. Draining frees the space at once, so together with the batch being
 * written at most twice the bound is in memory. One exception keeps the writer from waiting for
 * itself: the thread that is writing never blocks, so an append from a completion callback (which
 * runs on that thread) may overshoot the bound by its own batch.
 *
 * <p>After {@link #fail} every waiting and later batch fails at once; after {@link #close} adding
 * is an error, while batches already waiting are still drained.
 */
final class CommitQueue {
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition spaceFreed = lock.newCondition();
    private final ArrayDeque<Request> waiting = new ArrayDeque<>();
    private final int queuedBytesMax;
    private long queuedBytes;
    private WalFailedException failure;
    private boolean closed;

    CommitQueue(int queuedBytesMax) {
        this.queuedBytesMax = queuedBytesMax;
    }

    /**
     * Queues the batch, first waiting for room if {@code mayBlock}. The wait ignores interrupts
     * (the flag stays set): it lasts one write and sync, and giving up half-way would leave the
     * caller unsure whether its batch was queued.
     *
     * @throws IllegalStateException if the queue is closed
     */
    void add(Request request, boolean mayBlock) {
        WalFailedException failed;
        lock.lock();
        try {
            while (mayBlock && failure == null && !closed && queuedBytes + request.bytes() > queuedBytesMax) {
                spaceFreed.awaitUninterruptibly();
            }
            if (closed) {
                throw new IllegalStateException("WAL is closed");
            }
            failed = failure;
            if (failed == null) {
                waiting.addLast(request);
                queuedBytes += request.bytes();
            }
        } finally {
            lock.unlock();
        }
        // Completed outside the lock: completion runs the appender's callbacks on this thread.
        if (failed != null) {
            request.durable().completeExceptionally(failed);
        }
    }

    /** Takes every waiting batch, oldest first; empty when none waits. */
    List<Request> drain() {
        lock.lock();
        try {
            List<Request> drained = new ArrayList<>(waiting);
            waiting.clear();
            queuedBytes = 0;
            spaceFreed.signalAll();
            return drained;
        } finally {
            lock.unlock();
        }
    }

    boolean isEmpty() {
        lock.lock();
        try {
            return waiting.isEmpty();
        } finally {
            lock.unlock();
        }
    }

    /**
     * Fails every waiting batch and every later one.
     *
     * @return the exception the batches fail with; the first failure's, if there were several
     */
    WalFailedException fail(Throwable cause) {
        List<Request> dropped;
        WalFailedException failed;
        lock.lock();
        try {
            if (failure == null) {
                failure = new WalFailedException(cause);
            }
            failed = failure;
            dropped = new ArrayList<>(waiting);
            waiting.clear();
            queuedBytes = 0;
            spaceFreed.signalAll();
        } finally {
            lock.unlock();
        }
        dropped.forEach(request -> request.durable().completeExceptionally(failed));
        return failed;
    }

    void close() {
        lock.lock();
        try {
            closed = true;
            spaceFreed.signalAll();
        } finally {
            lock.unlock();
        }
    }
}
