package io.cairn.cli.bench;

import com.google.protobuf.ByteString;
import io.cairn.api.proto.AcquireRequest;
import io.cairn.api.proto.AcquireResponse;
import io.cairn.api.proto.KeepAliveRequest;
import io.cairn.api.proto.KeepAliveResponse;
import io.cairn.api.proto.LockGrpc;
import io.cairn.client.CairnClient;
import io.cairn.client.Members;
import io.cairn.client.ShardsReport;
import io.grpc.Channel;
import io.grpc.stub.StreamObserver;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;

/**
 * {@code cairn bench sessions}: what many lock sessions cost. It opens {@code --keys} sessions,
 * each holding one lock of its own ({@code sessbench/N}, spread over the shards), keeps them all
 * alive from this one process (keep-alive streams to every node, up to 10,000 sessions a message,
 * as a proxy of many clients would), then stops keeping {@code --rate} of them alive per second, so
 * the shard leaders end that many sessions a second, while {@code --clients} writers put plain
 * keys. It reports the writers' puts/s before and during the expiries, how long after its last
 * keep-alive a sampled session's lock was freed (the TTL plus the leader's reaction), and the
 * locks left at the end against those expected.
 */
public final class SessionsBench {
    /** What a run measured. */
    public record Result(long sessions, double openSeconds, long ttlMillis, long dropped, double dropSeconds,
                         double putsPerSecondBefore, double putsPerSecondDuring, long freedLagP50Millis,
                         long freedLagMaxMillis, int lagSamples, long locksLeft, long locksExpected) {
        public String toJsonLine() {
            return String.format(Locale.ROOT, "{\"workload\":\"sessions\",\"sessions\":%d,\"open_s\":%.1f,\"ttl_ms\":%d,"
                            + "\"dropped\":%d,\"drop_s\":%.1f,\"expiries_per_s\":%.0f,\"puts_per_s_before\":%.0f,"
                            + "\"puts_per_s_during\":%.0f,\"freed_lag_p50_ms\":%d,\"freed_lag_max_ms\":%d,\"lag_samples\":%d,"
                            + "\"locks_left\":%d,\"locks_expected\":%d}",
                    sessions, openSeconds, ttlMillis, dropped, dropSeconds, dropped / Math.max(1e-9, dropSeconds),
                    putsPerSecondBefore, putsPerSecondDuring, freedLagP50Millis, freedLagMaxMillis, lagSamples, locksLeft,
                    locksExpected);
        }

        public String toTable() {
            return String.format(Locale.ROOT, "sessions: %d opened in %.1f s (one lock each, TTL %d ms), kept alive from one process%n"
                            + "expiries: %d sessions dropped over %.1f s (%.0f/s)%n"
                            + "puts: %.0f/s before, %.0f/s while sessions expired%n"
                            + "lock freed after the session's last keep-alive: p50 %d ms, max %d ms (%d sampled)%n"
                            + "locks left: %d (expected %d)",
                    sessions, openSeconds, ttlMillis, dropped, dropSeconds, dropped / Math.max(1e-9, dropSeconds),
                    putsPerSecondBefore, putsPerSecondDuring, freedLagP50Millis, freedLagMaxMillis, lagSamples, locksLeft,
                    locksExpected);
        }
    }

    private static final String PREFIX = "sessbench/";
    private static final int OPEN_IN_FLIGHT = 256;
    private static final int IDS_PER_MESSAGE = 10_000;
    private static final int LAG_SAMPLES_PER_SECOND = 5;

    private SessionsBench() {}

    public static Result run(CairnClient client, long sessions, int writers, long dropPerSecond, Duration ttl,
                             double seconds, PrintWriter err) throws InterruptedException {
        if (sessions < 1 || sessions > 1_000_000) {
            throw new IllegalArgumentException("--keys (sessions) must be 1 to 1,000,000 for the sessions workload: " + sessions);
        }
        Map<Long, String> addresses = new HashMap<>();
        try {
            for (Members.Member m : client.members().members()) {
                addresses.put(m.id(), m.address());
            }
        } catch (RuntimeException e) {
            // One Raft group, no metadata: its nodes as the status reports them.
            for (io.cairn.client.ClusterStatus.Member m : client.clusterStatus().members()) {
                addresses.put(m.id(), m.address());
            }
        }
        // The client's own channels, so the sessions travel with its TLS and login.
        return measure(client, sessions, writers, dropPerSecond == 0 ? 1_000 : dropPerSecond, ttl, seconds, addresses,
                client::channelTo, err);
    }

