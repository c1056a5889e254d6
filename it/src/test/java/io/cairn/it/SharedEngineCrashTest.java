package io.cairn.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import io.cairn.api.proto.ClusterGrpc;
import io.cairn.api.proto.Consistency;
import io.cairn.api.proto.GetRequest;
import io.cairn.api.proto.GetResponse;
import io.cairn.api.proto.KvGrpc;
import io.cairn.api.proto.PutRequest;
import io.cairn.api.proto.ShardView;
import io.cairn.api.proto.ShardsRequest;
import io.cairn.api.proto.ShardsResponse;
import io.cairn.placement.ShardMap;
import io.cairn.transport.grpc.Forwarding;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Crash safety of the node's one engine: every shard's state lives in one RocksDB per node whose
 * own WAL is off, and one loop round writes what all shards applied in it as one batch, applied
 * index included. Three real nodes with four shards run concurrent writers over all shards; the
 * whole cluster loses power (SIGKILL of every node, so every replica of every shard loses its
 * unflushed memtable) three times, and one node alone once. Compacting every 200 entries makes
 * the nodes flush the shared engine and cut their logs often, so a log cut past what the engine
 * made durable would lose entries that no replay can bring back.
 *
 * <p>Each key is written "1", "2", "3", ... by one writer, which sends put n+1 only after put n
 * was acknowledged and abandons the key after any failure. So a key's history is its
 * acknowledged puts plus at most one put of unknown outcome, and after any number of crashes its
 * stored version (puts applied since creation) must equal its stored value, lie between the
 * acknowledged and the attempted count, and be the same on every replica.
 */
@Timeout(value = 4, unit = TimeUnit.MINUTES)
class SharedEngineCrashTest {
    private static final int NODES = 3;
    private static final int SHARDS = 4;
    private static final int WRITERS = 6;
    /** Keys each writer keeps in use per shard: 8 per writer, spread over all four shards. */
    private static final int KEYS_PER_SHARD = 2;
    private static final int POWER_CUTS = 3;
    /*
     * When the power cuts come, in acknowledged puts (a quarter of them per shard). Each shard
     * compacts, flushing the engine, at about every 200 entries; a cut right after a compaction
     * would find little unflushed, so the cuts land away from them: the first at about 125
     * entries per shard, before any flush (every replica replays everything), the next two about
     * 100 and 75 entries past the compactions at 200 and 400, with a compaction between cuts.
     */
    private static final long PUTS_BEFORE_FIRST_CUT = 500;
    private static final long PUTS_BETWEEN_CUTS = 700;
    /** With one node down this long (about 200 entries per shard), the others compact past its log. */
    private static final long PUTS_WITH_ONE_NODE_DOWN = 800;
    private static final long PUTS_AFTER_LAST_RESTART = 400;
    private static final Duration PUT_DEADLINE = Duration.ofSeconds(4);
    private static final Duration RECOVERY = Duration.ofSeconds(60);

    @TempDir
    Path dir;

