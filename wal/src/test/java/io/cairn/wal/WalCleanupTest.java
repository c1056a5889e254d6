package io.cairn.wal;

import static io.cairn.wal.Opened.sized;
import static org.assertj.core.api.Assertions.assertThat;

import io.cairn.common.GroupId;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class WalCleanupTest {
    private static final GroupId G1 = new GroupId(1);
    private static final GroupId G2 = new GroupId(2);
    /** 100-byte frames, three to a segment. */
    private static final int PAYLOAD_BYTES = 100 - FrameCodec.frameBytes(0);
    private static final WalOptions THREE_PER_SEGMENT =
            WalOptions.DEFAULTS.withSegmentBytesTarget(SegmentFile.HEADER_BYTES + 300);

    @TempDir
    Path dir;

    /**
     * Segments 1-4 hold g1 1-3, g2 1-3, g1 4-6, g2 4-6; the active segment 5 holds g1 7.
     */
    private Opened openWithFiveSegments() throws IOException {
        Opened opened = Opened.open(dir, THREE_PER_SEGMENT, new NioFileIo());
        appendEach(opened.wal(), G1, 1, 3);
        appendEach(opened.wal(), G2, 1, 3);
        appendEach(opened.wal(), G1, 4, 6);
        appendEach(opened.wal(), G2, 4, 6);
        appendEach(opened.wal(), G1, 7, 7);
        assertThat(segmentNumbers()).containsExactly(1L, 2L, 3L, 4L, 5L);
        return opened;
    }

    @Test
    void deletesExactlyTheFullyReleasedSegmentsAtTheFrontOfTheLog() throws IOException {
        try (Opened opened = openWithFiveSegments()) {
            Wal wal = opened.wal();

            // Segment 3 is released too, but segment 2 before it still holds g2's records.
            assertThat(wal.release(G1, 7)).isEqualTo(1);
            assertThat(segmentNumbers()).containsExactly(2L, 3L, 4L, 5L);

            assertThat(wal.release(G2, 4)).isEqualTo(2);
            assertThat(segmentNumbers()).containsExactly(4L, 5L);

            assertThat(wal.release(G2, 6)).isZero();
            assertThat(wal.release(G2, 7)).isEqualTo(1);
            assertThat(segmentNumbers()).containsExactly(5L);

            // The active segment stays even when everything in it is released.
            assertThat(wal.release(G1, Long.MAX_VALUE)).isZero();
            assertThat(segmentNumbers()).containsExactly(5L);
        }
        try (Opened reopened = Opened.open(dir, THREE_PER_SEGMENT, new NioFileIo())) {
            assertThat(reopened.replayed()).containsExactly(record(G1, 7));
        }
    }

    @Test
    void aLowerReleasePointThanBeforeIsIgnored() throws IOException {
        try (Opened opened = openWithFiveSegments()) {
            opened.wal().release(G1, 7);
            opened.wal().release(G1, 2);

            assertThat(opened.wal().release(G2, 4)).isEqualTo(2);
        }
    }

    @Test
    void releasePointsAreForgottenOnReopenAndGivenAgain() throws IOException {
        try (Opened opened = openWithFiveSegments()) {
            opened.wal().release(G1, 7);
        }
        assertThat(segmentNumbers()).containsExactly(2L, 3L, 4L, 5L);

        try (Opened reopened = Opened.open(dir, THREE_PER_SEGMENT, new NioFileIo())) {
            assertThat(reopened.wal().sealedSegmentCount()).isEqualTo(3);
            // Segment 3 (g1 4-6) stays: g1's release point did not survive the restart.
            assertThat(reopened.wal().release(G2, 7)).isEqualTo(1);
            assertThat(reopened.wal().release(G1, 7)).isEqualTo(2);
            assertThat(segmentNumbers()).containsExactly(5L);
        }
    }

    private static void appendEach(Wal wal, GroupId group, long fromIndex, long toIndexInclusive) throws IOException {
        for (long index = fromIndex; index <= toIndexInclusive; index++) {
            wal.appendAndSync(List.of(record(group, index)));
        }
    }

    private static WalRecord record(GroupId group, long index) {
        return sized(group.value(), index, PAYLOAD_BYTES);
    }

    private List<Long> segmentNumbers() throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            return files.map(f -> SegmentFile.sequenceOf(f).orElseThrow()).sorted().toList();
        }
    }
}
