package io.cairn.kv.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The behaviour every {@link KvEngine} must have. An implementation's test extends this class
 * and says how to open an engine; it ships in kv-engine's test-jar so that kv-engine-rocks runs
 * the very same cases.
 */
public abstract class KvEngineContract {
    /** The key used as "no lower bound" in scans: the empty key sorts first. */
    protected static final byte[] FIRST = new byte[0];
    private static final HexFormat HEX = HexFormat.of();

    @TempDir
    protected Path tmp;

    private final List<KvEngine> opened = new ArrayList<>();

    /**
     * Opens a new, empty engine whose files (if any) live in {@code dir}, which does not exist
     * yet. Each call in a test gets its own directory.
     */
    protected abstract KvEngine openEngine(Path dir) throws IOException;

    /** Opens an engine in a fresh directory under {@link #tmp}; it is closed after the test. */
    protected final KvEngine newEngine() throws IOException {
        KvEngine engine = openEngine(tmp.resolve("engine-" + opened.size()));
        opened.add(engine);
        return engine;
    }

    @AfterEach
    final void closeEngines() {
        opened.forEach(KvEngine::close);
    }

    // ---- get, put, delete --------------------------------------------------------------------

    @Test
    void getOfMissingKeyIsNull() throws IOException {
        KvEngine engine = newEngine();

        assertThat(engine.get(utf8("absent"))).isNull();
    }

    @Test
    void putThenGetReturnsTheValue() throws IOException {
        KvEngine engine = newEngine();

        engine.write(new WriteBatch().put(utf8("k"), utf8("v")));

        assertThat(engine.get(utf8("k"))).isEqualTo(utf8("v"));
    }

    @Test
    void putOverwritesTheValue() throws IOException {
        KvEngine engine = newEngine();

        engine.write(new WriteBatch().put(utf8("k"), utf8("one")));
        engine.write(new WriteBatch().put(utf8("k"), utf8("two")));

        assertThat(engine.get(utf8("k"))).isEqualTo(utf8("two"));
    }

    @Test
    void deleteRemovesTheKey() throws IOException {
        KvEngine engine = newEngine();
        engine.write(new WriteBatch().put(utf8("k"), utf8("v")).put(utf8("other"), utf8("w")));

        engine.write(new WriteBatch().delete(utf8("k")));

        assertThat(engine.get(utf8("k"))).isNull();
        assertThat(engine.get(utf8("other"))).isEqualTo(utf8("w"));
    }

    @Test
    void deleteOfMissingKeyDoesNothing() throws IOException {
        KvEngine engine = newEngine();
        engine.write(new WriteBatch().put(utf8("k"), utf8("v")));

        engine.write(new WriteBatch().delete(utf8("absent")));

        assertThat(keysOf(engine.scan(FIRST, null, 10))).containsExactly(hex(utf8("k")));
    }

    @Test
    void emptyKeyAndEmptyValueAreStored() throws IOException {
        KvEngine engine = newEngine();

        engine.write(new WriteBatch().put(new byte[0], utf8("empty key")).put(utf8("k"), new byte[0]));

        assertThat(engine.get(new byte[0])).isEqualTo(utf8("empty key"));
        assertThat(engine.get(utf8("k"))).isEmpty();
    }

    @Test
    void engineSharesNoArraysWithTheCaller() throws IOException {
        KvEngine engine = newEngine();
        byte[] key = utf8("k");
        byte[] value = utf8("v");
        WriteBatch batch = new WriteBatch().put(key, value);
        key[0] = 'x';
        value[0] = 'x';
        engine.write(batch);
        batch.ops().get(0).key()[0] = 'y';
        batch.ops().get(0).value()[0] = 'y';

        engine.get(utf8("k"))[0] = 'z';
        engine.scan(FIRST, null, 1).get(0).value()[0] = 'z';
        engine.scan(FIRST, null, 1).get(0).key()[0] = 'z';

        assertThat(engine.get(utf8("k"))).isEqualTo(utf8("v"));
        assertThat(keysOf(engine.scan(FIRST, null, 10))).containsExactly(hex(utf8("k")));
    }

    // ---- batches -----------------------------------------------------------------------------

