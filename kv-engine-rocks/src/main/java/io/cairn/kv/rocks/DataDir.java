package io.cairn.kv.rocks;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * The data directory of a {@link RocksKvEngine} and the sibling directories a restore uses to
 * replace it. A restore copies the image into {@code <dir>.restore-tmp} and syncs it, renames
 * {@code <dir>} to {@code <dir>.restore-old}, renames the copy to {@code <dir>}, and deletes the
 * old one; a failed reopen moves the new content to {@code <dir>.restore-failed} and the old one
 * back. Each step is a rename within one parent, so {@link #recover()} can tell after a crash
 * which step was reached and finish or undo it. These sibling names are reserved.
 */
final class DataDir {
    private final Path dir;
    private final Path staged;
    private final Path old;
    private final Path failed;
    private final Path importing;
    private final Path imported;

    /** A range import made durable before it is applied, so a crash in the middle can redo it. */
    record PendingImport(byte[] fromInclusive, byte[] toExclusive, List<Path> files) {}

    private static final String IMPORT_RANGE_FILE = "RANGE";

    DataDir(Path dir) {
        Path absolute = dir.toAbsolutePath().normalize();
        if (absolute.getFileName() == null) {
            throw new IllegalArgumentException("the data directory cannot be a file system root: " + dir);
        }
        String name = absolute.getFileName().toString();
        this.dir = absolute;
        this.staged = absolute.resolveSibling(name + ".restore-tmp");
        this.old = absolute.resolveSibling(name + ".restore-old");
        this.failed = absolute.resolveSibling(name + ".restore-failed");
        this.importing = absolute.resolveSibling(name + ".import-tmp");
        this.imported = absolute.resolveSibling(name + ".import");
    }

    Path path() {
        return dir;
    }

    /**
     * Brings the directories to a clean state after a crash in the middle of a restore or a
     * roll-back, then makes sure the data directory exists. A restore whose new content was not
     * yet renamed into place is undone; one whose new content was is finished.
     */
    void recover() throws IOException {
        if (!exists(dir) && exists(old)) {
            // Crashed between the two renames of a swap or of a roll-back: the old content wins.
            Files.move(old, dir, StandardCopyOption.ATOMIC_MOVE);
            forceDirectory(dir.getParent());
        }
        // With the data directory in place, the old one is garbage: the swap completed.
        deleteRecursively(old);
        deleteRecursively(staged);
        deleteRecursively(failed);
        // An import not yet made durable never started: the old content of its range stands.
        deleteRecursively(importing);
        Files.createDirectories(dir);
    }

    /**
     * Copies the SST files of a range image into {@code <dir>.import-tmp} with the range's bounds,
     * syncs them and renames the directory to {@code <dir>.import}: from then on the import is
     * decided, and {@link #pendingImport()} finds it after a crash.
     */
    PendingImport stageImport(List<Path> sstFiles, byte[] fromInclusive, byte[] toExclusive) throws IOException {
        deleteRecursively(importing);
        deleteRecursively(imported);
        Files.createDirectory(importing);
        List<Path> copies = new ArrayList<>();
        for (Path file : sstFiles) {
            Path copy = importing.resolve(file.getFileName());
            Files.copy(file, copy);
            forceFile(copy);
            copies.add(imported.resolve(file.getFileName()));
        }
        Path range = importing.resolve(IMPORT_RANGE_FILE);
        java.util.HexFormat hex = java.util.HexFormat.of();
        Files.writeString(range, hex.formatHex(fromInclusive) + "\n" + hex.formatHex(toExclusive) + "\n");
        forceFile(range);
        forceDirectory(importing);
        Files.move(importing, imported, StandardCopyOption.ATOMIC_MOVE);
        forceDirectory(imported.getParent());
        return new PendingImport(fromInclusive.clone(), toExclusive.clone(), copies);
    }

    /** The import a crash interrupted after {@link #stageImport}, if any. */
    java.util.Optional<PendingImport> pendingImport() throws IOException {
        if (!exists(imported)) {
            return java.util.Optional.empty();
        }
        List<String> lines = Files.readAllLines(imported.resolve(IMPORT_RANGE_FILE));
        java.util.HexFormat hex = java.util.HexFormat.of();
        List<Path> files = new ArrayList<>();
        for (Path file : listFiles(imported)) {
            if (!file.getFileName().toString().equals(IMPORT_RANGE_FILE)) {
                files.add(file);
            }
        }
        return java.util.Optional.of(new PendingImport(hex.parseHex(lines.get(0)), hex.parseHex(lines.get(1)), files));
    }

    /** After the import is applied and durable: its staged copy goes. */
    void discardImport() throws IOException {
        deleteRecursively(imported);
        forceDirectory(imported.getParent());
    }

    /** Copies the regular files of {@code image} into the staging directory and syncs them. */
    void stage(Path image) throws IOException {
        Path source = image.toAbsolutePath().normalize();
        if (source.startsWith(dir) || dir.startsWith(source)) {
            throw new IllegalArgumentException("cannot restore from " + image + ": it overlaps the data directory " + dir);
        }
        if (!Files.isDirectory(source)) {
            throw new NoSuchFileException(source.toString(), null, "no checkpoint directory");
        }
        deleteRecursively(staged);
        Files.createDirectory(staged);
        for (Path file : listFiles(source)) {
            if (!Files.isRegularFile(file)) {
                throw new IOException("cannot restore from " + source + ": " + file.getFileName()
                        + " is not a regular file, and a RocksDB checkpoint holds only files");
            }
            Path copy = staged.resolve(file.getFileName());
            Files.copy(file, copy);
            forceFile(copy);
        }
        forceDirectory(staged);
        forceDirectory(staged.getParent());
    }

    Path staged() {
        return staged;
    }

    /**
     * Puts the staged copy in place of the data directory, which must be closed. If the second
     * rename fails the first is undone, so on any exception the old content is in place.
     */
    void swapInStaged() throws IOException {
        Files.move(dir, old, StandardCopyOption.ATOMIC_MOVE);
        try {
            Files.move(staged, dir, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            Files.move(old, dir, StandardCopyOption.ATOMIC_MOVE);
            throw e;
        } finally {
            forceDirectory(dir.getParent());
        }
    }

    /** After {@link #swapInStaged()} and a successful reopen: the old content goes. */
    void discardOld() throws IOException {
        deleteRecursively(old);
    }

    /** After {@link #swapInStaged()} and a failed reopen: the old content comes back. */
    void rollBack() throws IOException {
        if (exists(dir)) {
            Files.move(dir, failed, StandardCopyOption.ATOMIC_MOVE);
        }
        Files.move(old, dir, StandardCopyOption.ATOMIC_MOVE);
        forceDirectory(dir.getParent());
        deleteRecursively(failed);
    }

    /** Removes the staged copy, if any, after a restore that did not swap it in. */
    void discardStaged() throws IOException {
        deleteRecursively(staged);
    }

    /** The regular files directly in {@code dir}, relative to it, in ascending order. */
    static List<Path> relativeFiles(Path dir) throws IOException {
        List<Path> result = new ArrayList<>();
        for (Path file : listFiles(dir)) {
            result.add(dir.relativize(file));
        }
        return result;
    }

    static void forceDirectory(Path directory) throws IOException {
        try (FileChannel channel = FileChannel.open(directory, StandardOpenOption.READ)) {
            channel.force(true);
        }
    }

    private static List<Path> listFiles(Path directory) throws IOException {
        try (Stream<Path> files = Files.list(directory)) {
            return files.sorted().toList();
        }
    }

    private static void forceFile(Path file) throws IOException {
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.WRITE)) {
            channel.force(true);
        }
    }

    private static boolean exists(Path path) {
        return Files.exists(path, LinkOption.NOFOLLOW_LINKS);
    }

    /** Deletes a directory tree without following links; absent is fine. */
    static void deleteRecursively(Path root) throws IOException {
        if (!exists(root)) {
            return;
        }
        Files.walkFileTree(root, new SimpleFileVisitor<>() {
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
}
