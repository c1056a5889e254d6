package io.cairn.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.cairn.common.Bytes;
import io.cairn.kv.state.KeyValue;
import io.cairn.kv.state.ScanPage;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class ScanMergeTest {
    @Test
    void aPageStopsBelowTheSmallestResumeKeySoNoShardSkipsOrRepeatsKeys() {
        // Shard A stopped at "d" (it has more); shard B is done but holds "e" and "f".
        ScanPage a = page(List.of("a", "c"), "d");
        ScanPage b = page(List.of("b", "e", "f"), null);

        ScanPage merged = KvService.mergePages(List.of(a, b), 10);

        assertThat(keys(merged)).containsExactly("a", "b", "c");
        assertThat(merged.nextKey()).hasValue(bytes("d"));
    }

    @Test
    void aFullPageResumesAtTheFirstKeyItLeftOut() {
        ScanPage merged = KvService.mergePages(List.of(page(List.of("a", "c", "e"), null), page(List.of("b", "d"), null)), 3);

        assertThat(keys(merged)).containsExactly("a", "b", "c");
        assertThat(merged.nextKey()).hasValue(bytes("d"));
    }

    @Test
    void finishedShardsMakeTheLastPage() {
        ScanPage merged = KvService.mergePages(List.of(page(List.of("b"), null), page(List.of("a"), null)), 3);

        assertThat(keys(merged)).containsExactly("a", "b");
        assertThat(merged.isLast()).isTrue();
    }

    private static ScanPage page(List<String> keys, String next) {
        List<KeyValue> kvs = keys.stream().map(k -> new KeyValue(bytes(k), bytes("v"), 1, 1, 1, 0)).toList();
        return new ScanPage(kvs, Optional.ofNullable(next).map(ScanMergeTest::bytes));
    }

    private static List<String> keys(ScanPage page) {
        return page.entries().stream().map(kv -> new String(kv.key().toArray(), StandardCharsets.UTF_8)).toList();
    }

    private static Bytes bytes(String s) {
        return Bytes.wrap(s.getBytes(StandardCharsets.UTF_8));
    }
}