    @Test
    void batchAppliesItsOperationsInOrder() throws IOException {
        KvEngine engine = newEngine();

        engine.write(new WriteBatch()
                .put(utf8("a"), utf8("1")).delete(utf8("a")).put(utf8("a"), utf8("2"))
                .put(utf8("b"), utf8("1")).delete(utf8("b")));

        assertThat(engine.get(utf8("a"))).isEqualTo(utf8("2"));
        assertThat(engine.get(utf8("b"))).isNull();
    }

    @Test
    void emptyBatchChangesNothing() throws IOException {
        KvEngine engine = newEngine();
        engine.write(new WriteBatch().put(utf8("k"), utf8("v")));

        engine.write(new WriteBatch());

        assertThat(contentOf(engine)).containsExactly(hex(utf8("k")) + "=" + hex(utf8("v")));
    }

    /**
     * A ring of accounts whose balances always sum to the same total (FoundationDB's Cycle
     * idea): each batch moves an amount between two accounts, so a scan that saw part of a
     * batch would see a wrong total.
     */
    @Test
    void scanSeesEveryBatchWhole() throws IOException {
        KvEngine engine = newEngine();
        int accounts = 10;
        long total = 1_000;
        WriteBatch setup = new WriteBatch();
        for (int i = 0; i < accounts; i++) {
            setup.put(account(i), balance(total / accounts));
        }
        engine.write(setup);
        Random random = new Random(42);

        for (int round = 0; round < 300; round++) {
            int from = random.nextInt(accounts);
            int to = (from + 1 + random.nextInt(accounts - 1)) % accounts;
            long amount = random.nextInt(20);
            long fromBalance = balanceOf(engine.get(account(from)));
            long toBalance = balanceOf(engine.get(account(to)));
            engine.write(new WriteBatch()
                    .put(account(from), balance(fromBalance - amount))
                    .put(account(to), balance(toBalance + amount)));

            List<KvPair> ring = engine.scan(utf8("acct/"), utf8("acct0"), accounts + 1);
            assertThat(ring).hasSize(accounts);
            assertThat(ring.stream().mapToLong(p -> balanceOf(p.value())).sum()).isEqualTo(total);
        }
    }

    @Test
    void batchReplacingARangeShowsOnlyTheNewKeys() throws IOException {
        KvEngine engine = newEngine();
        engine.write(new WriteBatch().put(utf8("r/1"), utf8("old")).put(utf8("r/3"), utf8("old")));

        engine.write(new WriteBatch()
                .delete(utf8("r/1")).delete(utf8("r/3"))
                .put(utf8("r/2"), utf8("new")).put(utf8("r/4"), utf8("new")));

        assertThat(engine.scan(utf8("r/"), utf8("r0"), 10)).extracting(p -> new String(p.key(), StandardCharsets.UTF_8))
                .containsExactly("r/2", "r/4");
    }

    // ---- scans -------------------------------------------------------------------------------

    /** Keys in unsigned order; a signed comparison would put 0x80.. before 0x00. */
    private static final byte[][] ORDERED_KEYS = {
        bytes(), bytes(0x00), bytes(0x00, 0x00), bytes(0x01), bytes(0x61), bytes(0x61, 0x00),
        bytes(0x7F), bytes(0x7F, 0xFF), bytes(0x80), bytes(0xFE, 0xFF), bytes(0xFF), bytes(0xFF, 0x00),
        bytes(0xFF, 0xFF), bytes(0xFF, 0xFF, 0xFF),
    };

    private KvEngine engineWithOrderedKeys() throws IOException {
        KvEngine engine = newEngine();
        List<byte[]> shuffled = new ArrayList<>(List.of(ORDERED_KEYS));
        java.util.Collections.shuffle(shuffled, new Random(7));
        for (byte[] key : shuffled) {
            engine.write(new WriteBatch().put(key, key));
        }
        return engine;
    }

    private static List<String> hexes(byte[]... keys) {
        List<String> result = new ArrayList<>();
        for (byte[] key : keys) {
            result.add(hex(key));
        }
        return result;
    }

