package io.cairn.aggregate;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The consistent-cut rule as a table: each way a round can fail to be a cut, and the one way it is. */
class CutRuleTest {
    private static final List<CutRule.Read> CLEAN = List.of(new CutRule.Read("shard 0", 0), new CutRule.Read("shard 1", 0));
    private static final CutRule.Check STILL = new CutRule.Check(false, null);

    @Test
    void aRoundIsACutOnlyWhenNoShardHeldIntentsChangedOrFailedItsCheck() {
        assertThat(CutRule.atCut(CLEAN, Map.of("shard 0", STILL, "shard 1", STILL))).isNull();
        assertThat(CutRule.atCut(List.of(new CutRule.Read("shard 0", 0), new CutRule.Read("shard 1", 2)),
                Map.of("shard 0", STILL, "shard 1", STILL)))
                .isEqualTo("shard 1 held 2 write intents of unresolved transactions");
        assertThat(CutRule.atCut(CLEAN, Map.of("shard 0", STILL, "shard 1", new CutRule.Check(true, null))))
                .isEqualTo("keys of the range changed in shard 1 while it was read");
        assertThat(CutRule.atCut(CLEAN, Map.of("shard 0", new CutRule.Check(false, "UNAVAILABLE: no leader"),
                "shard 1", STILL))).isEqualTo("the check of shard 0 failed: UNAVAILABLE: no leader");
        assertThat(CutRule.atCut(CLEAN, Map.of("shard 0", STILL))).isEqualTo("the check of shard 1 did not answer");
        assertThat(CutRule.atCut(List.of(), Map.of())).as("no shard answered: nothing to cut").isNull();
    }

    @Test
    void intentsAtTheReadStopARoundBeforeAnyCheck() {
        assertThat(CutRule.beforeCheck(CLEAN)).isNull();
        assertThat(CutRule.beforeCheck(List.of(new CutRule.Read("the metadata group", 1))))
                .isEqualTo("the metadata group held 1 write intents of unresolved transactions");
    }
}
