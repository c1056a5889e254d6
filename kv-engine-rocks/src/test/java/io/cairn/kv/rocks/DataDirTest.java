package io.cairn.kv.rocks;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The directory moves of a restore, on plain files. */
class DataDirTest {
    @TempDir
    Path tmp;

    @Test
    void swapPutsTheStagedCopyInPlaceAndKeepsTheImage() throws IOException {
        DataDir dataDir = dataDirHolding("old");
        Path image = imageHolding("new");

        dataDir.stage(image);
        dataDir.swapInStaged();
        dataDir.discardOld();

        assertThat(Files.readString(dataDir.path().resolve("CURRENT"))).isEqualTo("new");
        assertThat(Files.readString(image.resolve("CURRENT"))).isEqualTo("new");
        assertThat(namesUnder(tmp)).containsExactlyInAnyOrder("db", "image");
    }

    @Test
    void rollBackBringsTheOldContentBack() throws IOException {
        DataDir dataDir = dataDirHolding("old");
        dataDir.stage(imageHolding("new"));
        dataDir.swapInStaged();

        dataDir.rollBack();

        assertThat(Files.readString(dataDir.path().resolve("CURRENT"))).isEqualTo("old");
        assertThat(namesUnder(tmp)).containsExactlyInAnyOrder("db", "image");
    }

    @Test
    void stagingRefusesAnImageWithSubdirectories() throws IOException {
        DataDir dataDir = dataDirHolding("old");
        Path image = imageHolding("new");
        Files.createDirectory(image.resolve("nested"));

        assertThatThrownBy(() -> dataDir.stage(image)).isInstanceOf(IOException.class).hasMessageContaining("nested");
    }

    @Test
    void recoverOnAFreshDirectoryCreatesIt() throws IOException {
        DataDir dataDir = new DataDir(tmp.resolve("a").resolve("db"));

        dataDir.recover();

        assertThat(dataDir.path()).isEmptyDirectory();
    }

    private DataDir dataDirHolding(String content) throws IOException {
        DataDir dataDir = new DataDir(tmp.resolve("db"));
        dataDir.recover();
        Files.writeString(dataDir.path().resolve("CURRENT"), content);
        return dataDir;
    }

    private Path imageHolding(String content) throws IOException {
        Path image = Files.createDirectory(tmp.resolve("image"));
        Files.writeString(image.resolve("CURRENT"), content);
        return image;
    }

    private static Stream<String> namesUnder(Path dir) throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            return files.map(p -> p.getFileName().toString()).toList().stream();
        }
    }
}
