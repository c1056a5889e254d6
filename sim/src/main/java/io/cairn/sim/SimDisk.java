package io.cairn.sim;

import java.util.ArrayList;
import java.util.List;
import io.cairn.common.RandomSource;
import io.cairn.multiraft.WalLogStore;
import io.cairn.wal.BeforeSyncFileIo;
import io.cairn.wal.FileIo;
import io.cairn.wal.FullDiskFileIo;
import io.cairn.wal.SimulatedFileIo;
import io.cairn.wal.WalOptions;
import java.io.IOException;
import java.nio.file.Path;

/**
 * A simulated machine's disk, holding what the server keeps on it: the {@link WalLogStore} of
 * every replica on the machine (the shared WAL, snapshot files, tombstones), the shipped code,
 * over a {@link SimulatedFileIo} that loses or tears whatever was not synced when the machine
 * crashes. The process above it opens the store at start and loses it at a crash.
 *
 * <p>The run's storage faults act here: a crash in place of the next sync (the process dies in
 * the middle of a persist, its unsynced writes torn) and a full disk (every write and creation
 * fails).
 */
final class SimDisk {
    /**
     * The WAL logs each recovery and each failed write; in a simulation those are the run's own
     * faults, which its trace notes. Held here: the logging framework keeps loggers weakly.
     */
    private static final java.util.logging.Logger WAL_LOG = java.util.logging.Logger.getLogger("io.cairn.wal");

    static {
        WAL_LOG.setLevel(java.util.logging.Level.OFF);
    }

    /** Where the store lives on every simulated machine. */
    private static final Path DIR = Path.of("/cairn/log");
    /** Small segments, so that rolling over and releasing segments happen in every run. */
    static final WalOptions WAL_OPTIONS = WalOptions.DEFAULTS.withSegmentBytesTarget(32 * 1024);

    private final SimulatedFileIo io;
    private final FileIo faulty;
    private boolean full;
    /** How many more syncs succeed before one crashes the machine instead; -1: none will. */
    private int syncsBeforeCrash = -1;
    private WalLogStore store;

    /** @param random decides which unsynced sectors survive a crash */
    SimDisk(RandomSource random) {
        this.io = new SimulatedFileIo(random);
        this.faulty = new BeforeSyncFileIo(new FullDiskFileIo(io, () -> full, "simulated"), this::crashIfDue);
    }

    /**
     * The store, opened from what the disk holds if the process has not opened it yet. Nothing but
     * torn unsynced writes reaches this disk, so a WalCorruptionException from here fails the run.
     */
    WalLogStore store() throws IOException {
        if (store == null) {
            store = WalLogStore.open(DIR, WAL_OPTIONS, faulty);
        }
        return store;
    }

    /** The open store; the caller knows the process is up. */
    WalLogStore openStore() {
        if (store == null) {
            throw new IllegalStateException("the store is not open: the process is down");
        }
        return store;
    }

    /** The machine crashes: only what was synced survives, unsynced sectors torn at random. */
    void crash() {
        io.crash(SimulatedFileIo.CrashMode.TEAR_UNSYNCED);
        store = null;
        syncsBeforeCrash = -1;
    }

    /** The next sync crashes the machine instead: the write in progress is torn. */
    void crashAtNextSync() {
        crashAfterSyncs(0);
    }

    /** {@code syncs} more file or directory syncs succeed; the one after crashes the machine instead. */
    void crashAfterSyncs(int syncs) {
        syncsBeforeCrash = syncs;
    }

    private void crashIfDue() throws IOException {
        if (syncsBeforeCrash == 0) {
            crash();
            throw new IOException("simulated crash in place of a sync");
        }
        if (syncsBeforeCrash > 0) {
            syncsBeforeCrash--;
        }
    }

    /** A flipped bit: the file and the byte it is in. */
    record Damage(Path file, long offset) {
        @Override
        public String toString() {
            return file.getFileName() + " at byte " + offset;
        }
    }

    /**
     * Media damage while the machine is down: one bit flipped in a file every start reads whole
     * and whose every byte was synced long ago, chosen by {@code random} among the tombstones file,
     * each WAL segment a newer one follows (the newest may end in a torn write, which recovery
     * rightly trims), and each snapshot file. Returns null when there is none.
     */
    Damage damage(RandomSource random) throws IOException {
        if (store != null) {
            throw new IllegalStateException("damage is done to a disk at rest: the process must be down");
        }
        List<Path> files = new ArrayList<>();
        List<Path> segments = new ArrayList<>();
        for (Path p : io.list(DIR)) {
            if (p.getFileName().toString().equals("tombstones")) {
                files.add(p);
            }
        }
        for (Path p : io.list(DIR.resolve("wal"))) {
            if (p.getFileName().toString().endsWith(".wal")) {
                segments.add(p);
            }
        }
        java.util.Collections.sort(segments);
        files.addAll(segments.subList(0, Math.max(0, segments.size() - 1)));
        List<Path> snapshots;
        try {
            snapshots = io.list(DIR.resolve("snapshots"));
        } catch (java.nio.file.NoSuchFileException e) {
            snapshots = List.of(); // the store creates the directory at its first open
        }
        for (Path p : snapshots) {
            if (p.getFileName().toString().endsWith(".snap")) {
                files.add(p);
            }
        }
        java.util.Collections.sort(files);
        while (!files.isEmpty()) {
            Path file = files.remove(random.nextInt(files.size()));
            long offset = io.flipBit(file, random.nextLong(Long.MAX_VALUE));
            if (offset >= 0) {
                return new Damage(file, offset);
            }
        }
        return null;
    }

    boolean exists(Path file) {
        try {
            return io.list(file.getParent()).contains(file);
        } catch (IOException e) {
            return false;
        }
    }

    /** A full disk: creations and writes fail (ENOSPC) until {@link #free}. */
    void fill() {
        full = true;
    }

    void free() {
        full = false;
    }

    boolean isFull() {
        return full;
    }
}
