package io.cairn.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** The key range a transaction conflict is counted under: a key's first segment, a bounded label set. */
class ConflictRangeTest {
    private static byte[] b(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void aKeyCountsUnderItsFirstSegmentAndRangesPastTheCapAsOther() {
        NodeMetrics metrics = new NodeMetrics();
        Object[][] table = {
                {"orders/eu/17", "orders/"},
                {"orders/", "orders/"},
                {"flat", "flat"},
                {"a-very-long-key-without-any-slash-in-it", "a-very-long-key-without-any-slas..."},
                {"", ""},
        };
        for (Object[] row : table) {
            assertThat(metrics.rangeOf(b((String) row[0]))).as((String) row[0]).isEqualTo(row[1]);
        }
        for (int i = 0; i < NodeMetrics.CONFLICT_RANGES_MAX; i++) {
            metrics.rangeOf(b("r" + i + "/x"));
        }
        assertThat(metrics.rangeOf(b("one-more/x"))).isEqualTo("other");
        assertThat(metrics.rangeOf(b("orders/eu/18"))).isEqualTo("orders/");
    }
}
