package io.cairn.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;

/** The four read levels as the client names them. */
class ConsistencyTest {
    @Test
    void onlyReadsAnyReplicaMayServeAreReplicaReads() {
        assertThat(Consistency.LINEARIZABLE.replicaRead()).isFalse();
        assertThat(Consistency.LEASE.replicaRead()).isFalse();
        assertThat(Consistency.bounded(Duration.ofSeconds(1)).replicaRead()).isTrue();
        assertThat(Consistency.EVENTUAL.replicaRead()).isTrue();
    }

    @Test
    void refusesBoundsOutOfRange() {
        assertThatThrownBy(() -> Consistency.bounded(Duration.ZERO)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("1 ms to 1 h");
        assertThatThrownBy(() -> Consistency.bounded(Duration.ofHours(2))).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void printsABoundInMilliseconds() {
        assertThat(Consistency.bounded(Duration.ofMinutes(1)).toString()).isEqualTo("bounded:60000ms");
        assertThat(Consistency.LEASE.toString()).isEqualTo("lease");
    }
}
