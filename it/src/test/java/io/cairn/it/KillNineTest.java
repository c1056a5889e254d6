package io.cairn.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.cairn.client.CairnClient;
import io.cairn.client.ClusterStatus;
import io.cairn.sim.lin.CheckResult;
import io.cairn.sim.lin.KvModel;
import io.cairn.sim.lin.LinearizabilityChecker;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Three real node processes under concurrent load; nodes are killed with SIGKILL and restarted.
 * At the end every client history must be linearizable: no acknowledged write lost, no stale
 * read, no write applied twice.
 */
@Timeout(value = 4, unit = TimeUnit.MINUTES)
class KillNineTest {
    @TempDir
    Path dir;

    @Test
    void leaderKilledMidLoadThenCatchesUpThroughTheLog() throws Exception {
        try (LocalCluster cluster = new LocalCluster(dir, 3, List.of("--tick-ms", "50", "--compact-entries", "1000000"))) {
            cluster.startAll();
            int leader = awaitLeader(cluster);
            Workload load = new Workload(cluster.endpoints(), 5);
            load.start(6, 1);
            load.awaitAcknowledgedWrites(300, Duration.ofSeconds(60));
            cluster.kill(leader);
            long killedAt = load.acknowledgedWrites.get();
            // Clients continue after the leader died: 300 more writes with it down.
            load.awaitAcknowledgedWrites(killedAt + 300, Duration.ofSeconds(60));
            cluster.start(leader);
            load.awaitAcknowledgedWrites(load.acknowledgedWrites.get() + 300, Duration.ofSeconds(60));
            load.stop();
            awaitCaughtUp(cluster, leader);
            assertThat(cluster.log(leader)).doesNotContain("installed snapshot");
            assertLinearizable(load);
        }
    }

    @Test
    void followerKilledThenCatchesUpThroughASnapshot() throws Exception {
        try (LocalCluster cluster = new LocalCluster(dir, 3, List.of("--tick-ms", "50", "--compact-entries", "200"))) {
            cluster.startAll();
            int leader = awaitLeader(cluster);
            int follower = leader % 3 + 1;
            Workload load = new Workload(cluster.endpoints(), 5);
            load.start(6, 2);
            load.awaitAcknowledgedWrites(200, Duration.ofSeconds(60));
            cluster.kill(follower);
            // Enough writes with one node down that the others compact past the dead node's log.
            load.awaitAcknowledgedWrites(load.acknowledgedWrites.get() + 1_000, Duration.ofSeconds(60));
            cluster.start(follower);
            load.awaitAcknowledgedWrites(load.acknowledgedWrites.get() + 300, Duration.ofSeconds(60));
            load.stop();
            awaitCaughtUp(cluster, follower);
            assertThat(cluster.log(follower)).contains("installed snapshot");
            assertLinearizable(load);
        }
    }

    private static void assertLinearizable(Workload load) {
        System.out.printf("history: %d ops, %d acknowledged writes, %d failed ops%n",
                load.history.size(), load.acknowledgedWrites.get(), load.failedOps.get());
        CheckResult<?, ?> result = LinearizabilityChecker.check(new KvModel(), List.copyOf(load.history));
        assertThat(result.verdict()).as(result.toString()).isEqualTo(CheckResult.Verdict.OK);
    }

    private static int awaitLeader(LocalCluster cluster) {
        try (CairnClient client = CairnClient.builder().endpoints(cluster.endpoints())
                .requestTimeout(Duration.ofSeconds(2)).build()) {
            return (int) (long) Awaitility.await("a leader elected").atMost(Duration.ofSeconds(30))
                    .pollInterval(Duration.ofMillis(100)).ignoreExceptions() // nodes still starting
                    .until(() -> client.clusterStatus().leaderId(), id -> id != 0);
        }
    }

    /** Waits until the node has applied everything the leader has committed. */
    private static void awaitCaughtUp(LocalCluster cluster, int id) {
        try (CairnClient client = CairnClient.builder().endpoints(cluster.endpoints())
                .requestTimeout(Duration.ofSeconds(2)).build()) {
            Awaitility.await("n" + id + " caught up").atMost(Duration.ofSeconds(30))
                    .pollInterval(Duration.ofMillis(100)).ignoreExceptions()
                    .until(() -> {
                        ClusterStatus status = client.clusterStatus();
                        long commit = status.members().stream().mapToLong(ClusterStatus.Member::commitIndex).max().orElse(0);
                        long applied = status.members().stream().filter(n -> n.id() == id)
                                .mapToLong(ClusterStatus.Member::appliedIndex).findFirst().orElse(-1);
                        return applied >= commit && commit > 0;
                    });
        }
    }
}
