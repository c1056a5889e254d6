package io.cairn.client;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.google.protobuf.ByteString;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A client-side cache of the keys under one prefix, kept fresh by a watch on that prefix: a
 * change of a cached key removes it (invalidation, not polling), and the next read fetches it
 * again. Made by {@link CairnClient#nearCache}. Bounded by entry count (Caffeine's W-TinyLFU
 * eviction); absent keys are cached too.
 *
 * <p><b>What a read through it promises</b>: it is an EVENTUAL read (the answer says so), and
 * never older than the changes the cache's watch has reported: a value fetched on a miss is kept
 * only if the replica that served it had applied at least everything the watch had delivered for
 * that shard, so every later change reaches the cache through the watch after it. A miss served
 * by a replica behind what the watch had already reported is asked again at LINEARIZABLE, so no
 * answer is older than a change the watch reported before the read began. When the watch is cut (its history was compacted,
 * the cluster is unreachable for good) the whole cache is dropped and a new watch starts; reads
 * go to the cluster until it reports progress.
 */
public final class NearCache implements AutoCloseable {
    /**
     * Counters since the cache was made: reads answered from the cache and from the cluster,
     * entries removed by the watch, whole-cache drops (the watch was cut), misses whose answer
     * was not kept (too old for the watch's position, or a drop came in between), and misses
     * whose replica was behind the watch, so the read was asked again at LINEARIZABLE.
     */
    public record Stats(long hits, long misses, long invalidations, long drops, long notKept, long laggingReplicas) {
        /** Hits over all reads; 0 before any read. */
        public double hitRate() {
            long reads = hits + misses;
            return reads == 0 ? 0 : (double) hits / reads;
        }
    }

    private static final long REWATCH_MILLIS_INITIAL = 100;
    private static final long REWATCH_MILLIS_MAX = 5_000;
    private static final long UNKNOWN = -1;

    private final CairnClient client;
    private final byte[] prefix;
    /**
     * A kept answer, and until when it may be served by this process's clock: a key with a TTL
     * only while the time it had left when read has not run out (its EXPIRE event may come up to
     * a second after its deadline).
     */
    private record Entry(Optional<KeyValue> value, long servableUntilNanos) {}

    private final Cache<ByteString, Entry> entries;
    /** Per shard: the revision through which the watch has delivered changes; UNKNOWN before it said. */
    private final long[] delivered;
    /** Bumped by every drop, so a miss that started before a drop keeps nothing after it. */
    private long generation;
    private final AtomicLong hits = new AtomicLong();
    private final AtomicLong misses = new AtomicLong();
    private final AtomicLong invalidations = new AtomicLong();
    private final AtomicLong drops = new AtomicLong();
    private final AtomicLong notKept = new AtomicLong();
    private final AtomicLong lagging = new AtomicLong();
    private final ScheduledExecutorService rewatcher;
    private Watch watch;
    private long rewatchMillis = REWATCH_MILLIS_INITIAL;
    private volatile boolean closed;

