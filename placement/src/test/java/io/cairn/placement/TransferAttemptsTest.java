package io.cairn.placement;

import static org.assertj.core.api.Assertions.assertThat;

import io.cairn.common.GroupId;
import io.cairn.common.NodeId;
import org.junit.jupiter.api.Test;

class TransferAttemptsTest {
    private static final GroupId G = new GroupId(3);

    @Test
    void aTransferIsLeftToFinishThenItsTargetIsPassedOverForAWhile() {
        TransferAttempts t = new TransferAttempts(1_000, 20_000);
        assertThat(t.pending(G, 0)).isFalse();
        assertThat(t.avoid(G, 0)).isEmpty();
        t.started(G, NodeId.of(2), 100);
        assertThat(t.pending(G, 1_099)).isTrue();
        assertThat(t.pending(G, 1_100)).isFalse();
        assertThat(t.avoid(G, 1_100)).containsExactly(NodeId.of(2));
        assertThat(t.avoid(G, 20_100)).isEmpty();
        assertThat(t.avoid(new GroupId(4), 1_100)).isEmpty();
    }
}
