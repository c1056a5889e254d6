package io.cairn.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import io.cairn.api.proto.KvGrpc;
import io.cairn.api.proto.TxnGet;
import io.cairn.api.proto.TxnOp;
import io.cairn.api.proto.TxnPut;
import io.cairn.api.proto.TxnRequest;
import io.cairn.api.proto.TxnResponse;
import io.cairn.client.CairnClient;
import io.cairn.client.Compare;
import io.cairn.client.LockAttempt;
import io.cairn.client.Transaction;
import io.cairn.client.TransactionConflictException;
import io.cairn.client.TxnResult;
import io.cairn.common.NodeId;
import io.cairn.server.ClusterSpec;
import io.cairn.server.ServerConfig;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import io.cairn.client.CairnUnavailableException;
import java.util.Random;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Single-shard transactions through the real client and servers of a sharded cluster. */
class TxnTest {
    private static final int ACCOUNTS = 6;
    private static final long OPENING_BALANCE = 100;

    @TempDir
    Path dir;

    private final List<InProcessNodes> clusters = new ArrayList<>();
    private final List<ManagedChannel> channels = new ArrayList<>();

    @AfterEach
    void stop() {
        channels.forEach(ManagedChannel::shutdownNow);
        clusters.forEach(InProcessNodes::close);
    }

    /**
     * The bank: concurrent transfers between accounts of one shard and whole-bank reads. Every
     * read-only transaction that commits sees the opening total, and no balance goes negative.
     */
    @Test
    void concurrentTransfersKeepTheBanksTotalAtEveryReadAndAtTheEnd() throws Exception {
        ClusterSpec spec = start(3, 4);
        try (CairnClient client = client(spec)) {
            for (int i = 0; i < ACCOUNTS; i++) {
                client.put(account(i), Long.toString(OPENING_BALANCE));
            }
            ExecutorService pool = Executors.newFixedThreadPool(4);
            ConcurrentLinkedQueue<Long> totalsSeen = new ConcurrentLinkedQueue<>();
            AtomicInteger transfers = new AtomicInteger();
            AtomicInteger gaveUp = new AtomicInteger();
            List<Future<?>> work = new ArrayList<>();
            for (int t = 0; t < 3; t++) {
                Random random = new Random(t);
                work.add(pool.submit(() -> {
                    for (int n = 0; n < 40; n++) {
                        int from = random.nextInt(ACCOUNTS);
                        int to = (from + 1 + random.nextInt(ACCOUNTS - 1)) % ACCOUNTS;
                        long amount = 1 + random.nextInt(30);
                        try {
                            client.inTransaction(tx -> transfer(tx, from, to, amount));
                            transfers.incrementAndGet();
                        } catch (TransactionConflictException e) {
                            gaveUp.incrementAndGet();
                        }
                    }
                }));
            }
            AtomicInteger readsGaveUp = new AtomicInteger();
            work.add(pool.submit(() -> {
                for (int n = 0; n < 40; n++) {
                    // A read-only transaction of six round trips races the transfers and may lose;
                    // a Txn of six gets reads them all in one entry and never does.
                    try {
                        totalsSeen.add(client.inTransaction(TxnTest::total));
                    } catch (TransactionConflictException e) {
                        readsGaveUp.incrementAndGet();
                    }
                    totalsSeen.add(atomicTotal(client));
                }
            }));
            for (Future<?> f : work) {
                f.get(120, TimeUnit.SECONDS);
            }
            pool.shutdown();

            assertThat(transfers.get()).as("transfers that committed (%d gave up)", gaveUp.get()).isGreaterThan(60);
            assertThat(totalsSeen).hasSize(80 - readsGaveUp.get()).containsOnly(ACCOUNTS * OPENING_BALANCE);
            long end = 0;
            for (int i = 0; i < ACCOUNTS; i++) {
                long balance = Long.parseLong(client.get(account(i)).orElseThrow().valueUtf8());
                assertThat(balance).as("account %d", i).isNotNegative();
                end += balance;
            }
            assertThat(end).isEqualTo(ACCOUNTS * OPENING_BALANCE);
        }
    }

    private static Void transfer(Transaction tx, int from, int to, long amount) {
        long a = Long.parseLong(tx.get(account(from)).orElseThrow().valueUtf8());
        long b = Long.parseLong(tx.get(account(to)).orElseThrow().valueUtf8());
        if (a >= amount) {
            tx.put(account(from), Long.toString(a - amount));
            tx.put(account(to), Long.toString(b + amount));
        }
        return null;
    }

