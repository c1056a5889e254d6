package io.cairn.compare;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.cairn.cli.bench.BenchKeys;
import java.nio.charset.StandardCharsets;
import java.util.HashSet;
import java.util.Set;
import org.apache.zookeeper.common.PathUtils;
import org.junit.jupiter.api.Test;

class ZnodePathsTest {
    private static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }

    @Test
    void benchKeysAreOneFlatReadableLevelUnderTheRoot() {
        assertThat(ZnodePaths.path(BenchKeys.key(42))).isEqualTo("/cairn-bench/bench%2F0000000042");
        assertThat(ZnodePaths.path(ascii("Az09-_.x"))).isEqualTo("/cairn-bench/Az09-_.x");
        assertThat(ZnodePaths.path(ascii("a b%c"))).isEqualTo("/cairn-bench/a%20b%25c");
    }

    @Test
    void locksLiveUnderTheirOwnRootEscapedAsKeysAre() throws Exception {
        String path = ZnodePaths.lockPath(BenchKeys.tagged(42, 'l'));
        assertThat(path).isEqualTo("/cairn-bench-locks/bench%2F%7B0000000042%7Dl");
        PathUtils.validatePath(path);
        assertThat(ZnodePaths.lockPath(ascii(".."))).isEqualTo("/cairn-bench-locks/%2E%2E");
        assertThatThrownBy(() -> ZnodePaths.lockPath(new byte[0])).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void dotAndDotDotAreEscapedSinceZooKeeperRefusesThem() {
        assertThat(ZnodePaths.path(ascii("."))).isEqualTo("/cairn-bench/%2E");
        assertThat(ZnodePaths.path(ascii(".."))).isEqualTo("/cairn-bench/%2E%2E");
        assertThat(ZnodePaths.path(ascii("..."))).isEqualTo("/cairn-bench/...");
    }

    @Test
    void everyByteMapsToAValidZnodeAndBack() throws Exception {
        Set<String> paths = new HashSet<>();
        for (int b = 0; b < 256; b++) {
            byte[] key = {(byte) b};
            byte[] twoBytes = {'k', (byte) b};
            for (byte[] k : new byte[][] {key, twoBytes}) {
                String path = ZnodePaths.path(k);
                PathUtils.validatePath(path);
                assertThat(ZnodePaths.key(path)).isEqualTo(k);
                assertThat(paths.add(path)).as("distinct keys, distinct znodes: %s", path).isTrue();
            }
        }
    }

    @Test
    void benchKeysRoundTrip() {
        for (long i : new long[] {0, 1, 42, 9_999, BenchKeys.INDEX_LIMIT - 1}) {
            byte[] key = BenchKeys.key(i);
            assertThat(ZnodePaths.key(ZnodePaths.path(key))).isEqualTo(key);
        }
    }

    @Test
    void refusesWhatItNeverProduces() {
        assertThatThrownBy(() -> ZnodePaths.path(new byte[0])).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> ZnodePaths.key("/elsewhere/x")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> ZnodePaths.key("/cairn-bench/")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> ZnodePaths.key("/cairn-bench/a%2")).hasMessageContaining("cut escape");
        assertThatThrownBy(() -> ZnodePaths.key("/cairn-bench/a%2f")).hasMessageContaining("hex digit");
        assertThatThrownBy(() -> ZnodePaths.key("/cairn-bench/a/b")).hasMessageContaining("unescaped");
    }
}
