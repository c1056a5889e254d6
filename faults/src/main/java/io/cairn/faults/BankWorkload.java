package io.cairn.faults;

import io.cairn.client.AggregateQuery;
import io.cairn.client.AggregateResult;
import io.cairn.client.CairnClient;
import io.cairn.client.CairnException;
import io.cairn.client.TransactionConflictException;
import io.cairn.placement.ShardMap;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The bank under the scenario's faults: {@link #ACCOUNTS} accounts of {@link #OPENING} each,
 * spread over the shards when the cluster has several (so every transfer is a cross-shard
 * transaction), transfer clients moving random amounts in serializable transactions (never
 * below zero), an auditor summing every account in a read-only transaction, and one summing
 * them with a LINEARIZABLE {@code sum} aggregation (one consistent cut of all shards). Every
 * total an audit commits with, every complete aggregation at a cut, and the total after healing
 * must be the opening total, and no balance may go negative: a transfer whose outcome was
 * unknown still applied whole or not at all.
 *
 * <p>The negative controls: {@code --unsafe-unchecked-txns} makes the servers drop the
 * transactions' read checks, so two transfers from one account both apply and the total moves;
 * {@code --unsafe-uncut-aggregates} makes them skip the aggregations' cut, so a sum can see a
 * transfer on one shard and not on the other.
 */
final class BankWorkload {
    static final int ACCOUNTS = 5;
    static final long OPENING = 1_000;
    private static final int THINK_MAX_MS = 10;

    final AtomicLong committed = new AtomicLong();
    final AtomicLong conflicts = new AtomicLong();
    final AtomicLong unknown = new AtomicLong();
    final AtomicLong audits = new AtomicLong();
    final AtomicLong auditsLost = new AtomicLong();
    final AtomicLong aggregates = new AtomicLong();
    /** Aggregations that came back partial, found no cut before their deadline, or failed. */
    final AtomicLong aggregatesLost = new AtomicLong();

    private final SecureSetup security;
    private final List<String> endpoints;
    private final Duration requestTimeout;
    private final List<String> accounts;
    private final List<String> violations = Collections.synchronizedList(new ArrayList<>());
    private final List<Thread> threads = new ArrayList<>();
    private volatile boolean running;

    /** {@code shards}: the cluster's shard count, over which the accounts are spread. */
    BankWorkload(SecureSetup security, List<String> endpoints, Duration requestTimeout, int shards) {
        this.security = security;
        this.endpoints = List.copyOf(endpoints);
        this.requestTimeout = requestTimeout;
        this.accounts = spread(shards);
    }

    /** Account i in shard i mod {@code shards}. */
    private static List<String> spread(int shards) {
        ShardMap map = ShardMap.of(shards);
        List<String> names = new ArrayList<>();
        for (int n = 0; names.size() < ACCOUNTS; n++) {
            String name = "bank/" + n;
            if (map.shardOfKey(name.getBytes(StandardCharsets.UTF_8)) == names.size() % shards) {
                names.add(name);
            }
        }
        return List.copyOf(names);
    }

    void start(int transferClients, long seed) {
        try (CairnClient client = client()) {
            for (String account : accounts) {
                open(client, account);
            }
        }
        running = true;
        for (int i = 0; i < transferClients; i++) {
            SplittableRandom random = new SplittableRandom(seed * 31 + i);
            threads.add(new Thread(() -> transfers(random), "fault-bank-" + i));
        }
        threads.add(new Thread(this::audits, "fault-bank-audit"));
        threads.add(new Thread(this::aggregateAudits, "fault-bank-aggregate"));
        threads.forEach(Thread::start);
    }

    /**
     * Writes an opening balance, again while the cluster cannot take it yet (a node still
     * loading its users, a shard between leaders), up to {@link #OPENING_WAIT}: a slow start is
     * not a failed run. A put repeated after an unknown outcome writes the same value.
     */
    private static void open(CairnClient client, String account) {
        long deadline = System.nanoTime() + OPENING_WAIT.toNanos();
        while (true) {
            try {
                client.put(account, Long.toString(OPENING));
                return;
            } catch (io.cairn.client.CairnException e) {
                if (System.nanoTime() - deadline > 0) {
                    throw new IllegalStateException("the bank cannot open account " + account + " within "
                            + OPENING_WAIT.toSeconds() + " s: " + e.getMessage(), e);
                }
            }
        }
    }

    private static final java.time.Duration OPENING_WAIT = java.time.Duration.ofSeconds(30);

    private CairnClient client() {
        return security.client(endpoints).requestTimeout(requestTimeout).build();
    }

