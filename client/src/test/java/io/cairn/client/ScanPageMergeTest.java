package io.cairn.client;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

class ScanPageMergeTest {
    @Test
    void aPageStopsBelowTheSmallestNextTokenSoNoShardSkipsOrRepeatsKeys() {
        ScanPage merged = ScanPage.merge(List.of(page(List.of("a", "c"), "d"), page(List.of("b", "e", "f"), "")), 10);

        assertThat(keys(merged)).containsExactly("a", "b", "c");
        assertThat(new String(merged.nextPageToken(), StandardCharsets.UTF_8)).isEqualTo("d");
    }

    @Test
    void aFullPageResumesAtTheFirstKeyItLeftOut() {
        ScanPage merged = ScanPage.merge(List.of(page(List.of("a", "c", "e"), ""), page(List.of("b", "d"), "")), 3);

        assertThat(keys(merged)).containsExactly("a", "b", "c");
        assertThat(new String(merged.nextPageToken(), StandardCharsets.UTF_8)).isEqualTo("d");
    }

    @Test
    void finishedShardsMakeTheLastPage() {
        ScanPage merged = ScanPage.merge(List.of(page(List.of("b"), ""), page(List.of("a"), "")), 0);

        assertThat(keys(merged)).containsExactly("a", "b");
        assertThat(merged.hasMore()).isFalse();
    }

    private static ScanPage page(List<String> keys, String next) {
        List<KeyValue> kvs = keys.stream().map(k -> kv(k)).toList();
        return new ScanPage(kvs, next.getBytes(StandardCharsets.UTF_8));
    }

    private static KeyValue kv(String key) {
        return new KeyValue(key.getBytes(StandardCharsets.UTF_8), new byte[] {1}, 1, 1, 1, 1, 1);
    }

    private static List<String> keys(ScanPage page) {
        return page.kvs().stream().map(kv -> new String(kv.key(), StandardCharsets.UTF_8)).toList();
    }
}
