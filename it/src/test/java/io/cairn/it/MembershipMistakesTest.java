package io.cairn.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.cairn.client.CairnClient;
import io.cairn.client.ClusterStatus;
import io.cairn.client.KeyValue;
import io.cairn.client.Members;
import io.cairn.client.ShardsReport;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The operator mistakes that once cost answers or data, made against real processes (three
 * founders, four shards), each of which must now be refused with a reason that names the
 * difference, with every key still answered by every node:
 * <ol>
 *   <li>a node joining with another {@code --shards} was admitted and answered "not found" for
 *       keys it did not hold;</li>
 *   <li>{@code add-node} of a live founder with a mistyped address was accepted, leaving a
 *       phantom voter;</li>
 *   <li>a removed joiner went removed, then up again (a new metadata leader took its join
 *       request as new), and a removed node kept serving;</li>
 *   <li>{@code cluster shards} asked of a node without a replica of a shard showed that shard
 *       with no leader and term 0 while it served.</li>
 * </ol>
 */
@Timeout(value = 4, unit = TimeUnit.MINUTES)
class MembershipMistakesTest {
    private static final int SHARDS = 4;
    private static final List<String> ARGS = List.of("--tick-ms", "50", "--shards", Integer.toString(SHARDS),
            "--dead-node-timeout", "3s");
    private static final int KEYS = 40;

    /** Kept when the test fails: the nodes' logs are in it. */
    @TempDir(cleanup = org.junit.jupiter.api.io.CleanupMode.ON_SUCCESS)
    Path dir;

    @Test
    void badJoinsAndReAddsAreRefusedAndARemovalIsFinal() throws Exception {
        try (LocalCluster cluster = new LocalCluster(dir, 3, ARGS);
             CairnClient admin = CairnClient.builder().endpoints(cluster.endpoints())
                     .requestTimeout(Duration.ofSeconds(3)).build()) {
            cluster.startAll();
            awaitShards(admin, "every shard led", r -> r.epoch() >= 1 && r.shards().stream().allMatch(s -> s.leader() != 0));
            for (int i = 0; i < KEYS; i++) {
                admin.put("k" + i, "v" + i);
            }

            // 1. Another shard count: refused before anything is written to its data dir.
            cluster.start(4, List.of("--tick-ms", "50", "--shards", "8", "--dead-node-timeout", "3s"));
            assertThat(cluster.awaitExit(4, 60_000)).as("the misconfigured joiner exits").isEqualTo(2);
            assertThat(cluster.log(4)).contains("may not join").contains("the cluster has 4 shards")
                    .contains("--shards 8");
            assertThat(cluster.dataDir(4).resolve("cairn.properties")).doesNotExist();

            // 2. A live member's id at another address.
            String typo = "127.0.0.1:" + (Integer.parseInt(cluster.address(3).split(":")[1]) == 65000 ? 65001 : 65000);
            assertThatThrownBy(() -> admin.addNode(3, typo)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("already a member at " + cluster.address(3)).hasMessageContaining("replace-node");
            assertThat(admin.members().member(3)).hasValueSatisfying(m -> {
                assertThat(m.address()).isEqualTo(cluster.address(3));
                assertThat(m.state()).isEqualTo(Members.State.UP);
            });

            // The same node, started right this time on the same directory, joins.
            cluster.start(4);
            awaitMembers(admin, "n4 holds replicas", m -> m.member(4).map(x -> x.replicas() > 0).orElse(false));

            // 5. A node without a replica of some shard still reports that shard's leader, not "no leader, term 0".
            try (CairnClient viaN4 = CairnClient.builder().endpoints(List.of(cluster.address(4)))
                    .requestTimeout(Duration.ofSeconds(3)).build()) {
                ShardsReport seen = awaitShards(viaN4, "n4's view of every shard names a leader",
                        r -> r.shards().stream().anyMatch(sh -> !sh.replicas().contains(4L))
                                && r.shards().stream().allMatch(sh -> sh.leader() != 0 && sh.term() > 0));
                assertThat(seen.answered()).containsExactly(4L);
            }

            // 3. Removed is final, across metadata leader changes, and the removed node stops.
            admin.removeNode(4);
            awaitMembers(admin, "n4 removed", m -> m.member(4).map(x -> x.state() == Members.State.REMOVED).orElse(false));
            assertThat(cluster.awaitExit(4, 30_000)).as("the removed node stops by itself").isEqualTo(2);
            assertThat(cluster.log(4)).contains("was removed from the cluster");
            for (int round = 0; round < 2; round++) {
                moveMetadataLeader(admin);
                long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(3);
                while (System.nanoTime() < until) {
                    Optional<Members.Member> n4 = admin.members().member(4);
                    assertThat(n4).hasValueSatisfying(m -> assertThat(m.state()).isEqualTo(Members.State.REMOVED));
                    Thread.sleep(250); // sampling the state over time, not waiting for it
                }
            }
            // Restarted on its own data dir, it is refused and stops again; on a fresh one too.
            cluster.start(4);
            assertThat(cluster.awaitExit(4, 60_000)).isEqualTo(2);
            deleteTree(cluster.dataDir(4));
            cluster.start(4);
            assertThat(cluster.awaitExit(4, 60_000)).isEqualTo(2);
            assertThat(cluster.log(4)).contains("a removed id is never used again");

            ShardsReport end = awaitShards(admin, "every shard on the founders", r -> r.shards().stream()
                    .allMatch(s -> s.leader() != 0 && s.replicas().size() == 3 && !s.replicas().contains(4L)));
            assertThat(end.shardCount()).isEqualTo(SHARDS);
            // No wrong answer through any node.
            for (int node = 1; node <= 3; node++) {
                try (CairnClient one = CairnClient.builder().endpoints(List.of(cluster.address(node)))
                        .requestTimeout(Duration.ofSeconds(5)).build()) {
                    for (int i = 0; i < KEYS; i++) {
                        Optional<KeyValue> kv = one.get("k" + i);
                        assertThat(kv.map(KeyValue::valueUtf8)).as("k" + i + " through n" + node).contains("v" + i);
                    }
                }
            }
        }
    }

    private static void moveMetadataLeader(CairnClient admin) {
        Awaitility.await("metadata leadership moved").atMost(Duration.ofSeconds(30)).ignoreExceptions().until(() -> {
            ClusterStatus s = admin.clusterStatus();
            long to = s.members().stream().filter(m -> m.role() == ClusterStatus.Role.FOLLOWER)
                    .mapToLong(ClusterStatus.Member::id).findFirst().orElseThrow();
            admin.transferLeader(0, to);
            return true;
        });
    }

    private static ShardsReport awaitShards(CairnClient admin, String what, java.util.function.Predicate<ShardsReport> done) {
        return Awaitility.await(what).atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(250))
                .ignoreExceptions().until(admin::shards, done::test);
    }

    private static Members awaitMembers(CairnClient admin, String what, java.util.function.Predicate<Members> done) {
        return Awaitility.await(what).atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(250))
                .ignoreExceptions().until(admin::members, done::test);
    }

    private static void deleteTree(Path p) throws java.io.IOException {
        if (Files.isDirectory(p)) {
            try (var entries = Files.list(p)) {
                for (Path c : entries.toList()) {
                    deleteTree(c);
                }
            }
        }
        Files.deleteIfExists(p);
    }
}
