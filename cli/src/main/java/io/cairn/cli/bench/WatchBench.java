package io.cairn.cli.bench;

import io.cairn.client.CairnClient;
import io.cairn.client.CairnException;
import io.cairn.client.Watch;
import io.cairn.client.WatchEvent;
import io.cairn.client.WatchQuery;
import java.io.PrintWriter;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;

/**
 * {@code cairn bench watch}: how long a change takes from its write to every watcher. N
 * watchers (each its own {@link Watch} over every shard) follow one prefix while one writer
 * puts at a fixed rate; each value carries the time its write was sent, and each watcher
 * records, for every change it is told of, the time since. Also counts changes a watcher was
 * never told of (there must be none) and the writes' own latency, the part of the delivery
 * time that is consensus rather than fan-out. Writer and watchers share this process's clock.
 */
public final class WatchBench {
    /** What a run measured. */
    public record Result(int watchers, int seconds, long writes, long writeErrors, long expected, long delivered,
                         Histogram delivery, Histogram write) {
        public String toJsonLine() {
            return String.format(Locale.ROOT, "{\"workload\":\"watch\",\"watchers\":%d,\"seconds\":%d,\"writes\":%d,"
                            + "\"write_errors\":%d,\"events_expected\":%d,\"events_delivered\":%d,\"events_missing\":%d,"
                            + "\"delivery_p50_ms\":%.2f,\"delivery_p99_ms\":%.2f,\"delivery_p999_ms\":%.2f,\"delivery_max_ms\":%.2f,"
                            + "\"write_p50_ms\":%.2f,\"write_p99_ms\":%.2f}",
                    watchers, seconds, writes, writeErrors, expected, delivered, Math.max(0, expected - delivered),
                    ms(delivery.getValueAtPercentile(50)), ms(delivery.getValueAtPercentile(99)),
                    ms(delivery.getValueAtPercentile(99.9)), ms(delivery.getMaxValue()),
                    ms(write.getValueAtPercentile(50)), ms(write.getValueAtPercentile(99)));
        }

        public String toTable() {
            return String.format(Locale.ROOT, "watch: %d watchers, %d s, %d writes (%d errors)%n"
                            + "events: %d expected, %d delivered, %d missing%n"
                            + "write to watcher: p50 %.2f ms  p99 %.2f ms  p99.9 %.2f ms  max %.2f ms%n"
                            + "write alone:      p50 %.2f ms  p99 %.2f ms",
                    watchers, seconds, writes, writeErrors, expected, delivered, Math.max(0, expected - delivered),
                    ms(delivery.getValueAtPercentile(50)), ms(delivery.getValueAtPercentile(99)),
                    ms(delivery.getValueAtPercentile(99.9)), ms(delivery.getMaxValue()),
                    ms(write.getValueAtPercentile(50)), ms(write.getValueAtPercentile(99)));
        }

        private static double ms(long nanos) {
            return nanos / 1e6;
        }
    }

    private static final String PREFIX = "watchbench/";
    private static final long KEYS = 1_000;

    private WatchBench() {}

    /**
     * Runs {@code watchers} watchers for {@code seconds} (after {@code warmupSeconds} unrecorded)
     * under {@code ratePerSecond} writes of {@code valueBytes} each.
     */
    public static Result run(CairnClient client, int watchers, int seconds, int warmupSeconds, long ratePerSecond,
                             int valueBytes, PrintWriter progress) throws InterruptedException {
        if (watchers < 1 || seconds < 1 || warmupSeconds < 0 || ratePerSecond < 1 || valueBytes < 8) {
            throw new IllegalArgumentException("need >= 1 watcher, >= 1 s, a rate >= 1 and values of >= 8 bytes");
        }
        Recorder delivery = new Recorder(3);
        AtomicLong delivered = new AtomicLong();
        AtomicLong recordFromNanos = new AtomicLong(Long.MAX_VALUE);
        List<Watch> watches = new ArrayList<>();
        try {
            for (int i = 0; i < watchers; i++) {
                watches.add(client.watch(WatchQuery.prefix(PREFIX), (shard, events, progressRevision) -> {
                    long now = System.nanoTime();
                    for (WatchEvent e : events) {
                        long sent = ByteBuffer.wrap(e.value()).getLong();
                        if (sent >= recordFromNanos.get()) {
                            delivery.recordValue(Math.max(0, now - sent));
                            delivered.incrementAndGet();
                        }
                    }
                }));
            }
            progress.println("bench watch: " + watchers + " watchers open; writing " + ratePerSecond + "/s");
            progress.flush();
            Histogram write = new Histogram(3);
            long writes = 0;
            long errors = 0;
            long start = System.nanoTime();
            long recordFrom = start + TimeUnit.SECONDS.toNanos(warmupSeconds);
            long end = recordFrom + TimeUnit.SECONDS.toNanos(seconds);
            long intervalNanos = TimeUnit.SECONDS.toNanos(1) / ratePerSecond;
            long next = start;
            byte[] value = new byte[valueBytes];
            long expected = 0;
            for (long n = 0; ; n++) {
                long now = System.nanoTime();
                if (now >= end) {
                    break;
                }
                if (next > now) {
                    TimeUnit.NANOSECONDS.sleep(next - now); // the schedule's next write, not a wait for a condition
                }
                next += intervalNanos;
                long sent = System.nanoTime();
                if (sent >= recordFrom) {
                    recordFromNanos.compareAndSet(Long.MAX_VALUE, recordFrom);
                }
                ByteBuffer.wrap(value).putLong(sent);
                try {
                    client.put((PREFIX + (n % KEYS)).getBytes(java.nio.charset.StandardCharsets.UTF_8), value);
                    if (sent >= recordFrom) {
                        write.recordValue(System.nanoTime() - sent);
                        writes++;
                        expected += watchers;
                    }
                } catch (CairnException e) {
                    errors++;
                }
            }
            // Stragglers: give the fan-out a moment to deliver what was written last.
            long drainUntil = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
            while (delivered.get() < expected && System.nanoTime() < drainUntil) {
                TimeUnit.MILLISECONDS.sleep(20); // polling the count, with a deadline
            }
            return new Result(watchers, seconds, writes, errors, expected, delivered.get(), delivery.getIntervalHistogram(),
                    write);
        } finally {
            watches.forEach(Watch::close);
        }
    }
}
