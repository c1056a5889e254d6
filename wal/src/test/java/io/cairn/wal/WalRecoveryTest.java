package io.cairn.wal;

import static io.cairn.wal.Opened.sized;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.cairn.wal.RecoveryReport.Truncation;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Damage done to real segment files between a close and the next open. */
class WalRecoveryTest {
    private static final int PAYLOAD_BYTES = 50;
    private static final int FRAME_BYTES = FrameCodec.frameBytes(PAYLOAD_BYTES);
    /** Where a frame's payload starts, relative to the frame. */
    private static final int PAYLOAD_AT = FrameCodec.HEADER_BYTES + FrameCodec.BODY_HEADER_BYTES;

    @TempDir
    Path dir;

    private final List<WalRecord> appended = new ArrayList<>();

    @Test
    void aRecordCutOffMidwayIsTruncated() throws IOException {
        appendSyncedOneByOne(5);
        Path segment = segment(1);
        Files.write(segment, Arrays.copyOf(Files.readAllBytes(segment), (int) Files.size(segment) - 30));

        try (Opened reopened = Opened.open(dir)) {
            assertThat(reopened.replayed()).containsExactlyElementsOf(appended.subList(0, 4));
            Truncation truncation = reopened.wal().recoveryReport().truncation().orElseThrow();
            assertThat(truncation.file()).isEqualTo(segment);
            assertThat(truncation.offset()).isEqualTo(frameAt(4));
            assertThat(truncation.bytesRemoved()).isEqualTo(FRAME_BYTES - 30);
            assertThat(truncation.reason()).contains("extends past the end of the file");
            assertThat(Files.size(segment)).isEqualTo(frameAt(4));

            reopened.wal().appendAndSync(List.of(sized(9, 9, 9)));
        }
        try (Opened again = Opened.open(dir)) {
            assertThat(again.replayed()).hasSize(5).endsWith(sized(9, 9, 9));
            assertThat(again.wal().recoveryReport().truncation()).isEmpty();
        }
    }

    @Test
    void aZeroedTailIsTruncated() throws IOException {
        appendSyncedOneByOne(5);
        Files.write(segment(1), new byte[4096], StandardOpenOption.APPEND);

        try (Opened reopened = Opened.open(dir)) {
            assertThat(reopened.replayed()).containsExactlyElementsOf(appended);
            Truncation truncation = reopened.wal().recoveryReport().truncation().orElseThrow();
            assertThat(truncation.offset()).isEqualTo(frameAt(5));
            assertThat(truncation.bytesRemoved()).isEqualTo(4096);
        }
    }

    @Test
    void aFlippedBitInTheFinalRecordIsTruncated() throws IOException {
        appendSyncedOneByOne(5);
        flipBit(segment(1), frameAt(4) + PAYLOAD_AT + 10);

        try (Opened reopened = Opened.open(dir)) {
            assertThat(reopened.replayed()).containsExactlyElementsOf(appended.subList(0, 4));
            Truncation truncation = reopened.wal().recoveryReport().truncation().orElseThrow();
            assertThat(truncation.offset()).isEqualTo(frameAt(4));
            assertThat(truncation.reason()).isEqualTo("checksum mismatch");
        }
    }

    @Test
    void aFlippedBitWithLaterWritesAfterItIsCorruptionNamingFileAndOffset() throws IOException {
        appendSyncedOneByOne(5);
        Path segment = segment(1);
        long size = Files.size(segment);
        flipBit(segment, frameAt(1) + PAYLOAD_AT + 3);

        assertThatThrownBy(() -> Opened.open(dir))
                .isInstanceOfSatisfying(WalCorruptionException.class, e -> {
                    assertThat(e.file()).isEqualTo(segment);
                    assertThat(e.offset()).isEqualTo(frameAt(1));
                })
                .hasMessageContaining(segment.toString())
                .hasMessageContaining("at byte " + frameAt(1) + ": checksum mismatch")
                .hasMessageContaining("follows at byte " + frameAt(2));
        assertThat(Files.size(segment)).as("nothing is truncated").isEqualTo(size);
    }

    @Test
    void aDamagedLengthWithLaterWritesAfterItIsCorruption() throws IOException {
        appendSyncedOneByOne(5);
        flipBit(segment(1), frameAt(2) + 2);

        assertThatThrownBy(() -> Opened.open(dir))
                .isInstanceOf(WalCorruptionException.class)
                .hasMessageContaining("at byte " + frameAt(2) + ": length check mismatch");
    }

