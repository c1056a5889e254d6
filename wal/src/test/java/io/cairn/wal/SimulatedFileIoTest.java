package io.cairn.wal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.cairn.common.SeededRandom;
import io.cairn.wal.SimulatedFileIo.CrashMode;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class SimulatedFileIoTest {
    private static final Path DIR = Path.of("/data");
    private static final Path FILE = DIR.resolve("f");

    private SimulatedFileIo io;

    @BeforeEach
    void setUp() {
        io = new SimulatedFileIo(new SeededRandom(7));
        io.createDirectories(DIR);
    }

    @Test
    void syncedContentSurvivesACrashAndUnsyncedContentDoesNot() throws IOException {
        FileIo.Handle handle = io.create(FILE);
        io.syncDirectory(DIR);
        handle.write(bytes(1, 100), 0);
        handle.force();
        handle.write(bytes(2, 100), 100);

        io.crash(CrashMode.LOSE_UNSYNCED);

        assertThat(content(FILE)).isEqualTo(bytes(1, 100).array());
    }

    @Test
    void aCreatedFileIsGoneAfterACrashUnlessItsDirectoryWasSynced() throws IOException {
        FileIo.Handle handle = io.create(FILE);
        handle.write(bytes(1, 10), 0);
        handle.force();

        io.crash(CrashMode.LOSE_UNSYNCED);

        assertThat(io.list(DIR)).isEmpty();
    }

    @Test
    void aRenameIsUndoneByACrashUnlessItsDirectoryWasSynced() throws IOException {
        io.create(FILE).force();
        io.syncDirectory(DIR);
        Path renamed = DIR.resolve("g");
        io.rename(FILE, renamed);

        io.crash(CrashMode.LOSE_UNSYNCED);
        assertThat(io.list(DIR)).containsExactly(FILE);

        io.rename(FILE, renamed);
        io.syncDirectory(DIR);
        io.crash(CrashMode.LOSE_UNSYNCED);
        assertThat(io.list(DIR)).containsExactly(renamed);
    }

    @Test
    void aTornCrashKeepsEachUnsyncedSectorWholeOrNotAtAll() throws IOException {
        FileIo.Handle handle = io.create(FILE);
        io.syncDirectory(DIR);
        int sectors = 64;
        handle.write(bytes(9, sectors * SimulatedFileIo.SECTOR_BYTES), 0);

        io.crash(CrashMode.TEAR_UNSYNCED);

        byte[] survived = Arrays.copyOf(content(FILE), sectors * SimulatedFileIo.SECTOR_BYTES);
        int kept = 0;
        for (int s = 0; s < sectors; s++) {
            byte[] sector = Arrays.copyOfRange(
                    survived, s * SimulatedFileIo.SECTOR_BYTES, (s + 1) * SimulatedFileIo.SECTOR_BYTES);
            boolean whole = sector[0] == 9 && sector[sector.length - 1] == 9;
            boolean none = Arrays.equals(sector, new byte[sector.length]);
            assertThat(whole || none).as("sector %s is whole or absent", s).isTrue();
            kept += whole ? 1 : 0;
        }
        assertThat(kept).isBetween(1, sectors - 1);
    }

    @Test
    void handlesOpenedBeforeACrashFail() throws IOException {
        FileIo.Handle handle = io.create(FILE);
        io.syncDirectory(DIR);

        io.crash(CrashMode.LOSE_UNSYNCED);

        assertThatThrownBy(() -> handle.write(bytes(1, 1), 0)).isInstanceOf(IOException.class);
        assertThat(io.open(FILE).size()).isZero();
    }

    @Test
    void aScheduledCrashReplacesTheSyncItFallsOn() throws IOException {
        FileIo.Handle handle = io.create(FILE);
        io.syncDirectory(DIR);
        handle.write(bytes(1, 10), 0);
        io.crashAtSync(1, CrashMode.LOSE_UNSYNCED);
        handle.force();
        handle.write(bytes(2, 10), 10);

        assertThatThrownBy(handle::force).isInstanceOf(IOException.class).hasMessageContaining("simulated crash");

        assertThat(content(FILE)).isEqualTo(bytes(1, 10).array());
        assertThat(io.syncCount()).isEqualTo(2);
    }

    private byte[] content(Path file) throws IOException {
        FileIo.Handle handle = io.open(file);
        ByteBuffer content = ByteBuffer.allocate((int) handle.size());
        handle.read(content, 0);
        return content.array();
    }

    private static ByteBuffer bytes(int value, int count) {
        byte[] bytes = new byte[count];
        Arrays.fill(bytes, (byte) value);
        return ByteBuffer.wrap(bytes);
    }
}