    private static long atomicTotal(CairnClient client) {
        io.cairn.client.TxnOp[] gets = new io.cairn.client.TxnOp[ACCOUNTS];
        for (int i = 0; i < ACCOUNTS; i++) {
            gets[i] = io.cairn.client.TxnOp.get(account(i));
        }
        TxnResult r = client.txn().then(gets).commit();
        long sum = 0;
        for (int i = 0; i < ACCOUNTS; i++) {
            sum += Long.parseLong(r.read(i).orElseThrow().valueUtf8());
        }
        return sum;
    }

    private static long total(Transaction tx) {
        long sum = 0;
        for (int i = 0; i < ACCOUNTS; i++) {
            sum += Long.parseLong(tx.get(account(i)).orElseThrow().valueUtf8());
        }
        return sum;
    }

    /** The bank again, with one account per shard or so: every transfer is a two-phase commit. */
    @Test
    void transfersAcrossShardsKeepTheTotalAtEveryReadAndAtTheEnd() throws Exception {
        ClusterSpec spec = start(3, 4);
        try (CairnClient client = client(spec)) {
            for (int i = 0; i < ACCOUNTS; i++) {
                client.put(spread(i), Long.toString(OPENING_BALANCE));
            }
            assertThat(java.util.stream.IntStream.range(0, ACCOUNTS)
                    .map(i -> client.shardOf(spread(i).getBytes(StandardCharsets.UTF_8))).distinct().count())
                    .as("accounts on several shards").isGreaterThan(1);
            ExecutorService pool = Executors.newFixedThreadPool(4);
            ConcurrentLinkedQueue<Long> totalsSeen = new ConcurrentLinkedQueue<>();
            AtomicInteger transfers = new AtomicInteger();
            List<Future<?>> work = new ArrayList<>();
            for (int t = 0; t < 3; t++) {
                Random random = new Random(10 + t);
                work.add(pool.submit(() -> {
                    for (int n = 0; n < 25; n++) {
                        int from = random.nextInt(ACCOUNTS);
                        int to = (from + 1 + random.nextInt(ACCOUNTS - 1)) % ACCOUNTS;
                        long amount = 1 + random.nextInt(30);
                        try {
                            client.inTransaction(tx -> {
                                long a = Long.parseLong(tx.get(spread(from)).orElseThrow().valueUtf8());
                                long b = Long.parseLong(tx.get(spread(to)).orElseThrow().valueUtf8());
                                if (a >= amount) {
                                    tx.put(spread(from), Long.toString(a - amount));
                                    tx.put(spread(to), Long.toString(b + amount));
                                }
                                return null;
                            });
                            transfers.incrementAndGet();
                        } catch (TransactionConflictException e) {
                            // Gave up after its attempts: it wrote nothing.
                        }
                    }
                }));
            }
            work.add(pool.submit(() -> {
                for (int n = 0; n < 25; n++) {
                    try {
                        totalsSeen.add(client.inTransaction(tx -> {
                            long sum = 0;
                            for (int i = 0; i < ACCOUNTS; i++) {
                                sum += Long.parseLong(tx.get(spread(i)).orElseThrow().valueUtf8());
                            }
                            return sum;
                        }));
                    } catch (TransactionConflictException e) {
                        // A read-only transaction that kept losing: it saw nothing it reports.
                    }
                }
            }));
            for (Future<?> f : work) {
                f.get(180, TimeUnit.SECONDS);
            }
            pool.shutdown();

            assertThat(transfers.get()).isGreaterThan(30);
            assertThat(totalsSeen).isNotEmpty().containsOnly(ACCOUNTS * OPENING_BALANCE);
            long end = 0;
            for (int i = 0; i < ACCOUNTS; i++) {
                long balance = Long.parseLong(client.get(spread(i)).orElseThrow().valueUtf8());
                assertThat(balance).isNotNegative();
                end += balance;
            }
            assertThat(end).isEqualTo(ACCOUNTS * OPENING_BALANCE);
        }
    }