    @Test
    void damageFollowedOnlyByRecordsOfTheSameWriteIsATornWrite() throws IOException {
        appendSyncedOneByOne(2);
        List<WalRecord> finalWrite = List.of(sized(2, 0, PAYLOAD_BYTES), sized(2, 1, PAYLOAD_BYTES),
                sized(2, 2, PAYLOAD_BYTES), sized(2, 3, PAYLOAD_BYTES));
        try (Opened opened = Opened.open(dir)) {
            opened.wal().appendAndSync(finalWrite);
        }
        // A disk may persist a later sector of the final write and lose an earlier one.
        flipBit(segment(1), frameAt(3) + PAYLOAD_AT);

        try (Opened reopened = Opened.open(dir)) {
            assertThat(reopened.replayed()).containsExactly(appended.get(0), appended.get(1), finalWrite.get(0));
            assertThat(reopened.wal().recoveryReport().truncation().orElseThrow().offset()).isEqualTo(frameAt(3));
        }
    }

    @Test
    void damageInASegmentThatIsNotTheLastIsCorruption() throws IOException {
        WalOptions twoPerSegment = WalOptions.DEFAULTS.withSegmentBytesTarget(SegmentFile.HEADER_BYTES + 2 * FRAME_BYTES);
        try (Opened opened = Opened.open(dir, twoPerSegment, new NioFileIo())) {
            for (int i = 0; i < 5; i++) {
                opened.wal().appendAndSync(List.of(sized(1, i, PAYLOAD_BYTES)));
            }
        }
        // The last record of segment 1, with nothing after it in that file.
        flipBit(segment(1), frameAt(1) + PAYLOAD_AT);

        assertThatThrownBy(() -> Opened.open(dir, twoPerSegment, new NioFileIo()))
                .isInstanceOf(WalCorruptionException.class)
                .hasMessageContaining(segment(1) + " at byte " + frameAt(1))
                .hasMessageContaining("a newer one follows");
    }

    @Test
    void aMissingSegmentIsCorruption() throws IOException {
        WalOptions onePerSegment = WalOptions.DEFAULTS.withSegmentBytesTarget(SegmentFile.HEADER_BYTES + FRAME_BYTES);
        try (Opened opened = Opened.open(dir, onePerSegment, new NioFileIo())) {
            for (int i = 0; i < 3; i++) {
                opened.wal().appendAndSync(List.of(sized(1, i, PAYLOAD_BYTES)));
            }
        }
        Files.delete(segment(2));

        assertThatThrownBy(() -> Opened.open(dir, onePerSegment, new NioFileIo()))
                .isInstanceOfSatisfying(WalCorruptionException.class, e -> assertThat(e.file()).isEqualTo(segment(2)))
                .hasMessageContaining("segment missing");
    }

    @Test
    void aDamagedSegmentHeaderIsCorruption() throws IOException {
        appendSyncedOneByOne(1);
        flipBit(segment(1), 9);

        assertThatThrownBy(() -> Opened.open(dir))
                .isInstanceOf(WalCorruptionException.class)
                .hasMessageContaining("at byte 0: segment header checksum mismatch");
    }

    @Test
    void aSegmentWhoseCreationWasInterruptedIsDeleted() throws IOException {
        appendSyncedOneByOne(2);
        Path leftover = dir.resolve("00000000000000000002.wal.tmp");
        Files.write(leftover, new byte[7]);

        try (Opened reopened = Opened.open(dir)) {
            assertThat(reopened.replayed()).containsExactlyElementsOf(appended);
        }
        assertThat(leftover).doesNotExist();
    }

    private void appendSyncedOneByOne(int count) throws IOException {
        try (Opened opened = Opened.open(dir)) {
            for (int i = 0; i < count; i++) {
                WalRecord record = sized(1, i, PAYLOAD_BYTES);
                opened.wal().appendAndSync(List.of(record));
                appended.add(record);
            }
        }
    }

    private static long frameAt(int position) {
        return SegmentFile.HEADER_BYTES + (long) position * FRAME_BYTES;
    }

    private Path segment(long sequence) {
        return SegmentFile.path(dir, sequence);
    }

    private static void flipBit(Path file, long offset) throws IOException {
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            ByteBuffer one = ByteBuffer.allocate(1);
            channel.read(one, offset);
            one.put(0, (byte) (one.get(0) ^ 0x04)).rewind();
            channel.write(one, offset);
        }
    }
}
