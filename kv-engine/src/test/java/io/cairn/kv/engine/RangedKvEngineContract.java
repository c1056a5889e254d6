package io.cairn.kv.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The behaviour every {@link RangedKvEngine} must have, on top of {@link KvEngineContract}. It
 * ships in kv-engine's test-jar like its parent, so every engine module runs the same cases.
 *
 * <p>Most cases use one range, {@link #FROM} to {@link #TO}, with stored keys right at and just
 * beside both bounds; the bounds straddle 0x7F/0x80 so that a signed comparison anywhere would
 * put keys on the wrong side.
 */
public abstract class RangedKvEngineContract extends KvEngineContract {
    protected static final byte[] FROM = bytes(0x7F, 0xFF);
    protected static final byte[] TO = bytes(0x80, 0x00);

    /** Stored keys below {@link #FROM}, ascending; the last two sort just below it. */
    private static final byte[][] BELOW = {
        bytes(), bytes(0x00), bytes(0x7F), bytes(0x7F, 0xFE), bytes(0x7F, 0xFE, 0xFF, 0xFF),
    };
    /** Stored keys of the range, ascending: its first key is {@link #FROM} itself. */
    private static final byte[][] INSIDE = {
        bytes(0x7F, 0xFF), bytes(0x7F, 0xFF, 0x00), bytes(0x7F, 0xFF, 0xFF, 0xFF), bytes(0x80),
    };
    /** Stored keys at or above {@link #TO}, ascending: the first is {@link #TO} itself. */
    private static final byte[][] ABOVE = {
        bytes(0x80, 0x00), bytes(0x80, 0x00, 0x00), bytes(0x80, 0x01), bytes(0xFF), bytes(0xFF, 0xFF, 0xFF),
    };

    private final List<KvEngine> reopened = new ArrayList<>();

    /**
     * Opens a new, empty engine whose files (if any) live in {@code dir}, which does not exist
     * yet. Where the engine can be told to, its {@link KvEngine#close()} must lose unflushed
     * writes as a crash would, so that {@link #loseUnflushedWrites} can simulate a crash by a
     * close and a reopen.
     */
    protected abstract RangedKvEngine openRanged(Path dir) throws IOException;

    /**
     * Simulates a crash and restart of an engine {@link #openRanged} opened: returns the engine
     * as it comes back, holding only what had been made durable. It may be the same object; the
     * argument is not used afterwards.
     */
    protected abstract RangedKvEngine loseUnflushedWrites(RangedKvEngine engine) throws IOException;

    /** The name of the file a range image of this engine holds, so a test can plant a damaged one. */
    protected abstract String rangeImageFileName();

    @Override
    protected final KvEngine openEngine(Path dir) throws IOException {
        return openRanged(dir);
    }

    /** A fresh engine from {@link #newEngine()}, closed after the test. */
    protected final RangedKvEngine newRanged() throws IOException {
        return (RangedKvEngine) newEngine();
    }

    /** {@link #loseUnflushedWrites} for the tests here; the engine that comes back is closed after the test. */
    protected final RangedKvEngine crash(RangedKvEngine engine) throws IOException {
        RangedKvEngine back = loseUnflushedWrites(engine);
        reopened.add(back);
        return back;
    }

    @AfterEach
    final void closeReopenedEngines() {
        reopened.forEach(KvEngine::close);
    }

    // ---- deleteRange -------------------------------------------------------------------------

    @Test
    void deleteRangeRemovesExactlyTheRangeAndKeepsItsNeighbours() throws IOException {
        RangedKvEngine engine = engineWithKeysAroundTheRange("old");

        engine.deleteRange(FROM, TO);

        assertThat(contentOf(engine)).containsExactlyElementsOf(concat(pairs("old", BELOW), pairs("old", ABOVE)));
    }

    @Test
    void deleteRangeRemovesWritesNotYetFlushedToo() throws IOException {
        RangedKvEngine engine = engineWithKeysAroundTheRange("old");
        engine.flush();
        engine.write(new WriteBatch().put(bytes(0x7F, 0xFF, 0x01), utf8("unflushed")).put(INSIDE[0], utf8("new")));

        engine.deleteRange(FROM, TO);

        assertThat(engine.scan(FROM, TO, 100)).isEmpty();
        assertThat(contentOf(engine)).containsExactlyElementsOf(concat(pairs("old", BELOW), pairs("old", ABOVE)));
    }

    @Test
    void deleteRangeOfARangeWithoutKeysChangesNothing() throws IOException {
        RangedKvEngine engine = engineWithKeysAroundTheRange("old");
        List<String> before = contentOf(engine);

        // Bounds hugging stored keys from both sides: {7F FF 00} sorts below, {7F FF FF FF} is the excluded end.
        engine.deleteRange(bytes(0x7F, 0xFF, 0x00, 0x00), bytes(0x7F, 0xFF, 0xFF, 0xFF));
        engine.deleteRange(bytes(0xFF, 0xFF, 0xFF, 0x00), bytes(0xFF, 0xFF, 0xFF, 0xFF));
        newRanged().deleteRange(FROM, TO);

        assertThat(contentOf(engine)).isEqualTo(before);
    }

    @Test
    void aRangeMayStartAtTheEmptyKeyAndEndAtTheHighestKeys() throws IOException {
        RangedKvEngine engine = engineWithKeysAroundTheRange("old");

        engine.deleteRange(bytes(), bytes(0x00));
        engine.deleteRange(bytes(0xFF, 0xFF), bytes(0xFF, 0xFF, 0xFF, 0xFF));

        List<String> expected = new ArrayList<>(contentOf(engineWithKeysAroundTheRange("old")));
        expected.remove(pair("old", bytes()));
        expected.remove(pair("old", bytes(0xFF, 0xFF, 0xFF)));
        assertThat(contentOf(engine)).isEqualTo(expected);
    }

    @Test
    void writesAfterADeleteRangeAreSeen() throws IOException {
        RangedKvEngine engine = engineWithKeysAroundTheRange("old");
        engine.deleteRange(FROM, TO);

        engine.write(new WriteBatch().put(INSIDE[1], utf8("again")));
        engine.flush();

        assertThat(keysOf(engine.scan(FROM, TO, 100))).containsExactly(hex(INSIDE[1]));
        assertThat(engine.get(INSIDE[1])).isEqualTo(utf8("again"));
    }

    @Test
    void deleteRangeIsDurableOnceFlushed() throws IOException {
        RangedKvEngine engine = engineWithKeysAroundTheRange("old");
        engine.flush();
        engine.deleteRange(FROM, TO);
        engine.flush();

        RangedKvEngine back = crash(engine);

        assertThat(contentOf(back)).containsExactlyElementsOf(concat(pairs("old", BELOW), pairs("old", ABOVE)));
    }

    @Test
    void badBoundsAreBadArgumentsAndChangeNothing() throws IOException {
        RangedKvEngine engine = engineWithKeysAroundTheRange("old");
        Path image = tmp.resolve("image");
        engine.exportRange(FROM, TO, image);
        engine.write(new WriteBatch().put(INSIDE[0], utf8("changed after the export")));
        List<String> before = contentOf(engine);
        Path notCreated = tmp.resolve("not created");
        byte[][][] nullBounds = {{null, TO}, {FROM, null}, {null, null}};
        // Equal bounds, inverted ones, and inverted ones that a signed comparison would take for ordered.
        byte[][][] emptyBounds = {{FROM, FROM}, {TO, FROM}, {bytes(0x80), bytes(0x7F)}, {bytes(0x00), bytes()}};

        for (byte[][] b : nullBounds) {
            assertThatThrownBy(() -> engine.deleteRange(b[0], b[1])).isInstanceOf(NullPointerException.class);
            assertThatThrownBy(() -> engine.exportRange(b[0], b[1], notCreated)).isInstanceOf(NullPointerException.class);
            assertThatThrownBy(() -> engine.importRange(b[0], b[1], image)).isInstanceOf(NullPointerException.class);
            assertThatThrownBy(() -> engine.approximateSizeBytes(b[0], b[1])).isInstanceOf(NullPointerException.class);
        }
        for (byte[][] b : emptyBounds) {
            assertThatThrownBy(() -> engine.deleteRange(b[0], b[1])).isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> engine.exportRange(b[0], b[1], notCreated)).isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> engine.importRange(b[0], b[1], image)).isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> engine.approximateSizeBytes(b[0], b[1])).isInstanceOf(IllegalArgumentException.class);
        }
        assertThatThrownBy(() -> engine.exportRange(FROM, TO, null)).isInstanceOf(NullPointerException.class);
        assertThatThrownBy(() -> engine.importRange(FROM, TO, null)).isInstanceOf(NullPointerException.class);

        assertThat(contentOf(engine)).isEqualTo(before);
        assertThat(notCreated).doesNotExist();
    }

    // ---- exportRange -------------------------------------------------------------------------

    @Test
    void exportRangeHoldsOnlyTheRangeAndWritesNotYetFlushed() throws IOException {
        RangedKvEngine source = engineWithKeysAroundTheRange("old");
        source.flush();
        byte[] unflushedKey = bytes(0x7F, 0xFF, 0x80);
        source.write(new WriteBatch().put(unflushedKey, value("unflushed", unflushedKey)).put(INSIDE[3], utf8("rewritten"))
                .put(bytes(0x7F, 0xFE, 0xFF, 0xFF, 0xFF), utf8("unflushed, below")).put(TO, utf8("unflushed, at the end")));
        List<String> range = contentIn(source, FROM, TO);
        Path image = tmp.resolve("image");

        List<Path> files = source.exportRange(FROM, TO, image);
        RangedKvEngine target = newRanged();
        target.importRange(FROM, TO, image);

        assertThat(files).isNotEmpty().isSorted().allSatisfy(f -> {
            assertThat(f.isAbsolute()).isFalse();
            assertThat(image.resolve(f)).isRegularFile();
        });
        assertThat(range).contains(pair("unflushed", unflushedKey)).hasSize(INSIDE.length + 1);
        assertThat(contentOf(target)).isEqualTo(range);
    }

    @Test
    void exportRangeIsAnImageOfItsMoment() throws IOException {
        RangedKvEngine source = engineWithKeysAroundTheRange("old");
        Path image = tmp.resolve("image");
        source.exportRange(FROM, TO, image);

        source.write(new WriteBatch().put(INSIDE[0], utf8("later")).delete(INSIDE[1]).put(bytes(0x7F, 0xFF, 0x10), utf8("x")));
        source.deleteRange(bytes(0x7F, 0xFF, 0xFF), TO);
        source.flush();
        RangedKvEngine target = newRanged();
        target.importRange(FROM, TO, image);

        assertThat(contentOf(target)).containsExactlyElementsOf(pairs("old", INSIDE));
    }

    @Test
    void aCapturedRangeIsAnImageOfItsCaptureWrittenAfterLaterWrites() throws IOException {
        RangedKvEngine source = engineWithKeysAroundTheRange("old");
        Path image = tmp.resolve("image");
        List<Path> files;
        try (RangeImage captured = source.captureRange(FROM, TO)) {
            source.write(new WriteBatch().put(INSIDE[0], utf8("later")).delete(INSIDE[1]).put(bytes(0x7F, 0xFF, 0x10), utf8("x")));
            source.deleteRange(bytes(0x7F, 0xFF, 0xFF), TO);
            source.flush();
            files = captured.writeTo(image);
        }
        RangedKvEngine target = newRanged();
        target.importRange(FROM, TO, image);

        assertThat(files).isNotEmpty();
        assertThat(contentOf(target)).containsExactlyElementsOf(pairs("old", INSIDE));
        assertThat(source.get(INSIDE[0])).as("the source moved on").isEqualTo(utf8("later"));
    }

    @Test
    void exportOfARangeWithoutKeysWritesNoFilesAndImportingItClearsTheRange() throws IOException {
        RangedKvEngine source = newRanged();
        writeKeys(source, "source", BELOW);
        writeKeys(source, "source", ABOVE);
        Path image = tmp.resolve("image");

        List<Path> files = source.exportRange(FROM, TO, image);
        RangedKvEngine target = engineWithKeysAroundTheRange("target");
        target.importRange(FROM, TO, image);

        assertThat(files).isEmpty();
        assertThat(contentOf(target)).containsExactlyElementsOf(concat(pairs("target", BELOW), pairs("target", ABOVE)));
    }

    @Test
    void exportRangeRefusesAnExistingDirectory() throws IOException {
        RangedKvEngine engine = engineWithKeysAroundTheRange("old");
        Path existing = Files.createDirectory(tmp.resolve("existing"));
        Files.writeString(existing.resolve("someone else's"), "kept");

        assertThatThrownBy(() -> engine.exportRange(FROM, TO, existing)).isInstanceOf(FileAlreadyExistsException.class);

        try (var files = Files.list(existing)) {
            assertThat(files).containsExactly(existing.resolve("someone else's"));
        }
        assertThat(Files.readString(existing.resolve("someone else's"))).isEqualTo("kept");
    }

    @Test
    void exportRangeCreatesMissingParentDirectories() throws IOException {
        RangedKvEngine engine = engineWithKeysAroundTheRange("old");
        Path image = tmp.resolve("a").resolve("b").resolve("image");

        List<Path> files = engine.exportRange(FROM, TO, image);

        assertThat(files).isNotEmpty().allSatisfy(f -> assertThat(image.resolve(f)).isRegularFile());
    }

    // ---- importRange -------------------------------------------------------------------------

    @Test
    void importRangeReplacesOnlyThatRange() throws IOException {
        RangedKvEngine source = newRanged();
        // The first and last share old keys (new values); the old keys between them must go.
        byte[][] sourceKeys = {INSIDE[0], bytes(0x7F, 0xFF, 0x42), INSIDE[3]};
        writeKeys(source, "new", sourceKeys);
        writeKeys(source, "source only, outside", BELOW[1], ABOVE[2]);
        Path image = tmp.resolve("image");
        source.exportRange(FROM, TO, image);
        RangedKvEngine target = engineWithKeysAroundTheRange("old");
        target.flush();
        target.write(new WriteBatch()
                .put(bytes(0x7F, 0xFF, 0x00, 0x01), utf8("unflushed, inside"))
                .put(INSIDE[1], utf8("unflushed rewrite, inside"))
                .put(BELOW[4], value("unflushed, below", BELOW[4]))
                .put(bytes(0x80, 0x00, 0x01), value("unflushed, above", bytes(0x80, 0x00, 0x01))));

        target.importRange(FROM, TO, image);

        List<String> expected = new ArrayList<>(pairs("old", BELOW));
        expected.set(BELOW.length - 1, pair("unflushed, below", BELOW[4]));
        expected.addAll(pairs("new", sourceKeys));
        expected.addAll(pairs("old", ABOVE[0], ABOVE[1]));
        expected.add(pair("unflushed, above", bytes(0x80, 0x00, 0x01)));
        expected.addAll(pairs("old", ABOVE[2], ABOVE[3], ABOVE[4]));
        assertThat(contentOf(target)).isEqualTo(expected);
    }

    @Test
    void importedRangeTakesNewWritesAndDeletes() throws IOException {
        RangedKvEngine source = engineWithKeysAroundTheRange("imported");
        Path image = tmp.resolve("image");
        source.exportRange(FROM, TO, image);
        RangedKvEngine target = newRanged();
        target.importRange(FROM, TO, image);

        target.write(new WriteBatch().put(INSIDE[0], value("rewritten", INSIDE[0])).delete(INSIDE[1])
                .put(bytes(0x7F, 0xFF, 0x10), value("new", bytes(0x7F, 0xFF, 0x10))));
        target.flush();
        target.deleteRange(INSIDE[2], TO);

        assertThat(contentIn(target, FROM, TO))
                .containsExactly(pair("rewritten", INSIDE[0]), pair("new", bytes(0x7F, 0xFF, 0x10)));
    }

    @Test
    void importRangeOnlyReadsTheImage() throws IOException {
        RangedKvEngine source = engineWithKeysAroundTheRange("imported");
        Path image = tmp.resolve("image");
        List<Path> files = source.exportRange(FROM, TO, image);
        List<byte[]> bytesBefore = new ArrayList<>();
        for (Path f : files) {
            bytesBefore.add(Files.readAllBytes(image.resolve(f)));
        }

        RangedKvEngine first = newRanged();
        first.importRange(FROM, TO, image);
        first.deleteRange(FROM, TO);
        first.flush();
        RangedKvEngine second = newRanged();
        second.importRange(FROM, TO, image);

        try (var listing = Files.list(image)) {
            assertThat(listing.map(image::relativize).sorted().toList()).isEqualTo(files);
        }
        for (int i = 0; i < files.size(); i++) {
            assertThat(Files.readAllBytes(image.resolve(files.get(i)))).isEqualTo(bytesBefore.get(i));
        }
        assertThat(contentOf(second)).containsExactlyElementsOf(pairs("imported", INSIDE));
    }

    @Test
    void importOfAnImageOfAnotherRangeIsRefusedAndChangesNothing() throws IOException {
        RangedKvEngine source = engineWithKeysAroundTheRange("source");
        Path wider = tmp.resolve("wider");
        source.exportRange(bytes(0x7F), bytes(0x80, 0x01), wider);
        Path above = tmp.resolve("above");
        source.exportRange(TO, bytes(0xFF), above);
        Path below = tmp.resolve("below");
        source.exportRange(bytes(0x00), FROM, below);
        RangedKvEngine target = engineWithKeysAroundTheRange("target");
        target.flush();
        target.write(new WriteBatch().put(INSIDE[2], utf8("unflushed")));
        List<String> before = contentOf(target);

        for (Path image : List.of(wider, above, below)) {
            assertThatThrownBy(() -> target.importRange(FROM, TO, image)).isInstanceOf(IOException.class);
        }

        assertThat(contentOf(target)).isEqualTo(before);
        target.write(new WriteBatch().put(INSIDE[3], utf8("still writable")));
        assertThat(target.get(INSIDE[3])).isEqualTo(utf8("still writable"));
    }

    @Test
    void importOfADamagedImageIsRefusedAndChangesNothing() throws IOException {
        RangedKvEngine source = newRanged();
        writeRandomPairsIn(source, FROM, 200, 1);
        Path good = tmp.resolve("good");
        source.exportRange(FROM, TO, good);
        byte[] goodBytes = Files.readAllBytes(good.resolve(rangeImageFileName()));
        RangedKvEngine target = engineWithKeysAroundTheRange("target");
        List<String> before = contentOf(target);

        byte[] flipped = goodBytes.clone();
        flipped[flipped.length / 3] ^= 0x55;
        List<byte[]> damages = List.of(
                utf8("not a range image at all"),
                new byte[0],
                Arrays.copyOf(goodBytes, goodBytes.length / 2),
                Arrays.copyOf(goodBytes, goodBytes.length - 1),
                flipped);
        for (int i = 0; i < damages.size(); i++) {
            Path damaged = Files.createDirectory(tmp.resolve("damaged-" + i));
            Files.write(damaged.resolve(rangeImageFileName()), damages.get(i));
            assertThatThrownBy(() -> target.importRange(FROM, TO, damaged))
                    .as("damage %s", i)
                    .isInstanceOf(IOException.class);
        }

        assertThat(contentOf(target)).isEqualTo(before);
    }

    /**
     * A directory holding files but none of this engine's range image (here what a RocksDB
     * checkpoint holds) is foreign, not an empty image: taking it for one would wipe the range.
     */
    @Test
    void importOfAForeignImageIsRefusedAndChangesNothing() throws IOException {
        RangedKvEngine target = engineWithKeysAroundTheRange("target");
        List<String> before = contentOf(target);
        Path foreign = Files.createDirectory(tmp.resolve("foreign"));
        Files.writeString(foreign.resolve("CURRENT"), "MANIFEST-000005\n");
        Files.write(foreign.resolve("MANIFEST-000005"), utf8("not a manifest"));
        Files.write(foreign.resolve("000007.sst"), utf8("not a table"));

        assertThatThrownBy(() -> target.importRange(FROM, TO, foreign)).isInstanceOf(IOException.class);

        assertThat(contentOf(target)).isEqualTo(before);
    }

    @Test
    void importFromAMissingDirectoryFailsAndChangesNothing() throws IOException {
        RangedKvEngine target = engineWithKeysAroundTheRange("target");
        List<String> before = contentOf(target);
        Path missing = tmp.resolve("no such image");

        assertThatThrownBy(() -> target.importRange(FROM, TO, missing)).isInstanceOf(IOException.class);

        assertThat(contentOf(target)).isEqualTo(before);
        assertThat(missing).doesNotExist();
    }

    @Test
    void afterImportRangeTheNewRangeAndEveryEarlierWriteAreDurable() throws IOException {
        RangedKvEngine source = engineWithKeysAroundTheRange("imported");
        Path image = tmp.resolve("image");
        source.exportRange(FROM, TO, image);
        RangedKvEngine target = newRanged();
        writeKeys(target, "flushed", BELOW);
        target.flush();
        writeKeys(target, "unflushed", ABOVE);
        target.write(new WriteBatch().put(BELOW[0], value("unflushed rewrite", BELOW[0])).put(INSIDE[1], utf8("replaced")));

        target.importRange(FROM, TO, image);
        RangedKvEngine back = crash(target);

        List<String> expected = new ArrayList<>(pairs("flushed", BELOW));
        expected.set(0, pair("unflushed rewrite", BELOW[0]));
        expected.addAll(pairs("imported", INSIDE));
        expected.addAll(pairs("unflushed", ABOVE));
        assertThat(contentOf(back)).isEqualTo(expected);

        // The crash the hook simulates must be real: a write left unflushed now is lost.
        back.write(new WriteBatch().put(ABOVE[0], utf8("lost")).put(INSIDE[0], utf8("lost")));
        RangedKvEngine again = crash(back);
        assertThat(contentOf(again)).isEqualTo(expected);
    }

    // ---- approximate size --------------------------------------------------------------------

    @Test
    void approximateSizeOfARangeGrowsWithItsDataAndNotWithDataOutsideIt() throws IOException {
        RangedKvEngine engine = newRanged();
        long emptyRange = engine.approximateSizeBytes(FROM, TO);

        // About 1,000 random 100-byte values on each side: incompressible, so they must show in the total.
        writeRandomPairsIn(engine, bytes(0x7F, 0xFE), 1_000, 1);
        writeRandomPairsIn(engine, TO, 1_000, 2);
        engine.flush();
        long withNeighbours = engine.approximateSizeBytes(FROM, TO);
        writeRandomPairsIn(engine, FROM, 1_000, 3);
        engine.flush();
        long withData = engine.approximateSizeBytes(FROM, TO);

        assertThat(engine.approximateSizeBytes()).isGreaterThan(3 * 50_000L);
        // A range between neighbours in one file may be charged a block or so of them, no more.
        assertThat(withNeighbours).isLessThan(emptyRange + 10_000);
        assertThat(withData).isGreaterThan(withNeighbours + 50_000).isLessThan(engine.approximateSizeBytes());
    }

    // ---- lifecycle ---------------------------------------------------------------------------

    @Test
    void rangeMethodsFailOnceClosed() throws IOException {
        RangedKvEngine source = engineWithKeysAroundTheRange("imported");
        Path image = tmp.resolve("image");
        source.exportRange(FROM, TO, image);
        RangedKvEngine engine = newRanged();
        engine.close();

        assertThatThrownBy(() -> engine.deleteRange(FROM, TO)).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> engine.exportRange(FROM, TO, tmp.resolve("export"))).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> engine.importRange(FROM, TO, image)).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> engine.approximateSizeBytes(FROM, TO)).isInstanceOf(IllegalStateException.class);
        assertThat(tmp.resolve("export")).doesNotExist();
    }

    // ---- helpers -----------------------------------------------------------------------------

    /** An engine holding every key of BELOW, INSIDE and ABOVE, each valued "tag hexkey"; not flushed. */
    private RangedKvEngine engineWithKeysAroundTheRange(String tag) throws IOException {
        RangedKvEngine engine = newRanged();
        writeKeys(engine, tag, BELOW);
        writeKeys(engine, tag, INSIDE);
        writeKeys(engine, tag, ABOVE);
        return engine;
    }

    private static void writeKeys(KvEngine engine, String tag, byte[]... keys) {
        WriteBatch batch = new WriteBatch();
        for (byte[] key : keys) {
            batch.put(key, value(tag, key));
        }
        engine.write(batch);
    }

    private static byte[] value(String tag, byte[] key) {
        return utf8(tag + " " + hex(key));
    }

    private static String pair(String tag, byte[] key) {
        return hex(key) + "=" + hex(value(tag, key));
    }

    private static List<String> pairs(String tag, byte[]... keys) {
        List<String> result = new ArrayList<>();
        for (byte[] key : keys) {
            result.add(pair(tag, key));
        }
        return result;
    }

    private static List<String> concat(List<String> first, List<String> second) {
        List<String> result = new ArrayList<>(first);
        result.addAll(second);
        return result;
    }

    /** The pairs of {@code [from, to)} as "keyhex=valuehex", in scan order. */
    protected static List<String> contentIn(KvEngine engine, byte[] from, byte[] to) {
        List<String> result = new ArrayList<>();
        for (KvPair pair : engine.scan(from, to, Integer.MAX_VALUE)) {
            result.add(hex(pair.key()) + "=" + hex(pair.value()));
        }
        return result;
    }

    /** {@code count} pairs of random keys that start with {@code prefix}, with random 100-byte values. */
    protected static void writeRandomPairsIn(KvEngine engine, byte[] prefix, int count, long seed) {
        Random random = new Random(seed);
        WriteBatch batch = new WriteBatch();
        for (int i = 0; i < count; i++) {
            byte[] key = Arrays.copyOf(prefix, prefix.length + 8);
            byte[] suffix = new byte[8];
            random.nextBytes(suffix);
            System.arraycopy(suffix, 0, key, prefix.length, suffix.length);
            byte[] value = new byte[100];
            random.nextBytes(value);
            batch.put(key, value);
            if (batch.size() == 64) {
                engine.write(batch);
                batch = new WriteBatch();
            }
        }
        engine.write(batch);
    }
}
