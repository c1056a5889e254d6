package io.cairn.wal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.cairn.common.SeededRandom;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

class FullDiskFileIoTest {
    private static final Path DIR = Path.of("/d");

    @Test
    void whileFullCreationsAndWritesFailAndEverythingElseWorks() throws IOException {
        SimulatedFileIo disk = new SimulatedFileIo(new SeededRandom(1));
        disk.createDirectories(DIR);
        AtomicBoolean full = new AtomicBoolean();
        FileIo io = new FullDiskFileIo(disk, full::get, "test");
        FileIo.Handle h = io.create(DIR.resolve("a"));
        h.write(ByteBuffer.wrap(new byte[] {1, 2, 3}), 0);

        full.set(true);
        assertThatThrownBy(() -> io.create(DIR.resolve("b"))).isInstanceOf(IOException.class)
                .hasMessage("No space left on device (test)");
        assertThatThrownBy(() -> h.write(ByteBuffer.wrap(new byte[] {4}), 3)).hasMessage("No space left on device (test)");
        h.force();
        io.syncDirectory(DIR);
        ByteBuffer read = ByteBuffer.allocate(8);
        assertThat(h.read(read, 0)).isEqualTo(3);
        io.rename(DIR.resolve("a"), DIR.resolve("c"));
        assertThat(io.list(DIR)).containsExactly(DIR.resolve("c"));

        full.set(false);
        h.write(ByteBuffer.wrap(new byte[] {4}), 3);
        assertThat(h.size()).isEqualTo(4);
    }
}