    @Test
    void everyShardRecoversExactlyItsAppliedStateAfterPowerCuts() throws Exception {
        long started = System.nanoTime();
        try (LocalCluster cluster = new LocalCluster(dir, NODES, List.of(
                "--shards", Integer.toString(SHARDS), "--tick-ms", "50", "--compact-entries", "200"));
             Channels channels = new Channels(cluster)) {
            cluster.startAll();
            Writers writers = new Writers(channels);
            writers.start();
            try {
                writers.awaitAcknowledged(PUTS_BEFORE_FIRST_CUT, RECOVERY, started, "before the first fault");
                int kills = 0;
                for (int cut = 1; cut <= POWER_CUTS; cut++) {
                    // A power cut of the whole cluster, in the middle of the load: nodes die one
                    // right after the other, before any of them could flush or notice.
                    long ackedAtCut = writers.acknowledged.get();
                    for (int id = 1; id <= NODES; id++) {
                        cluster.kill(id);
                        kills++;
                    }
                    log(started, "power cut %d at %d acknowledged puts", cut, ackedAtCut);
                    cluster.startAll();
                    channels.resetBackoff();
                    // Writes are acknowledged again; the next cut (or the next fault) comes later.
                    writers.awaitAcknowledged(writers.acknowledged.get() + (cut < POWER_CUTS ? PUTS_BETWEEN_CUTS
                            : PUTS_AFTER_LAST_RESTART), RECOVERY, started, "after power cut " + cut);
                }
                // One node alone loses power while the other two go on; it comes back through its
                // log (or a snapshot, if the others compacted past it).
                int lone = 2;
                cluster.kill(lone);
                kills++;
                log(started, "killed n%d alone at %d acknowledged puts", lone, writers.acknowledged.get());
                writers.awaitAcknowledged(writers.acknowledged.get() + PUTS_WITH_ONE_NODE_DOWN, RECOVERY, started,
                        "with n" + lone + " down");
                cluster.start(lone);
                channels.resetBackoff();
                writers.awaitAcknowledged(writers.acknowledged.get() + PUTS_AFTER_LAST_RESTART, RECOVERY, started,
                        "after n" + lone + " restarted");
                writers.stop();

                for (int id = 1; id <= NODES; id++) {
                    assertThat(cluster.isRunning(id)).as("n%d still runs after replaying its log", id).isTrue();
                }
                Map<Integer, Long> applied = awaitEveryReplicaCaughtUp(channels, started);
                Map<String, Observed> observed = awaitReplicasAgree(channels, writers.keys());
                assertEveryKeyHoldsExactlyItsAppliedPuts(writers.keys(), observed);
                assertThat(observed.values().stream().map(Observed::groupId).distinct().count())
                        .as("the keys cover every shard").isEqualTo(SHARDS);

                for (int id = 1; id <= NODES; id++) {
                    String nodeLog = cluster.log(id);
                    assertThat(nodeLog).as("n%d log", id).doesNotContain("Raft loop failed");
                    // The scenario this test claims: the engine flushed and logs were cut between cuts.
                    assertThat(count(nodeLog, "compacted the log of")).as("compactions on n%d", id).isPositive();
                }
                // And the one it relies on: the power cuts cost the engines applied state, which
                // each replica then replayed from its WAL (applied index behind the log's end).
                Replays replays = Replays.of(cluster);
                assertThat(replays.maxEntriesReplayed).as("most entries a restarted replica replayed from its WAL")
                        .isGreaterThanOrEqualTo(20);
                List<Writers.Key> keys = writers.keys();
                long uncertain = keys.stream().filter(k -> k.uncertain).count();
                System.out.printf("SharedEngineCrashTest: %d keys over %d shards, %d acknowledged puts, %d puts of"
                                + " unknown outcome, %d kills (%d power cuts of all %d nodes + 1 single node), applied"
                                + " per shard %s, compactions per node %s, snapshots installed per node %s, %s, %.1f s%n",
                        keys.size(), SHARDS, writers.acknowledged.get(), uncertain, kills, POWER_CUTS, NODES, applied,
                        perNode(cluster, "compacted the log of"), perNode(cluster, "installed snapshot"),
                        replays, (System.nanoTime() - started) / 1e9);
            } catch (AssertionError | RuntimeException e) {
                writers.stopQuietly();
                dumpLogs(cluster);
                throw e;
            }
        }
    }

    // ---------------------------------------------------------------------------------------------
    // Checks

    /** What one replica (or the linearizable read) returned for a key; version 0: absent. */
    record Observed(long version, String value, long modRevision, long createRevision, long groupId) {
        static Observed of(GetResponse r) {
            if (!r.hasKv()) {
                return new Observed(0, null, 0, 0, r.getHeader().getGroupId());
            }
            return new Observed(r.getKv().getVersion(), r.getKv().getValue().toStringUtf8(),
                    r.getKv().getModRevision(), r.getKv().getCreateRevision(), r.getHeader().getGroupId());
        }

        /** The stored state, without who served it. */
        String state() {
            return "version=" + version + " value=" + value + " mod=" + modRevision + " create=" + createRevision;
        }
    }

