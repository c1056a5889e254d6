package io.cairn.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.cairn.client.CairnClient;
import io.cairn.client.ClusterStatus;
import io.cairn.client.ShardsReport;
import io.cairn.sim.lin.CheckResult;
import io.cairn.sim.lin.KvModel;
import io.cairn.sim.lin.LinearizabilityChecker;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Five real processes, eight shards of three replicas, clients running throughout: one node is
 * killed with SIGKILL for good, and every shard must be back to three replicas on the survivors;
 * then a sixth node joins and must receive replicas and lead some shards; then a fourth is
 * decommissioned and must end up holding nothing. The clients' history
 * must stay linearizable, and no request may fail after the client's own retries; a watcher of
 * its own writes sees each of them once, in order, while the replicas it reads from move.
 */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class SelfHealingTest {
    /** Generous for a 2-core machine running 6 JVMs; the measured time is printed. */
    private static final long HEAL_BOUND_MILLIS = 90_000;

    @TempDir(cleanup = org.junit.jupiter.api.io.CleanupMode.ON_SUCCESS)
    Path dir;

    @Test
    void aKilledNodesReplicasAreRebuiltANewNodeTakesItsShareAndARemovedOneIsDrained() throws Exception {
        List<String> args = List.of("--tick-ms", "50", "--shards", "8", "--dead-node-timeout", "3s");
        try (LocalCluster cluster = new LocalCluster(dir, 5, args);
             CairnClient admin = CairnClient.builder().endpoints(cluster.endpoints())
                     .requestTimeout(Duration.ofSeconds(3)).build()) {
            cluster.startAll();
            ShardsReport start = await(admin, "every shard led, placement published",
                    r -> r.epoch() >= 1 && r.shards().stream().allMatch(s -> s.leader() != 0 && s.replicas().size() == 3),
                    60_000);
            Workload load = new Workload(cluster.endpoints(), 16);
            load.start(6, 7);
            // A watcher of its own keys throughout: its streams follow the replicas that move.
            WatchedWrites watched = new WatchedWrites(cluster.endpoints(), "moves/");
            watched.startWriting();
            load.awaitAcknowledgedWrites(200, Duration.ofSeconds(60));

            int victim = 3; // a replica of the metadata group too, which must move like a shard
            assertThat(start.shards().stream().filter(s -> s.replicas().contains((long) victim)).count())
                    .as("the victim holds replicas").isPositive();
            long killedAt = System.nanoTime();
            cluster.kill(victim);
            ShardsReport healed = await(admin, "every shard back to 3 replicas without n" + victim,
                    r -> r.shards().stream().allMatch(s -> s.leader() != 0 && s.replicas().size() == 3
                            && !s.replicas().contains((long) victim)),
                    HEAL_BOUND_MILLIS);
            long healMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - killedAt);
            System.out.printf("healed in %d ms after kill -9 of n%d (dead-node timeout 3 s), epoch %d%n",
                    healMillis, victim, healed.epoch());
            List<Long> meta = awaitMetadataGroupWithout(admin, victim, HEAL_BOUND_MILLIS);
            System.out.printf("metadata group on %s %d ms after the kill%n", meta,
                    TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - killedAt));

            long joinAt = System.nanoTime();
            cluster.startJoiner(6);
            ShardsReport joined = await(admin, "n6 holds replicas and leads a shard",
                    r -> r.shards().stream().anyMatch(s -> s.replicas().contains(6L))
                            && r.shards().stream().anyMatch(s -> s.leader() == 6L)
                            && r.shards().stream().allMatch(s -> s.leader() != 0 && s.replicas().size() == 3),
                    HEAL_BOUND_MILLIS);
            System.out.printf("n6 took %d replicas and leads %d shards %d ms after it started, epoch %d%n",
                    joined.shards().stream().filter(s -> s.replicas().contains(6L)).count(),
                    joined.shards().stream().filter(s -> s.leader() == 6L).count(),
                    TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - joinAt), joined.epoch());

            long removeAsked = System.nanoTime();
            long leavingEpoch = admin.removeNode(4);
            System.out.printf("remove-node n4 answered in %d ms%n", TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - removeAsked));
            long removeAt = System.nanoTime();
            Awaitility.await("n4 removed").atMost(Duration.ofMillis(HEAL_BOUND_MILLIS)).ignoreExceptions()
                    .until(() -> admin.members().member(4).map(m -> m.state() == io.cairn.client.Members.State.REMOVED)
                            .orElse(false));
            ShardsReport drained = await(admin, "n4 decommissioned: no replica left on it",
                    r -> r.shards().stream().allMatch(s -> s.leader() != 0
                            && s.replicas().size() == 3 && !s.replicas().contains(4L)),
                    HEAL_BOUND_MILLIS);
            System.out.printf("n4 drained %d ms after remove-node (epoch %d -> %d)%n",
                    TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - removeAt), leavingEpoch, drained.epoch());
            load.awaitAcknowledgedWrites(load.acknowledgedWrites.get() + 200, Duration.ofSeconds(60));
            load.stop();
            System.out.println("watch through the moves: " + watched.check(Duration.ofSeconds(60)));
            watched.close();

            System.out.printf("history: %d ops, %d acknowledged writes, %d failed ops%n",
                    load.history.size(), load.acknowledgedWrites.get(), load.failedOps.get());
            assertThat(load.failedOps.get()).as("requests that failed after the client's retries").isZero();
            CheckResult<?, ?> result = LinearizabilityChecker.check(new KvModel(), List.copyOf(load.history));
            assertThat(result.verdict()).as(result.toString()).isEqualTo(CheckResult.Verdict.OK);
        }
    }

    /** Waits until three live nodes replicate the metadata group, one leading, {@code gone} not among them. */
    private static List<Long> awaitMetadataGroupWithout(CairnClient admin, long gone, long timeoutMillis) {
        return Awaitility.await("metadata group back to 3 live replicas without n" + gone)
                .atMost(Duration.ofMillis(timeoutMillis)).pollInterval(Duration.ofMillis(250))
                .ignoreExceptions() // nodes starting or just killed
                .until(() -> {
                    ClusterStatus status = admin.clusterStatus();
                    long leaders = status.members().stream().filter(m -> m.role() == ClusterStatus.Role.LEADER).count();
                    List<Long> replicas = status.members().stream()
                            .filter(m -> m.role() == ClusterStatus.Role.LEADER || m.role() == ClusterStatus.Role.FOLLOWER)
                            .map(ClusterStatus.Member::id).toList();
                    return leaders == 1 ? replicas : List.<Long>of();
                }, replicas -> replicas.size() == 3 && !replicas.contains(gone));
    }

    private static ShardsReport await(CairnClient admin, String what, Predicate<ShardsReport> done, long timeoutMillis) {
        return Awaitility.await(what).atMost(Duration.ofMillis(timeoutMillis)).pollInterval(Duration.ofMillis(250))
                .ignoreExceptions() // nodes starting or just killed
                .until(admin::shards, done::test);
    }
}
