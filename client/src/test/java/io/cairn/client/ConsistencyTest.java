package io.cairn.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;

/** The four read levels as the client and the CLI name them. */
class ConsistencyTest {
    @Test
    void parsesEveryLevelAndPrintsItBackTheSameWay() {
        assertThat(Consistency.parse("linearizable")).isSameAs(Consistency.LINEARIZABLE);
        assertThat(Consistency.parse(" LEASE ")).isSameAs(Consistency.LEASE);
        assertThat(Consistency.parse("eventual")).isSameAs(Consistency.EVENTUAL);
        assertThat(Consistency.parse("bounded:500ms")).isEqualTo(Consistency.bounded(Duration.ofMillis(500)));
        assertThat(Consistency.parse("bounded:2s").maxStaleness()).isEqualTo(Duration.ofSeconds(2));
        assertThat(Consistency.parse("bounded:1m").toString()).isEqualTo("bounded:60000ms");
        assertThat(Consistency.parse(Consistency.bounded(Duration.ofMillis(7)).toString()))
                .isEqualTo(Consistency.bounded(Duration.ofMillis(7)));
    }

    @Test
    void onlyReadsAnyReplicaMayServeAreReplicaReads() {
        assertThat(Consistency.LINEARIZABLE.replicaRead()).isFalse();
        assertThat(Consistency.LEASE.replicaRead()).isFalse();
        assertThat(Consistency.bounded(Duration.ofSeconds(1)).replicaRead()).isTrue();
        assertThat(Consistency.EVENTUAL.replicaRead()).isTrue();
    }

    @Test
    void refusesBoundsOutOfRangeAndUnknownNamesWithTheRightSpelling() {
        assertThatThrownBy(() -> Consistency.bounded(Duration.ZERO)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("1 ms to 1 h");
        assertThatThrownBy(() -> Consistency.bounded(Duration.ofHours(2))).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Consistency.parse("bounded:500")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("bounded:500ms");
        assertThatThrownBy(() -> Consistency.parse("bounded:-1s")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Consistency.parse("strong")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("linearizable, lease, eventual or bounded:DURATION");
    }
}
