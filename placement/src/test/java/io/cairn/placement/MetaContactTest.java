package io.cairn.placement;

import static org.assertj.core.api.Assertions.assertThat;

import io.cairn.common.NodeId;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class MetaContactTest {
    private static final long BEAT_MS = 200;
    private static final List<NodeId> FOUNDERS = ids(1, 2, 3);

    private static List<NodeId> ids(long... ids) {
        List<NodeId> out = new ArrayList<>();
        for (long id : ids) {
            out.add(NodeId.of(id));
        }
        return out;
    }

    /** Members n1..n7, all up as far as this (possibly old) view knows. */
    private static Topology viewWithUp(long... up) {
        List<MemberInfo> members = new ArrayList<>();
        for (long id = 1; id <= 7; id++) {
            final long n = id;
            boolean isUp = java.util.Arrays.stream(up).anyMatch(u -> u == n);
            members.add(new MemberInfo(NodeId.of(id), "h:" + id, "", isUp ? MemberInfo.State.UP : MemberInfo.State.DEAD));
        }
        return Topology.derive(5, members, 1);
    }

    /**
     * Found by the sharded simulator (no seed recorded): the metadata group moved away from every
     * node a returning node knew. Its old view puts the group on n1..n3 (the founders too); the
     * group now lives on n4..n6. Only asking every member it knows, after five beats without an
     * answer, reaches one that serves or passes on the newer membership.
     */
    @Test
    void aNodeUnansweredForFiveBeatsAsksEveryMemberItKnows() {
        Topology old = viewWithUp(1, 2, 3, 4, 5, 6, 7);
        assertThat(old.replicasOf(ShardGroups.META_GROUP)).containsExactlyElementsOf(ids(1, 2, 3));
        record Row(long millisSinceServed, List<NodeId> targets) {}
        List<Row> rows = List.of(
                new Row(0, ids(1, 2, 3)),
                new Row(5 * BEAT_MS, ids(1, 2, 3)),
                new Row(5 * BEAT_MS + 1, ids(1, 2, 3, 4, 5, 6, 7)),
                new Row(60_000, ids(1, 2, 3, 4, 5, 6, 7)));
        for (Row row : rows) {
            assertThat(MetaContact.targets(old, FOUNDERS, row.millisSinceServed(), BEAT_MS))
                    .as("%d ms since the metadata leader answered", row.millisSinceServed())
                    .containsExactlyElementsOf(row.targets());
        }
    }

    @Test
    void thePlacedMetadataReplicasComeFirstThenTheFoundersWithoutDuplicates() {
        // n1 and n3 are dead in this view: the group is placed on n2, n4, n5.
        Topology moved = viewWithUp(2, 4, 5, 6, 7);
        assertThat(MetaContact.targets(moved, FOUNDERS, 0, BEAT_MS)).containsExactlyElementsOf(ids(2, 4, 5, 1, 3));
        assertThat(MetaContact.targets(moved, FOUNDERS, 10 * BEAT_MS, BEAT_MS)).containsExactlyElementsOf(ids(2, 4, 5, 1, 3, 6, 7));
    }
}
