package io.cairn.wal;

import io.cairn.common.Invariants;
import java.io.IOException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The segments before the active one, oldest first, and each group's release point; deletes the
 * oldest segments once every record in them is released.
 *
 * <p>Only a prefix of the log is ever deleted, never a released segment behind one that is still
 * needed, for two reasons. Replay must show each group its records in write order: a later
 * record may supersede earlier ones (a Raft log overwritten from some index after a leader
 * change), and deleting the superseding segment while keeping the superseded one would bring
 * overwritten records back. And with deletions only at the front, the remaining sequence numbers
 * stay contiguous, so recovery can tell a lost file from a deleted one.
 *
 * <p>Thread-safe. {@link #release} deletes files while holding this object's monitor so that
 * deletions happen strictly in order; the writer waits on it only when it rolls over.
 */
final class SegmentCatalog {
    private final FileIo io;
    private final Path dir;
    private final ArrayDeque<SegmentSummary> sealed = new ArrayDeque<>();
    private final Map<Long, Long> firstNeededIndexByGroup = new HashMap<>();

    SegmentCatalog(FileIo io, Path dir, List<SegmentSummary> sealedOldestFirst) {
        this.io = io;
        this.dir = dir;
        sealedOldestFirst.forEach(this::add);
    }

    /** Records that the active segment became read-only; it must follow the last one added. */
    synchronized void add(SegmentSummary segment) {
        SegmentSummary newest = sealed.peekLast();
        Invariants.check(newest == null || segment.sequence() == newest.sequence() + 1,
                "segment %s sealed after %s", segment.sequence(), newest == null ? null : newest.sequence());
        sealed.addLast(segment);
    }

    /**
     * Raises the group's release point to {@code firstNeededIndex} (a lower value than before is
     * ignored) and deletes the segments that became unneeded.
     *
     * @return the number of segments deleted
     */
    synchronized int release(long groupId, long firstNeededIndex) throws IOException {
        firstNeededIndexByGroup.merge(groupId, firstNeededIndex, Math::max);
        int deleted = 0;
        while (!sealed.isEmpty() && sealed.peekFirst().isReleased(firstNeededIndexByGroup)) {
            delete(sealed.peekFirst().path());
            sealed.removeFirst();
            deleted++;
        }
        return deleted;
    }

    /** Drops the group's release point: its records in every segment are needed again. */
    synchronized void resetRelease(long groupId) {
        firstNeededIndexByGroup.remove(groupId);
    }

    synchronized int sealedCount() {
        return sealed.size();
    }

    /**
     * Deletes one segment durably before the next is touched: if a crash could keep a later
     * deletion and lose an earlier one, recovery would find a hole and report corruption. A
     * retry after a failed directory sync finds the file already gone, which is fine.
     */
    private void delete(Path file) throws IOException {
        try {
            io.delete(file);
        } catch (NoSuchFileException alreadyGone) {
            // Deleted by an earlier attempt whose directory sync failed.
        }
        io.syncDirectory(dir);
    }
}
