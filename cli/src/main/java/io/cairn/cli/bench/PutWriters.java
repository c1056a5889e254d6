package io.cairn.cli.bench;

import io.cairn.client.CairnClient;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Closed-loop writers of plain 16-byte values over 1,000 keys each under {@code prefix}, counting
 * acknowledged puts: the load whose throughput a workload's own activity (expiries, sessions) is
 * judged against.
 */
final class PutWriters {
    final AtomicLong puts = new AtomicLong();
    private final CairnClient client;
    private final String prefix;
    private final int count;
    private volatile boolean running = true;
    private final List<CompletableFuture<Void>> loops = new ArrayList<>();

    PutWriters(CairnClient client, String prefix, int count) {
        this.client = client;
        this.prefix = prefix;
        this.count = count;
    }

    void start() {
        for (int c = 0; c < count; c++) {
            CompletableFuture<Void> done = new CompletableFuture<>();
            loops.add(done);
            next(c, 0, done);
        }
    }

    private void next(int writer, long n, CompletableFuture<Void> done) {
        if (!running) {
            done.complete(null);
            return;
        }
        byte[] key = (prefix + writer + "/" + (n % 1_000)).getBytes(StandardCharsets.US_ASCII);
        client.putAsync(key, new byte[16]).whenComplete((r, e) -> {
            if (e == null) {
                puts.incrementAndGet();
            }
            next(writer, n + 1, done);
        });
    }

    void stop() {
        running = false;
        CompletableFuture.allOf(loops.toArray(CompletableFuture[]::new)).orTimeout(30, TimeUnit.SECONDS)
                .exceptionally(e -> null).join();
    }
}
