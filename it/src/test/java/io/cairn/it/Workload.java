package io.cairn.it;

import io.cairn.client.CairnClient;
import io.cairn.client.CairnUnavailableException;
import io.cairn.client.CasFailedException;
import io.cairn.client.KeyValue;
import io.cairn.sim.lin.KvInput;
import io.cairn.sim.lin.KvOutput;
import io.cairn.sim.lin.KvValue;
import io.cairn.sim.lin.Operation;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Concurrent clients doing put, linearizable get and compare-and-set on a few keys, recording
 * a history for the linearizability checker. Every value written is unique, so a value names
 * the write (and thus the version) that produced it, and Cairn's compare-and-set on a version
 * is the model's compare-and-set on that value. A write that fails after its retries may have
 * been applied: it is recorded as pending.
 */
final class Workload {
    final List<Operation<KvInput, KvOutput>> history = Collections.synchronizedList(new ArrayList<>());
    final AtomicLong acknowledgedWrites = new AtomicLong();
    final AtomicLong failedOps = new AtomicLong();
    private final AtomicBoolean running = new AtomicBoolean(true);
    private final List<Thread> threads = new ArrayList<>();
    private final List<String> endpoints;
    private final int keys;

    Workload(List<String> endpoints, int keys) {
        this.endpoints = endpoints;
        this.keys = keys;
    }

    void start(int clients, long seed) {
        for (int c = 0; c < clients; c++) {
            int client = c;
            Thread t = new Thread(() -> runClient(client, new SplittableRandom(seed + client)), "client-" + c);
            threads.add(t);
            t.start();
        }
    }

    /**
     * Waits until {@code count} writes in all have been acknowledged: the load has run through
     * whatever the cluster is going through, by evidence rather than by a guessed duration.
     */
    void awaitAcknowledgedWrites(long count, Duration timeout) {
        org.awaitility.Awaitility.await(count + " acknowledged writes").atMost(timeout)
                .pollInterval(Duration.ofMillis(20)).until(() -> acknowledgedWrites.get() >= count);
    }

    void stop() throws InterruptedException {
        running.set(false);
        for (Thread t : threads) {
            t.join(30_000);
        }
    }

    private void runClient(int client, SplittableRandom random) {
        try (CairnClient cairn = CairnClient.builder().endpoints(endpoints)
                .requestTimeout(Duration.ofSeconds(10)).build()) {
            long counter = 0;
            while (running.get()) {
                String key = "key" + random.nextInt(keys);
                long value = (client + 1) * 1_000_000_000L + (++counter);
                int kind = random.nextInt(10);
                if (kind < 4) {
                    put(cairn, client, key, value);
                } else if (kind < 8) {
                    get(cairn, client, key);
                } else {
                    cas(cairn, client, key, value);
                }
            }
        }
    }

    private static long now() {
        return System.nanoTime();
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static KvValue valueOf(Optional<KeyValue> kv) {
        return kv.map(v -> KvValue.of(Long.parseLong(v.valueUtf8()))).orElse(KvValue.ABSENT);
    }

    private void put(CairnClient cairn, int client, String key, long value) {
        long call = now();
        try {
            cairn.put(bytes(key), bytes(Long.toString(value)));
            history.add(Operation.completed(client, new KvInput.Put(key, value), KvOutput.OK, call, now()));
            acknowledgedWrites.incrementAndGet();
        } catch (CairnUnavailableException e) {
            history.add(Operation.pending(client, new KvInput.Put(key, value), call));
            failedOps.incrementAndGet();
        }
    }

    private void get(CairnClient cairn, int client, String key) {
        long call = now();
        try {
            KvValue seen = valueOf(cairn.get(bytes(key)));
            history.add(Operation.completed(client, new KvInput.Get(key), new KvOutput.Read(seen), call, now()));
        } catch (CairnUnavailableException e) {
            failedOps.incrementAndGet(); // a failed read has no effect to record
        }
    }

    /** Reads the key, then swaps it on the version read: the model's swap on the value read. */
    private void cas(CairnClient cairn, int client, String key, long value) {
        Optional<KeyValue> current;
        long readCall = now();
        try {
            current = cairn.get(bytes(key));
            history.add(Operation.completed(client, new KvInput.Get(key), new KvOutput.Read(valueOf(current)),
                    readCall, now()));
        } catch (CairnUnavailableException e) {
            failedOps.incrementAndGet();
            return;
        }
        KvValue expected = valueOf(current);
        long version = current.map(KeyValue::version).orElse(0L);
        KvInput.Cas input = new KvInput.Cas(key, expected, value);
        long call = now();
        try {
            cairn.compareAndSet(bytes(key), version, bytes(Long.toString(value)));
            history.add(Operation.completed(client, input, new KvOutput.Swapped(true), call, now()));
            acknowledgedWrites.incrementAndGet();
        } catch (CasFailedException e) {
            history.add(Operation.completed(client, input, new KvOutput.Swapped(false), call, now()));
        } catch (CairnUnavailableException e) {
            history.add(Operation.pending(client, input, call));
            failedOps.incrementAndGet();
        }
    }
}