    @Test
    void scanReturnsKeysInUnsignedOrder() throws IOException {
        KvEngine engine = engineWithOrderedKeys();

        List<KvPair> all = engine.scan(FIRST, null, 100);

        assertThat(keysOf(all)).containsExactlyElementsOf(hexes(ORDERED_KEYS));
        assertThat(all).allSatisfy(p -> assertThat(p.value()).isEqualTo(p.key()));
    }

    @Test
    void scanIncludesItsLowerBoundAndExcludesItsUpperBound() throws IOException {
        KvEngine engine = engineWithOrderedKeys();

        assertThat(keysOf(engine.scan(bytes(0x7F), bytes(0xFF), 100)))
                .containsExactlyElementsOf(hexes(bytes(0x7F), bytes(0x7F, 0xFF), bytes(0x80), bytes(0xFE, 0xFF)));
        assertThat(keysOf(engine.scan(bytes(0x00), bytes(0x01), 100)))
                .containsExactlyElementsOf(hexes(bytes(0x00), bytes(0x00, 0x00)));
    }

    @Test
    void scanBoundsNeedNotBeStoredKeys() throws IOException {
        KvEngine engine = engineWithOrderedKeys();

        assertThat(keysOf(engine.scan(bytes(0x60), bytes(0x7F, 0x00), 100)))
                .containsExactlyElementsOf(hexes(bytes(0x61), bytes(0x61, 0x00), bytes(0x7F)));
    }

    @Test
    void scanWithoutUpperBoundReachesTheHighestKeys() throws IOException {
        KvEngine engine = engineWithOrderedKeys();

        assertThat(keysOf(engine.scan(bytes(0xFF), null, 100)))
                .containsExactlyElementsOf(hexes(bytes(0xFF), bytes(0xFF, 0x00), bytes(0xFF, 0xFF), bytes(0xFF, 0xFF, 0xFF)));
        assertThat(keysOf(engine.scan(bytes(0xFF, 0xFF), bytes(0xFF, 0xFF, 0xFF), 100)))
                .containsExactlyElementsOf(hexes(bytes(0xFF, 0xFF)));
    }

    @Test
    void scanStopsAtTheLimit() throws IOException {
        KvEngine engine = engineWithOrderedKeys();

        assertThat(keysOf(engine.scan(bytes(0x61), null, 3)))
                .containsExactlyElementsOf(hexes(bytes(0x61), bytes(0x61, 0x00), bytes(0x7F)));
        assertThat(engine.scan(FIRST, null, ORDERED_KEYS.length)).hasSize(ORDERED_KEYS.length);
        assertThat(engine.scan(FIRST, null, Integer.MAX_VALUE)).hasSize(ORDERED_KEYS.length);
        assertThat(engine.scan(FIRST, null, 0)).isEmpty();
    }

    @Test
    void scanOfAnEmptyOrInvertedRangeIsEmpty() throws IOException {
        KvEngine engine = engineWithOrderedKeys();

        assertThat(engine.scan(bytes(0x80), bytes(0x80), 100)).isEmpty();
        assertThat(engine.scan(bytes(0xFF), bytes(0x00), 100)).isEmpty();
        assertThat(engine.scan(bytes(0x80, 0x00), bytes(0xFE), 100)).isEmpty();
    }

