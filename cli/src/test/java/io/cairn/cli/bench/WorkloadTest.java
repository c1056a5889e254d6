package io.cairn.cli.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

class WorkloadTest {
    @Test
    void ycsbPresetsAndACustomMixedRatio() {
        assertThat(Workload.parse("mixed-a", null)).isEqualTo(new Workload("mixed-a", Workload.Kind.MIXED, 0.5));
        assertThat(Workload.parse("MIXED-B", null)).isEqualTo(new Workload("mixed-b", Workload.Kind.MIXED, 0.95));
        assertThat(Workload.parse("mixed", null).readRatio()).isEqualTo(0.5);
        assertThat(Workload.parse("mixed", 0.9).readRatio()).isEqualTo(0.9);
        assertThat(Workload.parse("mixed-b", 0.95).readRatio()).isEqualTo(0.95);
        assertThat(Workload.parse("put", null).kind().needsPreload()).isFalse();
        assertThat(Workload.parse("scan", null).kind().needsPreload()).isTrue();
    }

    @Test
    void aReadRatioThatContradictsOrDoesNotApplyIsRefused() {
        assertThatThrownBy(() -> Workload.parse("mixed-b", 0.5)).hasMessageContaining("contradicts");
        assertThatThrownBy(() -> Workload.parse("put", 0.5)).hasMessageContaining("mixed workloads only");
        assertThatThrownBy(() -> Workload.parse("mixed", 1.5)).hasMessageContaining("[0, 1]");
        assertThatThrownBy(() -> Workload.parse("delete", null)).hasMessageContaining("unknown workload 'delete'");
    }

    @Test
    void theSameSeedGivesTheSameRequests() {
        OpGenerator a = new OpGenerator(Configs.of("mixed-a", 4, 1, 0));
        OpGenerator b = new OpGenerator(Configs.of("mixed-a", 4, 1, 0));
        int reads = 0;
        for (int i = 0; i < 1_000; i++) {
            Op x = a.next();
            Op y = b.next();
            assertThat(x.getClass()).isEqualTo(y.getClass());
            if (x instanceof Op.Get gx) {
                assertThat(((Op.Get) y).key()).isEqualTo(gx.key());
                reads++;
            } else {
                assertThat(((Op.Put) y).key()).isEqualTo(((Op.Put) x).key());
                assertThat(((Op.Put) y).value()).isEqualTo(((Op.Put) x).value()).hasSize(256);
            }
        }
        assertThat(reads).isBetween(430, 570);
    }

    @Test
    void keysAreZeroPaddedSoByteOrderIsIndexOrder() {
        assertThat(new String(BenchKeys.key(42), StandardCharsets.US_ASCII))
                .isEqualTo("bench/0000000042");
        assertThat(Arrays.compareUnsigned(BenchKeys.key(9), BenchKeys.key(10))).isNegative();
        assertThat(Arrays.compareUnsigned(BenchKeys.key(BenchKeys.INDEX_LIMIT - 1),
                BenchKeys.END_EXCLUSIVE)).isNegative();
        assertThatThrownBy(() -> BenchKeys.key(-1)).isInstanceOf(IllegalArgumentException.class);
    }
}
