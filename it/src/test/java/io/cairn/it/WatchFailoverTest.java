package io.cairn.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.cairn.client.CairnClient;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Three real processes, four shards: a watcher of every key while a writer runs and nodes are
 * killed with SIGKILL and restarted, one after the other, so every stream loses its replica at
 * least once ({@link WatchedWrites} checks what the watcher saw). SelfHealingTest watches
 * through replica moves the same way.
 */
@Timeout(value = 4, unit = TimeUnit.MINUTES)
class WatchFailoverTest {
    @TempDir
    Path dir;

    @Test
    void aWatcherSeesEveryAcknowledgedWriteOnceThroughKillsOfEveryNode() throws Exception {
        try (LocalCluster cluster = new LocalCluster(dir, 3, List.of("--tick-ms", "50", "--shards", "4"));
             CairnClient admin = CairnClient.builder().endpoints(cluster.endpoints()).requestTimeout(Duration.ofSeconds(5)).build()) {
            cluster.startAll();
            Awaitility.await("every shard led").atMost(Duration.ofSeconds(60)).ignoreExceptions()
                    .until(() -> admin.shards().shards().stream().allMatch(s -> s.leader() != 0));
            try (WatchedWrites writes = new WatchedWrites(cluster.endpoints(), "f/")) {
                for (int victim = 1; victim <= 3; victim++) {
                    writes.write(60);
                    cluster.kill(victim);
                    writes.write(60);
                    cluster.start(victim);
                }
                writes.write(60);
                System.out.println(writes.check(Duration.ofSeconds(60)));
                assertThat(writes.reconnects()).as("streams re-opened after their node was killed").isGreaterThanOrEqualTo(3);
            }
        }
    }
}
