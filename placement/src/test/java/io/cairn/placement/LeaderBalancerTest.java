package io.cairn.placement;

import static org.assertj.core.api.Assertions.assertThat;

import io.cairn.common.GroupId;
import io.cairn.common.NodeId;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

class LeaderBalancerTest {
    private static final NodeId N1 = NodeId.of(1);
    private static final NodeId N2 = NodeId.of(2);
    private static final NodeId N3 = NodeId.of(3);

    @Test
    void twentyFourGroupsAllLedByOneNodeSettleAtEightEach() {
        TreeMap<GroupId, NodeId> leaders = new TreeMap<>();
        for (int g = 1; g <= 24; g++) {
            leaders.put(new GroupId(g), N1);
        }
        int transfers = 0;
        for (int step = 0; step < 100; step++) {
            boolean moved = false;
            for (NodeId self : List.of(N1, N2, N3)) {
                Optional<LeaderBalancer.Transfer> t = LeaderBalancer.next(self, views(leaders));
                if (t.isPresent()) {
                    assertThat(leaders.get(t.get().group())).isEqualTo(self);
                    leaders.put(t.get().group(), t.get().target());
                    transfers++;
                    moved = true;
                }
            }
            if (!moved) {
                break;
            }
        }
        Map<NodeId, Long> counts = new TreeMap<>();
        leaders.values().forEach(n -> counts.merge(n, 1L, Long::sum));
        assertThat(counts).containsEntry(N1, 8L).containsEntry(N2, 8L).containsEntry(N3, 8L);
        assertThat(transfers).isEqualTo(16);
    }

    @Test
    void aGapOfOneMovesNothing() {
        TreeMap<GroupId, NodeId> leaders = new TreeMap<>(Map.of(new GroupId(1), N1, new GroupId(2), N1, new GroupId(3), N2));
        leaders.put(new GroupId(4), N3);
        assertThat(LeaderBalancer.next(N1, views(leaders))).isEmpty();
    }

    @Test
    void groupsWithoutALeaderCountForNobody() {
        TreeMap<GroupId, LeaderBalancer.GroupView> views = new TreeMap<>();
        views.put(new GroupId(1), new LeaderBalancer.GroupView(null, new TreeSet<>(List.of(N1, N2, N3))));
        assertThat(LeaderBalancer.next(N1, views)).isEmpty();
    }

    private static TreeMap<GroupId, LeaderBalancer.GroupView> views(TreeMap<GroupId, NodeId> leaders) {
        TreeMap<GroupId, LeaderBalancer.GroupView> out = new TreeMap<>();
        leaders.forEach((g, l) -> out.put(g, new LeaderBalancer.GroupView(l, new TreeSet<>(List.of(N1, N2, N3)))));
        return out;
    }
}
