package io.cairn.kv.rocks;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.cairn.kv.engine.KvEngine;
import io.cairn.kv.engine.KvPair;
import io.cairn.kv.engine.RangedKvEngine;
import io.cairn.kv.engine.RangedKvEngineContract;
import io.cairn.kv.engine.WriteBatch;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

class RocksKvEngineTest extends RangedKvEngineContract {
    private static final byte[] APPLIED_INDEX = utf8("\u0000applied");

    /** Without a flush on close, so that a close and a reopen is a crash and a restart. */
    @Override
    protected RangedKvEngine openRanged(Path dir) throws IOException {
        return RocksKvEngine.open(dir, crashOnClose());
    }

    @Override
    protected RangedKvEngine loseUnflushedWrites(RangedKvEngine engine) throws IOException {
        Path dir = ((RocksKvEngine) engine).dir();
        engine.close();
        return RocksKvEngine.open(dir, crashOnClose());
    }

    @Override
    protected String rangeImageFileName() {
        return RocksKvEngine.RANGE_FILE;
    }

    // ---- durability with the WAL off ---------------------------------------------------------

    @Test
    void flushedDataSurvivesCloseAndReopen() throws IOException {
        Path dir = tmp.resolve("db");
        List<String> written;
        try (RocksKvEngine engine = RocksKvEngine.open(dir, crashOnClose())) {
            writeRandomPairs(engine, 300, 1);
            engine.flush();
            written = contentOf(engine);
        }

        try (RocksKvEngine engine = RocksKvEngine.open(dir)) {
            assertThat(contentOf(engine)).isEqualTo(written);
        }
    }

    @Test
    void cleanCloseFlushesByDefault() throws IOException {
        Path dir = tmp.resolve("db");
        try (RocksKvEngine engine = RocksKvEngine.open(dir)) {
            engine.write(new WriteBatch().put(utf8("k"), utf8("v")));
        }

        try (RocksKvEngine engine = RocksKvEngine.open(dir)) {
            assertThat(engine.get(utf8("k"))).isEqualTo(utf8("v"));
        }
    }

    /**
     * The host's invariant in action: batches carry the applied index; after a crash the engine
     * is back at the last flush, whole batches only, and its applied index says so.
     */
    @Test
    void crashLosesUnflushedWritesButNeverFlushedOnes() throws IOException {
        Path dir = tmp.resolve("db");
        try (RocksKvEngine engine = RocksKvEngine.open(dir, crashOnClose())) {
            for (long index = 1; index <= 9; index++) {
                engine.write(new WriteBatch()
                        .put(utf8("entry/" + index), utf8("applied at " + index))
                        .put(utf8("last"), utf8(Long.toString(index)))
                        .put(APPLIED_INDEX, longBytes(index)));
                if (index == 5) {
                    engine.flush();
                }
            }
        } // Closes without flushing: entries 6 to 9 were only in the memtable.

        try (RocksKvEngine engine = RocksKvEngine.open(dir)) {
            long applied = ByteBuffer.wrap(engine.get(APPLIED_INDEX)).getLong();
            assertThat(applied).isEqualTo(5);
            assertThat(engine.get(utf8("last"))).isEqualTo(utf8("5"));
            assertThat(engine.scan(utf8("entry/"), utf8("entry0"), 100)).hasSize(5);
            assertThat(engine.get(utf8("entry/6"))).isNull();
        }
    }

    // ---- clear errors on open ----------------------------------------------------------------

    @Test
    void openingAnOpenDirectoryFailsNamingIt() throws IOException {
        Path dir = tmp.resolve("db");
        try (RocksKvEngine first = RocksKvEngine.open(dir)) {
            assertThatThrownBy(() -> RocksKvEngine.open(dir))
                    .isInstanceOf(IOException.class)
                    .hasMessageContaining("cannot open RocksDB in " + dir.toAbsolutePath())
                    .hasMessageContaining("lock");
            first.write(new WriteBatch().put(utf8("still"), utf8("usable")));
            assertThat(first.get(utf8("still"))).isEqualTo(utf8("usable"));
        }
    }

    @Test
    @Timeout(value = 30, unit = TimeUnit.SECONDS)
    void openingADirectoryLockedByAnotherProcessFailsNamingIt() throws Exception {
        Path dir = tmp.resolve("db");
        Process holder = new ProcessBuilder(
                        Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                        "-cp", System.getProperty("java.class.path"),
                        LockHolder.class.getName(), dir.toString())
                .redirectError(ProcessBuilder.Redirect.INHERIT)
                .start();
        try {
            BufferedReader out = new BufferedReader(new InputStreamReader(holder.getInputStream(), StandardCharsets.UTF_8));
            assertThat(out.readLine()).isEqualTo("locked " + dir.toAbsolutePath());

            assertThatThrownBy(() -> RocksKvEngine.open(dir))
                    .isInstanceOf(IOException.class)
                    .hasMessageContaining("cannot open RocksDB in " + dir.toAbsolutePath())
                    .hasMessageContaining("LOCK");
        } finally {
            holder.getOutputStream().close();
            if (!holder.waitFor(20, TimeUnit.SECONDS)) {
                holder.destroyForcibly();
            }
        }
        try (RocksKvEngine engine = RocksKvEngine.open(dir)) {
            assertThat(engine.get(utf8("k"))).isNull();
        }
    }

