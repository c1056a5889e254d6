package io.cairn.wal;

import java.io.IOException;
import java.nio.file.Path;

/**
 * A {@link FileIo} that runs an action before every file force and directory sync: a slow disk
 * (the fault suite sleeps there), or a machine that crashes in place of a sync (the simulator
 * throws there). An exception from the action is the sync's.
 */
public final class BeforeSyncFileIo extends ForwardingFileIo {
    /** What happens before a sync. */
    @FunctionalInterface
    public interface Action {
        void run() throws IOException;
    }

    private final Action beforeSync;

    public BeforeSyncFileIo(FileIo delegate, Action beforeSync) {
        super(delegate);
        this.beforeSync = beforeSync;
    }

    @Override
    public void syncDirectory(Path dir) throws IOException {
        beforeSync.run();
        super.syncDirectory(dir);
    }

    @Override
    protected Handle wrap(Handle handle) {
        return new ForwardingHandle(handle) {
            @Override
            public void force() throws IOException {
                beforeSync.run();
                super.force();
            }
        };
    }
}