    private static Result measure(CairnClient client, long sessions, int writers, long dropPerSecond, Duration ttl,
                                  double seconds, Map<Long, String> addresses, Function<String, Channel> channels,
                                  PrintWriter err) throws InterruptedException {
        // New ids each run: ids of a session that ended stay refused in their shards for an hour.
        SplittableRandom random = new SplittableRandom(new java.security.SecureRandom().nextLong());
        long[] ids = new long[(int) sessions];
        for (int i = 0; i < ids.length; i++) {
            ids[i] = random.nextLong() | 1;
        }
        // Keep-alives start before the first session exists: a lock is never held by a silent session.
        KeepAlives keepAlives = new KeepAlives(addresses.values(), channels, ttl);
        keepAlives.alive(ids, ids.length);
        keepAlives.start();
        long openStart = System.nanoTime();
        open(client, ids, ttl, addresses, channels, err);
        double openSeconds = (System.nanoTime() - openStart) / 1e9;
        err.printf("bench sessions: %d sessions open in %.1f s%n", sessions, openSeconds);
        err.flush();

        PutWriters w = new PutWriters(client, "sessbench-load/", writers);
        w.start();
        long beforeFrom = System.nanoTime();
        TimeUnit.SECONDS.sleep(5);
        double before = w.puts.get() / ((System.nanoTime() - beforeFrom) / 1e9);

        // Drop dropPerSecond sessions a second from the end of the list, sampling when each went silent.
        long dropUntil = System.nanoTime() + (long) (seconds * 1e9);
        long duringPuts = w.puts.get();
        long duringFrom = System.nanoTime();
        int aliveCount = ids.length;
        LagSampler sampler = new LagSampler(client);
        sampler.start();
        while (System.nanoTime() < dropUntil && aliveCount > 0) {
            int drop = (int) Math.min(aliveCount, dropPerSecond / 10);
            aliveCount -= drop;
            long silentSince = keepAlives.alive(ids, aliveCount);
            if (random.nextInt(10) < LAG_SAMPLES_PER_SECOND && drop > 0) {
                sampler.watch(name(aliveCount + random.nextInt(drop)), silentSince);
            }
            TimeUnit.MILLISECONDS.sleep(100);
        }
        double dropSeconds = (System.nanoTime() - duringFrom) / 1e9;
        long dropped = ids.length - aliveCount;
        err.printf("bench sessions: stopped keeping %d sessions alive over %.1f s; waiting for their locks%n", dropped,
                dropSeconds);
        err.flush();
        List<Long> lags = sampler.finish(ttl.toNanos() * 3 + TimeUnit.SECONDS.toNanos(30));
        double during = (w.puts.get() - duringPuts) / ((System.nanoTime() - duringFrom) / 1e9);
        w.stop();
        long left = locksLeft(client, ttl);
        keepAlives.stop();
        List<Long> sorted = new ArrayList<>(lags);
        sorted.sort(null);
        long p50 = sorted.isEmpty() ? -1 : sorted.get(sorted.size() / 2);
        long max = sorted.isEmpty() ? -1 : sorted.get(sorted.size() - 1);
        return new Result(sessions, openSeconds, ttl.toMillis(), dropped, dropSeconds, before, during, p50, max,
                sorted.size(), left, aliveCount);
    }

    /** Polls sampled dropped sessions' locks until free: the time from each one's last keep-alive. */
    private static final class LagSampler {
        private final CairnClient client;
        private final java.util.concurrent.ConcurrentLinkedQueue<Object[]> added = new java.util.concurrent.ConcurrentLinkedQueue<>();
        private final List<Long> lags = java.util.Collections.synchronizedList(new ArrayList<>());
        private final Thread thread = new Thread(this::loop, "bench-lag-sampler");
        private volatile long giveUpNanos = Long.MAX_VALUE;