    /**
     * A coordinator that dies after the decision leaves intents behind: the first write that meets
     * one after the transaction timeout finds the record committed and applies the transaction's
     * write before its own. One that dies before deciding is aborted: its writes never appear.
     */
    @Test
    void aCrashedCoordinatorsTransactionIsFinishedByTheNextWriterAsItsRecordSays() throws IOException {
        ClusterSpec spec = start(3, 4, 1_500);
        io.cairn.api.proto.TxnGrpc.TxnBlockingStub txn = txnStub(spec);
        String a = "{p}a";
        String b = keyInAnotherShardThan(a, 4);
        try (CairnClient client = client(spec)) {
            for (String outcome : List.of("decided", "undecided")) {
                ByteString id = ByteString.copyFromUtf8("crashed-" + outcome);
                for (String key : List.of(a, b)) {
                    assertThat(txn.prepare(preparePut(id, a, key, "from " + outcome)).getPrepared()).isTrue();
                }
                if (outcome.equals("decided")) {
                    assertThat(txn.decide(io.cairn.api.proto.TxnDecideRequest.newBuilder().setTxnId(id)
                            .setPrimaryKey(ByteString.copyFromUtf8(a)).setCommit(true).build()).getCommitted()).isTrue();
                }
                // The coordinator is gone. A transaction that reads b before the timeout conflicts at once.
                Transaction reader = client.begin();
                reader.get(b);
                reader.put(a, "reader");
                assertThatThrownBy(reader::commit).isInstanceOf(TransactionConflictException.class);

                // A plain write of b waits for the intent, then ends it as the record says: the
                // committed transaction's write comes first (version 2), the aborted one's never.
                long expectedVersion = outcome.equals("decided") ? 2 : 1;
                assertThat(client.put(b, "after " + outcome).version()).as(outcome).isEqualTo(expectedVersion);
                assertThat(client.put(a, "after " + outcome).version()).as(outcome).isEqualTo(expectedVersion);
                client.delete(a);
                client.delete(b);
            }
        }
    }

    /**
     * What nobody meets, the shard leaders end, about 30 transaction timeouts after it was left
     * (3 s here): a coordinator that died after deciding has its writes applied in every shard and
     * its record removed; one that died before deciding has its intents aborted, and that abort's
     * record removed in turn. A commit decision arriving after all that finds the outcome unknown
     * instead of committing anything.
     */
    @Test
    void whatCrashedCoordinatorsLeaveIsCleanedUpWithoutAnyoneMeetingIt() throws IOException {
        InProcessNodes cluster = new InProcessNodes(dir, 3, 4, c -> c.withTxnTimeout(100), false);
        clusters.add(cluster);
        ClusterSpec spec = cluster.startAll().spec;
        io.cairn.api.proto.TxnGrpc.TxnBlockingStub txn = txnStub(spec);
        String a = "{q}a";
        String b = keyInAnotherShardThan(a, 4);
        String c = "{r}c";
        String d = keyInAnotherShardThan(c, 4, "else-");
        ByteString decided = ByteString.copyFromUtf8("left-decided");
        ByteString undecided = ByteString.copyFromUtf8("left-undecided");
        for (List<String> keys : List.of(List.of(a, b), List.of(c, d))) {
            ByteString id = keys.get(0).equals(a) ? decided : undecided;
            for (String key : keys) {
                assertThat(txn.prepare(preparePut(id, keys.get(0), key, "left " + key)).getPrepared()).isTrue();
            }
        }
        io.cairn.api.proto.TxnDecideRequest commitDecided = io.cairn.api.proto.TxnDecideRequest.newBuilder()
                .setTxnId(decided).setPrimaryKey(ByteString.copyFromUtf8(a)).setCommit(true)
                .addIntentKeys(ByteString.copyFromUtf8(a)).addIntentKeys(ByteString.copyFromUtf8(b)).build();
        assertThat(txn.decide(commitDecided).getCommitted()).isTrue();
        org.awaitility.Awaitility.await("4 intents and a record, on 3 replicas each").atMost(Duration.ofSeconds(2))
                .pollInterval(Duration.ofMillis(10)).until(cluster::transactionLeftovers, n -> n == 15);

        // Nobody writes these keys: only the shard leaders' cleanup can end the transactions.
        org.awaitility.Awaitility.await("every intent and record cleaned up").atMost(Duration.ofSeconds(60))
                .pollInterval(Duration.ofMillis(200)).until(cluster::transactionLeftovers, n -> n == 0);

        try (CairnClient client = client(spec)) {
            assertThat(client.get(a).orElseThrow().valueUtf8()).isEqualTo("left " + a);
            assertThat(client.get(b).orElseThrow().valueUtf8()).as("the other shard's intent applied").isEqualTo("left " + b);
            assertThat(client.get(c)).as("the undecided transaction aborted").isEmpty();
            assertThat(client.get(d)).isEmpty();
        }
        assertThat(txn.decide(commitDecided).getOutcomeUnknown()).as("a commit decision after the cleanup").isTrue();
        assertThat(txn.decide(io.cairn.api.proto.TxnDecideRequest.newBuilder().setTxnId(undecided)
                .setPrimaryKey(ByteString.copyFromUtf8(c)).setCommit(true).addIntentKeys(ByteString.copyFromUtf8(c))
                .build()).getOutcomeUnknown()).isTrue();
        assertThat(cluster.transactionLeftovers()).as("an unknown outcome writes nothing").isZero();
    }