    /**
     * Waits until every node hosts every shard and, per shard, every replica has applied the
     * highest commit index any replica reports (writers have stopped, so this is stable).
     * Returns the applied index per shard.
     */
    private static Map<Integer, Long> awaitEveryReplicaCaughtUp(Channels channels, long started) {
        Map<Integer, Long> result = Awaitility.await("every replica of every shard caught up")
                .atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200)).ignoreExceptions()
                .until(() -> {
                    TreeMap<Integer, List<ShardView>> byShard = new TreeMap<>();
                    for (int id = 1; id <= NODES; id++) {
                        ShardsResponse r = ClusterGrpc.newBlockingStub(channels.of(id))
                                .withDeadlineAfter(2, TimeUnit.SECONDS).shards(ShardsRequest.getDefaultInstance());
                        for (ShardView v : r.getShardsList()) {
                            byShard.computeIfAbsent(v.getShard(), s -> new ArrayList<>()).add(v);
                        }
                    }
                    TreeMap<Integer, Long> applied = new TreeMap<>();
                    for (var e : byShard.entrySet()) {
                        List<ShardView> views = e.getValue();
                        long commit = views.stream().mapToLong(ShardView::getCommitIndex).max().orElse(0);
                        boolean caughtUp = views.size() == NODES && commit > 0
                                && views.stream().allMatch(v -> v.getHosted() && v.getLeader() != 0
                                        && v.getAppliedIndex() == commit);
                        if (!caughtUp) {
                            return null;
                        }
                        applied.put(e.getKey(), commit);
                    }
                    return applied.size() == SHARDS ? applied : null;
                }, java.util.Objects::nonNull);
        log(started, "every replica caught up: applied index per shard %s", result);
        return result;
    }

    /**
     * Reads every key linearizably and at EVENTUAL consistency from each node (served from that
     * node's own replica: it may not forward), until every replica returns what the linearizable
     * read returned. A replica that lost or doubled a write after its replay never agrees.
     */
    private static Map<String, Observed> awaitReplicasAgree(Channels channels, List<Writers.Key> keys) {
        Map<String, Observed> agreed = new TreeMap<>();
        Awaitility.await("every replica holds the same state of every key").atMost(Duration.ofSeconds(30))
                .pollInterval(Duration.ofMillis(500)).ignoreExceptionsMatching(e -> !(e instanceof AssertionError))
                .untilAsserted(() -> {
                    agreed.clear();
                    List<String> disagreements = new ArrayList<>();
                    for (Writers.Key key : keys) {
                        GetRequest linearizable = GetRequest.newBuilder().setKey(key.bytes())
                                .setConsistency(Consistency.CONSISTENCY_LINEARIZABLE).build();
                        Observed truth = Observed.of(KvGrpc.newBlockingStub(channels.of(1))
                                .withDeadlineAfter(5, TimeUnit.SECONDS).get(linearizable));
                        agreed.put(key.name, truth);
                        GetRequest eventual = linearizable.toBuilder().setConsistency(Consistency.CONSISTENCY_EVENTUAL).build();
                        for (int id = 1; id <= NODES; id++) {
                            GetResponse r = KvGrpc.newBlockingStub(channels.of(id)).withInterceptors(Forwarding.noForward())
                                    .withDeadlineAfter(5, TimeUnit.SECONDS).get(eventual);
                            assertThat(r.getHeader().getNodeId()).as("node that served %s", key.name).isEqualTo(id);
                            Observed local = Observed.of(r);
                            if (!local.state().equals(truth.state())) {
                                disagreements.add(key.name + " (shard " + key.shard + "): n" + id + " has " + local.state()
                                        + " at applied index " + r.getHeader().getAppliedIndex()
                                        + ", linearizable read " + truth.state());
                            }
                        }
                    }
                    assertThat(disagreements).as("replicas that disagree with the linearizable read").isEmpty();
                });
        return agreed;
    }

    private static void assertEveryKeyHoldsExactlyItsAppliedPuts(List<Writers.Key> keys, Map<String, Observed> observed) {
        List<String> violations = new ArrayList<>();
        for (Writers.Key key : keys) {
            Observed o = observed.get(key.name);
            long v = o.version();
            String expectedValue = v == 0 ? null : Long.toString(v);
            String describe = key.name + " (shard " + key.shard + ", " + key.acked + " acknowledged, " + key.attempted
                    + " attempted" + (key.uncertain ? ", last one of unknown outcome" : "") + "): " + o.state();
            if (!java.util.Objects.equals(o.value(), expectedValue)) {
                violations.add(describe + ": the value is not the version, a put was "
                        + (o.value() != null && v > Long.parseLong(o.value()) ? "applied twice" : "lost"));
            } else if (v < key.acked) {
                violations.add(describe + ": acknowledged puts lost");
            } else if (v > key.attempted) {
                violations.add(describe + ": more puts applied than were sent");
            }
        }
        assertThat(violations).as("keys whose state is not exactly their applied puts").isEmpty();
    }

    // ---------------------------------------------------------------------------------------------
    // Load

    /**
     * Writers with plain gRPC stubs and no client session: put n+1 of a key goes out only after
     * put n was acknowledged, and a key whose put failed is never written again.
     */
    private static final class Writers {
        static final class Key {
            final String name;
            final int shard;
            /** Puts sent; the n-th carries the value n. */
            long attempted;
            /** Puts acknowledged: always attempted or attempted - 1. */
            long acked;
            /** The last put failed: it may or may not have been applied (and may still be). */
            boolean uncertain;

            Key(String name, int shard) {
                this.name = name;
                this.shard = shard;
            }

            ByteString bytes() {
                return ByteString.copyFromUtf8(name);
            }
        }

        final AtomicLong acknowledged = new AtomicLong();
        final AtomicLong failed = new AtomicLong();
        private final AtomicBoolean running = new AtomicBoolean(true);
        private final Channels channels;
        private final List<Thread> threads = new ArrayList<>();
        private final List<Key> keys = Collections.synchronizedList(new ArrayList<>());
        private final ShardMap shardMap = ShardMap.of(SHARDS);

        Writers(Channels channels) {
            this.channels = channels;
        }

        void start() {
            for (int w = 0; w < WRITERS; w++) {
                int writer = w;
                Thread t = new Thread(() -> run(writer), "writer-" + w);
                t.setDaemon(true);
                threads.add(t);
                t.start();
            }
        }

        void awaitAcknowledged(long count, Duration timeout, long started, String when) {
            Awaitility.await(count + " acknowledged puts " + when).atMost(timeout)
                    .pollInterval(Duration.ofMillis(20)).until(() -> acknowledged.get() >= count);
            log(started, "%d acknowledged puts %s (%d failed)", acknowledged.get(), when, failed.get());
        }

        void stop() throws InterruptedException {
            running.set(false);
            for (Thread t : threads) {
                t.join(30_000);
                assertThat(t.isAlive()).as("%s stopped", t.getName()).isFalse();
            }
        }

        void stopQuietly() throws InterruptedException {
            running.set(false);
            for (Thread t : threads) {
                t.join(30_000);
            }
        }

        /** Every key ever written; complete once the writers stopped. */
        List<Key> keys() {
            synchronized (keys) {
                return List.copyOf(keys);
            }
        }

        private void run(int writer) {
            int[] nextName = {0};
            Key[] slots = new Key[SHARDS * KEYS_PER_SHARD];
            for (int s = 0; s < slots.length; s++) {
                slots[s] = newKey(writer, s % SHARDS, nextName);
            }
            int node = writer % NODES + 1;
            long round = 0;
            while (running.get()) {
                int slot = (int) (round++ % slots.length);
                Key key = slots[slot];
                long n = key.attempted + 1;
                key.attempted = n;
                try {
                    KvGrpc.newBlockingStub(channels.of(node))
                            .withDeadlineAfter(PUT_DEADLINE.toMillis(), TimeUnit.MILLISECONDS)
                            .put(PutRequest.newBuilder().setKey(key.bytes())
                                    .setValue(ByteString.copyFromUtf8(Long.toString(n))).build());
                    key.acked = n;
                    acknowledged.incrementAndGet();
                } catch (RuntimeException e) {
                    // Put n may have been applied, or be applied later: never write this key again.
                    key.uncertain = true;
                    failed.incrementAndGet();
                    slots[slot] = newKey(writer, key.shard, nextName);
                    node = awaitServing(node % NODES + 1, slots[slot]);
                }
            }
        }

        /**
         * After a failure: reads (harmless, whatever their outcome) until a node serves one,
         * waiting for each connection rather than spinning; returns the node that answered.
         */
        private int awaitServing(int node, Key probe) {
            while (running.get()) {
                channels.resetBackoff(node);
                try {
                    KvGrpc.newBlockingStub(channels.of(node)).withWaitForReady()
                            .withDeadlineAfter(2, TimeUnit.SECONDS)
                            .get(GetRequest.newBuilder().setKey(probe.bytes()).build());
                    return node;
                } catch (RuntimeException e) {
                    node = node % NODES + 1;
                }
            }
            return node;
        }

        /** A fresh key of {@code shard} for {@code writer}. */
        private Key newKey(int writer, int shard, int[] nextName) {
            while (true) {
                String name = "crash/w" + writer + "/" + nextName[0]++;
                if (shardMap.shardOfKey(name.getBytes(StandardCharsets.UTF_8)) == shard) {
                    Key key = new Key(name, shard);
                    keys.add(key);
                    return key;
                }
            }
        }
    }

    /** One channel per node, reused across its restarts (same address). */
    private static final class Channels implements AutoCloseable {
        private final TreeMap<Integer, ManagedChannel> byNode = new TreeMap<>();

        Channels(LocalCluster cluster) {
            for (int id = 1; id <= NODES; id++) {
                byNode.put(id, ManagedChannelBuilder.forTarget(cluster.address(id)).usePlaintext().build());
            }
        }

        ManagedChannel of(int node) {
            return byNode.get(node);
        }

        /** Reconnects at once instead of after the backoff a dead node's refusals built up. */
        void resetBackoff() {
            byNode.values().forEach(ManagedChannel::resetConnectBackoff);
        }

        void resetBackoff(int node) {
            byNode.get(node).resetConnectBackoff();
        }

        @Override
        public void close() {
            byNode.values().forEach(ManagedChannel::shutdownNow);
        }
    }

    // ---------------------------------------------------------------------------------------------
    // Reporting

    private static void log(long started, String format, Object... args) {
        System.out.printf("[%6.1f s] %s%n", (System.nanoTime() - started) / 1e9, String.format(format, args));
    }

    private static int count(String text, String needle) {
        int n = 0;
        for (int i = text.indexOf(needle); i >= 0; i = text.indexOf(needle, i + needle.length())) {
            n++;
        }
        return n;
    }

    private static Map<String, Integer> perNode(LocalCluster cluster, String needle) throws IOException {
        Map<String, Integer> out = new TreeMap<>();
        for (int id = 1; id <= NODES; id++) {
            out.put("n" + id, count(cluster.log(id), needle));
        }
        return out;
    }

    /**
     * What the shard replicas' restarts logged: each opens at the applied index its engine made
     * durable and replays its log from there ({@code "shard S (term T, applied A, log F..L"}).
     */
    record Replays(int restarts, int behindLog, long maxEntriesReplayed) {
        private static final java.util.regex.Pattern OPENED =
                java.util.regex.Pattern.compile("shard \\d+ \\(term \\d+, applied (\\d+), log (\\d+)\\.\\.(\\d+)");

        static Replays of(LocalCluster cluster) throws IOException {
            int restarts = 0;
            int behind = 0;
            long max = 0;
            for (int id = 1; id <= NODES; id++) {
                java.util.regex.Matcher m = OPENED.matcher(cluster.log(id));
                while (m.find()) {
                    long applied = Long.parseLong(m.group(1));
                    long last = Long.parseLong(m.group(3));
                    if (last == 0) {
                        continue; // the first start, from empty
                    }
                    restarts++;
                    long gap = last - applied;
                    if (gap > 0) {
                        behind++;
                        max = Math.max(max, gap);
                    }
                }
            }
            return new Replays(restarts, behind, max);
        }

        @Override
        public String toString() {
            return behindLog + " of " + restarts + " shard replica restarts replayed their WAL (up to "
                    + maxEntriesReplayed + " entries)";
        }
    }

    /** On failure: the lines of each node's log that tell what went wrong, and where the logs are. */
    private static void dumpLogs(LocalCluster cluster) {
        for (int id = 1; id <= NODES; id++) {
            try {
                List<String> lines = cluster.log(id).lines()
                        .filter(l -> l.contains("ERROR") || l.contains("SEVERE") || l.contains("WARN")
                                || l.contains("Exception") || l.contains("failed") || l.contains("installed snapshot")
                                || l.contains("Invariant") || l.startsWith("\tat "))
                        .toList();
                System.out.printf("---- n%d log %s: %d notable lines, last 60 ----%n", id, cluster.logFile(id), lines.size());
                lines.subList(Math.max(0, lines.size() - 60), lines.size()).forEach(System.out::println);
            } catch (IOException e) {
                System.out.printf("---- n%d log unreadable: %s%n", id, e);
            }
        }
    }
}
