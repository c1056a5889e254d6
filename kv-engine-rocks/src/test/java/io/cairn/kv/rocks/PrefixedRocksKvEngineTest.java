package io.cairn.kv.rocks;

import static org.assertj.core.api.Assertions.assertThat;

import io.cairn.kv.engine.PrefixedKvEngine;
import io.cairn.kv.engine.PrefixedKvEngineTest;
import io.cairn.kv.engine.RangedKvEngine;
import io.cairn.kv.engine.WriteBatch;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Every case of {@link PrefixedKvEngineTest} (so the whole contract too) with views over a shared
 * {@link RocksKvEngine}, and the recovery of a range import a crash interrupted.
 */
class PrefixedRocksKvEngineTest extends PrefixedKvEngineTest {
    /** Staged by {@code DataDir.stageImport}: a sibling of the data directory, and its bounds file. */
    private static final String PENDING_IMPORT_SUFFIX = ".import";
    private static final String UNFINISHED_IMPORT_SUFFIX = ".import-tmp";
    private static final String BOUNDS_FILE = "RANGE";

    /** Without a flush on close, so that a close and a reopen is a crash and a restart. */
    @Override
    protected RangedKvEngine openShared(Path dir) throws IOException {
        return RocksKvEngine.open(dir, crashOnClose());
    }

    @Override
    protected RangedKvEngine loseUnflushedWrites(RangedKvEngine shared) throws IOException {
        Path dir = ((RocksKvEngine) shared).dir();
        shared.close();
        return RocksKvEngine.open(dir, crashOnClose());
    }

    // ---- an import interrupted by a crash ----------------------------------------------------

    /**
     * A crash after the import was staged (its point of no return) and before it was applied:
     * the next open must apply it, make it durable and remove the staged copy.
     */
    @Test
    void openAppliesAnImportStagedBeforeACrashAndDeletesIt() throws IOException {
        Path image = tmp.resolve("image");
        List<String> imported = exportViewOf(image, "new");
        Path dir = tmp.resolve("db");
        try (RocksKvEngine shared = RocksKvEngine.open(dir, crashOnClose())) {
            writeNeighboursAndOldContent(shared);
        }
        Path staged = stageByHand(dir, image, PREFIX, PrefixedKvEngine.prefixEnd(PREFIX));

        try (RocksKvEngine shared = RocksKvEngine.open(dir, crashOnClose())) {
            assertThat(contentOf(new PrefixedKvEngine(shared, PREFIX))).isEqualTo(imported);
            assertThat(contentOf(new PrefixedKvEngine(shared, OTHER))).isEqualTo(otherContent());
            assertThat(neighbourContent(shared)).isEqualTo(expectedNeighbours());
        }
        assertThat(staged).doesNotExist();
        // The close above lost whatever was unflushed: the applied import must not have been.
        try (RocksKvEngine shared = RocksKvEngine.open(dir)) {
            assertThat(contentOf(new PrefixedKvEngine(shared, PREFIX))).isEqualTo(imported);
            assertThat(neighbourContent(shared)).isEqualTo(expectedNeighbours());
        }
    }

    @Test
    void openAppliesAStagedImportOfAnEmptyImageByClearingTheRange() throws IOException {
        Path image = tmp.resolve("image");
        assertThat(exportViewOf(image, null)).isEmpty();
        Path dir = tmp.resolve("db");
        try (RocksKvEngine shared = RocksKvEngine.open(dir, crashOnClose())) {
            writeNeighboursAndOldContent(shared);
        }
        Path staged = stageByHand(dir, image, PREFIX, PrefixedKvEngine.prefixEnd(PREFIX));

        try (RocksKvEngine shared = RocksKvEngine.open(dir, crashOnClose())) {
            assertThat(contentOf(new PrefixedKvEngine(shared, PREFIX))).isEmpty();
            assertThat(contentOf(new PrefixedKvEngine(shared, OTHER))).isEqualTo(otherContent());
            assertThat(neighbourContent(shared)).isEqualTo(expectedNeighbours());
        }
        assertThat(staged).doesNotExist();
    }

