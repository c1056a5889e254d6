package io.cairn.wal;

import io.cairn.common.Invariants;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Owns the active segment. Encodes a round of batches into one buffer and makes it durable with
 * one write and one fdatasync, rolling over to a new segment first when the next batch would not
 * fit. Not thread-safe: only the thread holding the WAL's writer lock uses it.
 *
 * <p>Every write is synced before the next one starts, and a segment is complete and synced
 * before the next is created. Recovery depends on both (see {@link SegmentScanner}).
 *
 * <p>Segments are not preallocated. Java offers no fallocate, so preallocating would mean writing
 * zeros, doubling the bytes written at each roll; and with the file size equal to the bytes
 * written, everything after the last intact frame is known to be garbage from the crash. The cost
 * is that each fdatasync also commits the new file size to the file system journal.
 */
final class SegmentWriter {
    private final FileIo io;
    private final Path dir;
    private final int segmentBytesTarget;
    private final SegmentCatalog catalog;
    private final FrameCodec codec = new FrameCodec();
    private ByteBuffer buffer = ByteBuffer.allocate(0);

    private long sequence;
    private Path path;
    private FileIo.Handle handle;
    private int sizeBytes;
    private Map<Long, Long> maxIndexByGroup;

    private long bytesWritten;
    private long dataSyncs;
    private long segmentsCreated;

    private SegmentWriter(FileIo io, Path dir, WalOptions options, SegmentCatalog catalog) {
        this.io = io;
        this.dir = dir;
        this.segmentBytesTarget = options.segmentBytesTarget();
        this.catalog = catalog;
    }

    /** Starts the first segment of an empty log. */
    static SegmentWriter start(FileIo io, Path dir, WalOptions options, SegmentCatalog catalog) throws IOException {
        SegmentWriter writer = new SegmentWriter(io, dir, options, catalog);
        writer.startSegment(1);
        return writer;
    }

    /** Continues the recovered last segment, whose intact content ends at {@code sizeBytes}. */
    static SegmentWriter resume(FileIo io, Path dir, WalOptions options, SegmentCatalog catalog,
            SegmentSummary last, int sizeBytes) throws IOException {
        SegmentWriter writer = new SegmentWriter(io, dir, options, catalog);
        writer.sequence = last.sequence();
        writer.path = last.path();
        writer.handle = io.open(last.path());
        writer.sizeBytes = sizeBytes;
        writer.maxIndexByGroup = new HashMap<>(last.maxIndexByGroup());
        return writer;
    }

    /** Writes the batches in order; every byte of them is durable when this returns. */
    void write(List<Request> batches) throws IOException {
        for (Request batch : batches) {
            if (!fits(batch.bytes())) {
                flush();
                roll();
            }
            encode(batch);
        }
        flush();
    }

    long bytesWritten() {
        return bytesWritten;
    }

    long dataSyncs() {
        return dataSyncs;
    }

    long segmentsCreated() {
        return segmentsCreated;
    }

    void close() throws IOException {
        handle.close();
    }

    /** An empty segment takes any batch, so a batch larger than the target still gets written. */
    private boolean fits(int bytes) {
        long used = (long) sizeBytes + buffer.position();
        boolean empty = used == SegmentFile.HEADER_BYTES;
        return empty || used + bytes <= segmentBytesTarget;
    }

    private void encode(Request batch) {
        ensureRoom(batch.bytes());
        int before = buffer.position();
        for (WalRecord record : batch.records()) {
            // Every frame names where this write starts: the current end of the segment.
            codec.encode(record, sizeBytes, buffer);
            maxIndexByGroup.merge(record.groupId().value(), record.index(), Math::max);
        }
        Invariants.check(buffer.position() - before == batch.bytes(),
                "batch encoded to %s bytes, expected %s", buffer.position() - before, batch.bytes());
    }

    private void ensureRoom(int bytes) {
        if (buffer.remaining() >= bytes) {
            return;
        }
        int capacity = Math.max(buffer.capacity() * 2, Math.addExact(buffer.position(), bytes));
        ByteBuffer grown = ByteBuffer.allocate(capacity);
        grown.put(buffer.flip());
        buffer = grown;
    }

    /** One write and one fdatasync of everything encoded since the last flush. */
    private void flush() throws IOException {
        if (buffer.position() == 0) {
            return;
        }
        buffer.flip();
        int bytes = buffer.remaining();
        handle.write(buffer, sizeBytes);
        handle.force();
        sizeBytes = Math.addExact(sizeBytes, bytes);
        bytesWritten += bytes;
        dataSyncs++;
        buffer.clear();
    }

    /** Creates the next segment before sealing this one, so a failure leaves this one active. */
    private void roll() throws IOException {
        Invariants.check(buffer.position() == 0, "rolling over with %s unwritten bytes", buffer.position());
        SegmentSummary sealed = new SegmentSummary(sequence, path, maxIndexByGroup);
        FileIo.Handle sealedHandle = handle;
        startSegment(sequence + 1);
        catalog.add(sealed);
        sealedHandle.close();
    }

    private void startSegment(long newSequence) throws IOException {
        handle = SegmentFile.create(io, dir, newSequence);
        sequence = newSequence;
        path = SegmentFile.path(dir, newSequence);
        sizeBytes = SegmentFile.HEADER_BYTES;
        maxIndexByGroup = new HashMap<>();
        segmentsCreated++;
    }
}