    /**
     * Readers share: while a prepared transaction holds what it read, another transaction that
     * reads the same key (and writes elsewhere, across shards) commits; one that writes the key
     * conflicts, naming the holder.
     */
    @Test
    void aKeyHeldByAPreparedReaderCanBeReadAndCommittedOnButNotWritten() throws IOException {
        ClusterSpec spec = start(3, 4);
        io.cairn.api.proto.TxnGrpc.TxnBlockingStub txn = txnStub(spec);
        String config = "{s}config";
        String mine = keyInAnotherShardThan(config, 4);
        try (CairnClient client = client(spec)) {
            long configRevision = client.put(config, "v1").modRevision();
            ByteString held = ByteString.copyFromUtf8("prepared-reader");
            assertThat(txn.prepare(io.cairn.api.proto.TxnPrepareRequest.newBuilder().setTxnId(held)
                    .setPrimaryKey(ByteString.copyFromUtf8(config)).setLockReads(true)
                    .addCompare(io.cairn.api.proto.Compare.newBuilder().setKey(ByteString.copyFromUtf8(config))
                            .setTarget(io.cairn.api.proto.Compare.Target.MOD_REVISION).setNumber(configRevision))
                    .build()).getPrepared()).isTrue();

            Transaction reader = client.begin();
            assertThat(reader.get(config).orElseThrow().valueUtf8()).isEqualTo("v1");
            reader.put(mine, "read v1");
            reader.commit();
            assertThat(client.get(mine).orElseThrow().valueUtf8()).isEqualTo("read v1");

            Transaction writer = client.begin();
            writer.get(mine);
            writer.put(config, "v2");
            assertThatThrownBy(writer::commit).isInstanceOf(TransactionConflictException.class)
                    .hasMessageContaining(java.util.HexFormat.of().formatHex(held.toByteArray()));

            txn.resolve(io.cairn.api.proto.TxnResolveRequest.newBuilder().setTxnId(held).setCommit(false)
                    .addKeys(ByteString.copyFromUtf8(config)).build());
            assertThat(client.put(config, "v2").version()).as("the reader's hold is gone").isEqualTo(2);

            Transaction wide = client.begin();
            for (String key : InProcessNodes.keysOverShards("wide-", 2 * io.cairn.client.Txn.OPS_MAX, 4)) {
                wide.get(key);
            }
            wide.put(mine, "too wide");
            assertThatThrownBy(wide::commit).as("257 distinct keys across shards").isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("at most 256 distinct keys");
            assertThat(client.get(mine).orElseThrow().valueUtf8()).isEqualTo("read v1");
        }
    }

    /**
     * A commit whose outcome is unknown (no leader to answer) is thrown by {@code inTransaction},
     * never run again; a body its caller marked idempotent is run again until it commits.
     */
    @Test
    void anUnknownOutcomeIsRetriedOnlyForABodyMarkedIdempotent() throws Exception {
        InProcessNodes cluster = new InProcessNodes(dir, 3, 1, c -> c, false);
        clusters.add(cluster);
        ClusterSpec spec = cluster.startAll().spec;
        try (CairnClient client = CairnClient.builder().endpoints(List.copyOf(spec.addresses().values()))
                .requestTimeout(Duration.ofMillis(800)).build()) {
            client.put("idem", "before");
            cluster.stop(2);
            cluster.stop(3);
            assertThatThrownBy(() -> client.inTransaction(tx -> {
                tx.put("idem", "plain");
                return null;
            })).isInstanceOf(CairnUnavailableException.class);

            AtomicInteger attempts = new AtomicInteger();
            ExecutorService pool = Executors.newSingleThreadExecutor();
            try {
                Future<?> idempotent = pool.submit(() -> client.inIdempotentTransaction(tx -> {
                    attempts.incrementAndGet();
                    tx.put("idem", "set");
                    return null;
                }));
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
                while (attempts.get() < 2 && System.nanoTime() < deadline) {
                    Thread.onSpinWait(); // the second attempt starts once the first one's outcome was unknown
                }
                assertThat(attempts.get()).isGreaterThanOrEqualTo(2);
                cluster.start(2);
                cluster.start(3);
                idempotent.get(60, TimeUnit.SECONDS);
            } finally {
                pool.shutdownNow();
            }
            assertThat(client.get("idem").orElseThrow().valueUtf8()).isEqualTo("set");
        }
    }