    /** A crash after the import was applied but before its staged copy was deleted: redoing it is harmless. */
    @Test
    void openRedoesAnImportAlreadyAppliedWithoutChangingIt() throws IOException {
        Path image = tmp.resolve("image");
        List<String> imported = exportViewOf(image, "new");
        Path dir = tmp.resolve("db");
        try (RocksKvEngine shared = RocksKvEngine.open(dir, crashOnClose())) {
            writeNeighboursAndOldContent(shared);
            new PrefixedKvEngine(shared, PREFIX).restore(image);
        }
        // The real staging step this time, with the engine closed as a crash would leave it.
        new DataDir(dir).stageImport(List.of(image.resolve(RocksKvEngine.RANGE_FILE)),
                PREFIX, PrefixedKvEngine.prefixEnd(PREFIX));
        assertThat(siblingOf(dir, PENDING_IMPORT_SUFFIX)).isDirectory();

        try (RocksKvEngine shared = RocksKvEngine.open(dir)) {
            assertThat(contentOf(new PrefixedKvEngine(shared, PREFIX))).isEqualTo(imported);
            assertThat(contentOf(new PrefixedKvEngine(shared, OTHER))).isEqualTo(otherContent());
            assertThat(neighbourContent(shared)).isEqualTo(expectedNeighbours());
        }
        assertThat(siblingOf(dir, PENDING_IMPORT_SUFFIX)).doesNotExist();
    }

    /** A crash while the import was being staged: it never started, and the old content stands. */
    @Test
    void openDeletesAnUnfinishedStagingAndChangesNothing() throws IOException {
        Path image = tmp.resolve("image");
        exportViewOf(image, "new");
        Path dir = tmp.resolve("db");
        List<String> before;
        try (RocksKvEngine shared = RocksKvEngine.open(dir, crashOnClose())) {
            writeNeighboursAndOldContent(shared);
            before = contentOf(shared);
        }
        Path unfinished = Files.createDirectory(siblingOf(dir, UNFINISHED_IMPORT_SUFFIX));
        Files.copy(image.resolve(RocksKvEngine.RANGE_FILE), unfinished.resolve(RocksKvEngine.RANGE_FILE));
        Files.writeString(unfinished.resolve(BOUNDS_FILE), boundsText(PREFIX, PrefixedKvEngine.prefixEnd(PREFIX)));

        try (RocksKvEngine shared = RocksKvEngine.open(dir, crashOnClose())) {
            assertThat(contentOf(shared)).isEqualTo(before);
        }
        assertThat(unfinished).doesNotExist();
        assertThat(siblingOf(dir, PENDING_IMPORT_SUFFIX)).doesNotExist();
    }

    // ---- helpers -----------------------------------------------------------------------------

    /**
     * Exports the PREFIX view of a new engine holding pairs valued {@code tag} (none if null) into
     * {@code image}; returns the view's content.
     */
    private List<String> exportViewOf(Path image, String tag) throws IOException {
        try (RocksKvEngine source = RocksKvEngine.open(tmp.resolve("source"))) {
            PrefixedKvEngine view = new PrefixedKvEngine(source, PREFIX);
            if (tag != null) {
                view.write(new WriteBatch().put(new byte[0], utf8(tag)).put(utf8("k"), utf8(tag))
                        .put(bytes(0xFF, 0xFF), utf8(tag)));
            }
            // A neighbour in the source engine, which the image must not carry along.
            source.write(new WriteBatch().put(bytes(0x01, 0x06), utf8("source neighbour")));
            view.checkpoint(image);
            return contentOf(view);
        }
    }

    /** Neighbours, old content under PREFIX (some keys the image lacks) and OTHER's; all flushed. */
    private static void writeNeighboursAndOldContent(RocksKvEngine shared) {
        shared.write(neighbourBatch(0, NEIGHBOURS.length));
        new PrefixedKvEngine(shared, PREFIX).write(new WriteBatch()
                .put(utf8("k"), utf8("old")).put(utf8("old only"), utf8("old")).put(bytes(0xFF), utf8("old")));
        new PrefixedKvEngine(shared, OTHER).write(new WriteBatch().put(utf8("k"), utf8("other")));
        shared.flush();
    }

    private static List<String> otherContent() {
        return List.of(hex(utf8("k")) + "=" + hex(utf8("other")));
    }

    /** What {@code DataDir.stageImport} leaves once it renamed its staging directory into place. */
    private static Path stageByHand(Path dir, Path image, byte[] from, byte[] to) throws IOException {
        Path staged = Files.createDirectory(siblingOf(dir, PENDING_IMPORT_SUFFIX));
        Path file = image.resolve(RocksKvEngine.RANGE_FILE);
        if (Files.exists(file)) {
            Files.copy(file, staged.resolve(RocksKvEngine.RANGE_FILE));
        }
        Files.writeString(staged.resolve(BOUNDS_FILE), boundsText(from, to));
        return staged;
    }

    private static String boundsText(byte[] from, byte[] to) {
        return HexFormat.of().formatHex(from) + "\n" + HexFormat.of().formatHex(to) + "\n";
    }

    private static Path siblingOf(Path dir, String suffix) {
        Path absolute = dir.toAbsolutePath().normalize();
        return absolute.resolveSibling(absolute.getFileName() + suffix);
    }

    private static RocksKvEngine.Options crashOnClose() {
        return RocksKvEngine.Options.defaults().withFlushOnClose(false);
    }
}
