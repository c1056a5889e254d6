package io.cairn.kv.rocks;

import java.io.IOException;
import java.nio.file.Path;

/**
 * Run in a child JVM by {@link RocksKvEngineTest}: opens the engine in {@code args[0]}, prints
 * "locked" and the directory, and holds the database open until its standard input closes.
 */
public final class LockHolder {
    private LockHolder() {}

    public static void main(String[] args) throws IOException {
        try (RocksKvEngine engine = RocksKvEngine.open(Path.of(args[0]))) {
            System.out.println("locked " + engine.dir());
            System.out.flush();
            while (System.in.read() != -1) {
                // Hold the lock until the parent closes our stdin.
            }
        }
    }
}
