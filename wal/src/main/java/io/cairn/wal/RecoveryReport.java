package io.cairn.wal;

import java.nio.file.Path;
import java.util.Optional;

/**
 * What {@link Wal#open} found on disk.
 *
 * @param segments segment files read
 * @param records records replayed
 * @param truncation present when the last segment ended in a torn write that was cut off
 */
public record RecoveryReport(int segments, long records, Optional<Truncation> truncation) {
    /**
     * A torn tail removed from the last segment. Only bytes of the final write, whose fdatasync
     * never returned, are removed, so no acknowledged record is lost.
     *
     * @param file the segment that was shortened
     * @param offset where the first damaged record began, now the end of the file
     * @param bytesRemoved how many bytes followed it
     * @param reason what was wrong with the record at {@code offset}
     */
    public record Truncation(Path file, long offset, long bytesRemoved, String reason) {}
}
