package io.cairn.kv.state;

import static io.cairn.kv.state.TestLog.b;
import static io.cairn.kv.state.TestLog.put;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.cairn.common.Bytes;
import io.cairn.consensus.LogEntry;
import io.cairn.kv.engine.MemoryKvEngine;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class ScanTest {
    private final MemoryKvEngine engine = new MemoryKvEngine();
    private final KvStateMachine sm = new KvStateMachine(engine);
    private final TestLog log = new TestLog();

    private void putAll(long nowMillis, long ttlMillis, String... keys) {
        List<LogEntry> entries = new ArrayList<>();
        for (String key : keys) {
            entries.add(log.entry(nowMillis, put(key, "v-" + key, ttlMillis)));
        }
        sm.apply(entries);
    }

    private static List<Bytes> keys(ScanPage page) {
        return page.entries().stream().map(KeyValue::key).toList();
    }

    @Test
    void scanReturnsLiveKeysOfTheRangeInUnsignedByteOrder() {
        putAll(100, 0, "b", "a", "c", "d");
        sm.apply(List.of(log.entry(100, new Command.Put(Bytes.wrap(new byte[] {(byte) 0xFF}), b("hi"), 0))));

        ScanPage page = sm.scan(new KeyRange(b("b"), b("d")), 10, 100);

        assertThat(keys(page)).containsExactly(b("b"), b("c"));
        assertThat(page.isLast()).isTrue();
        assertThat(keys(sm.scan(KeyRange.all(), 10, 100)))
                .containsExactly(b("a"), b("b"), b("c"), b("d"), Bytes.wrap(new byte[] {(byte) 0xFF}));
    }

    @Test
    void stateMachineKeysNeverLeakIntoAScan() {
        sm.apply(List.of(
                log.entry(42, 1, 100, put("a", "1", 1_000)),
                log.entry(100, put("z", "1"))));

        ScanPage page = sm.scan(KeyRange.all(), 10, 100);

        assertThat(keys(page)).containsExactly(b("a"), b("z"));
        // The engine holds the applied position, a TTL index entry, a session and its idle entry too.
        assertThat(engine.scan(new byte[0], null, 100)).hasSize(6);
    }

    @Test
    void pagingVisitsEveryKeyExactlyOnce() {
        String[] all = new String[25];
        for (int i = 0; i < all.length; i++) {
            all[i] = String.format("key-%02d", i);
        }
        putAll(100, 0, all);

        List<Bytes> seen = new ArrayList<>();
        KeyRange range = KeyRange.all();
        int pages = 0;
        while (true) {
            ScanPage page = sm.scan(range, 7, 100);
            pages++;
            seen.addAll(keys(page));
            if (page.isLast()) {
                break;
            }
            range = range.resumeAt(page.nextKey().orElseThrow());
        }

        assertThat(seen).hasSize(25).doesNotHaveDuplicates().isSorted();
        assertThat(pages).isEqualTo(4);
    }

    @Test
    void aPageThatFillsExactlyAtTheEndIsTheLast() {
        putAll(100, 0, "a", "b");

        assertThat(sm.scan(KeyRange.all(), 2, 100).isLast()).isTrue();
        assertThat(sm.scan(KeyRange.all(), 1, 100).nextKey()).contains(b("b"));
    }

    @Test
    void prefixScanStaysInsideThePrefix() {
        putAll(100, 0, "user/1", "user/2", "user0", "users", "use", "zzz");

        assertThat(keys(sm.scanPrefix(b("user/"), 10, 100))).containsExactly(b("user/1"), b("user/2"));
        ScanPage first = sm.scanPrefix(b("user"), 2, 100);
        assertThat(keys(first)).containsExactly(b("user/1"), b("user/2"));
        ScanPage second = sm.scan(KeyRange.prefix(b("user")).resumeAt(first.nextKey().orElseThrow()), 2, 100);
        assertThat(keys(second)).containsExactly(b("user0"), b("users"));
        assertThat(second.isLast()).isTrue();
    }

    @Test
    void prefixEndHandlesTrailingFfBytes() {
        assertThat(KeyRange.prefixEnd(Bytes.wrap(new byte[] {1, (byte) 0xFF}))).isEqualTo(Bytes.wrap(new byte[] {2}));
        assertThat(KeyRange.prefixEnd(Bytes.wrap(new byte[] {(byte) 0xFF, (byte) 0xFF}))).isNull();
        assertThat(KeyRange.prefixEnd(Bytes.EMPTY)).isNull();
    }

    @Test
    void expiredKeysAreSkipped() {
        putAll(1_000, 0, "a", "c", "e");
        putAll(1_000, 50, "b", "d");

        ScanPage page = sm.scan(KeyRange.all(), 2, 2_000);

        assertThat(keys(page)).containsExactly(b("a"), b("c"));
        assertThat(page.nextKey()).contains(b("d"));
        assertThat(keys(sm.scan(KeyRange.all().resumeAt(b("d")), 2, 2_000))).containsExactly(b("e"));
    }

    @Test
    void aScanStepsOverOnlyABoundedNumberOfExpiredKeysPerPage() {
        int expired = KvStateMachine.SCAN_EXPIRED_SKIP_MAX + 500;
        String[] keys = new String[expired];
        for (int i = 0; i < expired; i++) {
            keys[i] = String.format("x%05d", i);
        }
        putAll(1_000, 10, keys);
        putAll(1_000, 0, "y");

        ScanPage first = sm.scan(KeyRange.all(), 1, 5_000);
        assertThat(first.entries()).isEmpty();
        assertThat(first.nextKey()).isPresent();

        ScanPage second = sm.scan(KeyRange.all().resumeAt(first.nextKey().get()), 1, 5_000);
        assertThat(keys(second)).containsExactly(b("y"));
        assertThat(second.isLast()).isTrue();
    }

    @Test
    void scanLimitMustBeBetweenOneAndTheMaximum() {
        assertThatThrownBy(() -> sm.scan(KeyRange.all(), 0, 0))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("at least 1");
        assertThatThrownBy(() -> sm.scan(KeyRange.all(), Limits.SCAN_LIMIT_MAX_DEFAULT + 1, 0))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("scanLimitMax=10000").hasMessageContaining("10001");
    }

    @Test
    void anEmptyStoreScansToNothing() {
        ScanPage page = sm.scan(KeyRange.all(), 5, 0);

        assertThat(page.entries()).isEmpty();
        assertThat(page.nextKey()).isEqualTo(Optional.empty());
    }
}