    @Test
    void openingADirectoryWithACorruptedManifestFailsNamingIt() throws IOException {
        Path dir = tmp.resolve("db");
        try (RocksKvEngine engine = RocksKvEngine.open(dir)) {
            engine.write(new WriteBatch().put(utf8("k"), utf8("v")));
        }
        Path manifest = dir.resolve(Files.readString(dir.resolve("CURRENT")).trim());
        byte[] content = Files.readAllBytes(manifest);
        for (int i = 10; i < content.length; i += 7) {
            content[i] ^= 0x5A;
        }
        Files.write(manifest, content);

        assertThatThrownBy(() -> RocksKvEngine.open(dir))
                .isInstanceOf(IOException.class)
                .hasMessageContaining("cannot open RocksDB in " + dir.toAbsolutePath())
                .hasMessageContaining("Corruption");
    }

    @Test
    void openingADirectoryMissingItsManifestFailsNamingIt() throws IOException {
        Path dir = tmp.resolve("db");
        try (RocksKvEngine engine = RocksKvEngine.open(dir)) {
            engine.write(new WriteBatch().put(utf8("k"), utf8("v")));
        }
        Files.writeString(dir.resolve("CURRENT"), "MANIFEST-999999\n");

        assertThatThrownBy(() -> RocksKvEngine.open(dir))
                .isInstanceOf(IOException.class)
                .hasMessageContaining("cannot open RocksDB in " + dir.toAbsolutePath())
                .hasMessageContaining("MANIFEST-999999");
    }

    // ---- checkpoint and restore --------------------------------------------------------------

    @Test
    void checkpointHardLinksTheSstFiles() throws IOException {
        KvEngine engine = newEngine();
        writeRandomPairs(engine, 200, 2);
        engine.flush();
        Path image = tmp.resolve("image");

        List<Path> files = engine.checkpoint(image);

        List<Path> ssts = files.stream().filter(f -> f.toString().endsWith(".sst")).toList();
        assertThat(ssts).isNotEmpty();
        for (Path sst : ssts) {
            assertThat((Integer) Files.getAttribute(image.resolve(sst), "unix:nlink")).isGreaterThanOrEqualTo(2);
        }
    }

    @Test
    void restoreLeavesNoSiblingDirectoriesBehind() throws IOException {
        KvEngine source = newEngine();
        writeRandomPairs(source, 100, 3);
        Path image = tmp.resolve("image");
        source.checkpoint(image);
        Path dir = tmp.resolve("target");

        try (RocksKvEngine target = RocksKvEngine.open(dir)) {
            target.restore(image);
            assertThat(contentOf(target)).isEqualTo(contentOf(source));
        }

        try (Stream<Path> siblings = Files.list(tmp)) {
            assertThat(siblings.map(p -> p.getFileName().toString()).filter(n -> n.startsWith("target")))
                    .containsExactly("target");
        }
    }

    @Test
    void restoredContentSurvivesACrash() throws IOException {
        KvEngine source = newEngine();
        writeRandomPairs(source, 100, 4);
        Path image = tmp.resolve("image");
        source.checkpoint(image);
        Path dir = tmp.resolve("target");
        try (RocksKvEngine target = RocksKvEngine.open(dir, crashOnClose())) {
            target.restore(image);
        }

        try (RocksKvEngine target = RocksKvEngine.open(dir)) {
            assertThat(contentOf(target)).isEqualTo(contentOf(source));
        }
    }

    @Test
    void restoreRejectsACheckpointWithADamagedSstAndKeepsTheContent() throws IOException {
        KvEngine source = newEngine();
        writeRandomPairs(source, 500, 5);
        source.flush();
        Path image = tmp.resolve("image");
        source.checkpoint(image);
        // A copy, not the image itself: its SST files are hard links into the source database.
        Path damaged = Files.createDirectory(tmp.resolve("damaged"));
        Path sst = null;
        try (Stream<Path> files = Files.list(image)) {
            for (Path file : files.toList()) {
                Files.copy(file, damaged.resolve(file.getFileName()));
                if (file.toString().endsWith(".sst")) {
                    sst = damaged.resolve(file.getFileName());
                }
            }
        }
        assertThat(sst).isNotNull();
        byte[] content = Files.readAllBytes(sst);
        content[200] ^= 0x55;
        Files.write(sst, content);
        KvEngine target = newEngine();
        target.write(new WriteBatch().put(utf8("mine"), utf8("kept")));

        assertThatThrownBy(() -> target.restore(damaged))
                .isInstanceOf(IOException.class)
                .hasMessageContaining("cannot restore from " + damaged);

        assertThat(contentOf(target)).containsExactly(hex(utf8("mine")) + "=" + hex(utf8("kept")));
    }

