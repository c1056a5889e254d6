package io.cairn.placement;

import static org.assertj.core.api.Assertions.assertThat;

import io.cairn.common.NodeId;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.TreeSet;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.LongRange;
import org.junit.jupiter.api.Test;

class PlacementTest {
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

    @Property(tries = 50)
    void shardMapCoversSlotsContiguouslyAndEvenly(@ForAll @IntRange(min = 1, max = 4096) int shards) {
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
    }

    static List<Member> members(int n, int zones) {
        List<Member> members = new ArrayList<>();
        for (int i = 1; i <= n; i++) {
            members.add(zones == 0 ? Member.of(i) : Member.of(i, "z" + (i % zones)));
        }
        return members;
    }

    @Property(tries = 30)
    void placementIsDeterministicAndIndependentOfMemberOrder(
            @ForAll @IntRange(min = 1, max = 30) int nodes,
            @ForAll @IntRange(min = 0, max = 4) int zones,
            @ForAll @IntRange(min = 1, max = 5) int rf,
            @ForAll @LongRange(min = 0, max = 1_000_000) long seed) {
        List<Member> members = members(nodes, zones);
        Placement first = Placement.compute(members, 8 * nodes, rf, 64);
        List<Member> shuffled = new ArrayList<>(members);
        Collections.shuffle(shuffled, new Random(seed));
        assertThat(Placement.compute(shuffled, 8 * nodes, rf, 64)).isEqualTo(first);
        assertThat(MovePlan.between(first, first).totalMoves()).isZero();
    }

    @Property(tries = 30)
    void everyShardHasRfDistinctReplicasSpreadOverZones(
            @ForAll @IntRange(min = 1, max = 40) int nodes,
            @ForAll @IntRange(min = 0, max = 5) int zones,
            @ForAll @IntRange(min = 1, max = 5) int rf) {
        List<Member> members = members(nodes, zones);
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
    }

    @Test
    void ringReplicasAreStableForASurvivingNodeSet() {
        Ring ring = Ring.of(members(10, 0), Ring.DEFAULT_VNODES);
        assertThat(ring.replicasFor(7, 3)).isEqualTo(Ring.of(members(10, 0), 256).replicasFor(7, 3));
        assertThat(ring.replicasFor(7, 3)).hasSize(3).doesNotHaveDuplicates();
    }

    @Property(tries = 15)
    void oneJoinMovesAboutTheFairShare(
            @ForAll @IntRange(min = 3, max = 40) int nodes,
            @ForAll @IntRange(min = 128, max = 512) int vnodes) {
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
    }
}
