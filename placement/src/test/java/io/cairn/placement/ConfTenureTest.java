package io.cairn.placement;

import static org.assertj.core.api.Assertions.assertThat;

import io.cairn.common.GroupId;
import io.cairn.common.NodeId;
import io.cairn.consensus.ConfState;
import java.util.List;
import org.junit.jupiter.api.Test;

class ConfTenureTest {
    private static final GroupId G = new GroupId(1);
    private static final GroupId H = new GroupId(2);
    private static final ConfState OLD = ConfState.ofVoters(NodeId.of(1), NodeId.of(2), NodeId.of(4));
    private static final ConfState NEW = ConfState.ofVoters(NodeId.of(1), NodeId.of(2), NodeId.of(3));

    /**
     * Sharded simulator seeds 1145 and 1651: a report proves a change committed, not that the
     * followers know it; only a leader that kept the configuration a while kept a quorum hearing
     * its commit index. So the tenure restarts with every new term or configuration.
     */
    @Test
    void tenureCountsOnlyTheTimeLedWithTheSameTermAndConfiguration() {
        ConfTenure t = new ConfTenure();
        assertThat(t.observe(G, 5, OLD, 1_000)).isZero();
        assertThat(t.observe(G, 5, OLD, 1_400)).isEqualTo(400);
        assertThat(t.observe(G, 5, NEW, 1_500)).as("a new configuration").isZero();
        assertThat(t.observe(G, 5, NEW, 1_800)).isEqualTo(300);
        assertThat(t.observe(G, 6, NEW, 1_900)).as("a new term: leadership was lost and won again").isZero();
        assertThat(t.observe(G, 6, NEW, 2_000)).isEqualTo(100);
        assertThat(t.observe(H, 6, NEW, 2_000)).as("each group on its own").isZero();
    }

    @Test
    void aGroupNoLongerLedStartsAfreshWhenLedAgain() {
        ConfTenure t = new ConfTenure();
        t.observe(G, 5, NEW, 1_000);
        t.observe(H, 5, NEW, 1_000);
        t.retainOnly(List.of(H));
        assertThat(t.observe(G, 5, NEW, 5_000)).isZero();
        assertThat(t.observe(H, 5, NEW, 5_000)).isEqualTo(4_000);
    }
}