    @Test
    void scanRejectsANegativeLimit() throws IOException {
        KvEngine engine = newEngine();

        assertThatThrownBy(() -> engine.scan(FIRST, null, -1)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void scanSkipsDeletedKeys() throws IOException {
        KvEngine engine = engineWithOrderedKeys();

        engine.write(new WriteBatch().delete(bytes(0x80)).delete(bytes(0xFF, 0x00)));

        assertThat(keysOf(engine.scan(bytes(0x7F, 0xFF), null, 4)))
                .containsExactlyElementsOf(hexes(bytes(0x7F, 0xFF), bytes(0xFE, 0xFF), bytes(0xFF), bytes(0xFF, 0xFF)));
    }

    // ---- flush, checkpoint, restore ----------------------------------------------------------

    @Test
    void flushKeepsTheContent() throws IOException {
        KvEngine engine = newEngine();
        writeRandomPairs(engine, 100, 1);
        List<String> before = contentOf(engine);

        engine.flush();

        assertThat(contentOf(engine)).isEqualTo(before);
    }

    @Test
    void checkpointRestoredIntoAFreshEngineGivesIdenticalContent() throws IOException {
        KvEngine source = newEngine();
        writeRandomPairs(source, 500, 2);
        Path image = tmp.resolve("images").resolve("one");

        List<Path> files = source.checkpoint(image);
        KvEngine target = newEngine();
        target.restore(image);

        assertThat(files).isNotEmpty().isSorted().allSatisfy(f -> {
            assertThat(f.isAbsolute()).isFalse();
            assertThat(image.resolve(f)).isRegularFile();
        });
        assertThat(contentOf(target)).isEqualTo(contentOf(source)).hasSizeGreaterThan(300);
    }

    @Test
    void checkpointHoldsWritesNotYetFlushed() throws IOException {
        KvEngine source = newEngine();
        source.write(new WriteBatch().put(utf8("flushed"), utf8("1")));
        source.flush();
        source.write(new WriteBatch().put(utf8("unflushed"), utf8("2")));
        Path image = tmp.resolve("image");

        source.checkpoint(image);
        KvEngine target = newEngine();
        target.restore(image);

        assertThat(target.get(utf8("unflushed"))).isEqualTo(utf8("2"));
        assertThat(target.get(utf8("flushed"))).isEqualTo(utf8("1"));
    }

    @Test
    void checkpointIsAnImageOfItsMoment() throws IOException {
        KvEngine source = newEngine();
        source.write(new WriteBatch().put(utf8("a"), utf8("before")).put(utf8("b"), utf8("before")));
        Path image = tmp.resolve("image");
        source.checkpoint(image);

        source.write(new WriteBatch().put(utf8("a"), utf8("after")).delete(utf8("b")).put(utf8("c"), utf8("after")));
        source.flush();
        KvEngine target = newEngine();
        target.restore(image);

        assertThat(contentOf(target)).containsExactly(
                hex(utf8("a")) + "=" + hex(utf8("before")), hex(utf8("b")) + "=" + hex(utf8("before")));
    }

    @Test
    void checkpointRefusesAnExistingDirectory() throws IOException {
        KvEngine engine = newEngine();
        Path existing = Files.createDirectory(tmp.resolve("existing"));

        assertThatThrownBy(() -> engine.checkpoint(existing)).isInstanceOf(FileAlreadyExistsException.class);
    }

    @Test
    void restoreReplacesTheExistingContent() throws IOException {
        KvEngine source = newEngine();
        writeRandomPairs(source, 200, 3);
        Path image = tmp.resolve("image");
        source.checkpoint(image);
        KvEngine target = newEngine();
        writeRandomPairs(target, 300, 4);
        target.write(new WriteBatch().put(utf8("only in target"), utf8("x")));
        target.flush();
        target.write(new WriteBatch().put(utf8("unflushed in target"), utf8("y")));

        target.restore(image);

        assertThat(contentOf(target)).isEqualTo(contentOf(source));
        assertThat(target.get(utf8("only in target"))).isNull();
        assertThat(target.get(utf8("unflushed in target"))).isNull();
    }

    @Test
    void restoredEngineTakesNewWrites() throws IOException {
        KvEngine source = newEngine();
        source.write(new WriteBatch().put(utf8("a"), utf8("1")));
        Path image = tmp.resolve("image");
        source.checkpoint(image);
        KvEngine target = newEngine();
        target.restore(image);

        target.write(new WriteBatch().put(utf8("b"), utf8("2")).delete(utf8("a")));
        target.flush();

        assertThat(contentOf(target)).containsExactly(hex(utf8("b")) + "=" + hex(utf8("2")));
        assertThat(source.get(utf8("a"))).isEqualTo(utf8("1"));
    }

    @Test
    void restoreFromAMissingImageFailsAndKeepsTheContent() throws IOException {
        KvEngine engine = newEngine();
        writeRandomPairs(engine, 50, 5);
        List<String> before = contentOf(engine);

        assertThatThrownBy(() -> engine.restore(tmp.resolve("no such image"))).isInstanceOf(IOException.class);

        assertThat(contentOf(engine)).isEqualTo(before);
    }

    @Test
    void restoreFromAForeignImageFailsAndKeepsTheContent() throws IOException {
        KvEngine engine = newEngine();
        writeRandomPairs(engine, 50, 6);
        List<String> before = contentOf(engine);
        Path foreign = Files.createDirectory(tmp.resolve("foreign"));
        Files.write(foreign.resolve("CURRENT"), utf8("not a real image\n"));
        Files.write(foreign.resolve(MemoryKvEngine.CHECKPOINT_FILE), utf8("not a real image either"));

        assertThatThrownBy(() -> engine.restore(foreign)).isInstanceOf(IOException.class);

        assertThat(contentOf(engine)).isEqualTo(before);
        engine.write(new WriteBatch().put(utf8("still"), utf8("writable")));
        assertThat(engine.get(utf8("still"))).isEqualTo(utf8("writable"));
    }

    // ---- size and lifecycle ------------------------------------------------------------------

    @Test
    void approximateSizeGrowsWithTheData() throws IOException {
        KvEngine engine = newEngine();
        long emptyBytes = engine.approximateSizeBytes();

        writeRandomPairs(engine, 1_000, 8);
        engine.flush();

        // About 1,000 random 100-byte values: incompressible, so at least half must show.
        assertThat(engine.approximateSizeBytes()).isGreaterThan(emptyBytes + 50_000);
    }

    @Test
    void closeIsIdempotentAndLaterCallsFail() throws IOException {
        KvEngine engine = newEngine();
        engine.write(new WriteBatch().put(utf8("k"), utf8("v")));

        engine.close();
        engine.close();

        assertThatThrownBy(() -> engine.get(utf8("k"))).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> engine.write(new WriteBatch())).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> engine.scan(FIRST, null, 1)).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(engine::flush).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> engine.checkpoint(tmp.resolve("image"))).isInstanceOf(IllegalStateException.class);
    }

    // ---- helpers for subclasses --------------------------------------------------------------

    /**
     * Writes {@code count} pairs with random keys (0xFF bytes included) and random 100-byte
     * values, in batches of up to 16, then deletes about a tenth of them. Same seed, same pairs.
     */
    protected static void writeRandomPairs(KvEngine engine, int count, long seed) {
        Random random = new Random(seed);
        List<byte[]> keys = new ArrayList<>(count);
        WriteBatch batch = new WriteBatch();
        for (int i = 0; i < count; i++) {
            byte[] key = new byte[1 + random.nextInt(12)];
            random.nextBytes(key);
            if (random.nextInt(4) == 0) {
                key[0] = (byte) 0xFF;
            }
            byte[] value = new byte[100];
            random.nextBytes(value);
            batch.put(key, value);
            keys.add(key);
            if (batch.size() == 16) {
                engine.write(batch);
                batch = new WriteBatch();
            }
        }
        engine.write(batch);
        WriteBatch deletes = new WriteBatch();
        for (int i = 0; i < count / 10; i++) {
            deletes.delete(keys.get(random.nextInt(keys.size())));
        }
        engine.write(deletes);
    }

    /** Every pair as "keyhex=valuehex", in scan order. */
    protected static List<String> contentOf(KvEngine engine) {
        List<String> result = new ArrayList<>();
        for (KvPair pair : engine.scan(FIRST, null, Integer.MAX_VALUE)) {
            result.add(hex(pair.key()) + "=" + hex(pair.value()));
        }
        return result;
    }

    protected static List<String> keysOf(List<KvPair> pairs) {
        return pairs.stream().map(p -> hex(p.key())).toList();
    }

    protected static String hex(byte[] bytes) {
        return HEX.formatHex(bytes);
    }

    protected static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    /** The bytes given as ints 0..255, for readable 0xFF literals. */
    protected static byte[] bytes(int... unsignedBytes) {
        byte[] result = new byte[unsignedBytes.length];
        for (int i = 0; i < unsignedBytes.length; i++) {
            result[i] = (byte) unsignedBytes[i];
        }
        return result;
    }

    private static byte[] account(int i) {
        return utf8(String.format("acct/%03d", i));
    }

    private static byte[] balance(long amount) {
        return utf8(Long.toString(amount));
    }

    private static long balanceOf(byte[] value) {
        return Long.parseLong(new String(value, StandardCharsets.UTF_8));
    }
}
