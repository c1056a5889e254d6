package io.cairn.wal;

import io.cairn.common.GroupId;
import io.cairn.common.Invariants;
import java.io.Closeable;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;

/**
 * The node's write-ahead log, shared by all its consensus groups. See the package documentation
 * for the format and the durability contract.
 *
 * <p>Group commit without a thread of its own: an appender queues its batch and, if no other
 * thread is writing, becomes the writer. The writer takes everything queued, writes it with one
 * write and one fdatasync, completes those futures, and repeats until the queue is empty. So
 * every batch that arrives while an fdatasync runs shares the next one, and a single-threaded
 * host (or the simulator) does all I/O on its own thread, deterministically. The price: under
 * sustained load from other threads, the thread that became the writer keeps writing for them
 * until the queue drains.
 *
 * <p>Thread-safe. Futures complete on the writing thread, so callbacks attached with the
 * non-async {@link CompletableFuture} methods run there and should be short; they may append
 * (never blocking for space), but not call {@link #appendAndSync} or {@link #close}.
 */
public final class Wal implements Closeable {
    private static final System.Logger LOG = System.getLogger(Wal.class.getName());

    private final WalOptions options;
    private final CommitQueue queue;
    private final SegmentCatalog catalog;
    private final RecoveryReport recoveryReport;
    private final ReentrantLock writerLock = new ReentrantLock();
    private final SegmentWriter writer; // guarded by writerLock
    private long appendCalls; // guarded by writerLock
    private long records; // guarded by writerLock
    private volatile WalStats stats = WalStats.ZERO;

    private Wal(WalOptions options, SegmentCatalog catalog, SegmentWriter writer, RecoveryReport recoveryReport) {
        this.options = options;
        this.queue = new CommitQueue(options.queuedBytesMax());
        this.catalog = catalog;
        this.writer = writer;
        this.recoveryReport = recoveryReport;
    }

    /**
     * Opens the log in {@code dir}, creating it if needed, and passes every recovered record to
     * {@code replay}, in log order, before returning. A torn tail is cut off and reported in
     * {@link #recoveryReport()}.
     *
     * <p>Release points are not stored: after opening, the host calls {@link #release} again for
     * each group, or no segment is ever deleted.
     *
     * @throws WalCorruptionException if acknowledged data is damaged or a segment is missing;
     *     records replayed before the damage must then be discarded
     */
    public static Wal open(Path dir, WalOptions options, FileIo io, Consumer<WalRecord> replay) throws IOException {
        Recovery.Result recovered = Recovery.run(io, dir, replay);
        List<SegmentSummary> segments = recovered.segments();
        int newest = segments.size() - 1;
        SegmentCatalog catalog = new SegmentCatalog(io, dir, segments.subList(0, Math.max(newest, 0)));
        SegmentWriter writer = segments.isEmpty()
                ? SegmentWriter.start(io, dir, options, catalog)
                : SegmentWriter.resume(io, dir, options, catalog, segments.get(newest), recovered.lastSizeBytes());
        return new Wal(options, catalog, writer, recovered.report());
    }

    /** {@link #open(Path, WalOptions, FileIo, Consumer)} on the real file system with defaults. */
    public static Wal open(Path dir, Consumer<WalRecord> replay) throws IOException {
        return open(dir, WalOptions.DEFAULTS, new NioFileIo(), replay);
    }

    /**
     * Queues the batch behind every batch queued before it, and writes if no other thread is
     * writing. Blocks while the queue is full (see {@link WalOptions#queuedBytesMax()}).
     *
     * @return a future that completes when every record of the batch, and of every batch queued
     *     before it, is durable; or fails with {@link WalFailedException}, in which case the
     *     records may or may not be on disk. Cancelling it does not withdraw the batch.
     * @throws IllegalArgumentException if the batch is empty, a payload exceeds
     *     {@link WalOptions#recordPayloadBytesMax()}, or the batch encodes to more than
     *     {@link WalOptions#queuedBytesMax()}
     * @throws IllegalStateException if the WAL is closed
     */
    public CompletableFuture<Void> append(List<WalRecord> batch) {
        Request request = requestFor(batch);
        boolean writing = writerLock.isHeldByCurrentThread();
        queue.add(request, !writing);
        // A callback on the writing thread leaves its batch to the write loop it is called from.
        if (!writing) {
            writeWhileQueued();
        }
        return request.durable();
    }

    /**
     * Appends the batch and returns once it is durable: the call for a single-threaded host loop.
     *
     * @throws WalFailedException if the write or sync failed; the WAL accepts nothing more
     * @throws IllegalArgumentException as for {@link #append}
     */
    public void appendAndSync(List<WalRecord> batch) throws IOException {
        Invariants.check(!writerLock.isHeldByCurrentThread(),
                "appendAndSync from a completion callback would wait for its own write loop");
        try {
            append(batch).join();
        } catch (CompletionException e) {
            throw rethrowable(e.getCause());
        }
    }

