package io.cairn.client;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

/**
 * Picks the replica a replica read goes to first, by a {@link ReadBalancing} policy, and keeps
 * the client away from replicas that fail: a replica whose attempt failed for want of an answer
 * (unreachable, timed out, no leader to confirm with) is skipped for a quarantine that doubles
 * from {@value #QUARANTINE_MILLIS_MIN} ms to {@value #QUARANTINE_MILLIS_MAX} ms per failure in a
 * row, and is tried again when it ends; its first success clears it. When every replica is in
 * quarantine the policy picks among all of them. Thread-safe.
 */
final class ReplicaBalancer {
    static final long QUARANTINE_MILLIS_MIN = 500;
    static final long QUARANTINE_MILLIS_MAX = 30_000;

    private record Health(int failuresInRow, long quarantinedUntilNanos) {}

    private final ReadBalancing policy;
    private final Map<String, Integer> weights;
    private final LongSupplier nanoTime;
    private final Map<String, Health> health = new ConcurrentHashMap<>();
    private final Map<String, AtomicInteger> outstanding = new ConcurrentHashMap<>();
    private final Map<String, AtomicLong> served = new ConcurrentHashMap<>();
    private final AtomicLong turn = new AtomicLong();

    ReplicaBalancer(ReadBalancing policy, Map<String, Integer> weights, LongSupplier nanoTime) {
        this.policy = policy;
        this.weights = Map.copyOf(weights);
        this.nanoTime = nanoTime;
    }

    ReadBalancing policy() {
        return policy;
    }

    /**
     * The replica to try first among {@code replicas} (addresses) for a read of {@code key}, or
     * null to let the client route as for the leader (policy LEADER, or no replica known).
     */
    String choose(List<String> replicas, byte[] key) {
        if (policy == ReadBalancing.LEADER || replicas.isEmpty()) {
            return null;
        }
        List<String> candidates = healthy(replicas);
        return switch (policy) {
            case ROUND_ROBIN -> candidates.get((int) Math.floorMod(turn.getAndIncrement(), (long) candidates.size()));
            case RANDOM -> candidates.get(ThreadLocalRandom.current().nextInt(candidates.size()));
            case WEIGHTED -> weighted(candidates);
            case LEAST_OUTSTANDING -> leastOutstanding(candidates);
            case KEY_HASH -> rendezvous(candidates, key);
            case LEADER -> null;
        };
    }

    private List<String> healthy(List<String> replicas) {
        long now = nanoTime.getAsLong();
        List<String> ok = new ArrayList<>(replicas.size());
        for (String r : replicas) {
            Health h = health.get(r);
            if (h == null || now - h.quarantinedUntilNanos() >= 0) {
                ok.add(r);
            }
        }
        return ok.isEmpty() ? replicas : ok;
    }

    private String weighted(List<String> candidates) {
        long total = 0;
        for (String c : candidates) {
            total += weightOf(c);
        }
        if (total == 0) {
            // Every healthy replica weighs 0: better any of them than no read at all.
            return candidates.get(ThreadLocalRandom.current().nextInt(candidates.size()));
        }
        long ticket = ThreadLocalRandom.current().nextLong(total);
        for (String c : candidates) {
            ticket -= weightOf(c);
            if (ticket < 0) {
                return c;
            }
        }
        throw new AssertionError("a ticket below the total weight always lands");
    }

    int weightOf(String address) {
        return weights.getOrDefault(address, 1);
    }

    private String leastOutstanding(List<String> candidates) {
        int start = (int) Math.floorMod(turn.getAndIncrement(), (long) candidates.size());
        String best = null;
        int bestCount = Integer.MAX_VALUE;
        for (int i = 0; i < candidates.size(); i++) {
            String c = candidates.get((start + i) % candidates.size());
            int n = outstanding.computeIfAbsent(c, a -> new AtomicInteger()).get();
            if (n < bestCount) {
                best = c;
                bestCount = n;
            }
        }
        return best;
    }

    /** Highest score wins; a replica's score for a key does not depend on the other replicas. */
    private static String rendezvous(List<String> candidates, byte[] key) {
        long keyHash = java.util.Arrays.hashCode(key);
        String best = null;
        long bestScore = Long.MIN_VALUE;
        for (String c : candidates) {
            long score = mix(keyHash * 0x9E3779B97F4A7C15L ^ c.hashCode());
            if (best == null || score > bestScore) {
                best = c;
                bestScore = score;
            }
        }
        return best;
    }

    /** A 64-bit finaliser (SplitMix64's): nearby inputs get unrelated scores. */
    private static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    /** An attempt at {@code address} starts. */
    void started(String address) {
        outstanding.computeIfAbsent(address, a -> new AtomicInteger()).incrementAndGet();
    }

    /**
     * The attempt at {@code address} ended: answered (a result or an error the replica chose,
     * such as a refusal), or failed for want of an answer, which quarantines it.
     */
    void ended(String address, boolean answered) {
        AtomicInteger n = outstanding.get(address);
        if (n != null) {
            n.decrementAndGet();
        }
        if (answered) {
            health.remove(address);
            served.computeIfAbsent(address, a -> new AtomicLong()).incrementAndGet();
            return;
        }
        health.compute(address, (a, h) -> {
            int failures = h == null ? 1 : h.failuresInRow() + 1;
            long millis = Math.min(QUARANTINE_MILLIS_MAX, QUARANTINE_MILLIS_MIN << Math.min(failures - 1, 16));
            return new Health(failures, nanoTime.getAsLong() + TimeUnit.MILLISECONDS.toNanos(millis));
        });
    }

    /** Whether {@code address} is in quarantine now. */
    boolean quarantined(String address) {
        Health h = health.get(address);
        return h != null && nanoTime.getAsLong() - h.quarantinedUntilNanos() < 0;
    }

    /** Attempts each address answered since the client started: the spread the policy achieved. */
    Map<String, Long> servedCounts() {
        Map<String, Long> out = new java.util.TreeMap<>();
        served.forEach((a, n) -> out.put(a, n.get()));
        return out;
    }
}
