package io.cairn.kv.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * {@link PrefixedKvEngine} passes the whole {@link KvEngineContract} while other replicas' data
 * sits right around its range, and never touches that data.
 *
 * <p>Every engine the contract opens is a view with the same {@link #PREFIX}, each over a shared
 * engine of its own: the contract restores one engine's image into another, and an image holds
 * its keys as the shared engine does, so only a view of the same prefix can take it. After each
 * test every shared engine must still hold exactly its {@link #NEIGHBOURS}.
 *
 * <p>The shared engine here is a {@link MemoryKvEngine}; kv-engine-rocks extends this class to run
 * the same cases over a RocksDB one.
 */
public class PrefixedKvEngineTest extends KvEngineContract {
    /** The prefix of every view the contract opens. */
    protected static final byte[] PREFIX = bytes(0x01, 0x05);
    /** Other replicas' prefixes, for the tests that need views side by side. */
    protected static final byte[] OTHER = bytes(0x01, 0x07);
    private static final byte[] LOW = bytes(0x01, 0x03);
    /** A prefix ending in 0xFF, whose range ends at {0x02}. */
    private static final byte[] EDGE = bytes(0x01, 0xFF);
    private static final List<byte[]> VIEW_PREFIXES = List.of(PREFIX, OTHER, LOW, EDGE);

    /**
     * Keys of no view, each written to every shared engine: the ends of the key space, prefixes
     * of view prefixes, and keys right below and at the end of the ranges of PREFIX and EDGE.
     * None starts with a view prefix.
     */
    protected static final byte[][] NEIGHBOURS = {
        bytes(), bytes(0x00), bytes(0x01), bytes(0x01, 0x04), bytes(0x01, 0x04, 0xFF, 0xFF), bytes(0x01, 0x06),
        bytes(0x01, 0x06, 0x00), bytes(0x01, 0xFE, 0xFF), bytes(0x02), bytes(0xFF, 0xFF),
    };

    private final List<RangedKvEngine> sharedEngines = new ArrayList<>();

    /**
     * Opens a new, empty shared engine in {@code dir}, which does not exist yet. Where it can be
     * told to, its close must lose unflushed writes as a crash would.
     */
    protected RangedKvEngine openShared(Path dir) throws IOException {
        return new MemoryKvEngine();
    }

    /**
     * Simulates a crash and restart of a shared engine {@link #openShared} opened; returns it as
     * it comes back, holding only what had been made durable. It may be the same object.
     */
    protected RangedKvEngine loseUnflushedWrites(RangedKvEngine shared) throws IOException {
        ((MemoryKvEngine) shared).loseUnflushedWrites();
        return shared;
    }

    @Override
    protected final KvEngine openEngine(Path dir) throws IOException {
        return new PrefixedKvEngine(newShared(dir), PREFIX);
    }

    /** A shared engine holding the neighbours, half of them flushed; checked and closed after the test. */
    protected final RangedKvEngine newShared(Path dir) throws IOException {
        RangedKvEngine shared = openShared(dir);
        sharedEngines.add(shared);
        int half = NEIGHBOURS.length / 2;
        shared.write(neighbourBatch(0, half));
        shared.flush();
        // Unflushed ones too: a view's flush, restore or deleteAll must not lose or expose them.
        shared.write(neighbourBatch(half, NEIGHBOURS.length));
        return shared;
    }

    private RangedKvEngine newShared() throws IOException {
        return newShared(tmp.resolve("shared-" + sharedEngines.size()));
    }

    /** {@link #loseUnflushedWrites} on a shared engine from {@link #newShared}, which it replaces. */
    protected final RangedKvEngine crash(RangedKvEngine shared) throws IOException {
        int index = -1;
        for (int i = 0; i < sharedEngines.size(); i++) {
            if (sharedEngines.get(i) == shared) {
                index = i;
            }
        }
        RangedKvEngine back = loseUnflushedWrites(shared);
        sharedEngines.set(index, back);
        return back;
    }

    @AfterEach
    final void neighboursAreIntactAndSharedEnginesClose() {
        try {
            for (RangedKvEngine shared : sharedEngines) {
                assertThat(neighbourContent(shared)).as("keys of no view in %s", shared).isEqualTo(expectedNeighbours());
            }
        } finally {
            sharedEngines.forEach(KvEngine::close);
        }
    }

    // ---- the view stays in its range ---------------------------------------------------------

    @Test
    void scanWithoutAnUpperBoundStopsAtTheEndOfTheView() throws IOException {
        PrefixedKvEngine view = new PrefixedKvEngine(newShared(), PREFIX);
        assertThat(view.scan(FIRST, null, 100)).isEmpty();
        assertThat(view.get(FIRST)).isNull();

        view.write(new WriteBatch().put(bytes(), utf8("first")).put(bytes(0xFF), utf8("x")).put(bytes(0xFF, 0xFF, 0xFF), utf8("last")));

        assertThat(keysOf(view.scan(FIRST, null, 100))).containsExactly(hex(bytes()), hex(bytes(0xFF)), hex(bytes(0xFF, 0xFF, 0xFF)));
        assertThat(keysOf(view.scan(bytes(0xFF, 0xFF), null, 100))).containsExactly(hex(bytes(0xFF, 0xFF, 0xFF)));
        assertThat(keysOf(view.scan(bytes(0x00), bytes(0xFF, 0xFF), 100))).containsExactly(hex(bytes(0xFF)));
    }

    @Test
    void writesThroughTheViewNeverReachNeighbours() throws IOException {
        RangedKvEngine shared = newShared();
        PrefixedKvEngine view = new PrefixedKvEngine(shared, PREFIX);
        // Keys spelled like the neighbours' own: the view must store them under its prefix.
        WriteBatch deletes = new WriteBatch();
        WriteBatch puts = new WriteBatch();
        for (byte[] key : NEIGHBOURS) {
            deletes.delete(key);
            puts.put(key, utf8("view"));
        }

        view.write(deletes);
        view.write(puts);
        view.flush();

        assertThat(keysOf(view.scan(FIRST, null, 100))).containsExactlyElementsOf(hexes(NEIGHBOURS));
        assertThat(shared.get(concat(PREFIX, bytes(0x01, 0x06)))).isEqualTo(utf8("view"));
        assertThat(neighbourContent(shared)).isEqualTo(expectedNeighbours());
    }

    @Test
    void restoreReplacesOnlyTheViewsRange() throws IOException {
        PrefixedKvEngine source = new PrefixedKvEngine(newShared(), PREFIX);
        source.write(new WriteBatch().put(utf8("new"), utf8("1")).put(bytes(0xFF), utf8("2")));
        Path image = tmp.resolve("image");
        source.checkpoint(image);
        RangedKvEngine shared = newShared();
        PrefixedKvEngine view = new PrefixedKvEngine(shared, PREFIX);
        PrefixedKvEngine other = new PrefixedKvEngine(shared, OTHER);
        view.write(new WriteBatch().put(utf8("old"), utf8("gone")).put(bytes(), utf8("gone too")));
        other.write(new WriteBatch().put(utf8("old"), utf8("kept")).put(bytes(), utf8("kept too")));

        view.restore(image);

        assertThat(contentOf(view)).isEqualTo(contentOf(source));
        assertThat(contentOf(other)).containsExactly(
                hex(bytes()) + "=" + hex(utf8("kept too")), hex(utf8("old")) + "=" + hex(utf8("kept")));
    }

    @Test
    void restoreOfAnImageExportedByAViewOfAnotherPrefixIsRefusedAndChangesNothing() throws IOException {
        RangedKvEngine shared = newShared();
        PrefixedKvEngine view = new PrefixedKvEngine(shared, PREFIX);
        PrefixedKvEngine other = new PrefixedKvEngine(shared, OTHER);
        view.write(new WriteBatch().put(utf8("mine"), utf8("kept")));
        other.write(new WriteBatch().put(utf8("theirs"), utf8("kept")));
        Path sameEngine = tmp.resolve("same engine");
        other.checkpoint(sameEngine);
        PrefixedKvEngine elsewhere = new PrefixedKvEngine(newShared(), OTHER);
        elsewhere.write(new WriteBatch().put(utf8("mine"), utf8("foreign")));
        Path otherEngine = tmp.resolve("other engine");
        elsewhere.checkpoint(otherEngine);
        List<String> viewBefore = contentOf(view);
        List<String> otherBefore = contentOf(other);

        for (Path image : List.of(sameEngine, otherEngine)) {
            assertThatThrownBy(() -> view.restore(image)).isInstanceOf(IOException.class);
        }

        assertThat(contentOf(view)).isEqualTo(viewBefore);
        assertThat(contentOf(other)).isEqualTo(otherBefore);
    }

    @Test
    void checkpointOfAnEmptyViewHasNoFilesAndRestoringItEmptiesAView() throws IOException {
        PrefixedKvEngine empty = new PrefixedKvEngine(newShared(), PREFIX);
        Path image = tmp.resolve("image");
        PrefixedKvEngine view = new PrefixedKvEngine(newShared(), PREFIX);
        view.write(new WriteBatch().put(utf8("k"), utf8("v")));

        List<Path> files = empty.checkpoint(image);
        view.restore(image);

        assertThat(files).isEmpty();
        assertThat(contentOf(view)).isEmpty();
    }

    @Test
    void deleteAllRemovesOnlyTheViewsRangeAndSurvivesACrash() throws IOException {
        RangedKvEngine shared = newShared();
        PrefixedKvEngine view = new PrefixedKvEngine(shared, PREFIX);
        PrefixedKvEngine other = new PrefixedKvEngine(shared, OTHER);
        view.write(new WriteBatch().put(bytes(), utf8("dropped")).put(bytes(0xFF, 0xFF), utf8("dropped")));
        view.flush();
        view.write(new WriteBatch().put(utf8("unflushed"), utf8("dropped")));
        other.write(new WriteBatch().put(utf8("k"), utf8("kept")));

        view.deleteAll();
        RangedKvEngine back = crash(shared);

        assertThat(contentOf(new PrefixedKvEngine(back, PREFIX))).isEmpty();
        assertThat(contentOf(new PrefixedKvEngine(back, OTHER))).containsExactly(hex(utf8("k")) + "=" + hex(utf8("kept")));
    }

    // ---- several views over one engine -------------------------------------------------------

    @Test
    void toSharedPrefixesEveryKeyAndAUnionBatchIsSeenByBothViews() throws IOException {
        RangedKvEngine shared = newShared();
        PrefixedKvEngine view = new PrefixedKvEngine(shared, PREFIX);
        PrefixedKvEngine other = new PrefixedKvEngine(shared, OTHER);
        other.write(new WriteBatch().put(utf8("gone"), utf8("x")));
        WriteBatch forView = new WriteBatch().put(utf8("k"), utf8("view")).put(bytes(), utf8("empty key")).delete(utf8("absent"));
        WriteBatch forOther = new WriteBatch().put(utf8("k"), utf8("other")).delete(utf8("gone"));

        WriteBatch translated = view.toShared(forView);
        shared.write(new WriteBatch().addAll(translated).addAll(other.toShared(forOther)));

        assertThat(translated.ops()).extracting(op -> hex(op.key()))
                .containsExactly(hex(concat(PREFIX, utf8("k"))), hex(PREFIX), hex(concat(PREFIX, utf8("absent"))));
        assertThat(translated.ops().get(2).isDelete()).isTrue();
        assertThat(translated.sizeBytes()).isEqualTo(forView.sizeBytes() + 3L * PREFIX.length);
        assertThat(forView.ops()).extracting(op -> hex(op.key()))
                .containsExactly(hex(utf8("k")), hex(bytes()), hex(utf8("absent")));
        assertThat(view.get(utf8("k"))).isEqualTo(utf8("view"));
        assertThat(view.get(bytes())).isEqualTo(utf8("empty key"));
        assertThat(other.get(utf8("k"))).isEqualTo(utf8("other"));
        assertThat(other.get(utf8("gone"))).isNull();
        assertThat(contentOf(view)).hasSize(2);
        assertThat(contentOf(other)).hasSize(1);
    }

    @Test
    void closingTheViewLeavesTheSharedEngineOpen() throws IOException {
        RangedKvEngine shared = newShared();
        PrefixedKvEngine view = new PrefixedKvEngine(shared, PREFIX);
        view.write(new WriteBatch().put(utf8("k"), utf8("v")));

        view.close();
        view.close();

        assertThatThrownBy(() -> view.get(utf8("k"))).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> view.write(new WriteBatch())).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> view.scan(FIRST, null, 1)).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(view::flush).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> view.restore(tmp)).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(view::approximateSizeBytes).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(view::deleteAll).isInstanceOf(IllegalStateException.class);
        assertThat(shared.get(concat(PREFIX, utf8("k")))).isEqualTo(utf8("v"));
        shared.write(new WriteBatch().put(utf8("still"), utf8("open")));
        shared.flush();
        PrefixedKvEngine reopened = new PrefixedKvEngine(shared, PREFIX);
        assertThat(reopened.get(utf8("k"))).isEqualTo(utf8("v"));
        shared.write(new WriteBatch().delete(utf8("still")));
    }

    @Test
    void approximateSizeOfAViewCountsOnlyItsRange() throws IOException {
        RangedKvEngine shared = newShared();
        PrefixedKvEngine view = new PrefixedKvEngine(shared, PREFIX);
        long empty = view.approximateSizeBytes();

        // About 1,000 random 100-byte values on each side: incompressible, so they must show.
        writeRandomPairsTo(new PrefixedKvEngine(shared, LOW), 1_000, 1);
        writeRandomPairsTo(new PrefixedKvEngine(shared, OTHER), 1_000, 2);
        view.flush();
        long withNeighbours = view.approximateSizeBytes();
        writeRandomPairsTo(view, 1_000, 3);
        view.flush();

        assertThat(shared.approximateSizeBytes()).isGreaterThan(3 * 50_000L);
        // Neighbours sharing a file may be charged a block or so to the view, no more.
        assertThat(withNeighbours).isLessThan(empty + 10_000);
        assertThat(view.approximateSizeBytes()).isGreaterThan(withNeighbours + 50_000).isLessThan(shared.approximateSizeBytes());
    }

    // ---- prefixes ----------------------------------------------------------------------------

    @Test
    void prefixEndIsTheFirstKeyAfterEveryKeyWithThePrefix() {
        assertThat(PrefixedKvEngine.prefixEnd(bytes(0x01, 0x05))).isEqualTo(bytes(0x01, 0x06));
        assertThat(PrefixedKvEngine.prefixEnd(bytes(0x01, 0xFF))).isEqualTo(bytes(0x02));
        assertThat(PrefixedKvEngine.prefixEnd(bytes(0x7F, 0xFF, 0xFF))).isEqualTo(bytes(0x80));
        assertThat(PrefixedKvEngine.prefixEnd(bytes(0x00))).isEqualTo(bytes(0x01));
        assertThat(PrefixedKvEngine.prefixEnd(bytes(0xFE))).isEqualTo(bytes(0xFF));
        assertThat(PrefixedKvEngine.prefixEnd(bytes(0xFF))).isNull();
        assertThat(PrefixedKvEngine.prefixEnd(bytes(0xFF, 0xFF, 0xFF))).isNull();
        assertThat(PrefixedKvEngine.prefixEnd(bytes())).isNull();
        byte[] prefix = bytes(0x01, 0xFF);
        PrefixedKvEngine.prefixEnd(prefix);
        assertThat(prefix).isEqualTo(bytes(0x01, 0xFF));
    }

    @Test
    void aPrefixWithoutAnEndIsRejected() throws IOException {
        RangedKvEngine shared = newShared();

        assertThatThrownBy(() -> new PrefixedKvEngine(shared, bytes())).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new PrefixedKvEngine(shared, bytes(0xFF))).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new PrefixedKvEngine(shared, bytes(0xFF, 0xFF, 0xFF))).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new PrefixedKvEngine(shared, null)).isInstanceOf(NullPointerException.class);
        assertThatThrownBy(() -> new PrefixedKvEngine(null, PREFIX)).isInstanceOf(NullPointerException.class);
    }

    @Test
    void aViewWhosePrefixEndsInFFEndsAtTheNextPrefix() throws IOException {
        RangedKvEngine shared = newShared();
        PrefixedKvEngine view = new PrefixedKvEngine(shared, EDGE);

        view.write(new WriteBatch().put(bytes(), utf8("a")).put(bytes(0xFF), utf8("b")).put(bytes(0xFF, 0xFF, 0xFF), utf8("c")));

        assertThat(view.rangeStart()).isEqualTo(EDGE);
        assertThat(view.rangeEnd()).isEqualTo(bytes(0x02));
        assertThat(keysOf(view.scan(FIRST, null, 100)))
                .containsExactly(hex(bytes()), hex(bytes(0xFF)), hex(bytes(0xFF, 0xFF, 0xFF)));
        Path image = tmp.resolve("image");
        view.checkpoint(image);
        view.deleteAll();
        assertThat(view.scan(FIRST, null, 100)).isEmpty();
        view.restore(image);
        assertThat(contentOf(view)).hasSize(3);
    }

    @Test
    void theViewKeepsItsOwnCopyOfThePrefix() throws IOException {
        RangedKvEngine shared = newShared();
        byte[] prefix = PREFIX.clone();
        PrefixedKvEngine view = new PrefixedKvEngine(shared, prefix);

        prefix[1] = 0x06;
        view.rangeStart()[0] = 0x09;
        view.rangeEnd()[0] = 0x09;
        view.write(new WriteBatch().put(utf8("k"), utf8("v")));

        assertThat(shared.get(concat(PREFIX, utf8("k")))).isEqualTo(utf8("v"));
        assertThat(view.rangeStart()).isEqualTo(PREFIX);
        assertThat(view.rangeEnd()).isEqualTo(PrefixedKvEngine.prefixEnd(PREFIX));
    }

    // ---- helpers -----------------------------------------------------------------------------

    /** Puts of the neighbours from index {@code from} to {@code to}, each valued "neighbour keyhex". */
    protected static WriteBatch neighbourBatch(int from, int to) {
        WriteBatch batch = new WriteBatch();
        for (byte[] key : Arrays.copyOfRange(NEIGHBOURS, from, to)) {
            batch.put(key, utf8("neighbour " + hex(key)));
        }
        return batch;
    }

    /** Every neighbour as "keyhex=valuehex", in key order. */
    protected static List<String> expectedNeighbours() {
        List<String> result = new ArrayList<>();
        for (byte[] key : NEIGHBOURS) {
            result.add(hex(key) + "=" + hex(utf8("neighbour " + hex(key))));
        }
        return result;
    }

    /** The pairs of the shared engine outside every view prefix's range. */
    protected static List<String> neighbourContent(KvEngine shared) {
        List<String> result = new ArrayList<>();
        for (KvPair pair : shared.scan(FIRST, null, Integer.MAX_VALUE)) {
            if (VIEW_PREFIXES.stream().noneMatch(p -> startsWith(pair.key(), p))) {
                result.add(hex(pair.key()) + "=" + hex(pair.value()));
            }
        }
        return result;
    }

    private static boolean startsWith(byte[] key, byte[] prefix) {
        return key.length >= prefix.length && Arrays.equals(key, 0, prefix.length, prefix, 0, prefix.length);
    }

    private static byte[] concat(byte[] first, byte[] second) {
        byte[] result = Arrays.copyOf(first, first.length + second.length);
        System.arraycopy(second, 0, result, first.length, second.length);
        return result;
    }

    private static List<String> hexes(byte[]... keys) {
        return Arrays.stream(keys).map(KvEngineContract::hex).toList();
    }

    /** {@code count} pairs of random 8-byte keys and random 100-byte values. */
    private static void writeRandomPairsTo(KvEngine engine, int count, long seed) {
        Random random = new Random(seed);
        WriteBatch batch = new WriteBatch();
        for (int i = 0; i < count; i++) {
            byte[] key = new byte[8];
            random.nextBytes(key);
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
