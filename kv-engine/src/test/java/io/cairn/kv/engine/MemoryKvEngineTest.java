package io.cairn.kv.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.cairn.common.Bytes;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

class MemoryKvEngineTest extends RangedKvEngineContract {
    @Override
    protected RangedKvEngine openRanged(Path dir) {
        return new MemoryKvEngine();
    }

    @Override
    protected RangedKvEngine loseUnflushedWrites(RangedKvEngine engine) {
        ((MemoryKvEngine) engine).loseUnflushedWrites();
        return engine;
    }

    @Override
    protected String rangeImageFileName() {
        return MemoryKvEngine.CHECKPOINT_FILE;
    }

    @Test
    void checkpointIsOneFile() throws IOException {
        KvEngine engine = newEngine();
        writeRandomPairs(engine, 10, 1);

        List<Path> files = engine.checkpoint(tmp.resolve("image"));

        assertThat(files).containsExactly(Path.of(MemoryKvEngine.CHECKPOINT_FILE));
        assertThat(tmp.resolve("image")).isDirectoryContaining(p -> p.endsWith(MemoryKvEngine.CHECKPOINT_FILE));
    }

    @Test
    void checkpointOfAnEmptyEngineRestoresToEmpty() throws IOException {
        KvEngine source = newEngine();
        Path image = tmp.resolve("image");
        source.checkpoint(image);
        KvEngine target = newEngine();
        writeRandomPairs(target, 10, 2);

        target.restore(image);

        assertThat(contentOf(target)).isEmpty();
        assertThat(target.approximateSizeBytes()).isZero();
    }

    @Test
    void restoreRejectsEveryFlippedByte() throws IOException {
        Path image = imageWithPairs(3);
        Path file = image.resolve(MemoryKvEngine.CHECKPOINT_FILE);
        byte[] good = Files.readAllBytes(file);
        KvEngine engine = newEngine();
        engine.write(new WriteBatch().put(utf8("mine"), utf8("kept")));

        for (int i = 0; i < good.length; i++) {
            byte[] bad = good.clone();
            bad[i] ^= 0x10;
            Files.write(file, bad);
            assertThatThrownBy(() -> engine.restore(image))
                    .isInstanceOf(IOException.class)
                    .hasMessageContaining("damaged MemoryKvEngine checkpoint")
                    .hasMessageContaining(file.toString());
        }

        assertThat(contentOf(engine)).containsExactly(hex(utf8("mine")) + "=" + hex(utf8("kept")));
    }

    @Test
    void restoreRejectsATruncatedFile() throws IOException {
        Path image = imageWithPairs(20);
        Path file = image.resolve(MemoryKvEngine.CHECKPOINT_FILE);
        byte[] good = Files.readAllBytes(file);
        KvEngine engine = newEngine();

        for (int length : new int[] {0, 5, 19, good.length / 2, good.length - 1}) {
            Files.write(file, Arrays.copyOf(good, length));
            assertThatThrownBy(() -> engine.restore(image))
                    .isInstanceOf(IOException.class)
                    .hasMessageContaining("damaged");
        }
    }

    @Test
    void restoreRejectsStrayBytesAfterTheTrailer() throws IOException {
        Path image = imageWithPairs(5);
        Path file = image.resolve(MemoryKvEngine.CHECKPOINT_FILE);
        byte[] good = Files.readAllBytes(file);
        Files.write(file, Arrays.copyOf(good, good.length + 8));
        KvEngine engine = newEngine();

        assertThatThrownBy(() -> engine.restore(image)).hasMessageContaining("CRC32C mismatch");
    }

    @Test
    void crashLosesOnlyWritesAfterTheLastFlush() throws IOException {
        MemoryKvEngine engine = (MemoryKvEngine) newEngine();
        engine.write(new WriteBatch().put(utf8("a"), utf8("1")).put(utf8("b"), utf8("1")));
        engine.flush();
        List<String> flushed = contentOf(engine);
        long flushedBytes = engine.approximateSizeBytes();
        engine.write(new WriteBatch().put(utf8("a"), utf8("2")).delete(utf8("b")).put(utf8("c"), utf8("2")));
        engine.write(new WriteBatch().delete(utf8("a")).put(utf8("b"), utf8("3")));

        engine.loseUnflushedWrites();

        assertThat(contentOf(engine)).isEqualTo(flushed);
        assertThat(engine.approximateSizeBytes()).isEqualTo(flushedBytes);
    }

    @Test
    void restoredContentSurvivesACrash() throws IOException {
        MemoryKvEngine engine = (MemoryKvEngine) newEngine();
        engine.write(new WriteBatch().put(utf8("restored"), utf8("1")));
        Path image = tmp.resolve("image");
        engine.checkpoint(image);
        engine.write(new WriteBatch().put(utf8("later"), utf8("2")));
        engine.restore(image);

        engine.loseUnflushedWrites();

        assertThat(engine.get(utf8("restored"))).isEqualTo(utf8("1"));
        assertThat(engine.get(utf8("later"))).isNull();
    }

