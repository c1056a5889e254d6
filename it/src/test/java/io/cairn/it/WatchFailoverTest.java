package io.cairn.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.cairn.client.CairnClient;
import io.cairn.client.CairnException;
import io.cairn.client.Watch;
import io.cairn.client.WatchEvent;
import io.cairn.client.WatchQuery;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Three real processes, four shards: a watcher of every key while a writer runs and nodes are
 * killed with SIGKILL and restarted, one after the other, so every stream loses its replica at
 * least once. Every acknowledged write must be reported exactly once, each shard's events in
 * revision order; writes whose outcome the writer never learnt may or may not appear, once.
 */
@Timeout(value = 4, unit = TimeUnit.MINUTES)
class WatchFailoverTest {
    @TempDir
    Path dir;

    @Test
    void aWatcherSeesEveryAcknowledgedWriteOnceThroughKillsOfEveryNode() throws Exception {
        try (LocalCluster cluster = new LocalCluster(dir, 3, List.of("--tick-ms", "50", "--shards", "4"));
             CairnClient writer = CairnClient.builder().endpoints(cluster.endpoints()).requestTimeout(Duration.ofSeconds(10)).build();
             CairnClient watcher = CairnClient.builder().endpoints(cluster.endpoints()).requestTimeout(Duration.ofSeconds(30)).build()) {
            cluster.startAll();
            Awaitility.await("every shard led").atMost(Duration.ofSeconds(60)).ignoreExceptions()
                    .until(() -> writer.shards().shards().stream().allMatch(s -> s.leader() != 0));
            WatchTest.Recorder seen = new WatchTest.Recorder();
            List<String> acknowledged = new ArrayList<>();
            Set<String> unknown = new HashSet<>();
            long reconnects;
            try (Watch watch = watcher.watch(WatchQuery.prefix("f/"), seen)) {
                int n = 0;
                for (int victim = 1; victim <= 3; victim++) {
                    n = write(writer, n, 60, acknowledged, unknown);
                    cluster.kill(victim);
                    n = write(writer, n, 60, acknowledged, unknown);
                    cluster.start(victim);
                }
                n = write(writer, n, 60, acknowledged, unknown);
                String last = acknowledged.get(acknowledged.size() - 1);
                Awaitility.await("the last acknowledged write reported").atMost(Duration.ofSeconds(60))
                        .until(() -> seen.puts().contains(last) || seen.error != null);
                reconnects = watch.reconnects();
            }
            assertThat(reconnects).as("streams re-opened after their node was killed").isGreaterThanOrEqualTo(3);
            assertThat(seen.error).as("the watch never ended by itself").isNull();
            List<String> puts = seen.puts();
            assertThat(puts).as("no change reported twice").doesNotHaveDuplicates();
            assertThat(puts).as("every acknowledged write reported").containsAll(acknowledged);
            assertThat(puts).as("nothing that was not written").allMatch(p -> acknowledged.contains(p) || unknown.contains(p));
            seen.assertEachShardInRevisionOrderWithoutRepeats();
            System.out.printf("%d writes acknowledged, %d of unknown outcome, %d reported, %d reconnects%n",
                    acknowledged.size(), unknown.size(), puts.size(), reconnects);
        }
    }

    /** Writes {@code count} new keys; returns the next key number. */
    private static int write(CairnClient writer, int from, int count, List<String> acknowledged, Set<String> unknown) {
        for (int i = from; i < from + count; i++) {
            String kv = "f/" + i + "=v" + i;
            try {
                writer.put("f/" + i, "v" + i);
                acknowledged.add(kv);
            } catch (CairnException e) {
                unknown.add(kv);
            }
        }
        return from + count;
    }
}