    NearCache(CairnClient client, byte[] prefix, long maximumEntries, int shardCount) {
        if (maximumEntries < 1) {
            throw new IllegalArgumentException("a near cache holds at least 1 entry: " + maximumEntries);
        }
        this.client = client;
        this.prefix = prefix.clone();
        this.entries = Caffeine.newBuilder().maximumSize(maximumEntries).build();
        this.delivered = new long[shardCount];
        Arrays.fill(delivered, UNKNOWN);
        this.rewatcher = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "cairn-near-cache-rewatch");
            t.setDaemon(true);
            return t;
        });
        startWatch();
    }

    /** The key's value through the cache: a hit at once, a miss from the cluster (EVENTUAL). */
    public Optional<KeyValue> get(byte[] key) {
        return CairnClient.join(getAsync(key));
    }

    public Optional<KeyValue> get(String key) {
        return get(key.getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }

    public CompletableFuture<Optional<KeyValue>> getAsync(byte[] key) {
        if (!covers(key)) {
            throw new IllegalArgumentException("the near cache holds keys under its prefix only");
        }
        ByteString k = ByteString.copyFrom(key);
        Entry cached = entries.getIfPresent(k);
        if (cached != null && System.nanoTime() - cached.servableUntilNanos() < 0) {
            hits.incrementAndGet();
            return CompletableFuture.completedFuture(cached.value());
        }
        misses.incrementAndGet();
        int shard = client.shardOf(key);
        long generationAtStart;
        long deliveredAtStart;
        synchronized (this) {
            generationAtStart = generation;
            deliveredAtStart = shard < delivered.length ? delivered[shard] : UNKNOWN;
        }
        return client.readForNearCache(key, false).thenCompose(read -> {
            if (read.appliedIndex() >= deliveredAtStart) {
                keep(k, shard, generationAtStart, read);
                return CompletableFuture.completedFuture(read.value());
            }
            // A replica behind what the watch already reported: its answer would be older than
            // a change the caller may have seen. Ask again, confirmed with the leader.
            lagging.incrementAndGet();
            return client.readForNearCache(key, true).thenApply(fresh -> {
                keep(k, shard, generationAtStart, fresh);
                return fresh.value();
            });
        });
    }

    /** Keeps a miss's answer only if the watch will report every change after it. */
    private synchronized void keep(ByteString key, int shard, long generationAtStart, CairnClient.CacheRead read) {
        long through = shard < delivered.length ? delivered[shard] : UNKNOWN;
        if (closed || generation != generationAtStart || through == UNKNOWN || read.appliedIndex() < through) {
            notKept.incrementAndGet();
            return;
        }
        long ttlMillis = read.value().map(KeyValue::ttlRemainingMillis).orElse(0L);
        // Without a TTL: servable until invalidated (MAX_VALUE / 2 keeps the nanoTime difference from overflowing).
        long until = ttlMillis == 0 ? read.nanoTimeBefore() + Long.MAX_VALUE / 2
                : read.nanoTimeBefore() + TimeUnit.MILLISECONDS.toNanos(ttlMillis);
        entries.put(key, new Entry(read.value().map(NearCache::asCached), until));
    }

    /** A kept answer says what a hit is: EVENTUAL, staleness unknown (however it was first read). */
    private static KeyValue asCached(KeyValue kv) {
        return new KeyValue(kv.key(), kv.value(), kv.createRevision(), kv.modRevision(), kv.version(), kv.servedBy(),
                kv.appliedIndex(), Consistency.Level.EVENTUAL, -1, kv.expiresAtMillis(), kv.ttlRemainingMillis());
    }

    /** Whether {@code key} is under the cache's prefix. */
    public boolean covers(byte[] key) {
        return key.length >= prefix.length && Arrays.equals(key, 0, prefix.length, prefix, 0, prefix.length);
    }

    /** The revision of {@code shard} through which the watch has reported changes; -1 before it said. */
    public synchronized long deliveredRevision(int shard) {
        return delivered[shard];
    }

    public Stats stats() {
        return new Stats(hits.get(), misses.get(), invalidations.get(), drops.get(), notKept.get(), lagging.get());
    }

    /** Entries held now (approximate, as Caffeine counts). */
    public long size() {
        return entries.estimatedSize();
    }

    private synchronized void onEvents(int shard, List<WatchEvent> events, long progressRevision) {
        for (WatchEvent e : events) {
            entries.invalidate(ByteString.copyFrom(e.key()));
            invalidations.incrementAndGet();
        }
        delivered[shard] = Math.max(delivered[shard], progressRevision);
        rewatchMillis = REWATCH_MILLIS_INITIAL;
    }

    /** The watch ended: nothing cached can be trusted to hear of changes any more. */
    private void onWatchEnded(Throwable error) {
        synchronized (this) {
            entries.invalidateAll();
            Arrays.fill(delivered, UNKNOWN);
            generation++;
            drops.incrementAndGet();
            watch = null;
        }
        if (!closed) {
            scheduleRewatch();
        }
    }

    private void startWatch() {
        Watch w;
        try {
            w = client.watch(WatchQuery.prefix(prefix), new Watch.Listener() {
                @Override
                public void onEvents(int shard, List<WatchEvent> events, long progressRevision) {
                    NearCache.this.onEvents(shard, events, progressRevision);
                }

                @Override
                public void onError(Throwable error) {
                    onWatchEnded(error);
                }
            });
        } catch (RuntimeException e) {
            // The cluster cannot be reached now: reads go to it uncached until a watch starts.
            if (!closed) {
                scheduleRewatch();
            }
            return;
        }
        boolean closeAgain;
        synchronized (this) {
            closeAgain = closed;
            if (!closed) {
                watch = w;
            }
        }
        if (closeAgain) {
            w.close();
        }
    }

    private synchronized void scheduleRewatch() {
        long wait = rewatchMillis;
        rewatchMillis = Math.min(REWATCH_MILLIS_MAX, rewatchMillis * 2);
        try {
            rewatcher.schedule(this::startWatch, wait, TimeUnit.MILLISECONDS);
        } catch (java.util.concurrent.RejectedExecutionException e) {
            // Closed meanwhile.
        }
    }

    /** Stops the watch and empties the cache; the client stays open. */
    @Override
    public void close() {
        Watch w;
        synchronized (this) {
            closed = true;
            w = watch;
            watch = null;
            entries.invalidateAll();
        }
        rewatcher.shutdownNow();
        if (w != null) {
            w.close();
        }
    }
}
