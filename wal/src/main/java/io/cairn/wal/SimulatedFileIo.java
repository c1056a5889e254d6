package io.cairn.wal;

import io.cairn.common.RandomSource;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * An in-memory {@link FileIo} that remembers what is durable, so a test or the simulator can crash
 * the "machine" and see exactly what a real disk may keep.
 *
 * <p>The model, deliberately harsher than most file systems: file content written since the last
 * {@link Handle#force()} is unsynced; a file creation, rename or deletion is unsynced until
 * {@link #syncDirectory}. A crash reverts every directory to its last synced listing and every
 * file to its synced content. In {@link CrashMode#TEAR_UNSYNCED} each unsynced 512-byte sector
 * of a write (and each unsynced truncation) survives independently with probability 1/2, so a
 * write can come back torn, with holes of zeros and later parts present while earlier ones are
 * missing, as on a disk that reorders sector writes. Directories themselves are durable as soon
 * as they are created.
 *
 * <p>After a crash every handle opened before it fails: it belonged to the process that died.
 * All methods are thread-safe; the random source is only used during a crash, so a run is
 * reproducible from its seed as long as the caller's own order is.
 */
public final class SimulatedFileIo implements FileIo {
    /** What happens to unsynced data when the machine crashes. */
    public enum CrashMode {
        /** Every unsynced change is lost. */
        LOSE_UNSYNCED,
        /** Each unsynced sector and truncation survives with probability 1/2, independently. */
        TEAR_UNSYNCED
    }

    static final int SECTOR_BYTES = 512;

    private final RandomSource random;
    private final Set<Path> directories = new TreeSet<>();
    private final Map<Path, Inode> names = new TreeMap<>();
    private final Map<Path, Inode> durableNames = new TreeMap<>();
    private int generation;
    private long syncCount;
    private int syncsBeforeCrash = -1;
    private CrashMode scheduledCrashMode;

    /** @param random decides which unsynced sectors survive a {@link CrashMode#TEAR_UNSYNCED} crash */
    public SimulatedFileIo(RandomSource random) {
        this.random = Objects.requireNonNull(random, "random");
    }

    /** Crashes now: the next process sees only what survived, per {@code mode}. */
    public synchronized void crash(CrashMode mode) {
        // The name-ordered map consumes the random source in a replayable order. Files not durable
        // under any name are simply forgotten.
        for (Inode inode : durableNames.values()) {
            inode.crash(mode, random);
        }
        names.clear();
        names.putAll(durableNames);
        generation++;
    }

    /**
     * Lets {@code syncsBeforeCrash} more syncs (file forces or directory syncs) succeed, then
     * crashes in place of the next one, which throws an {@link IOException} to its caller.
     */
    public synchronized void crashAtSync(int syncsBeforeCrash, CrashMode mode) {
        if (syncsBeforeCrash < 0) {
            throw new IllegalArgumentException("syncsBeforeCrash must not be negative: " + syncsBeforeCrash);
        }
        this.syncsBeforeCrash = syncsBeforeCrash;
        this.scheduledCrashMode = Objects.requireNonNull(mode, "mode");
    }

    /**
     * Media damage: flips bit {@code bitIndex % (8 * size)} of {@code file}'s synced bytes (and of
     * what reads see), as a bad sector would. Returns the byte offset flipped; -1 if the file is
     * missing or empty, or has changes not yet synced (damage here is to data at rest).
     */
    public synchronized long flipBit(Path file, long bitIndex) {
        Inode inode = names.get(file);
        if (inode == null || !inode.unsynced.isEmpty() || inode.durable.length == 0) {
            return -1;
        }
        long bit = Math.floorMod(bitIndex, 8L * inode.durable.length);
        int offset = (int) (bit / 8);
        byte mask = (byte) (1 << (int) (bit % 8));
        inode.durable.bytes[offset] ^= mask;
        inode.content.bytes[offset] ^= mask;
        return offset;
    }

    /** File forces and directory syncs that succeeded, over the whole life of this instance. */
    public synchronized long syncCount() {
        return syncCount;
    }

    @Override
    public synchronized Handle create(Path file) throws IOException {
        requireDirectory(file.getParent());
        if (names.containsKey(file)) {
            throw new FileAlreadyExistsException(file.toString());
        }
        Inode inode = new Inode();
        names.put(file, inode);
        return new SimulatedHandle(inode, generation);
    }

    @Override
    public synchronized Handle open(Path file) throws IOException {
        return new SimulatedHandle(existing(file), generation);
    }

    @Override
    public synchronized List<Path> list(Path dir) throws IOException {
        requireDirectory(dir);
        List<Path> files = new ArrayList<>();
        for (Path name : names.keySet()) {
            if (dir.equals(name.getParent())) {
                files.add(name);
            }
        }
        return files;
    }

    @Override
    public synchronized void createDirectories(Path dir) {
        for (Path p = dir; p != null; p = p.getParent()) {
            directories.add(p);
        }
    }

    @Override
    public synchronized void delete(Path file) throws IOException {
        existing(file);
        names.remove(file);
    }

    @Override
    public synchronized void rename(Path source, Path target) throws IOException {
        Inode inode = existing(source);
        requireDirectory(target.getParent());
        names.remove(source);
        names.put(target, inode);
    }

    @Override
    public synchronized void syncDirectory(Path dir) throws IOException {
        requireDirectory(dir);
        beforeSync();
        durableNames.keySet().removeIf(name -> dir.equals(name.getParent()));
        names.forEach((name, inode) -> {
            if (dir.equals(name.getParent())) {
                durableNames.put(name, inode);
            }
        });
        syncCount++;
    }

    /** Counts down a scheduled crash; when it is due, crashes instead of syncing. */
    private void beforeSync() throws IOException {
        if (syncsBeforeCrash == 0) {
            syncsBeforeCrash = -1;
            crash(scheduledCrashMode);
            throw new IOException("simulated crash");
        }
        if (syncsBeforeCrash > 0) {
            syncsBeforeCrash--;
        }
    }

    private Inode existing(Path file) throws NoSuchFileException {
        Inode inode = names.get(file);
        if (inode == null) {
            throw new NoSuchFileException(file.toString());
        }
        return inode;
    }

    private void requireDirectory(Path dir) throws NoSuchFileException {
        if (dir == null || !directories.contains(dir)) {
            throw new NoSuchFileException(String.valueOf(dir));
        }
    }

    /** A file's bytes as reads see them, the synced bytes, and the changes in between. */
    private static final class Inode {
        private Content content = new Content();
        private Content durable = new Content();
        private final List<Change> unsynced = new ArrayList<>();

        void write(ByteBuffer source, long position) {
            byte[] bytes = new byte[source.remaining()];
            source.get(bytes);
            Change change = new Write(position, bytes);
            change.applyTo(content);
            unsynced.add(change);
        }

        void truncate(long sizeBytes) {
            Change change = new Truncate(sizeBytes);
            change.applyTo(content);
            unsynced.add(change);
        }

        void force() {
            // Replaying the changes costs what was written since the last force, where a copy of
            // the content would cost the whole file on every sync.
            for (Change change : unsynced) {
                change.applyTo(durable);
            }
            unsynced.clear();
        }

        void crash(CrashMode mode, RandomSource random) {
            Content survived = durable.copy();
            if (mode == CrashMode.TEAR_UNSYNCED) {
                for (Change change : unsynced) {
                    change.applyTornTo(survived, random);
                }
            }
            content = survived;
            durable = survived.copy();
            unsynced.clear();
        }
    }

    /** An unsynced change to a file, replayed whole on the live content or torn on a crash. */
    private sealed interface Change {
        void applyTo(Content target);

        void applyTornTo(Content target, RandomSource random);
    }

    private record Write(long position, byte[] bytes) implements Change {
        @Override
        public void applyTo(Content target) {
            target.write(position, bytes, 0, bytes.length);
        }

        /** Keeps each piece that falls in one sector with probability 1/2. */
        @Override
        public void applyTornTo(Content target, RandomSource random) {
            int from = 0;
            while (from < bytes.length) {
                long sectorEnd = ((position + from) / SECTOR_BYTES + 1) * SECTOR_BYTES;
                int to = (int) Math.min(bytes.length, sectorEnd - position);
                if (random.chance(0.5)) {
                    target.write(position + from, bytes, from, to - from);
                }
                from = to;
            }
        }
    }

    private record Truncate(long sizeBytes) implements Change {
        @Override
        public void applyTo(Content target) {
            target.truncate(sizeBytes);
        }

        @Override
        public void applyTornTo(Content target, RandomSource random) {
            if (random.chance(0.5)) {
                target.truncate(sizeBytes);
            }
        }
    }

    /** A growable byte array; gaps left by a write past the end read as zeros. */
    private static final class Content {
        private byte[] bytes = new byte[0];
        private int length;

        void write(long position, byte[] source, int offset, int count) {
            int start = Math.toIntExact(position);
            int end = Math.addExact(start, count);
            if (end > bytes.length) {
                bytes = Arrays.copyOf(bytes, Math.max(end, bytes.length * 2));
            }
            System.arraycopy(source, offset, bytes, start, count);
            length = Math.max(length, end);
        }

        /** Shortens, or extends with zeros, like ftruncate. */
        void truncate(long sizeBytes) {
            int size = Math.toIntExact(sizeBytes);
            if (size > bytes.length) {
                bytes = Arrays.copyOf(bytes, size);
            } else {
                Arrays.fill(bytes, Math.min(size, length), length, (byte) 0);
            }
            length = size;
        }

        int read(ByteBuffer target, long position) {
            int available = (int) Math.max(0, length - position);
            int count = Math.min(available, target.remaining());
            target.put(bytes, (int) position, count);
            return count;
        }

        Content copy() {
            Content copy = new Content();
            copy.bytes = Arrays.copyOf(bytes, length);
            copy.length = length;
            return copy;
        }
    }

    private final class SimulatedHandle implements Handle {
        private final Inode inode;
        private final int openedInGeneration;

        SimulatedHandle(Inode inode, int openedInGeneration) {
            this.inode = inode;
            this.openedInGeneration = openedInGeneration;
        }

        @Override
        public void write(ByteBuffer source, long position) throws IOException {
            synchronized (SimulatedFileIo.this) {
                requireLive();
                inode.write(source, position);
            }
        }

        @Override
        public int read(ByteBuffer target, long position) throws IOException {
            synchronized (SimulatedFileIo.this) {
                requireLive();
                return inode.content.read(target, position);
            }
        }

        @Override
        public void force() throws IOException {
            synchronized (SimulatedFileIo.this) {
                requireLive();
                beforeSync();
                inode.force();
                syncCount++;
            }
        }

        @Override
        public void truncate(long sizeBytes) throws IOException {
            synchronized (SimulatedFileIo.this) {
                requireLive();
                inode.truncate(sizeBytes);
            }
        }

        @Override
        public long size() throws IOException {
            synchronized (SimulatedFileIo.this) {
                requireLive();
                return inode.content.length;
            }
        }

        @Override
        public void close() {
            // Nothing to release; a closed handle simply stops being used.
        }

        private void requireLive() throws IOException {
            if (openedInGeneration != generation) {
                throw new IOException("handle opened before a simulated crash");
            }
        }
    }
}
