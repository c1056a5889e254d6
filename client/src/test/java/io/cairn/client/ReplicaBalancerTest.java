package io.cairn.client;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** Each read balancing policy's choices, and the quarantine of replicas that fail. */
class ReplicaBalancerTest {
    private static final List<String> REPLICAS = List.of("a:1", "b:2", "c:3");
    private final AtomicLong now = new AtomicLong(1_000_000_000L);

    private ReplicaBalancer balancer(ReadBalancing policy, Map<String, Integer> weights) {
        return new ReplicaBalancer(policy, weights, now::get);
    }

    private static Map<String, Integer> counts(ReplicaBalancer b, int reads) {
        Map<String, Integer> counts = new TreeMap<>();
        for (int i = 0; i < reads; i++) {
            counts.merge(b.choose(REPLICAS, ("key" + i).getBytes()), 1, Integer::sum);
        }
        return counts;
    }

    @Test
    void leaderPolicyAndAnUnknownReplicaListLeaveTheRoutingToTheClient() {
        assertThat(balancer(ReadBalancing.LEADER, Map.of()).choose(REPLICAS, new byte[] {1})).isNull();
        assertThat(balancer(ReadBalancing.ROUND_ROBIN, Map.of()).choose(List.of(), new byte[] {1})).isNull();
    }

    @Test
    void roundRobinTakesTheReplicasInTurn() {
        assertThat(counts(balancer(ReadBalancing.ROUND_ROBIN, Map.of()), 300)).containsExactly(
                Map.entry("a:1", 100), Map.entry("b:2", 100), Map.entry("c:3", 100));
    }

    @Test
    void randomAndWeightedSpreadInProportionAndWeightZeroTakesNothing() {
        Map<String, Integer> random = counts(balancer(ReadBalancing.RANDOM, Map.of()), 3_000);
        assertThat(random.values()).allSatisfy(n -> assertThat(n).isBetween(800, 1_200));
        Map<String, Integer> weighted = counts(balancer(ReadBalancing.WEIGHTED, Map.of("a:1", 3, "c:3", 0)), 4_000);
        assertThat(weighted).doesNotContainKey("c:3");
        assertThat(weighted.get("a:1")).as("weight 3 against 1").isBetween(2_700, 3_300);
    }

    @Test
    void leastOutstandingAvoidsTheReplicaWithReadsInFlight() {
        ReplicaBalancer b = balancer(ReadBalancing.LEAST_OUTSTANDING, Map.of());
        b.started("a:1");
        b.started("a:1");
        b.started("b:2");
        assertThat(b.choose(REPLICAS, new byte[] {1})).isEqualTo("c:3");
        b.started("c:3");
        b.started("c:3");
        assertThat(b.choose(REPLICAS, new byte[] {1})).isEqualTo("b:2");
        b.ended("a:1", true);
        b.ended("a:1", true);
        assertThat(b.choose(REPLICAS, new byte[] {1})).isEqualTo("a:1");
    }

    @Test
    void keyHashSendsAKeyToOneReplicaAndALostReplicaMovesOnlyItsOwnKeys() {
        ReplicaBalancer b = balancer(ReadBalancing.KEY_HASH, Map.of());
        Map<String, String> before = new TreeMap<>();
        for (int i = 0; i < 600; i++) {
            byte[] key = ("key" + i).getBytes();
            String chosen = b.choose(REPLICAS, key);
            assertThat(b.choose(REPLICAS, key)).as("the same key, the same replica").isEqualTo(chosen);
            before.put("key" + i, chosen);
        }
        assertThat(new ArrayList<>(before.values())).contains("a:1", "b:2", "c:3");
        List<String> withoutB = List.of("a:1", "c:3");
        before.forEach((key, replica) -> {
            String after = b.choose(withoutB, key.getBytes());
            if (!replica.equals("b:2")) {
                assertThat(after).as("%s stays on %s", key, replica).isEqualTo(replica);
            }
        });
    }

    @Test
    void aReplicaThatFailsIsSkippedForAGrowingQuarantineAndASuccessClearsIt() {
        ReplicaBalancer b = balancer(ReadBalancing.ROUND_ROBIN, Map.of());
        b.started("b:2");
        b.ended("b:2", false);
        assertThat(b.quarantined("b:2")).isTrue();
        assertThat(counts(b, 100)).doesNotContainKey("b:2");
        now.addAndGet(TimeUnit.MILLISECONDS.toNanos(ReplicaBalancer.QUARANTINE_MILLIS_MIN));
        assertThat(b.quarantined("b:2")).as("tried again once the quarantine ends").isFalse();
        b.ended("b:2", false);
        now.addAndGet(TimeUnit.MILLISECONDS.toNanos(ReplicaBalancer.QUARANTINE_MILLIS_MIN));
        assertThat(b.quarantined("b:2")).as("a second failure in a row doubles it").isTrue();
        now.addAndGet(TimeUnit.MILLISECONDS.toNanos(ReplicaBalancer.QUARANTINE_MILLIS_MIN));
        b.ended("b:2", true);
        b.ended("b:2", false);
        now.addAndGet(TimeUnit.MILLISECONDS.toNanos(ReplicaBalancer.QUARANTINE_MILLIS_MIN));
        assertThat(b.quarantined("b:2")).as("an answer started the count again").isFalse();
        assertThat(b.servedCounts()).containsEntry("b:2", 1L);
    }

    @Test
    void withEveryReplicaInQuarantineThePolicyStillPicksOne() {
        ReplicaBalancer b = balancer(ReadBalancing.ROUND_ROBIN, Map.of());
        REPLICAS.forEach(r -> b.ended(r, false));
        assertThat(counts(b, 3)).hasSize(3);
    }
}