    private void transfers(SplittableRandom random) {
        try (CairnClient client = client()) {
            while (running) {
                int from = random.nextInt(ACCOUNTS);
                int to = (from + 1 + random.nextInt(ACCOUNTS - 1)) % ACCOUNTS;
                long amount = 1 + random.nextInt(100);
                try {
                    client.inTransaction(tx -> {
                        long a = balance(tx.get(accounts.get(from)).orElseThrow().valueUtf8());
                        long b = balance(tx.get(accounts.get(to)).orElseThrow().valueUtf8());
                        if (a >= amount) {
                            tx.put(accounts.get(from), Long.toString(a - amount));
                            tx.put(accounts.get(to), Long.toString(b + amount));
                        }
                        return null;
                    });
                    committed.incrementAndGet();
                } catch (TransactionConflictException e) {
                    conflicts.incrementAndGet();
                } catch (CairnException e) {
                    unknown.incrementAndGet();
                }
                think(random);
            }
        } catch (RuntimeException e) {
            violate("a transfer client failed: " + e);
        }
    }

    private void audits() {
        SplittableRandom random = new SplittableRandom(accounts.hashCode());
        try (CairnClient client = client()) {
            while (running) {
                try {
                    audit(client, "an audit");
                } catch (TransactionConflictException e) {
                    auditsLost.incrementAndGet();
                } catch (CairnException e) {
                    auditsLost.incrementAndGet();
                }
                think(random);
            }
        } catch (RuntimeException e) {
            violate("the auditor failed: " + e);
        }
    }

    private void aggregateAudits() {
        SplittableRandom random = new SplittableRandom(accounts.hashCode() + 1L);
        AggregateQuery sum = AggregateQuery.of("sum").withPrefix("bank/").withDeadline(requestTimeout.multipliedBy(2));
        try (CairnClient client = client()) {
            while (running) {
                try {
                    AggregateResult r = client.aggregate(sum);
                    if (r.partial()) {
                        aggregatesLost.incrementAndGet();
                    } else {
                        aggregates.incrementAndGet();
                        if (!r.consistentCut() || r.keys() != ACCOUNTS
                                || !r.value().equals(Long.toString(OPENING * ACCOUNTS))) {
                            violate("a sum aggregation saw " + r.value() + " over " + r.keys() + " accounts"
                                    + (r.consistentCut() ? " at a cut" : " without a cut") + " (expected "
                                    + OPENING * ACCOUNTS + " over " + ACCOUNTS + ")");
                        }
                    }
                } catch (CairnException e) {
                    aggregatesLost.incrementAndGet();
                }
                think(random);
            }
        } catch (RuntimeException e) {
            violate("the aggregating auditor failed: " + e);
        }
    }

    /** Sums every account in one read-only transaction and records what is wrong with what it saw. */
    private void audit(CairnClient client, String what) {
        List<Long> balances = client.inTransaction(tx -> {
            List<Long> seen = new ArrayList<>();
            for (String account : accounts) {
                seen.add(balance(tx.get(account).orElseThrow().valueUtf8()));
            }
            return seen;
        });
        audits.incrementAndGet();
        long total = balances.stream().mapToLong(Long::longValue).sum();
        if (total != OPENING * ACCOUNTS || balances.stream().anyMatch(b -> b < 0)) {
            violate(what + " saw balances " + balances + ", total " + total + " (expected "
                    + OPENING * ACCOUNTS + ", none negative)");
        }
    }

    /** Keeps the first few violations whole and counts the rest, so a report stays readable. */
    private void violate(String what) {
        synchronized (violations) {
            if (violations.size() < VIOLATIONS_KEPT) {
                violations.add(what);
            } else {
                violationsMore++;
            }
        }
    }

    private static final int VIOLATIONS_KEPT = 5;
    private long violationsMore;

    private static long balance(String text) {
        return Long.parseLong(text);
    }

    private static void think(SplittableRandom random) {
        try {
            TimeUnit.MILLISECONDS.sleep(random.nextInt(THINK_MAX_MS + 1)); // pacing of a client, not synchronisation
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    void signalStop() {
        running = false;
    }

    /** Whether every client thread ended within {@code timeout}. */
    boolean stop(Duration timeout) throws InterruptedException {
        running = false;
        long deadline = System.nanoTime() + timeout.toNanos();
        for (Thread t : threads) {
            t.join(Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime())));
        }
        return threads.stream().noneMatch(Thread::isAlive);
    }

    /** After healing: one more audit, which must see the opening total. */
    void finalAudit(CairnClient client) {
        try {
            audit(client, "the final audit");
        } catch (CairnException e) {
            violate("the final audit could not complete: " + e.getMessage());
        }
    }

    List<String> violations() {
        synchronized (violations) {
            List<String> all = new ArrayList<>(violations);
            if (violationsMore > 0) {
                all.add(violationsMore + " more audits saw a wrong total");
            }
            return all;
        }
    }

    String summary() {
        return String.format(java.util.Locale.ROOT, "%d accounts, %d transfers committed, %d gave up on conflicts,"
                        + " %d unknown; %d audits (%d lost); %d sums at a cut (%d partial or without a cut)", ACCOUNTS,
                committed.get(), conflicts.get(), unknown.get(), audits.get(), auditsLost.get(), aggregates.get(),
                aggregatesLost.get());
    }
}
