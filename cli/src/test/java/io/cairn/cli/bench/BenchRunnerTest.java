package io.cairn.cli.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.cairn.client.CairnUnavailableException;
import io.cairn.client.CasFailedException;
import io.grpc.Status;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The runner against an in-memory target that answers after a millisecond: counting, not speed. */
class BenchRunnerTest {
    private final FakeTarget target = new FakeTarget();
    private final StringWriter progress = new StringWriter();

    @AfterEach
    void stopTarget() {
        target.timer.shutdownNow();
    }

    private BenchResult run(BenchConfig config) throws InterruptedException {
        return new BenchRunner(config, target, System::nanoTime, new PrintWriter(progress, true)).run();
    }

    @Test
    void aClosedLoopKeepsAtMostClientsInFlightAndCountsFailuresByKind() throws InterruptedException {
        target.failEvery = 10;
        // Two seconds, so that a progress line surely comes before the end.
        BenchResult result = run(Configs.of("put", 4, 2, 0));
        assertThat(target.maxInFlight.get()).isEqualTo(4);
        assertThat(result.ops()).isPositive();
        long unavailable = result.failures().get(ErrorKind.UNAVAILABLE);
        assertThat(unavailable).isPositive();
        // Every 10th request fails: among the measured ones too, give or take the window's edges.
        assertThat(unavailable * 9).isCloseTo(result.ops(), within(9L * 4 + 9));
        assertThat(result.errors()).isEqualTo(unavailable);
        assertThat(progress.toString()).contains("bench put   1s: ").contains("errors, p99 ");
    }

    @Test
    void anOpenLoopSendsExactlyTheScheduledRequestsOfTheWindow() throws InterruptedException {
        BenchResult result = run(Configs.of("put", 4, 1, 200));
        assertThat(result.ops() + result.errors()).isEqualTo(200);
        assertThat(target.requests.get()).isEqualTo(200);
        // Latency counts from when each request was due: at least the target's millisecond.
        assertThat(result.latency().p50Micros()).isGreaterThanOrEqualTo(1_000);
    }

    @Test
    void contendedCompareAndSetsCountConflictsApartFromErrors() throws InterruptedException {
        BenchResult result = run(Configs.of("cas", 8, 1, 0));
        assertThat(result.ops()).isPositive();
        assertThat(result.failures().get(ErrorKind.CAS_CONFLICT)).isPositive();
        assertThat(result.errors()).isZero();
        // Each success moved one of the 4 keys one version on (warm-up is 0; the drain adds none unmeasured).
        long versions = target.versions.values().stream().mapToLong(Long::longValue).sum();
        assertThat(versions).isEqualTo(result.ops());
        assertThat(target.versions.keySet()).allMatch(k -> k.compareTo("bench/0000000004") < 0);
    }

    @Test
    void readWorkloadsPreloadEveryKeyFirst() throws InterruptedException {
        BenchResult result = run(Configs.of("get", 4, 1, 0, 50));
        assertThat(target.versions).hasSize(50);
        assertThat(result.ops()).isPositive();
        assertThat(result.errors()).isZero();
        assertThat(progress.toString()).contains("bench: preloaded 50 keys in ");
    }

    /** Answers every request after a millisecond; optionally fails every n-th as unavailable. */
    static final class FakeTarget implements BenchTarget {
        final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor();
        final Map<String, Long> versions = new ConcurrentHashMap<>();
        final AtomicLong requests = new AtomicLong();
        final AtomicInteger inFlight = new AtomicInteger();
        final AtomicInteger maxInFlight = new AtomicInteger();
        volatile int failEvery;

        private <T> CompletableFuture<T> later(Supplier<T> outcome) {
            long n = requests.incrementAndGet();
            maxInFlight.accumulateAndGet(inFlight.incrementAndGet(), Math::max);
            CompletableFuture<T> result = new CompletableFuture<>();
            timer.schedule(() -> {
                inFlight.decrementAndGet();
                if (failEvery > 0 && n % failEvery == 0) {
                    result.completeExceptionally(new CairnUnavailableException("no leader", List.of("fake"),
                            Status.UNAVAILABLE.asRuntimeException()));
                    return;
                }
                try {
                    result.complete(outcome.get());
                } catch (RuntimeException e) {
                    result.completeExceptionally(e);
                }
            }, 1, TimeUnit.MILLISECONDS);
            return result;
        }

        private static String name(byte[] key) {
            return new String(key, StandardCharsets.US_ASCII);
        }

        @Override
        public CompletableFuture<?> put(byte[] key, byte[] value) {
            return later(() -> versions.merge(name(key), 1L, Long::sum));
        }

        @Override
        public CompletableFuture<?> get(byte[] key) {
            return later(() -> versions.getOrDefault(name(key), 0L));
        }

        @Override
        public CompletableFuture<?> transaction(byte[] first, byte[] second, byte[] value) {
            return later(() -> {
                versions.merge(name(first), 1L, Long::sum);
                return versions.merge(name(second), 1L, Long::sum);
            });
        }

        @Override
        public CompletableFuture<Long> version(byte[] key) {
            return later(() -> versions.getOrDefault(name(key), 0L));
        }

        @Override
        public CompletableFuture<?> lockCycle(byte[] lock, byte[] key, byte[] value) {
            return later(() -> versions.merge(name(key), 1L, Long::sum));
        }

        @Override
        public CompletableFuture<?> compareAndSet(byte[] key, long expectedVersion, byte[] value) {
            // The timer's one thread runs every outcome, so read-compare-write is atomic here.
            return later(() -> {
                long now = versions.getOrDefault(name(key), 0L);
                if (now != expectedVersion) {
                    throw new CasFailedException(now);
                }
                versions.put(name(key), now + 1);
                return now + 1;
            });
        }

        @Override
        public CompletableFuture<?> scan(byte[] fromKey, int limit) {
            return later(() -> List.of());
        }
    }
}