    @Test
    void aConflictNamesTheChangedKeyAndWritesNothing() throws IOException {
        ClusterSpec spec = start(3, 4);
        try (CairnClient client = client(spec)) {
            client.put("{t}a", "1");
            Transaction tx = client.begin();
            assertThat(tx.get("{t}a").orElseThrow().valueUtf8()).isEqualTo("1");
            tx.put("{t}b", "from tx");
            long changedAt = client.put("{t}a", "2").modRevision();

            assertThatThrownBy(tx::commit).isInstanceOfSatisfying(TransactionConflictException.class, e -> {
                assertThat(new String(e.key(), StandardCharsets.UTF_8)).isEqualTo("{t}a");
                assertThat(e.shard()).isEqualTo(client.shardOf("{t}a".getBytes(StandardCharsets.UTF_8)));
                assertThat(e.readRevision()).isLessThan(changedAt);
            });
            assertThat(client.get("{t}b")).isEmpty();
            assertThatThrownBy(tx::commit).isInstanceOf(IllegalStateException.class);
        }
    }

    @Test
    void ifThenElseRunsOneBranchAtomicallyAndSaysWhichCompareFailed() throws IOException {
        ClusterSpec spec = start(3, 4);
        try (CairnClient client = client(spec)) {
            TxnResult created = client.txn().when(Compare.absent("{o}stock"))
                    .then(io.cairn.client.TxnOp.put("{o}stock", "5"), io.cairn.client.TxnOp.put("{o}log", "created"))
                    .orElse(io.cairn.client.TxnOp.get("{o}stock")).commit();
            assertThat(created.succeeded()).isTrue();
            assertThat(created.results()).containsExactly(new TxnResult.Written(created.revision(), 1),
                    new TxnResult.Written(created.revision(), 1));

            TxnResult again = client.txn()
                    .when(Compare.version("{o}log", Compare.Relation.EQUAL, 1), Compare.absent("{o}stock"))
                    .then(io.cairn.client.TxnOp.put("{o}stock", "0"))
                    .orElse(io.cairn.client.TxnOp.get("{o}stock"), io.cairn.client.TxnOp.delete("{o}log")).commit();
            assertThat(again.succeeded()).isFalse();
            assertThat(again.failedCompare()).isEqualTo(1);
            assertThat(again.read(0).orElseThrow().valueUtf8()).isEqualTo("5");
            assertThat(again.results().get(1)).isEqualTo(new TxnResult.Deleted(true));
            assertThat(client.get("{o}log")).isEmpty();
        }
    }

    @Test
    void aPlainGrpcCallerSendsATxnToAnyNode() throws IOException {
        ClusterSpec spec = start(3, 4);
        for (int node = 1; node <= 3; node++) {
            ManagedChannel ch = ManagedChannelBuilder.forTarget(spec.address(NodeId.of(node))).usePlaintext().build();
            channels.add(ch);
            KvGrpc.KvBlockingStub kv = KvGrpc.newBlockingStub(ch).withDeadlineAfter(10, TimeUnit.SECONDS);
            TxnResponse r = kv.txn(TxnRequest.newBuilder()
                    .addCompare(io.cairn.api.proto.Compare.newBuilder().setKey(ByteString.copyFromUtf8("{g}n"))
                            .setTarget(io.cairn.api.proto.Compare.Target.VERSION).setNumber(node - 1))
                    .addSuccess(TxnOp.newBuilder().setPut(TxnPut.newBuilder().setKey(ByteString.copyFromUtf8("{g}n"))
                            .setValue(ByteString.copyFromUtf8("by " + node))))
                    .addSuccess(TxnOp.newBuilder().setGet(TxnGet.newBuilder().setKey(ByteString.copyFromUtf8("{g}n"))))
                    .build());
            assertThat(r.getSucceeded()).as("through node %d", node).isTrue();
            assertThat(r.getResults(1).getGet().getKv().getVersion()).isEqualTo(node);
            assertThat(r.getRevision()).isEqualTo(r.getResults(0).getPut().getModRevision());
        }
    }