        LagSampler(CairnClient client) {
            this.client = client;
            thread.setDaemon(true);
        }

        void start() {
            thread.start();
        }

        void watch(byte[] lock, long silentSinceNanos) {
            added.add(new Object[] {lock, silentSinceNanos});
        }

        /** Waits until every sampled lock was freed, at most {@code waitNanos} more; the lags in ms. */
        List<Long> finish(long waitNanos) throws InterruptedException {
            giveUpNanos = System.nanoTime() + waitNanos;
            thread.join();
            return List.copyOf(lags);
        }

        private void loop() {
            List<Object[]> pending = new ArrayList<>();
            try {
                while (System.nanoTime() < giveUpNanos && (giveUpNanos == Long.MAX_VALUE || !pending.isEmpty()
                        || !added.isEmpty())) {
                    for (Object[] a; (a = added.poll()) != null; ) {
                        pending.add(a);
                    }
                    for (var it = pending.iterator(); it.hasNext(); ) {
                        Object[] s = it.next();
                        if (client.lockInfo((byte[]) s[0]).isEmpty()) {
                            lags.add((System.nanoTime() - (long) s[1]) / 1_000_000);
                            it.remove();
                        }
                    }
                    TimeUnit.MILLISECONDS.sleep(20);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private static long locksLeft(CairnClient client, Duration ttl) throws InterruptedException {
        // Past every dropped session's TTL, and the leaders' reaction to it.
        TimeUnit.MILLISECONDS.sleep(ttl.toMillis() + 2_000);
        return client.listLocks(1_000_000).stream()
                .filter(l -> new String(l.name(), StandardCharsets.UTF_8).startsWith(PREFIX)).count();
    }

    private static void open(CairnClient client, long[] ids, Duration ttl, Map<Long, String> addresses,
                             Function<String, Channel> channels, PrintWriter err) throws InterruptedException {
        ShardsReport shards = client.shards();
        Semaphore inFlight = new Semaphore(OPEN_IN_FLIGHT);
        AtomicLong failed = new AtomicLong();
        for (int i = 0; i < ids.length; i++) {
            inFlight.acquire();
            acquire(client, shards, ids, i, ttl, addresses, channels, inFlight, failed, 0);
            if (i % 20_000 == 0 && i > 0) {
                err.printf("bench sessions: %d of %d sessions open%n", i, ids.length);
                err.flush();
            }
        }
        inFlight.acquire(OPEN_IN_FLIGHT);
        if (failed.get() > 0) {
            throw new IllegalStateException(failed.get() + " sessions could not take their lock");
        }
    }

    private static void acquire(CairnClient client, ShardsReport shards, long[] ids, int i, Duration ttl,
                                Map<Long, String> addresses, Function<String, Channel> channels, Semaphore inFlight,
                                AtomicLong failed, int attempt) {
        byte[] name = name(i);
        long leader = shards.shards().get(client.shardOf(name)).leader();
        String address = addresses.getOrDefault(leader, client.endpoints().get(attempt % client.endpoints().size()));
        AcquireRequest req = AcquireRequest.newBuilder().setName(ByteString.copyFrom(name))
                .setOwner(ByteString.copyFromUtf8("bench")).setTtlMs(ttl.toMillis()).setSessionId(ids[i]).build();
        LockGrpc.newStub(channels.apply(address)).withDeadlineAfter(10, TimeUnit.SECONDS).acquire(req,
                new StreamObserver<>() {
                    @Override
                    public void onNext(AcquireResponse r) {
                        if (!r.getAcquired()) {
                            failed.incrementAndGet();
                        }
                    }

                    @Override
                    public void onError(Throwable t) {
                        // A leader change: the request carries no client session, but a session's
                        // acquire asked again reports the entry as it stands, so sending it again is safe.
                        if (attempt < 5) {
                            acquire(client, client.shards(), ids, i, ttl, addresses, channels, inFlight, failed, attempt + 1);
                        } else {
                            failed.incrementAndGet();
                            inFlight.release();
                        }
                    }

                    @Override
                    public void onCompleted() {
                        inFlight.release();
                    }
                });
    }

    private static byte[] name(long i) {
        return String.format(Locale.ROOT, PREFIX + "%07d", i).getBytes(StandardCharsets.US_ASCII);
    }

    /** Keep-alive streams to every node for the first {@code alive} sessions, every quarter TTL. */
    private static final class KeepAlives {
        private final List<String> nodes;
        private final Function<String, Channel> channels;
        private final long periodMillis;
        private volatile long[] ids = new long[0];
        private volatile int alive;
        private volatile boolean running = true;
        private final Thread thread;
        final AtomicLong acknowledged = new AtomicLong();

        KeepAlives(java.util.Collection<String> nodes, Function<String, Channel> channels, Duration ttl) {
            this.nodes = List.copyOf(nodes);
            this.channels = channels;
            this.periodMillis = Math.max(1, ttl.toMillis() / 4);
            this.thread = new Thread(this::loop, "bench-keepalives");
            this.thread.setDaemon(true);
        }

        /** When the last round of keep-alives began. */
        private volatile long lastRoundNanos = System.nanoTime();

        /**
         * From now on only ids[0, alive) are kept alive; returns when the others were last sent a
         * keep-alive (the start of the round before), from which their TTL runs at the nodes.
         */
        long alive(long[] all, int aliveCount) {
            long lastSent = lastRoundNanos;
            ids = all;
            alive = aliveCount;
            return lastSent;
        }

        void start() {
            thread.start();
        }

        void stop() throws InterruptedException {
            running = false;
            thread.interrupt();
            thread.join(5_000);
        }

        /** One node's keep-alive stream; {@code broken} is set by gRPC's thread when the stream fails. */
        private static final class Stream {
            StreamObserver<KeepAliveRequest> requests;
            volatile boolean broken;
        }

        /**
         * Opens a keep-alive stream to {@code node}. A stream may fail at once, inside this call (a
         * direct executor): it then comes back broken and the next round opens another.
         */
        private Stream open(String node) {
            Stream stream = new Stream();
            stream.requests = LockGrpc.newStub(channels.apply(node)).keepAlive(new StreamObserver<KeepAliveResponse>() {
                @Override
                public void onNext(KeepAliveResponse r) {
                    acknowledged.incrementAndGet();
                }

                @Override
                public void onError(Throwable t) {
                    stream.broken = true;
                }

                @Override
                public void onCompleted() {
                    stream.broken = true;
                }
            });
            return stream;
        }

        /** Only this thread touches the streams; gRPC's threads only mark one broken. */
        private void loop() {
            Map<String, Stream> streams = new HashMap<>();
            long sequence = 0;
            while (running) {
                lastRoundNanos = System.nanoTime();
                long[] all = ids;
                int n = alive;
                for (String node : nodes) {
                    Stream s = streams.get(node);
                    if (s == null || s.broken) {
                        s = open(node);
                        streams.put(node, s);
                    }
                    for (int from = 0; from < n && !s.broken; from += IDS_PER_MESSAGE) {
                        int to = Math.min(n, from + IDS_PER_MESSAGE);
                        KeepAliveRequest.Builder b = KeepAliveRequest.newBuilder().setSequence(++sequence);
                        for (long id : Arrays.copyOfRange(all, from, to)) {
                            b.addSessionIds(id);
                        }
                        try {
                            s.requests.onNext(b.build());
                        } catch (RuntimeException e) {
                            s.broken = true;
                        }
                    }
                }
                try {
                    TimeUnit.MILLISECONDS.sleep(periodMillis);
                } catch (InterruptedException e) {
                    break;
                }
            }
            streams.values().forEach(s -> {
                try {
                    s.requests.onCompleted();
                } catch (RuntimeException e) {
                    // closed
                }
            });
        }
    }
}
