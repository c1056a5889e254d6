package io.cairn.bench;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;

/**
 * Scratch directories for benchmarks that touch the disk. They go under {@code /tmp} unless the
 * system property {@code cairn.bench.dir} names another parent, which matters when {@code /tmp}
 * is a tmpfs (fdatasync is then free and the numbers mean nothing): pass
 * {@code -jvmArgsAppend -Dcairn.bench.dir=/path/on/the/real/disk} to JMH.
 */
final class BenchDirs {
    static final String PARENT_PROPERTY = "cairn.bench.dir";

    private BenchDirs() {}

    /** A fresh, empty directory whose name starts with {@code prefix}. */
    static Path create(String prefix) throws IOException {
        Path parent = Path.of(System.getProperty(PARENT_PROPERTY, "/tmp"));
        Files.createDirectories(parent);
        return Files.createTempDirectory(parent, prefix);
    }

    /** Deletes {@code dir} and everything under it; a missing directory is fine. */
    static void deleteRecursively(Path dir) throws IOException {
        if (dir == null || !Files.exists(dir)) {
            return;
        }
        Files.walkFileTree(dir, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                Files.delete(file);
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult postVisitDirectory(Path directory, IOException e) throws IOException {
                if (e != null) {
                    throw e;
                }
                Files.delete(directory);
                return FileVisitResult.CONTINUE;
            }
        });
    }

    /** The file system type holding {@code dir}, for the record printed beside the results. */
    static String fileStoreType(Path dir) {
        try {
            return Files.getFileStore(dir).type();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