    @Test
    void ifThenElseAcrossShardsRunsAsOneTransactionFromTheJavaClientAndOverPlainGrpc() throws IOException {
        ClusterSpec spec = start(3, 4);
        try (CairnClient client = client(spec)) {
            String other = keyInAnotherShardThan("{x}a", 4);
            TxnResult created = client.txn().when(Compare.absent("{x}a"), Compare.absent(other))
                    .then(io.cairn.client.TxnOp.put("{x}a", "1"), io.cairn.client.TxnOp.put(other, "1")).commit();
            assertThat(created.succeeded()).isTrue();
            TxnResult again = client.txn().when(Compare.absent("{x}a"), Compare.absent(other))
                    .then(io.cairn.client.TxnOp.put("{x}a", "2"))
                    .orElse(io.cairn.client.TxnOp.get(other), io.cairn.client.TxnOp.delete("{x}a")).commit();
            assertThat(again.succeeded()).isFalse();
            assertThat(again.failedCompare()).isZero();
            assertThat(again.read(0).orElseThrow().valueUtf8()).isEqualTo("1");
            assertThat(again.results().get(1)).isEqualTo(new TxnResult.Deleted(true));
            assertThat(client.get("{x}a")).isEmpty();
            client.put(other, "1");

            byte[] lock = "{x}lock".getBytes(StandardCharsets.UTF_8);
            assertThatThrownBy(() -> client.txn().when(Compare.lockToken(lock, Compare.Relation.EQUAL, 1))
                    .then(io.cairn.client.TxnOp.put(other, "x")).commit())
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("{tag}");

            // A plain gRPC caller's Txn across shards is run by the node it reached, as one transaction.
            ManagedChannel ch = ManagedChannelBuilder.forTarget(spec.address(NodeId.of(2))).usePlaintext().build();
            channels.add(ch);
            KvGrpc.KvBlockingStub kv = KvGrpc.newBlockingStub(ch).withDeadlineAfter(20, TimeUnit.SECONDS);
            TxnRequest both = TxnRequest.newBuilder()
                    .addCompare(io.cairn.api.proto.Compare.newBuilder().setKey(ByteString.copyFromUtf8("{x}a"))
                            .setTarget(io.cairn.api.proto.Compare.Target.VERSION).setNumber(0))
                    .addSuccess(TxnOp.newBuilder().setPut(TxnPut.newBuilder().setKey(ByteString.copyFromUtf8("{x}a"))
                            .setValue(ByteString.copyFromUtf8("grpc"))))
                    .addSuccess(TxnOp.newBuilder().setDelete(io.cairn.api.proto.TxnDelete.newBuilder()
                            .setKey(ByteString.copyFromUtf8(other))))
                    .addFailure(TxnOp.newBuilder().setGet(TxnGet.newBuilder().setKey(ByteString.copyFromUtf8("{x}a"))))
                    .build();
            TxnResponse first = kv.txn(both);
            assertThat(first.getSucceeded()).isTrue();
            assertThat(first.getResults(1).getDelete().getDeleted()).isTrue();
            assertThat(client.get("{x}a").orElseThrow().valueUtf8()).isEqualTo("grpc");
            assertThat(client.get(other)).isEmpty();
            TxnResponse second = kv.txn(both);
            assertThat(second.getSucceeded()).isFalse();
            assertThat(second.getResults(0).getGet().getKv().getValue().toStringUtf8()).isEqualTo("grpc");
        }
    }

