package io.cairn.wal;

import io.cairn.wal.FrameCodec.Damage;
import io.cairn.wal.FrameCodec.Decoded;
import io.cairn.wal.FrameCodec.Frame;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * Reads the frames of one segment in order, replays the intact ones, and decides what damage
 * means.
 *
 * <p>The writer syncs every write before it starts the next, and a segment is complete and synced
 * before the next one is created. So a crash can damage only the last write, at the end of the
 * last segment, and only that write can be unacknowledged. Damage anywhere else means data that
 * was acknowledged is gone, and recovery must stop. Within the last segment, a damaged frame is a
 * torn tail when no intact frame after it comes from a later write; frames of the same write may
 * legitimately survive after a hole, because disks persist the sectors of one write in any order.
 */
final class SegmentScanner {
    /**
     * @param validEnd offset just past the last intact frame before any damage
     * @param tornTailReason present when the segment has a torn tail starting at validEnd
     */
    record Result(SegmentSummary summary, long records, int validEnd, Optional<String> tornTailReason) {}

    private final Path file;
    private final ByteBuffer segment;
    private final int limit;
    private final FrameCodec codec = new FrameCodec();
    private final Map<Long, Long> maxIndexByGroup = new HashMap<>();
    private long records;

    private SegmentScanner(Path file, ByteBuffer segment) {
        this.file = file;
        this.segment = segment;
        this.limit = segment.limit();
    }

    /**
     * Scans {@code segment}, the whole content of {@code file}, replaying each intact record.
     *
     * @param last whether this is the newest segment, the only one a crash can have torn
     * @throws WalCorruptionException if acknowledged data is damaged
     */
    static Result scan(Path file, ByteBuffer segment, long sequence, boolean last, Consumer<WalRecord> replay)
            throws WalCorruptionException {
        SegmentFile.verifyHeader(file, segment, sequence);
        return new SegmentScanner(file, segment).replayFrames(sequence, last, replay);
    }

    private Result replayFrames(long sequence, boolean last, Consumer<WalRecord> replay)
            throws WalCorruptionException {
        int offset = SegmentFile.HEADER_BYTES;
        while (offset < limit) {
            Decoded decoded = codec.decode(segment, offset, limit);
            if (decoded instanceof Damage damage) {
                requireTornTail(offset, damage, last);
                return new Result(summary(sequence), records, offset, Optional.of(damage.reason()));
            }
            Frame frame = (Frame) decoded;
            replay.accept(frame.record());
            maxIndexByGroup.merge(frame.record().groupId().value(), frame.record().index(), Math::max);
            records++;
            offset = frame.end();
        }
        return new Result(summary(sequence), records, offset, Optional.empty());
    }

    /**
     * Throws unless the damage at {@code damagedAt} can be the torn final write: it must be in the
     * last segment, and every intact frame after it must belong to the same write, that is, have
     * started at or before {@code damagedAt}.
     */
    private void requireTornTail(int damagedAt, Damage damage, boolean last) throws WalCorruptionException {
        if (!last) {
            throw new WalCorruptionException(file, damagedAt,
                    damage.reason() + " in a segment that a newer one follows, so all of it had been synced");
        }
        int offset = damage.resumeAt();
        while (offset < limit) {
            Decoded decoded = codec.decode(segment, offset, limit);
            if (decoded instanceof Damage more) {
                offset = more.resumeAt();
                continue;
            }
            Frame frame = (Frame) decoded;
            if (frame.writeStart() > damagedAt) {
                throw new WalCorruptionException(file, damagedAt, damage.reason()
                        + ", and an intact record written after it was synced follows at byte " + frame.offset());
            }
            offset = frame.end();
        }
    }

    private SegmentSummary summary(long sequence) {
        return new SegmentSummary(sequence, file, maxIndexByGroup);
    }
}