    /**
     * Declares that {@code group} no longer needs its records with an index below
     * {@code firstNeededIndex}, typically after a snapshot at {@code firstNeededIndex - 1}, and
     * deletes the oldest segments whose records are now all released. Segments are deleted only
     * from the front of the log, so one old record still needed keeps every later segment too. A
     * group that leaves the node releases {@link Long#MAX_VALUE}.
     *
     * @return the number of segments deleted
     */
    public int release(GroupId group, long firstNeededIndex) throws IOException {
        if (firstNeededIndex < 0) {
            throw new IllegalArgumentException("firstNeededIndex must not be negative: " + firstNeededIndex);
        }
        return catalog.release(group.value(), firstNeededIndex);
    }

    /**
     * Forgets {@code group}'s release point, for a group that left the node (released up to
     * {@link Long#MAX_VALUE}) and now comes back: its new records must be kept again until it
     * releases them.
     */
    public void resetRelease(GroupId group) {
        catalog.resetRelease(group.value());
    }

    public RecoveryReport recoveryReport() {
        return recoveryReport;
    }

    public WalStats stats() {
        return stats;
    }

    /** The number of segments that are neither active nor deleted. */
    public int sealedSegmentCount() {
        return catalog.sealedCount();
    }

    /** Writes the batches already queued, then closes the active segment. Idempotent. */
    @Override
    public void close() throws IOException {
        Invariants.check(!writerLock.isHeldByCurrentThread(), "close from a completion callback");
        queue.close();
        writerLock.lock();
        try {
            writeUntilEmpty();
            writer.close();
        } finally {
            writerLock.unlock();
        }
    }

    private Request requestFor(List<WalRecord> batch) {
        if (batch.isEmpty()) {
            throw new IllegalArgumentException("a batch needs at least one record");
        }
        long bytes = 0;
        for (WalRecord record : batch) {
            int payloadBytes = record.payload().size();
            if (payloadBytes > options.recordPayloadBytesMax()) {
                throw new IllegalArgumentException("record payload of " + payloadBytes
                        + " bytes exceeds recordPayloadBytesMax " + options.recordPayloadBytesMax());
            }
            bytes += FrameCodec.frameBytes(payloadBytes);
        }
        if (bytes > options.queuedBytesMax()) {
            throw new IllegalArgumentException(
                    "batch of " + bytes + " encoded bytes exceeds queuedBytesMax " + options.queuedBytesMax());
        }
        return new Request(List.copyOf(batch), (int) bytes, new CompletableFuture<>());
    }

    /**
     * Writes until the queue is empty or another thread is writing. Nothing is stranded: a batch
     * queued while another thread held the lock is seen by that thread's check after unlocking.
     */
    private void writeWhileQueued() {
        while (!queue.isEmpty() && writerLock.tryLock()) {
            try {
                writeUntilEmpty();
            } finally {
                writerLock.unlock();
            }
        }
    }

    private void writeUntilEmpty() {
        Invariants.check(writerLock.isHeldByCurrentThread(), "writing without the writer lock");
        for (List<Request> round = queue.drain(); !round.isEmpty(); round = queue.drain()) {
            writeRound(round);
        }
    }

    private void writeRound(List<Request> round) {
        try {
            writer.write(round);
        } catch (IOException e) {
            failRound(round, e);
            return;
        } catch (RuntimeException | Error e) {
            failRound(round, e);
            throw e;
        }
        publishStats(round);
        round.forEach(request -> request.durable().complete(null));
    }

    /** A failed write or sync leaves the disk in an unknown state, so nothing more is written. */
    private void failRound(List<Request> round, Throwable cause) {
        LOG.log(Level.ERROR, "WAL write failed; failing every pending and later append", cause);
        WalFailedException failure = queue.fail(cause);
        round.forEach(request -> request.durable().completeExceptionally(failure));
    }

    private void publishStats(List<Request> round) {
        appendCalls += round.size();
        for (Request request : round) {
            records += request.records().size();
        }
        stats = new WalStats(appendCalls, records, writer.bytesWritten(), writer.dataSyncs(), writer.segmentsCreated());
    }

    private static IOException rethrowable(Throwable cause) {
        if (cause instanceof IOException io) {
            return io;
        }
        if (cause instanceof RuntimeException runtime) {
            throw runtime;
        }
        if (cause instanceof Error error) {
            throw error;
        }
        return new IOException(cause);
    }
}
