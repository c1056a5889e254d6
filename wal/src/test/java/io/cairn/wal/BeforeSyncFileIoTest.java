package io.cairn.wal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.cairn.common.SeededRandom;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class BeforeSyncFileIoTest {
    private static final Path DIR = Path.of("/d");

    @Test
    void theActionRunsBeforeEverySyncAndItsFailureIsTheSyncs() throws IOException {
        SimulatedFileIo disk = new SimulatedFileIo(new SeededRandom(1));
        disk.createDirectories(DIR);
        AtomicInteger runs = new AtomicInteger();
        FileIo io = new BeforeSyncFileIo(disk, () -> {
            if (runs.incrementAndGet() == 3) {
                throw new IOException("no third sync");
            }
        });
        FileIo.Handle h = io.create(DIR.resolve("a"));
        h.write(ByteBuffer.wrap(new byte[] {1}), 0);
        h.force();
        io.syncDirectory(DIR);
        assertThat(runs).hasValue(2);
        assertThat(disk.syncCount()).isEqualTo(2);

        assertThatThrownBy(h::force).hasMessage("no third sync");
        assertThat(disk.syncCount()).as("the failed sync did not happen").isEqualTo(2);
    }
}
