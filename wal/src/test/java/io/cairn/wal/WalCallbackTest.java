package io.cairn.wal;

import static io.cairn.wal.Opened.record;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.cairn.common.InvariantViolation;
import io.cairn.common.SeededRandom;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

/** Completion callbacks run on the writing thread; appending from one must not deadlock. */
class WalCallbackTest {
    private static final Path DIR = Path.of("/wal");

    @Test
    void anAppendFromACompletionCallbackJoinsTheRunningWriteLoop() throws Exception {
        SimulatedFileIo disk = new SimulatedFileIo(new SeededRandom(1));
        GatedFileIo io = new GatedFileIo(disk);
        ExecutorService writerThread = Executors.newSingleThreadExecutor(r -> new Thread(r, "writer"));
        try (Opened opened = Opened.open(DIR, WalOptions.DEFAULTS, io)) {
            Wal wal = opened.wal();
            io.holdNextForce();
            Future<CompletableFuture<Void>> first = writerThread.submit(() -> wal.append(List.of(record(1, 1, "a"))));
            io.awaitHeld();

            // The writer thread holds the lock inside its force, so this batch waits for it.
            CompletableFuture<Void> second = wal.append(List.of(record(2, 1, "b")));
            CompletableFuture<String> callbackThread = new CompletableFuture<>();
            CompletableFuture<CompletableFuture<Void>> third = second.thenApply(done -> {
                callbackThread.complete(Thread.currentThread().getName());
                return wal.append(List.of(record(3, 1, "c")));
            });
            io.release();

            first.get().join();
            third.join().join();
            assertThat(callbackThread.join()).isEqualTo("writer");
            assertThat(wal.stats().appendCalls()).isEqualTo(3);
        } finally {
            writerThread.shutdownNow();
        }
        try (Opened reopened = Opened.open(DIR, WalOptions.DEFAULTS, new GatedFileIo(disk))) {
            assertThat(reopened.replayed())
                    .containsExactly(record(1, 1, "a"), record(2, 1, "b"), record(3, 1, "c"));
        }
    }

    @Test
    void waitingForDurabilityInsideACompletionCallbackIsAProgrammerError() throws Exception {
        SimulatedFileIo disk = new SimulatedFileIo(new SeededRandom(1));
        GatedFileIo io = new GatedFileIo(disk);
        ExecutorService writerThread = Executors.newSingleThreadExecutor();
        try (Opened opened = Opened.open(DIR, WalOptions.DEFAULTS, io)) {
            Wal wal = opened.wal();
            io.holdNextForce();
            writerThread.submit(() -> wal.append(List.of(record(1, 1, "a"))));
            io.awaitHeld();
            CompletableFuture<Void> callback = wal.append(List.of(record(2, 1, "b")))
                    .thenRun(() -> {
                        try {
                            wal.appendAndSync(List.of(record(3, 1, "c")));
                        } catch (java.io.IOException e) {
                            throw new AssertionError(e);
                        }
                    });
            io.release();

            assertThatThrownBy(callback::join).hasCauseInstanceOf(InvariantViolation.class);
        } finally {
            writerThread.shutdownNow();
        }
    }
}
