package io.cairn.wal;

import static io.cairn.wal.Opened.record;
import static io.cairn.wal.Opened.sized;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.cairn.common.SeededRandom;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class WalRoundTripTest {
    @TempDir
    Path dir;

    @Test
    void replaysTheRecordsOfManyGroupsInAppendOrder() throws IOException {
        List<WalRecord> appended = appendRandomBatches(WalOptions.DEFAULTS, 200, new SeededRandom(1));

        try (Opened reopened = Opened.open(dir)) {
            assertThat(reopened.replayed()).containsExactlyElementsOf(appended);
            RecoveryReport report = reopened.wal().recoveryReport();
            assertThat(report.records()).isEqualTo(appended.size());
            assertThat(report.segments()).isEqualTo(1);
            assertThat(report.truncation()).isEmpty();
        }
    }

    @Test
    void rollsOverIntoOrderedSegmentsAndReplaysAcrossThem() throws IOException {
        WalOptions options = WalOptions.DEFAULTS.withSegmentBytesTarget(4096);
        List<WalRecord> appended = appendRandomBatches(options, 150, new SeededRandom(2));

        List<Path> segments = segmentFiles();
        assertThat(segments).hasSizeGreaterThan(5);
        for (int i = 0; i < segments.size(); i++) {
            assertThat(segments.get(i).getFileName()).hasToString(String.format("%020d.wal", i + 1));
            assertThat(Files.size(segments.get(i))).isLessThanOrEqualTo(4096);
        }
        try (Opened reopened = Opened.open(dir, options, new NioFileIo())) {
            assertThat(reopened.replayed()).containsExactlyElementsOf(appended);
            assertThat(reopened.wal().recoveryReport().segments()).isEqualTo(segments.size());
            assertThat(reopened.wal().sealedSegmentCount()).isEqualTo(segments.size() - 1);
        }
    }

    @Test
    void aBatchLargerThanASegmentGetsOneOfItsOwn() throws IOException {
        WalOptions options = WalOptions.DEFAULTS.withSegmentBytesTarget(1024);
        List<WalRecord> big = List.of(sized(1, 1, 900), sized(1, 2, 900));
        try (Opened opened = Opened.open(dir, options, new NioFileIo())) {
            opened.wal().appendAndSync(List.of(sized(1, 0, 10)));
            opened.wal().appendAndSync(big);
            opened.wal().appendAndSync(List.of(sized(1, 3, 10)));
        }

        assertThat(segmentFiles()).hasSize(3);
        assertThat(Files.size(segmentFiles().get(1)))
                .isEqualTo(SegmentFile.HEADER_BYTES + 2L * FrameCodec.frameBytes(900));
    }

    @Test
    void keepsAppendingAfterTheRecoveredRecords() throws IOException {
        List<WalRecord> all = new ArrayList<>();
        for (int session = 0; session < 3; session++) {
            try (Opened opened = Opened.open(dir)) {
                assertThat(opened.replayed()).containsExactlyElementsOf(all);
                List<WalRecord> batch = List.of(record(session, 1, "a"), record(session, 2, "b"));
                opened.wal().appendAndSync(batch);
                all.addAll(batch);
            }
        }
        assertThat(segmentFiles()).hasSize(1);
    }

    @Test
    void rejectsAPayloadOverTheLimitNamingLimitAndSize() throws IOException {
        WalOptions options = WalOptions.DEFAULTS.withRecordPayloadBytesMax(100);
        try (Opened opened = Opened.open(dir, options, new NioFileIo())) {
            assertThatThrownBy(() -> opened.wal().append(List.of(sized(1, 1, 101))))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("record payload of 101 bytes exceeds recordPayloadBytesMax 100");
            opened.wal().appendAndSync(List.of(sized(1, 1, 100)));
        }
    }

    @Test
    void rejectsABatchOverTheQueueBoundAndAnEmptyBatch() throws IOException {
        WalOptions options = WalOptions.DEFAULTS.withRecordPayloadBytesMax(100).withQueuedBytesMax(300);
        try (Opened opened = Opened.open(dir, options, new NioFileIo())) {
            List<WalRecord> tooBig = List.of(sized(1, 1, 100), sized(1, 2, 100), sized(1, 3, 100));
            assertThatThrownBy(() -> opened.wal().append(tooBig))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("batch of 399 encoded bytes exceeds queuedBytesMax 300");
            assertThatThrownBy(() -> opened.wal().append(List.of()))
                    .isInstanceOf(IllegalArgumentException.class);
        }
    }

    @Test
    void refusesAppendsAfterClose() throws IOException {
        Opened opened = Opened.open(dir);
        opened.close();

        assertThatThrownBy(() -> opened.wal().append(List.of(record(1, 1, "late"))))
                .isInstanceOf(IllegalStateException.class);
    }

    /** Appends batches of 1-5 records over 20 groups, alternating the two append calls. */
    private List<WalRecord> appendRandomBatches(WalOptions options, int batches, SeededRandom random)
            throws IOException {
        List<WalRecord> appended = new ArrayList<>();
        Map<Long, Long> nextIndex = new HashMap<>();
        try (Opened opened = Opened.open(dir, options, new NioFileIo())) {
            for (int b = 0; b < batches; b++) {
                List<WalRecord> batch = new ArrayList<>();
                for (int r = random.nextInt(5); r >= 0; r--) {
                    long group = random.nextInt(20);
                    long index = nextIndex.merge(group, 1L, Long::sum);
                    batch.add(sized(group, index, random.nextInt(200)));
                }
                if (b % 2 == 0) {
                    opened.wal().appendAndSync(batch);
                } else {
                    opened.wal().append(batch).join();
                }
                appended.addAll(batch);
            }
        }
        return appended;
    }

    private List<Path> segmentFiles() throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            return files.sorted().toList();
        }
    }
}
