package io.cairn.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.cairn.client.CairnClient;
import io.cairn.client.CairnException;
import io.cairn.client.Transaction;
import io.cairn.client.TransactionConflictException;
import io.cairn.server.ClusterSpec;
import io.cairn.sim.elle.ListAppendCheck;
import io.cairn.sim.elle.ListTxn;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Elle's list-append workload on a real 4-shard cluster: transactions of 1 to 4 reads and appends
 * over keys of every shard, then {@link ListAppendCheck} on what the clients saw. With
 * transactions, no G0, G1 or G2 anomaly. Two negative controls must be caught: the servers
 * dropping the transactions' read checks (the fault-injection switch the fault suite uses), and
 * the same operations done as plain gets and puts.
 */
class ListAppendTest {
    private static final int KEYS = 6;
    private static final int SHARDS = 4;

    @TempDir
    Path dir;

    private InProcessNodes cluster;
    private final AtomicLong values = new AtomicLong();
    private final AtomicLong ids = new AtomicLong();

    @AfterEach
    void stop() {
        if (cluster != null) {
            cluster.close();
        }
    }

    @Test
    void transactionsAcrossShardsShowNoAnomaly() throws Exception {
        List<ListTxn> history = run(true, false);

        long committed = history.stream().filter(t -> t.outcome() == ListTxn.Outcome.OK).count();
        System.out.printf("list-append: %d transactions, %d committed, %d conflicts, %d unknown%n", history.size(),
                committed, history.stream().filter(t -> t.outcome() == ListTxn.Outcome.FAILED).count(),
                history.stream().filter(t -> t.outcome() == ListTxn.Outcome.INFO).count());
        assertThat(committed).as("committed transactions of %d", history.size()).isGreaterThan(100);
        assertThat(ListAppendCheck.check(history)).isEmpty();
    }

    @Test
    void transactionsWithoutReadValidationAreCaught() throws Exception {
        List<ListTxn> history = run(true, true);

        List<ListAppendCheck.Anomaly> found = ListAppendCheck.check(history);
        System.out.println("list-append without read validation: " + found.size() + " anomalies, first "
                + found.stream().limit(3).toList());
        assertThat(found).extracting(ListAppendCheck.Anomaly::type).isNotEmpty()
                .containsAnyOf("G2", "incompatible-order");
    }

    @Test
    void theSameOperationsWithoutTransactionsAreCaught() throws Exception {
        List<ListTxn> history = run(false, false);

        List<ListAppendCheck.Anomaly> found = ListAppendCheck.check(history);
        System.out.println("list-append without transactions: " + found.size() + " anomalies, first "
                + found.stream().limit(3).toList());
        assertThat(found).extracting(ListAppendCheck.Anomaly::type)
                .isNotEmpty().containsAnyOf("G2", "G1c", "G0", "incompatible-order");
    }

    private List<ListTxn> run(boolean transactional, boolean unchecked) throws Exception {
        cluster = new InProcessNodes(dir, 3, SHARDS, c -> c, unchecked).startAll();
        ClusterSpec spec = cluster.spec;
        for (String address : unchecked ? spec.addresses().values() : List.<String>of()) {
            io.grpc.ManagedChannel ch = io.grpc.ManagedChannelBuilder.forTarget(address).usePlaintext().build();
            try {
                io.cairn.api.proto.FaultControlGrpc.newBlockingStub(ch).withDeadlineAfter(5, TimeUnit.SECONDS)
                        .set(io.cairn.api.proto.Faults.newBuilder().setUnsafeUncheckedTxns(true).build());
            } finally {
                ch.shutdownNow();
            }
        }
        List<String> keys = InProcessNodes.keysOverShards("list-", KEYS, SHARDS);
        List<ListTxn> history = Collections.synchronizedList(new ArrayList<>());
        ExecutorService pool = Executors.newFixedThreadPool(4);
        List<Future<?>> work = new ArrayList<>();
        try (CairnClient client = CairnClient.builder().endpoints(List.copyOf(spec.addresses().values()))
                .requestTimeout(Duration.ofSeconds(10)).build()) {
            for (int c = 0; c < 4; c++) {
                Random random = new Random(c);
                work.add(pool.submit(() -> {
                    for (int n = 0; n < 60; n++) {
                        history.add(transactional ? inTransaction(client, keys, random) : plain(client, keys, random));
                    }
                }));
            }
            for (Future<?> f : work) {
                f.get(180, TimeUnit.SECONDS);
            }
        } finally {
            pool.shutdownNow();
        }
        return history;
    }

    /** 1 to 4 micro-operations on distinct keys, each a read or an append of a fresh value. */
    private List<ListTxn.Mop> plan(List<String> keys, Random random) {
        List<String> shuffled = new ArrayList<>(keys);
        Collections.shuffle(shuffled, random);
        List<ListTxn.Mop> mops = new ArrayList<>();
        for (String key : shuffled.subList(0, 1 + random.nextInt(4))) {
            mops.add(random.nextBoolean() ? ListTxn.Mop.append(key, values.incrementAndGet()) : ListTxn.Mop.read(key, List.of()));
        }
        return mops;
    }

    private ListTxn inTransaction(CairnClient client, List<String> keys, Random random) {
        List<ListTxn.Mop> done = new ArrayList<>();
        try (Transaction tx = client.begin()) {
            for (ListTxn.Mop m : plan(keys, random)) {
                List<Long> list = parse(tx.get(m.key()).map(kv -> kv.valueUtf8()).orElse(""));
                if (m.append()) {
                    tx.put(m.key(), format(list, m.value()));
                    done.add(m);
                } else {
                    done.add(ListTxn.Mop.read(m.key(), list));
                }
            }
            tx.commit();
            return new ListTxn(ids.incrementAndGet(), ListTxn.Outcome.OK, done);
        } catch (TransactionConflictException e) {
            return new ListTxn(ids.incrementAndGet(), ListTxn.Outcome.FAILED, appendsOf(done));
        } catch (CairnException e) {
            return new ListTxn(ids.incrementAndGet(), ListTxn.Outcome.INFO, appendsOf(done));
        }
    }

    /** The same operations as separate gets and puts: read-modify-write without any check. */
    private ListTxn plain(CairnClient client, List<String> keys, Random random) {
        List<ListTxn.Mop> done = new ArrayList<>();
        for (ListTxn.Mop m : plan(keys, random)) {
            List<Long> list = parse(client.get(m.key()).map(kv -> kv.valueUtf8()).orElse(""));
            if (m.append()) {
                client.put(m.key(), format(list, m.value()));
                done.add(m);
            } else {
                done.add(ListTxn.Mop.read(m.key(), list));
            }
        }
        return new ListTxn(ids.incrementAndGet(), ListTxn.Outcome.OK, done);
    }

    private static List<ListTxn.Mop> appendsOf(List<ListTxn.Mop> mops) {
        return mops.stream().filter(ListTxn.Mop::append).toList();
    }

    private static List<Long> parse(String text) {
        return text.isEmpty() ? List.of() : Arrays.stream(text.split(",")).map(Long::parseLong).toList();
    }

    private static String format(List<Long> list, long value) {
        StringBuilder sb = new StringBuilder();
        list.forEach(v -> sb.append(v).append(','));
        return sb.append(value).toString();
    }
}
