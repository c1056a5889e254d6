package io.cairn.bench;

import io.cairn.kv.rocks.RocksKvEngine;
import io.cairn.kv.state.KvStateMachine;
import java.io.IOException;
import java.nio.file.Path;

/** A state machine over a fresh RocksDB in a {@link BenchDirs} directory, deleted on close. */
record ScratchMachine(Path dir, RocksKvEngine engine, KvStateMachine machine) implements AutoCloseable {
    /** RocksDB with the engine's default options; {@code prefix} names the directory. */
    static ScratchMachine open(String prefix) throws IOException {
        Path dir = BenchDirs.create(prefix);
        RocksKvEngine engine = RocksKvEngine.open(dir.resolve("engine"));
        return new ScratchMachine(dir, engine, new KvStateMachine(engine));
    }

    @Override
    public void close() throws IOException {
        try {
            engine.close();
        } finally {
            BenchDirs.deleteRecursively(dir);
        }
    }
}
