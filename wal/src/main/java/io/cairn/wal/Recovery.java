package io.cairn.wal;

import io.cairn.wal.RecoveryReport.Truncation;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.TreeSet;
import java.util.function.Consumer;

/**
 * Opens the log directory: removes segments whose creation a crash interrupted, checks that no
 * segment is missing, replays every segment in order and cuts a torn tail off the last one.
 */
final class Recovery {
    private static final System.Logger LOG = System.getLogger(Recovery.class.getName());

    /**
     * @param segments every segment, oldest first; the last is where appending continues
     * @param lastSizeBytes the size of the last segment after any truncation
     */
    record Result(List<SegmentSummary> segments, int lastSizeBytes, RecoveryReport report) {}

    private final FileIo io;
    private final Path dir;

    private Recovery(FileIo io, Path dir) {
        this.io = io;
        this.dir = dir;
    }

    static Result run(FileIo io, Path dir, Consumer<WalRecord> replay) throws IOException {
        return new Recovery(io, dir).replayAll(replay);
    }

    private Result replayAll(Consumer<WalRecord> replay) throws IOException {
        prepareDirectory();
        List<Long> sequences = segmentSequences();
        List<SegmentSummary> segments = new ArrayList<>();
        long records = 0;
        Optional<Truncation> truncation = Optional.empty();
        int lastSizeBytes = 0;
        for (int i = 0; i < sequences.size(); i++) {
            Path file = SegmentFile.path(dir, sequences.get(i));
            boolean last = i == sequences.size() - 1;
            SegmentScanner.Result scanned =
                    SegmentScanner.scan(file, readWhole(file), sequences.get(i), last, replay);
            segments.add(scanned.summary());
            records += scanned.records();
            lastSizeBytes = scanned.validEnd();
            if (scanned.tornTailReason().isPresent()) {
                truncation = Optional.of(truncate(file, scanned));
            }
        }
        RecoveryReport report = new RecoveryReport(segments.size(), records, truncation);
        LOG.log(Level.INFO, "WAL {0}: replayed {1} records from {2} segments", dir, records, segments.size());
        return new Result(segments, lastSizeBytes, report);
    }

    /** Creates the directory if needed and syncs its parent, so a new directory survives a crash. */
    private void prepareDirectory() throws IOException {
        io.createDirectories(dir);
        Path parent = dir.getParent();
        if (parent != null) {
            io.syncDirectory(parent);
        }
    }

    /**
     * The sequence numbers of the segment files, ascending. Temporary files are deleted: they are
     * segments whose creation a crash interrupted before any record went into them.
     */
    private List<Long> segmentSequences() throws IOException {
        TreeSet<Long> sequences = new TreeSet<>();
        for (Path file : io.list(dir)) {
            if (SegmentFile.isTemporary(file)) {
                io.delete(file);
                LOG.log(Level.INFO, "deleted {0}, a segment whose creation was interrupted", file);
                continue;
            }
            OptionalLong sequence = SegmentFile.sequenceOf(file);
            if (sequence.isPresent()) {
                sequences.add(sequence.getAsLong());
            }
        }
        requireContiguous(sequences);
        return List.copyOf(sequences);
    }

    /** Segments are deleted only from the front, so a gap means a segment was lost. */
    private void requireContiguous(TreeSet<Long> sequences) throws WalCorruptionException {
        long expected = sequences.isEmpty() ? 0 : sequences.first();
        for (long sequence : sequences) {
            if (sequence != expected) {
                throw new WalCorruptionException(SegmentFile.path(dir, expected), 0,
                        "segment missing, though segments " + (expected - 1) + " and " + sequence + " exist");
            }
            expected++;
        }
    }

    private ByteBuffer readWhole(Path file) throws IOException {
        try (FileIo.Handle handle = io.open(file)) {
            long size = handle.size();
            // Segments never grow past 2^30 + one batch (see WalOptions), so this is damage.
            if (size > Integer.MAX_VALUE) {
                throw new WalCorruptionException(file, Integer.MAX_VALUE, "segment of " + size + " bytes");
            }
            ByteBuffer content = ByteBuffer.allocate((int) size);
            int read = handle.read(content, 0);
            if (read != size) {
                throw new IOException("read " + read + " of " + size + " bytes of " + file);
            }
            return content.flip();
        }
    }

    /** Cuts the torn tail off the last segment, durably, before anything is appended after it. */
    private Truncation truncate(Path file, SegmentScanner.Result scanned) throws IOException {
        try (FileIo.Handle handle = io.open(file)) {
            long size = handle.size();
            handle.truncate(scanned.validEnd());
            handle.force();
            Truncation truncation = new Truncation(
                    file, scanned.validEnd(), size - scanned.validEnd(), scanned.tornTailReason().orElseThrow());
            LOG.log(Level.WARNING, "WAL {0}: truncated a torn tail of {1} bytes at byte {2} ({3})",
                    file, truncation.bytesRemoved(), truncation.offset(), truncation.reason());
            return truncation;
        }
    }
}
