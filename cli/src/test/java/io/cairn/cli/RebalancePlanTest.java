package io.cairn.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.cairn.client.ShardsReport;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

class RebalancePlanTest {
    private static ShardsReport report(long[][] replicas, long[] leaders) {
        List<ShardsReport.Shard> shards = new ArrayList<>();
        for (int s = 0; s < replicas.length; s++) {
            List<Long> r = new ArrayList<>();
            for (long n : replicas[s]) {
                r.add(n);
            }
            shards.add(new ShardsReport.Shard(s, s * 512, (s + 1) * 512, r, leaders[s], 1, 1, 0));
        }
        return new ShardsReport(1, replicas.length, shards, List.of(1L, 2L, 3L));
    }

    @Test
    void movesLeadersFromTheBusiestNodeUntilNoGapOfTwoIsLeft() {
        long[][] replicas = {{1, 2, 3}, {1, 2, 3}, {1, 2, 3}, {1, 2, 3}, {1, 2, 3}, {1, 2, 3}};
        ShardsReport r = report(replicas, new long[] {1, 1, 1, 1, 1, 2});
        TreeMap<Long, Long> leaders = new TreeMap<>();
        r.shards().forEach(s -> leaders.put((long) s.id(), s.leader()));
        int moves = 0;
        for (long[] m = ClusterCommand.RebalanceCommand.nextMove(r, leaders); m != null;
             m = ClusterCommand.RebalanceCommand.nextMove(r, leaders)) {
            assertThat(leaders.get(m[0])).isEqualTo(m[1]);
            leaders.put(m[0], m[2]);
            moves++;
        }
        assertThat(moves).isEqualTo(3); // 5/1/0 -> 2/2/2
        TreeMap<Long, Integer> counts = new TreeMap<>();
        leaders.values().forEach(l -> counts.merge(l, 1, Integer::sum));
        assertThat(counts.values()).containsOnly(2);
    }

    @Test
    void onlyReplicasOfTheShardReceiveItsLeadership() {
        long[][] replicas = {{1, 2, 3}, {1, 2, 3}, {1, 4, 5}};
        ShardsReport r = report(replicas, new long[] {1, 1, 1});
        TreeMap<Long, Long> leaders = new TreeMap<>();
        r.shards().forEach(s -> leaders.put((long) s.id(), s.leader()));
        long[] m = ClusterCommand.RebalanceCommand.nextMove(r, leaders);
        assertThat(m).isNotNull();
        List<Long> allowed = r.shards().get((int) m[0]).replicas();
        assertThat(allowed).contains(m[2]);
    }
}
