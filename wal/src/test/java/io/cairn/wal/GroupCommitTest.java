package io.cairn.wal;

import static io.cairn.wal.Opened.sized;
import static org.assertj.core.api.Assertions.assertThat;

import io.cairn.common.SeededRandom;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Collectors;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Many threads appending to one WAL on real files; each thread writes its own group. */
class GroupCommitTest {
    private static final int APPENDS_PER_THREAD = 40;

    @TempDir
    Path dir;

    @ParameterizedTest(name = "{0} writers")
    @ValueSource(ints = {1, 8, 64})
    void concurrentAppendsShareSyncsAndReplayInEachWritersOrder(int writers) throws Exception {
        WalStats stats;
        try (Opened opened = Opened.open(dir)) {
            runWriters(writers, (group, random) -> {
                for (int i = 0; i < APPENDS_PER_THREAD; i++) {
                    // Each writer waits for its append, like a host that must not answer before.
                    opened.wal().append(batch(group, i, random)).join();
                }
            });
            stats = opened.wal().stats();
        }

        long appends = (long) writers * APPENDS_PER_THREAD;
        System.out.printf("group commit, %d writers: %d fsyncs for %d appends (%.3f per append)%n",
                writers, stats.dataSyncs(), stats.appendCalls(), (double) stats.dataSyncs() / stats.appendCalls());
        assertThat(stats.appendCalls()).isEqualTo(appends);
        assertThat(stats.dataSyncs()).isLessThanOrEqualTo(appends);
        if (writers == 64) {
            assertThat(stats.dataSyncs()).isLessThan(appends);
        }
        assertReplayedInEachWritersOrder(writers);
    }

    @Test
    void appendersBlockedByAFullQueueAllComplete() throws Exception {
        // Room for about four small batches: most appends wait for space.
        WalOptions tiny = WalOptions.DEFAULTS.withRecordPayloadBytesMax(100).withQueuedBytesMax(600);
        int writers = 8;
        WalStats stats;
        try (Opened opened = Opened.open(dir, tiny, new NioFileIo())) {
            runWriters(writers, (group, random) -> {
                List<CompletableFuture<Void>> pending = new ArrayList<>();
                for (int i = 0; i < APPENDS_PER_THREAD; i++) {
                    pending.add(opened.wal().append(batch(group, i, random)));
                }
                pending.forEach(CompletableFuture::join);
            });
            stats = opened.wal().stats();
        }

        assertThat(stats.appendCalls()).isEqualTo((long) writers * APPENDS_PER_THREAD);
        assertReplayedInEachWritersOrder(writers);
    }

    /** One record (index 2i) or two (2i, 2i+1) for the writer's group. */
    private static List<WalRecord> batch(long group, int i, SeededRandom random) {
        List<WalRecord> batch = new ArrayList<>(List.of(sized(group, 2L * i, random.nextInt(80))));
        if (random.chance(0.5)) {
            batch.add(sized(group, 2L * i + 1, random.nextInt(80)));
        }
        return batch;
    }

    private void assertReplayedInEachWritersOrder(int writers) throws IOException {
        try (Opened reopened = Opened.open(dir, WalOptions.DEFAULTS, new NioFileIo())) {
            Map<Long, List<Long>> indexesByGroup = reopened.replayed().stream().collect(Collectors.groupingBy(
                    r -> r.groupId().value(), Collectors.mapping(WalRecord::index, Collectors.toList())));
            assertThat(indexesByGroup).hasSize(writers);
            indexesByGroup.forEach((group, indexes) -> {
                assertThat(indexes).as("group %s", group).isSorted().doesNotHaveDuplicates();
                assertThat(indexes.stream().filter(i -> i % 2 == 0)).hasSize(APPENDS_PER_THREAD);
            });
        }
    }

    interface Writer {
        void run(long group, SeededRandom random) throws Exception;
    }

    /** Runs one writer per thread, released together, and rethrows the first failure. */
    private static void runWriters(int writers, Writer writer) throws Exception {
        CyclicBarrier start = new CyclicBarrier(writers);
        ExecutorService pool = Executors.newFixedThreadPool(writers);
        try {
            List<Future<?>> done = new ArrayList<>();
            for (int w = 0; w < writers; w++) {
                long group = w;
                done.add(pool.submit(() -> {
                    start.await();
                    writer.run(group, new SeededRandom(group));
                    return null;
                }));
            }
            for (Future<?> future : done) {
                future.get();
            }
        } finally {
            pool.shutdownNow();
        }
    }
}
