package io.cairn.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.cairn.api.proto.Consistency;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import org.junit.jupiter.api.Test;

/** What a read request may ask for, and how the freshness of answers put together from shards combines. */
class ReadLevelTest {
    @Test
    void unspecifiedIsLinearizableAndABoundGoesWithBoundedOnly() {
        assertThat(ReadLevel.of(Consistency.CONSISTENCY_UNSPECIFIED, 0)).isEqualTo(ReadLevel.LINEARIZABLE);
        assertThat(ReadLevel.of(Consistency.CONSISTENCY_LEASE, 0).level()).isEqualTo(Consistency.CONSISTENCY_LEASE);
        assertThat(ReadLevel.of(Consistency.CONSISTENCY_BOUNDED, 250).maxStalenessMillis()).isEqualTo(250);
        assertThat(ReadLevel.of(Consistency.CONSISTENCY_BOUNDED, ReadLevel.MAX_STALENESS_MILLIS_MAX).maxStalenessMillis())
                .isEqualTo(3_600_000);
    }

    @Test
    void badCombinationsAreInvalidArgumentsThatSayWhatIsAllowed() {
        assertInvalid(Consistency.CONSISTENCY_BOUNDED, 0, "from 1 to 3600000");
        assertInvalid(Consistency.CONSISTENCY_BOUNDED, 3_600_001, "from 1 to 3600000");
        assertInvalid(Consistency.CONSISTENCY_LINEARIZABLE, 5, "only to CONSISTENCY_BOUNDED");
        assertInvalid(Consistency.CONSISTENCY_EVENTUAL, 5, "only to CONSISTENCY_BOUNDED");
        assertInvalid(Consistency.UNRECOGNIZED, 0, "unknown consistency level");
    }

    private static void assertInvalid(Consistency level, long bound, String message) {
        assertThatThrownBy(() -> ReadLevel.of(level, bound)).isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
            assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
            assertThat(e.getStatus().getDescription()).contains(message);
        });
    }

    @Test
    void anAnswerFromSeveralShardsIsAsWeakAsItsWeakestPart() {
        assertThat(ReadLevel.weaker(Consistency.CONSISTENCY_LINEARIZABLE, Consistency.CONSISTENCY_BOUNDED))
                .isEqualTo(Consistency.CONSISTENCY_BOUNDED);
        assertThat(ReadLevel.weaker(Consistency.CONSISTENCY_EVENTUAL, Consistency.CONSISTENCY_LEASE))
                .isEqualTo(Consistency.CONSISTENCY_EVENTUAL);
        assertThat(ReadLevel.Served.weakerStaleness(0, 40)).isEqualTo(40);
        assertThat(ReadLevel.Served.weakerStaleness(40, -1)).as("unknown wins").isEqualTo(-1);
    }
}