    @Test
    void aFenceOfALapsedLockStopsTheWholeTransaction() throws IOException {
        ClusterSpec spec = start(3, 4);
        try (CairnClient client = client(spec)) {
            byte[] lock = "{x}lock".getBytes(StandardCharsets.UTF_8);
            LockAttempt held = client.tryLock(lock, Duration.ofMillis(400));
            Compare fence = Compare.lockToken(lock, Compare.Relation.EQUAL, held.token());
            assertThat(client.txn().when(fence).then(io.cairn.client.TxnOp.put("{x}a", "fenced")).commit().succeeded())
                    .isTrue();
            org.awaitility.Awaitility.await("the grant lapses").atMost(Duration.ofSeconds(10))
                    .pollInterval(Duration.ofMillis(50)).until(() -> client.describeLock(lock).isEmpty());
            assertThat(client.txn().when(fence).then(io.cairn.client.TxnOp.put("{x}a", "late")).commit().succeeded())
                    .isFalse();
            assertThat(client.get("{x}a").orElseThrow().valueUtf8()).isEqualTo("fenced");

            // A Transaction's fence, in one shard and across shards: a lapsed grant writes nothing.
            String other = keyInAnotherShardThan("{x}a", 4);
            for (String key : List.of("{x}b", other)) {
                LockAttempt now = client.tryLock(lock, Duration.ofSeconds(30));
                try (Transaction tx = client.begin()) {
                    tx.fence(now.fence());
                    tx.put(key, "fenced");
                    tx.commit();
                }
                assertThat(client.get(key).orElseThrow().valueUtf8()).isEqualTo("fenced");
                client.unlock(lock, now.token());
                try (Transaction tx = client.begin()) {
                    tx.fence(now.fence());
                    tx.put(key, "after release");
                    assertThatThrownBy(tx::commit).isInstanceOf(io.cairn.client.StaleTokenException.class)
                            .hasMessageContaining("no longer held under token " + now.token());
                }
                assertThat(client.get(key).orElseThrow().valueUtf8()).isEqualTo("fenced");
            }
        }
    }

    /** A stub of node 1's Txn service, for playing a coordinator by hand. */
    private io.cairn.api.proto.TxnGrpc.TxnBlockingStub txnStub(ClusterSpec spec) {
        ManagedChannel ch = ManagedChannelBuilder.forTarget(spec.address(NodeId.of(1))).usePlaintext().build();
        channels.add(ch);
        return io.cairn.api.proto.TxnGrpc.newBlockingStub(ch).withDeadlineAfter(20, TimeUnit.SECONDS);
    }

    /** A prepare of transaction {@code id} (record in {@code primary}'s shard) putting {@code value} at {@code key}. */
    private static io.cairn.api.proto.TxnPrepareRequest preparePut(ByteString id, String primary, String key, String value) {
        return io.cairn.api.proto.TxnPrepareRequest.newBuilder().setTxnId(id)
                .setPrimaryKey(ByteString.copyFromUtf8(primary)).setLockReads(true)
                .addWrite(TxnOp.newBuilder().setPut(TxnPut.newBuilder().setKey(ByteString.copyFromUtf8(key))
                        .setValue(ByteString.copyFromUtf8(value))))
                .build();
    }

    private static String keyInAnotherShardThan(String key, int shards) {
        return keyInAnotherShardThan(key, shards, "other-");
    }

    private static String keyInAnotherShardThan(String key, int shards, String prefix) {
        io.cairn.placement.ShardMap map = io.cairn.placement.ShardMap.of(shards);
        int shard = map.shardOfKey(key.getBytes(StandardCharsets.UTF_8));
        for (int i = 0; ; i++) {
            String other = prefix + i;
            if (map.shardOfKey(other.getBytes(StandardCharsets.UTF_8)) != shard) {
                return other;
            }
        }
    }

    private static final List<String> SPREAD = InProcessNodes.keysOverShards("account-", ACCOUNTS, 4);

    /** Account {@code i} of the bank spread over the shards: account i is in shard i mod 4. */
    private static String spread(int i) {
        return SPREAD.get(i);
    }

    private static String account(int i) {
        return "{bank}acct-" + i;
    }

    private ClusterSpec start(int nodes, int shards) throws IOException {
        return start(nodes, shards, ServerConfig.TXN_TIMEOUT_MILLIS_DEFAULT);
    }

    private ClusterSpec start(int nodes, int shards, long txnTimeoutMillis) throws IOException {
        InProcessNodes cluster = new InProcessNodes(dir, nodes, shards, c -> c.withTxnTimeout(txnTimeoutMillis), false);
        clusters.add(cluster);
        return cluster.startAll().spec;
    }

    private static CairnClient client(ClusterSpec spec) {
        return CairnClient.builder().endpoints(List.copyOf(spec.addresses().values()))
                .requestTimeout(Duration.ofSeconds(10)).build();
    }
}
