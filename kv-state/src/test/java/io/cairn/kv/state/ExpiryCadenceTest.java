package io.cairn.kv.state;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class ExpiryCadenceTest {
    @Test
    void looksAtOnceThenOnceASecondAndAtOnceAfterAnExpireThatLeftMoreDue() {
        ExpiryCadence cadence = new ExpiryCadence();
        assertThat(cadence.lookNow(5_000)).as("first chance").isTrue();
        assertThat(cadence.lookNow(5_100)).isFalse();
        assertThat(cadence.lookNow(5_999)).isFalse();
        assertThat(cadence.lookNow(6_000)).as("a second later").isTrue();

        cadence.applied(new Result.Expired(1_000, 0, false));
        assertThat(cadence.lookNow(6_100)).as("an Expire that drained what was due").isFalse();
        cadence.applied(new Result.Expired(1_000, 0, true));
        assertThat(cadence.lookNow(6_100)).as("an Expire that left more due").isTrue();
        assertThat(cadence.lookNow(6_200)).isFalse();
        cadence.applied(new Result.Written(7, 1));
        assertThat(cadence.lookNow(6_300)).as("other results change nothing").isFalse();
    }
}
