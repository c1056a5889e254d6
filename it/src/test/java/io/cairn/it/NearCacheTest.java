package io.cairn.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.cairn.client.CairnClient;
import io.cairn.client.Consistency;
import io.cairn.client.KeyValue;
import io.cairn.client.NearCache;
import io.cairn.client.ReadBalancing;
import io.cairn.client.WriteResult;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The client's near cache against three in-process nodes and two shards: hits, invalidation by
 * the watch, and a recorded history checked so that no read through the cache was older than
 * what its watch had reported when the read began, while a node stops and comes back.
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class NearCacheTest {
    @TempDir
    Path dir;

    @Test
    void aCachedKeyIsServedWithoutARequestAndDroppedWhenItChanges() throws Exception {
        try (InProcessNodes nodes = new InProcessNodes(dir, 3, 2).startAll(); CairnClient client = nodes.client();
             NearCache cache = client.nearCache("user/", 1_000)) {
            client.put("user/1", "ann");
            awaitValue(cache, "user/1", "ann");
            long hitsBefore = cache.stats().hits();
            KeyValue kv = cache.get("user/1").orElseThrow();
            assertThat(cache.stats().hits()).isEqualTo(hitsBefore + 1);
            assertThat(kv.servedAt()).as("reads through the cache say they are eventual").isEqualTo(Consistency.Level.EVENTUAL);

            client.put("user/1", "bob");
            awaitValue(cache, "user/1", "bob");
            assertThat(cache.stats().invalidations()).isPositive();
            assertThat(cache.get("user/2")).as("absence is cached too").isEmpty();
            client.put("user/2", "cy");
            awaitValue(cache, "user/2", "cy");
            assertThat(cache.stats().hitRate()).isBetween(0.0, 1.0);

            // A cached key with a TTL is not served past the time it had left when read, even
            // before the leader's expiry entry reaches the watch.
            client.put("user/t".getBytes(StandardCharsets.UTF_8), "soon".getBytes(StandardCharsets.UTF_8),
                    Duration.ofMillis(400));
            long sentNanos = System.nanoTime();
            cache.get("user/t");
            Optional<KeyValue> fresh = cache.get("user/t");
            if (fresh.isPresent()) {
                assertThat(fresh.get().ttlRemainingMillis()).isBetween(1L, 400L);
            }
            Awaitility.await("the TTL key leaves the cache").atMost(Duration.ofSeconds(10))
                    .pollInterval(Duration.ofMillis(10)).until(() -> cache.get("user/t").isEmpty());
            assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - sentNanos)).isGreaterThanOrEqualTo(390);
        }
    }

    private static void awaitValue(NearCache cache, String key, String value) {
        Awaitility.await(key + " = " + value + " through the cache").atMost(Duration.ofSeconds(20))
                .pollInterval(Duration.ofMillis(20))
                .until(() -> cache.get(key).map(KeyValue::valueUtf8).orElse(null), value::equals);
    }

    /** One read through the cache: the key, what its shard's watch had delivered when it began, and the answer. */
    record CacheRead(String key, long deliveredAtStart, long modRevisionSeen) {}

    /** One acknowledged put: the key and the revision it got. */
    record Write(String key, long revision) {}

    /**
     * Violations: reads that returned a key older than the newest write of it at or below what
     * the watch had delivered when the read began (absent: revision 0).
     */
    static List<String> staleReads(List<CacheRead> reads, List<Write> writes) {
        Map<String, TreeMap<Long, Long>> byKey = new TreeMap<>();
        for (Write w : writes) {
            byKey.computeIfAbsent(w.key(), k -> new TreeMap<>()).put(w.revision(), w.revision());
        }
        List<String> out = new ArrayList<>();
        for (CacheRead r : reads) {
            TreeMap<Long, Long> revisions = byKey.getOrDefault(r.key(), new TreeMap<>());
            Map.Entry<Long, Long> newest = revisions.floorEntry(r.deliveredAtStart());
            if (newest != null && r.modRevisionSeen() < newest.getKey()) {
                out.add(r + " older than the write at revision " + newest.getKey());
            }
        }
        return out;
    }

    @Test
    void theCheckerCatchesAReadOlderThanWhatTheWatchHadReported() {
        List<Write> writes = List.of(new Write("k", 5), new Write("k", 9));
        assertThat(staleReads(List.of(new CacheRead("k", 8, 5), new CacheRead("k", 9, 9), new CacheRead("k", 4, 0)), writes))
                .isEmpty();
        assertThat(staleReads(List.of(new CacheRead("k", 9, 5)), writes)).hasSize(1);
    }

    @Test
    void noReadThroughTheCacheIsOlderThanItsWatchReportedWhileANodeStopsAndReturns() throws Exception {
        try (InProcessNodes nodes = new InProcessNodes(dir, 3, 2).startAll(); CairnClient writer = nodes.client();
             CairnClient reader = CairnClient.builder().endpoints(List.copyOf(nodes.spec.addresses().values()))
                     .requestTimeout(Duration.ofSeconds(10)).readBalancing(ReadBalancing.ROUND_ROBIN).build();
             NearCache cache = reader.nearCache("c/", 100)) {
            List<String> keys = List.of("c/a", "c/b", "c/c", "c/d", "c/e", "c/f");
            List<Write> writes = new CopyOnWriteArrayList<>();
            List<CacheRead> reads = new CopyOnWriteArrayList<>();
            AtomicBoolean running = new AtomicBoolean(true);
            Thread readerThread = new Thread(() -> {
                int i = 0;
                while (running.get()) {
                    String key = keys.get(i++ % keys.size());
                    byte[] k = key.getBytes(StandardCharsets.UTF_8);
                    long delivered = cache.deliveredRevision(reader.shardOf(k));
                    try {
                        Optional<KeyValue> kv = cache.get(k);
                        reads.add(new CacheRead(key, delivered, kv.map(KeyValue::modRevision).orElse(0L)));
                    } catch (RuntimeException e) {
                        // A read that failed (a node stopping) has nothing to check.
                    }
                }
            }, "near-cache-reader");
            readerThread.start();
            for (int round = 0; round < 240; round++) {
                String key = keys.get(round % keys.size());
                WriteResult w = writer.put(key, "v" + round);
                writes.add(new Write(key, w.modRevision()));
                if (round == 80) {
                    nodes.stop(2);
                }
                if (round == 160) {
                    nodes.start(2);
                }
            }
            running.set(false);
            readerThread.join(30_000);
            assertThat(staleReads(reads, writes)).isEmpty();
            NearCache.Stats stats = cache.stats();
            assertThat(reads).hasSizeGreaterThan(500);
            assertThat(stats.hits()).as("the cache served reads itself: %s", stats).isPositive();
            assertThat(stats.invalidations()).isPositive();
        }
    }
}
