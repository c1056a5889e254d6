package io.cairn.placement;

import static org.assertj.core.api.Assertions.assertThat;

import io.cairn.common.NodeId;
import io.cairn.common.RandomSource;
import io.cairn.common.SeededRandom;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/**
 * Properties here are seeded loops: try {@code t} draws its input from {@code new SeededRandom(t)},
 * and a failure names the seed and the input.
 */
class PlacementTest {
    /** An int in [min, max], at either end one time in eight each, where mistakes gather. */
    static int between(RandomSource random, int min, int max) {
        int pick = random.nextInt(8);
        return pick == 0 ? min : pick == 1 ? max : min + random.nextInt(max - min + 1);
    }

    /** Runs one try of a property; a failure names the seed and input that replay it. */
    static void replayable(long seed, Object input, Runnable property) {
        try {
            property.run();
        } catch (AssertionError | RuntimeException e) {
            throw new AssertionError("seed " + seed + " fails on " + input, e);
        }
    }

    static int slot(String key) {
        return HashSlots.slot(key.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void crc16MatchesXmodemCheckValueAndRedisSlots() {
        byte[] check = "123456789".getBytes(StandardCharsets.US_ASCII);
        assertThat(HashSlots.crc16(check, 0, check.length)).isEqualTo(0x31C3);
        // Redis Cluster: KEYSLOT foo = 12182, bar = 5061; ours is that modulo 4096.
        assertThat(slot("foo")).isEqualTo(12182 % 4096);
        assertThat(slot("bar")).isEqualTo(5061 % 4096);
    }

    @Test
    void hashTagsFollowRedisClusterRules() {
        assertThat(slot("user:{42}:name")).isEqualTo(slot("42"));
        assertThat(slot("a{b}{c}")).isEqualTo(slot("b"));
        assertThat(slot("a}b{c}")).isEqualTo(slot("c"));
        assertThat(slot("{{a}}")).isEqualTo(slot("{a"));
        assertThat(slot("{}")).isEqualTo(HashSlots.crc16("{}".getBytes(StandardCharsets.UTF_8), 0, 2) & 4095);
        assertThat(slot("a{}{b}")).isEqualTo(HashSlots.crc16("a{}{b}".getBytes(StandardCharsets.UTF_8), 0, 6) & 4095);
        assertThat(slot("a{b")).isEqualTo(HashSlots.crc16("a{b".getBytes(StandardCharsets.UTF_8), 0, 3) & 4095);
    }

    @Test
    void shardMapCoversSlotsContiguouslyAndEvenly() {
        for (long seed = 0; seed < 50; seed++) {
            int shards = between(new SeededRandom(seed), 1, 4096);
            replayable(seed, shards + " shards", () -> {
                ShardMap map = ShardMap.of(shards);
                int min = Integer.MAX_VALUE;
                int max = 0;
                for (int s = 0; s < shards; s++) {
                    int size = map.endSlotExclusive(s) - map.firstSlot(s);
                    min = Math.min(min, size);
                    max = Math.max(max, size);
                    assertThat(map.shardOfSlot(map.firstSlot(s))).isEqualTo(s);
                    assertThat(map.shardOfSlot(map.endSlotExclusive(s) - 1)).isEqualTo(s);
                }
                assertThat(map.firstSlot(0)).isZero();
                assertThat(map.endSlotExclusive(shards - 1)).isEqualTo(HashSlots.SLOT_COUNT);
                assertThat(max - min).isLessThanOrEqualTo(1);
            });
        }
    }

    static List<Member> members(int n, int zones) {
        List<Member> members = new ArrayList<>();
        for (int i = 1; i <= n; i++) {
            members.add(zones == 0 ? Member.of(i) : Member.of(i, "z" + (i % zones)));
        }
        return members;
    }

    record Cluster(int nodes, int zones, int rf) {
        static Cluster generate(RandomSource random, int nodesMax, int zonesMax) {
            return new Cluster(between(random, 1, nodesMax), between(random, 0, zonesMax), between(random, 1, 5));
        }
    }

    @Test
    void placementIsDeterministicAndIndependentOfMemberOrder() {
        for (long seed = 0; seed < 30; seed++) {
            RandomSource random = new SeededRandom(seed);
            Cluster cluster = Cluster.generate(random, 30, 4);
            long shuffleSeed = random.nextLong(1_000_001);
            replayable(seed, cluster + ", shuffled with seed " + shuffleSeed, () -> {
                List<Member> members = members(cluster.nodes(), cluster.zones());
                Placement first = Placement.compute(members, 8 * cluster.nodes(), cluster.rf(), 64);
                List<Member> shuffled = new ArrayList<>(members);
                Collections.shuffle(shuffled, new Random(shuffleSeed));
                assertThat(Placement.compute(shuffled, 8 * cluster.nodes(), cluster.rf(), 64)).isEqualTo(first);
                assertThat(MovePlan.between(first, first).totalMoves()).isZero();
            });
        }
    }

    @Test
    void everyShardHasRfDistinctReplicasSpreadOverZones() {
        for (long seed = 0; seed < 30; seed++) {
            Cluster cluster = Cluster.generate(new SeededRandom(seed), 40, 5);
            replayable(seed, cluster, () -> {
                int nodes = cluster.nodes();
                int rf = cluster.rf();
                List<Member> members = members(nodes, cluster.zones());
                Placement placement = Placement.compute(members, 16 * nodes, rf, 128);
                int distinctZones = (int) members.stream().map(Member::zone).distinct().count();
                for (int s = 0; s < placement.shardCount(); s++) {
                    List<NodeId> replicas = placement.replicasOf(s);
                    assertThat(replicas).hasSize(Math.min(rf, nodes)).doesNotHaveDuplicates();
                    TreeSet<String> used = new TreeSet<>();
                    for (NodeId id : replicas) {
                        used.add(members.get((int) id.value() - 1).zone());
                    }
                    assertThat(used).hasSize(Math.min(replicas.size(), distinctZones));
                }
            });
        }
    }

    @Test
    void ringReplicasAreStableForASurvivingNodeSet() {
        Ring ring = Ring.of(members(10, 0), Ring.DEFAULT_VNODES);
        assertThat(ring.replicasFor(7, 3)).isEqualTo(Ring.of(members(10, 0), 256).replicasFor(7, 3));
        assertThat(ring.replicasFor(7, 3)).hasSize(3).doesNotHaveDuplicates();
    }

    @Test
    void oneJoinMovesAboutTheFairShare() {
        for (long seed = 0; seed < 15; seed++) {
            RandomSource random = new SeededRandom(seed);
            int nodes = between(random, 3, 40);
            int vnodes = between(random, 128, 512);
            replayable(seed, nodes + " nodes, " + vnodes + " vnodes", () -> {
                int shards = 64 * nodes;
                Placement before = Placement.compute(members(nodes, 0), shards, 3, vnodes);
                Placement after = Placement.compute(members(nodes + 1, 0), shards, 3, vnodes);
                MovePlan plan = MovePlan.between(before, after);
                assertThat(plan.totalMoves()).isEqualTo(plan.totalRemovals());
                double ratio = (double) plan.totalMoves() / before.replicaCount() * (nodes + 1);
                assertThat(ratio).isLessThanOrEqualTo(1.3);
                double mean = (double) after.replicaCount() / (nodes + 1);
                for (int load : after.loadByNode().values()) {
                    assertThat(load / mean).isBetween(0.85, 1.15);
                }
            });
        }
    }
}