    @Test
    void approximateSizeIsTheSumOfKeyAndValueLengths() throws IOException {
        KvEngine engine = newEngine();

        engine.write(new WriteBatch().put(utf8("ab"), utf8("xyz")).put(utf8("c"), utf8("")));
        engine.write(new WriteBatch().put(utf8("ab"), utf8("x")).delete(utf8("c")).delete(utf8("absent")));

        assertThat(engine.approximateSizeBytes()).isEqualTo(3);
    }

    @Test
    void fromImageGivesIdenticalContent() throws IOException {
        MemoryKvEngine source = (MemoryKvEngine) newEngine();
        writeRandomPairs(source, 50, 3);
        source.write(new WriteBatch().put(new byte[0], utf8("empty key")).put(utf8("empty value"), new byte[0]));

        MemoryKvEngine copy = MemoryKvEngine.fromImage(source.image());

        assertThat(contentOf(copy)).isEqualTo(contentOf(source));
        assertThat(copy.approximateSizeBytes()).isEqualTo(source.approximateSizeBytes());
        assertThat(copy.image()).isEqualTo(source.image());
    }

    @Test
    void imageOfAnEmptyEngineGivesAnEmptyEngine() {
        MemoryKvEngine empty = MemoryKvEngine.fromImage(new MemoryKvEngine().image());

        assertThat(contentOf(empty)).isEmpty();
        assertThat(empty.approximateSizeBytes()).isZero();
    }

    @Test
    void equalContentGivesEqualImagesWhateverTheWritesThatMadeIt() {
        MemoryKvEngine direct = new MemoryKvEngine();
        direct.write(new WriteBatch().put(utf8("a"), utf8("1")).put(utf8("b"), utf8("2")));
        MemoryKvEngine roundabout = new MemoryKvEngine();
        roundabout.write(new WriteBatch().put(utf8("b"), utf8("old")).put(utf8("c"), utf8("3")));
        roundabout.write(new WriteBatch().delete(utf8("c")).put(utf8("b"), utf8("2")).put(utf8("a"), utf8("1")));

        assertThat(roundabout.image()).isEqualTo(direct.image());

        roundabout.write(new WriteBatch().put(utf8("a"), utf8("x")));
        assertThat(roundabout.image()).isNotEqualTo(direct.image());
    }

    @Test
    void theImageIsTheCheckpointFileAndHoldsUnflushedWrites() throws IOException {
        MemoryKvEngine engine = (MemoryKvEngine) newEngine();
        writeRandomPairs(engine, 10, 4);
        engine.flush();
        engine.write(new WriteBatch().put(utf8("unflushed"), utf8("1")));
        Path image = tmp.resolve("image");

        engine.checkpoint(image);

        Bytes inMemory = engine.image();
        assertThat(Files.readAllBytes(image.resolve(MemoryKvEngine.CHECKPOINT_FILE))).isEqualTo(inMemory.toArray());
        assertThat(MemoryKvEngine.fromImage(inMemory).get(utf8("unflushed"))).isEqualTo(utf8("1"));
    }

    @Test
    void contentFromAnImageSurvivesACrash() {
        MemoryKvEngine source = new MemoryKvEngine();
        source.write(new WriteBatch().put(utf8("imaged"), utf8("1")));
        MemoryKvEngine engine = MemoryKvEngine.fromImage(source.image());
        engine.write(new WriteBatch().put(utf8("later"), utf8("2")));

        engine.loseUnflushedWrites();

        assertThat(contentOf(engine)).containsExactly(hex(utf8("imaged")) + "=" + hex(utf8("1")));
    }

    @Test
    void fromImageRejectsEveryFlippedByteAndATruncatedImage() {
        MemoryKvEngine source = new MemoryKvEngine();
        writeRandomPairs(source, 3, 5);
        byte[] good = source.image().toArray();

        for (int i = 0; i < good.length; i++) {
            byte[] bad = good.clone();
            bad[i] ^= 0x10;
            assertThatThrownBy(() -> MemoryKvEngine.fromImage(Bytes.wrap(bad)))
                    .isInstanceOf(KvEngineException.class)
                    .hasMessageStartingWith("damaged MemoryKvEngine image: ");
        }
        for (int length : new int[] {0, 5, good.length / 2, good.length - 1}) {
            assertThatThrownBy(() -> MemoryKvEngine.fromImage(Bytes.wrap(Arrays.copyOf(good, length))))
                    .isInstanceOf(KvEngineException.class)
                    .hasMessageContaining("damaged");
        }
    }

    private Path imageWithPairs(int count) throws IOException {
        KvEngine source = newEngine();
        writeRandomPairs(source, count, count);
        Path image = tmp.resolve("image-" + count);
        source.checkpoint(image);
        return image;
    }
}
