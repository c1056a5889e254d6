package io.cairn.cli.bench;

import io.cairn.client.CairnClient;
import io.cairn.client.Consistency;
import io.cairn.client.KeyValue;
import io.cairn.client.ScanQuery;
import java.util.concurrent.CompletableFuture;

/**
 * What a run sends its requests to: a cluster through {@link CairnClient} ({@link #of}), or a
 * fake in tests. Every method returns at once; its future completes when the request is over,
 * exceptionally if it failed. A method may also throw for a bad argument.
 */
public interface BenchTarget {
    CompletableFuture<?> put(byte[] key, byte[] value);

    CompletableFuture<?> get(byte[] key);

    /** The key's version; 0 when it is absent. */
    CompletableFuture<Long> version(byte[] key);

    CompletableFuture<?> compareAndSet(byte[] key, long expectedVersion, byte[] value);

    /** Up to {@code limit} keys of the bench's key space, from {@code fromKey} on. */
    CompletableFuture<?> scan(byte[] fromKey, int limit);

    /**
     * One transaction: read both keys, write {@code value} to both; fails with
     * {@link io.cairn.client.TransactionConflictException} when another wrote one first.
     */
    CompletableFuture<?> transaction(byte[] first, byte[] second, byte[] value);

    /**
     * One lock cycle: take {@code lock} (waiting in line), put {@code value} to {@code key} fenced
     * by the grant's token, release the lock.
     */
    CompletableFuture<?> lockCycle(byte[] lock, byte[] key, byte[] value);

    /** The cluster behind {@code client}, read at {@code consistency}. */
    static BenchTarget of(CairnClient client, Consistency consistency) {
        return of(client, consistency, java.time.Duration.ZERO, null, java.time.Duration.ZERO, false);
    }

    /**
     * The cluster behind {@code client}, read at {@code consistency} or through {@code nearCache}
     * when not null, every put with {@code ttl} (zero: none); a lock is held {@code lockHold}
     * after its fenced write, through one lock session of the whole run ({@code unlockWithWrite}: the
     * fenced write releases it, held before it instead).
     */
    static BenchTarget of(CairnClient client, Consistency consistency, java.time.Duration ttl,
                          io.cairn.client.NearCache nearCache, java.time.Duration lockHold, boolean unlockWithWrite) {
        return new BenchTarget() {
            /** Opened by the first lock cycle; its keep-alive thread is a daemon and ends with the run. */
            private volatile io.cairn.client.LockSession session;

            @Override
            public CompletableFuture<?> lockCycle(byte[] lock, byte[] key, byte[] value) {
                return CompletableFuture.runAsync(() -> {
                    io.cairn.client.SessionLock held = session().lock(lock);
                    try {
                        held.lock();
                        if (unlockWithWrite) {
                            if (!lockHold.isZero()) {
                                Thread.sleep(lockHold.toMillis());
                            }
                            held.putAndUnlock(key, value);
                            return;
                        }
                        client.put(key, value, held.fence());
                        if (!lockHold.isZero()) {
                            Thread.sleep(lockHold.toMillis());
                        }
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        throw new java.util.concurrent.CancellationException("interrupted");
                    } finally {
                        if (held.token() != 0) {
                            held.unlock();
                        }
                    }
                }, transactions);
            }

            private synchronized io.cairn.client.LockSession session() {
                if (session == null) {
                    session = client.openSession(java.time.Duration.ofSeconds(10));
                }
                return session;
            }

            @Override
            public CompletableFuture<?> put(byte[] key, byte[] value) {
                return client.putAsync(key, value, ttl);
            }

            @Override
            public CompletableFuture<?> get(byte[] key) {
                return nearCache != null ? nearCache.getAsync(key) : client.getAsync(key, consistency);
            }

            @Override
            public CompletableFuture<Long> version(byte[] key) {
                return client.getAsync(key, consistency).thenApply(kv -> kv.map(KeyValue::version).orElse(0L));
            }

            @Override
            public CompletableFuture<?> compareAndSet(byte[] key, long expectedVersion, byte[] value) {
                return client.compareAndSetAsync(key, expectedVersion, value, ttl);
            }

            /** Transactions and lock cycles block their thread: each runs on a thread of its own, as many as run at once. */
            private final java.util.concurrent.ExecutorService transactions =
                    java.util.concurrent.Executors.newCachedThreadPool(r -> {
                        Thread t = new Thread(r, "bench-txn");
                        t.setDaemon(true);
                        return t;
                    });

            @Override
            public CompletableFuture<?> transaction(byte[] first, byte[] second, byte[] value) {
                return CompletableFuture.runAsync(() -> {
                    try (io.cairn.client.Transaction tx = client.begin()) {
                        tx.get(first);
                        tx.get(second);
                        tx.put(first, value);
                        tx.put(second, value);
                        tx.commit();
                    }
                }, transactions);
            }

            @Override
            public CompletableFuture<?> scan(byte[] fromKey, int limit) {
                return client.scanAsync(ScanQuery.range(fromKey, BenchKeys.END_EXCLUSIVE)
                        .withLimit(limit).withConsistency(consistency));
            }
        };
    }
}