    @Test
    void openUndoesASwapInterruptedBetweenItsRenames() throws IOException {
        Path dir = tmp.resolve("db");
        try (RocksKvEngine engine = RocksKvEngine.open(dir)) {
            engine.write(new WriteBatch().put(utf8("old"), utf8("content")));
        }
        // The crash left: the old content renamed aside, a complete new copy staged, no data dir.
        Files.move(dir, tmp.resolve("db.restore-old"));
        Path staged = Files.createDirectory(tmp.resolve("db.restore-tmp"));
        Files.writeString(staged.resolve("CURRENT"), "anything\n");

        try (RocksKvEngine engine = RocksKvEngine.open(dir)) {
            assertThat(contentOf(engine)).containsExactly(hex(utf8("old")) + "=" + hex(utf8("content")));
        }
        assertThat(tmp.resolve("db.restore-old")).doesNotExist();
        assertThat(staged).doesNotExist();
    }

    @Test
    void openFinishesASwapInterruptedAfterItsRenames() throws IOException {
        Path dir = tmp.resolve("db");
        try (RocksKvEngine engine = RocksKvEngine.open(dir)) {
            engine.write(new WriteBatch().put(utf8("new"), utf8("content")));
        }
        Path old = Files.createDirectory(tmp.resolve("db.restore-old"));
        Files.writeString(old.resolve("CURRENT"), "old stuff\n");

        try (RocksKvEngine engine = RocksKvEngine.open(dir)) {
            assertThat(contentOf(engine)).containsExactly(hex(utf8("new")) + "=" + hex(utf8("content")));
        }
        assertThat(old).doesNotExist();
    }

    @Test
    void restoreRefusesItsOwnDataDirectory() throws IOException {
        try (RocksKvEngine engine = RocksKvEngine.open(tmp.resolve("db"))) {
            assertThatThrownBy(() -> engine.restore(engine.dir())).isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> engine.restore(tmp)).isInstanceOf(IllegalArgumentException.class);
        }
    }

    @Test
    void restoreAfterCloseFails() throws IOException {
        KvEngine source = newEngine();
        Path image = tmp.resolve("image");
        source.checkpoint(image);
        RocksKvEngine engine = RocksKvEngine.open(tmp.resolve("db"));
        engine.close();

        assertThatThrownBy(() -> engine.restore(image)).isInstanceOf(IllegalStateException.class);
    }

    // ---- concurrency -------------------------------------------------------------------------

    /** Scans on other threads see every batch whole: the ring of balances keeps its total. */
    @Test
    @Timeout(value = 30, unit = TimeUnit.SECONDS)
    void concurrentScansSeeWholeBatches() throws Exception {
        KvEngine engine = newEngine();
        int accounts = 16;
        long total = 16_000;
        WriteBatch setup = new WriteBatch();
        for (int i = 0; i < accounts; i++) {
            setup.put(account(i), longBytes(total / accounts));
        }
        engine.write(setup);
        AtomicBoolean writing = new AtomicBoolean(true);
        AtomicReference<Throwable> readerFailure = new AtomicReference<>();
        Thread reader = new Thread(() -> {
            try {
                while (writing.get()) {
                    List<KvPair> ring = engine.scan(utf8("acct/"), utf8("acct0"), accounts + 1);
                    long sum = ring.stream().mapToLong(p -> ByteBuffer.wrap(p.value()).getLong()).sum();
                    if (ring.size() != accounts || sum != total) {
                        throw new AssertionError(ring.size() + " accounts summing to " + sum);
                    }
                }
            } catch (Throwable t) {
                readerFailure.set(t);
            }
        }, "ring-reader");
        reader.start();

        Random random = new Random(11);
        try {
            for (int round = 0; round < 3_000 && readerFailure.get() == null; round++) {
                int from = random.nextInt(accounts);
                int to = (from + 1 + random.nextInt(accounts - 1)) % accounts;
                long amount = random.nextInt(50);
                long fromBalance = ByteBuffer.wrap(engine.get(account(from))).getLong();
                long toBalance = ByteBuffer.wrap(engine.get(account(to))).getLong();
                engine.write(new WriteBatch()
                        .put(account(from), longBytes(fromBalance - amount))
                        .put(account(to), longBytes(toBalance + amount)));
                if (round % 1_000 == 999) {
                    engine.flush();
                }
            }
        } finally {
            writing.set(false);
            reader.join();
        }
        assertThat(readerFailure.get()).isNull();
    }

    private static RocksKvEngine.Options crashOnClose() {
        return RocksKvEngine.Options.defaults().withFlushOnClose(false);
    }

    private static byte[] account(int i) {
        return utf8(String.format("acct/%03d", i));
    }

    private static byte[] longBytes(long value) {
        return ByteBuffer.allocate(Long.BYTES).putLong(value).array();
    }
}
