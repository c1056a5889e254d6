package io.cairn.kv.rocks;

import io.cairn.kv.engine.KvEngine;
import io.cairn.kv.engine.KvEngineException;
import io.cairn.kv.engine.KvPair;
import io.cairn.kv.engine.RangeImage;
import io.cairn.kv.engine.RangedKvEngine;
import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.locks.Lock;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import org.rocksdb.BlockBasedTableConfig;
import org.rocksdb.BloomFilter;
import org.rocksdb.Checkpoint;
import org.rocksdb.EnvOptions;
import org.rocksdb.IngestExternalFileOptions;
import org.rocksdb.Range;
import org.rocksdb.SizeApproximationFlag;
import org.rocksdb.SstFileReader;
import org.rocksdb.SstFileReaderIterator;
import org.rocksdb.SstFileWriter;
import org.rocksdb.CompressionType;
import org.rocksdb.FlushOptions;
import org.rocksdb.LRUCache;
import org.rocksdb.ReadOptions;
import org.rocksdb.RocksDB;
import org.rocksdb.RocksDBException;
import org.rocksdb.RocksIterator;
import org.rocksdb.Slice;
import org.rocksdb.Status;
import org.rocksdb.WriteOptions;

/**
 * The {@link KvEngine} on RocksDB: one column family, keys in RocksDB's default bytewise (that
 * is, unsigned) order. This is the only class in Cairn that imports {@code org.rocksdb}.
 *
 * <h2>Durability: the Raft log is the write-ahead log</h2>
 * RocksDB's own WAL is off, so a write lives only in a memtable until a flush writes it to an
 * SST file. {@link #flush()} flushes and waits; RocksDB may also flush on its own when a
 * memtable fills, which only makes more durable. A batch goes whole into one memtable and with
 * one column family a flush persists whole memtables, so after a crash RocksDB comes back
 * exactly as some batch at or after the last completed flush left it. (With more column
 * families this would need {@code atomic_flush}.) The host must keep this invariant:
 * <ol>
 *   <li>Each batch of applied entries carries the applied index in the same {@link
 *       io.cairn.kv.engine.WriteBatch}, so the data and the index covering it are durable
 *       together.</li>
 *   <li>The Raft log may be compacted only up to an applied index that a completed {@code
 *       flush()} (or {@link #restore}) made durable; compacting further loses committed entries
 *       on a crash, since neither the log nor RocksDB would still hold them.</li>
 *   <li>After a crash, the applied index read back from the engine tells the host where to
 *       replay the log from: the entry after it.</li>
 * </ol>
 * A clean {@link #close()} flushes too, unless {@link Options#flushOnClose()} is false.
 *
 * <h2>Threads</h2>
 * Safe for concurrent use: reads, writes, flushes and checkpoints run in parallel; a scan sees
 * an implicit snapshot, so whole batches only. {@link #restore} and {@link #close} wait for
 * calls in flight and hold the others off while they swap the database.
 *
 * <h2>Restore</h2>
 * The image is copied (not linked: RocksDB may write into an open directory) into a sibling
 * directory and synced, its checksums verified on a read-only open, and only then is the live
 * database closed and the directories swapped by renames; see {@link DataDir}. A failed reopen
 * swaps the old content back. {@link #open} finishes or undoes a swap a crash interrupted.
 *
 * <h2>Ranges</h2>
 * A node keeps one engine for all its replicas, each in its own key range. {@link #exportRange}
 * writes the range, read at one implicit snapshot, into one SST file. {@link #importRange}
 * verifies the file's checksums and that every key is inside the range, stages a synced copy
 * with the range's bounds in {@code <dir>.import} (the point of no return), then, holding
 * readers off, deletes the range, ingests the file and flushes; {@link #open} redoes an import
 * a crash interrupted after staging. Redoing is harmless: the staged file is the range's whole
 * new content.
 */
public final class RocksKvEngine implements RangedKvEngine {
    /**
     * Tuning, with defaults sized for a small (two-core) box.
     *
     * @param blockCacheBytes     the LRU block cache, which also holds index and filter blocks
     * @param writeBufferBytes    one memtable; at most two exist at once
     * @param maxBackgroundJobs   flushes and compactions running at once
     * @param lz4Compression      LZ4 on every level, else no compression
     * @param flushOnClose        whether {@link #close()} flushes memtables first; false loses
     *                            unflushed writes on close, as a crash would (for tests)
     */
    public record Options(long blockCacheBytes, long writeBufferBytes, int maxBackgroundJobs,
            boolean lz4Compression, boolean flushOnClose) {
        private static final long MIB = 1024 * 1024;

        public Options {
            if (blockCacheBytes < MIB) {
                throw new IllegalArgumentException("blockCacheBytes must be at least 1 MiB, was " + blockCacheBytes);
            }
            if (writeBufferBytes < MIB) {
                throw new IllegalArgumentException("writeBufferBytes must be at least 1 MiB, was " + writeBufferBytes);
            }
            if (maxBackgroundJobs < 1 || maxBackgroundJobs > 64) {
                throw new IllegalArgumentException("maxBackgroundJobs must be in [1, 64], was " + maxBackgroundJobs);
            }
        }

        /** 64 MiB block cache, 32 MiB memtables, 2 background jobs, LZ4, flush on close. */
        public static Options defaults() {
            return new Options(64 * MIB, 32 * MIB, 2, true, true);
        }

        public Options withFlushOnClose(boolean flush) {
            return new Options(blockCacheBytes, writeBufferBytes, maxBackgroundJobs, lz4Compression, flush);
        }
    }

    /** The one file of a range image. */
    public static final String RANGE_FILE = "range.sst";
    private static final int MAX_WRITE_BUFFERS = 2;
    private static final int MAX_OPEN_FILES = 512;
    private static final int BLOOM_BITS_PER_KEY = 10;
    /** The memtable's bloom filter as a share of its size (3.2 MiB of a 32 MiB write buffer). */
    private static final double MEMTABLE_BLOOM_RATIO = 0.1;
    private static final long BYTES_PER_SYNC = 1024 * 1024;
    private static final long INFO_LOG_BYTES_MAX = 16 * 1024 * 1024;
    private static final int INFO_LOG_FILES_KEPT = 4;

    static {
        RocksDB.loadLibrary();
    }

    private final DataDir dataDir;
    private final Options options;
    private final ReentrantReadWriteLock lock = new ReentrantReadWriteLock();
    /** One restore at a time; the copy runs outside {@link #lock} so readers go on meanwhile. */
    private final Object restoreMutex = new Object();
    /** The open database; null once closed. Replaced only under the write lock. */
    private Handles handles;
    private String closedReason = "RocksKvEngine is closed";

    private RocksKvEngine(DataDir dataDir, Options options, Handles handles) {
        this.dataDir = dataDir;
        this.options = options;
        this.handles = handles;
    }

    /**
     * Opens the database in {@code dir}, creating it (and missing parents) if absent, after
     * finishing or undoing a restore that a crash interrupted.
     *
     * @throws IOException naming the directory and RocksDB's message if the directory is locked
     *     by another open engine (in this process or another), corrupted, or not a database
     */
    public static RocksKvEngine open(Path dir, Options options) throws IOException {
        Objects.requireNonNull(options, "options");
        DataDir dataDir = new DataDir(Objects.requireNonNull(dir, "dir"));
        dataDir.recover();
        RocksKvEngine engine = new RocksKvEngine(dataDir, options, Handles.open(dataDir.path(), options));
        try {
            Optional<DataDir.PendingImport> pending = dataDir.pendingImport();
            if (pending.isPresent()) {
                engine.applyImport(pending.get());
            }
        } catch (IOException | RuntimeException e) {
            engine.close();
            throw e;
        }
        return engine;
    }

    public static RocksKvEngine open(Path dir) throws IOException {
        return open(dir, Options.defaults());
    }

    /** The data directory, absolute. */
    public Path dir() {
        return dataDir.path();
    }

    @Override
    public byte[] get(byte[] key) {
        Objects.requireNonNull(key, "key");
        Lock read = readLockOpen();
        try {
            return handles.db.get(key);
        } catch (RocksDBException e) {
            throw failure("get", e);
        } finally {
            read.unlock();
        }
    }

    @Override
    public void write(io.cairn.kv.engine.WriteBatch batch) {
        Objects.requireNonNull(batch, "batch");
        try (org.rocksdb.WriteBatch rocksBatch = new org.rocksdb.WriteBatch()) {
            for (io.cairn.kv.engine.WriteBatch.Op op : batch.ops()) {
                if (op.isDelete()) {
                    rocksBatch.delete(op.key());
                } else {
                    rocksBatch.put(op.key(), op.value());
                }
            }
            Lock read = readLockOpen();
            try {
                if (rocksBatch.count() > 0) {
                    handles.db.write(handles.writeOptions, rocksBatch);
                }
            } finally {
                read.unlock();
            }
        } catch (RocksDBException e) {
            throw failure("write", e);
        }
    }

    @Override
    public List<KvPair> scan(byte[] fromInclusive, byte[] toExclusive, int limit) {
        Objects.requireNonNull(fromInclusive, "fromInclusive");
        if (limit < 0) {
            throw new IllegalArgumentException("limit must be >= 0, was " + limit);
        }
        Lock read = readLockOpen();
        try {
            List<KvPair> result = new ArrayList<>(Math.min(limit, 64));
            boolean emptyRange = toExclusive != null && Arrays.compareUnsigned(fromInclusive, toExclusive) >= 0;
            if (emptyRange || limit == 0) {
                return result;
            }
            // Closed in reverse: the iterator before the options, the options before the bound.
            try (Slice upperBound = toExclusive == null ? null : new Slice(toExclusive);
                    ReadOptions readOptions = new ReadOptions();
                    RocksIterator it = handles.db.newIterator(
                            upperBound == null ? readOptions : readOptions.setIterateUpperBound(upperBound))) {
                for (it.seek(fromInclusive); it.isValid() && result.size() < limit; it.next()) {
                    result.add(new KvPair(it.key(), it.value()));
                }
                it.status();
            }
            return result;
        } catch (RocksDBException e) {
            throw failure("scan", e);
        } finally {
            read.unlock();
        }
    }

    /** Flushes the memtable to an SST file and waits until it and the manifest are synced. */
    @Override
    public void flush() {
        Lock read = readLockOpen();
        try {
            handles.db.flush(handles.flushOptions);
        } catch (RocksDBException e) {
            throw failure("flush", e);
        } finally {
            read.unlock();
        }
    }

    /**
     * A RocksDB checkpoint: SST files hard-linked when {@code dir} is on the same file system
     * (copied otherwise), plus a fresh manifest. RocksDB flushes the memtable first, so the
     * image holds unflushed writes too.
     */
    @Override
    public List<Path> checkpoint(Path dir) throws IOException {
        Objects.requireNonNull(dir, "dir");
        Lock read = readLockOpen();
        try {
            Path target = dir.toAbsolutePath().normalize();
            if (Files.exists(target, LinkOption.NOFOLLOW_LINKS)) {
                throw new FileAlreadyExistsException(target.toString());
            }
            Files.createDirectories(target.getParent());
            try (Checkpoint checkpoint = Checkpoint.create(handles.db)) {
                checkpoint.createCheckpoint(target.toString());
            } catch (RocksDBException e) {
                throw new IOException("cannot checkpoint RocksDB in " + dataDir.path() + " into " + target
                        + ": " + describe(e), e);
            }
            DataDir.forceDirectory(target);
            DataDir.forceDirectory(target.getParent());
            return DataDir.relativeFiles(target);
        } finally {
            read.unlock();
        }
    }

    /**
     * Replaces the content with a checkpoint made by {@link #checkpoint}; see the class
     * comment. {@code dir} must not overlap the data directory.
     */
    @Override
    public void restore(Path dir) throws IOException {
        Objects.requireNonNull(dir, "dir");
        synchronized (restoreMutex) {
            readLockOpen().unlock(); // Fail fast when closed, before copying anything.
            try {
                dataDir.stage(dir);
                Handles.verify(dataDir.staged(), dir);
                swapInStaged();
            } catch (IOException | RuntimeException e) {
                discardStaged(e);
                throw e;
            }
        }
    }

    /** Closes the live database, swaps the staged copy in and opens it; see {@link DataDir}. */
    private void swapInStaged() throws IOException {
        Lock write = lock.writeLock();
        write.lock();
        try {
            checkOpen();
            Handles live = handles;
            handles = null;
            closedReason = "RocksKvEngine failed to reopen its old content after a failed restore";
            try {
                live.close();
                dataDir.swapInStaged();
            } catch (IOException e) {
                // Nothing was swapped: the old content is in place.
                reopenAfter(e);
                throw e;
            }
            try {
                handles = Handles.open(dataDir.path(), options);
            } catch (IOException e) {
                rollBackAfter(e);
                throw e;
            }
            dataDir.discardOld();
        } finally {
            write.unlock();
        }
    }

    private void rollBackAfter(IOException cause) throws IOException {
        try {
            dataDir.rollBack();
        } catch (IOException e) {
            cause.addSuppressed(e);
            throw cause;
        }
        reopenAfter(cause);
    }

    /** Reopens the data directory; if that fails too, the engine stays closed and says why. */
    private void reopenAfter(IOException cause) throws IOException {
        try {
            handles = Handles.open(dataDir.path(), options);
        } catch (IOException e) {
            cause.addSuppressed(e);
            throw cause;
        }
    }

    private void discardStaged(Exception cause) {
        try {
            dataDir.discardStaged();
        } catch (IOException e) {
            cause.addSuppressed(e);
        }
    }

    @Override
    public void deleteRange(byte[] fromInclusive, byte[] toExclusive) {
        RangedKvEngine.checkRange(fromInclusive, toExclusive);
        Lock read = readLockOpen();
        try {
            handles.db.deleteRange(handles.writeOptions, fromInclusive, toExclusive);
        } catch (RocksDBException e) {
            throw failure("deleteRange", e);
        } finally {
            read.unlock();
        }
    }

    /** The range as one SST file, {@value #RANGE_FILE}, read at one snapshot. */
    @Override
    public List<Path> exportRange(byte[] fromInclusive, byte[] toExclusive, Path dir) throws IOException {
        try (RangeImage image = captureRange(fromInclusive, toExclusive)) {
            return image.writeTo(dir);
        }
    }

    /** A RocksDB snapshot of the range, released on close. */
    @Override
    public RangeImage captureRange(byte[] fromInclusive, byte[] toExclusive) {
        RangedKvEngine.checkRange(fromInclusive, toExclusive);
        Lock read = readLockOpen();
        try {
            return new SnapshotImage(handles, handles.db.getSnapshot(), fromInclusive.clone(), toExclusive.clone());
        } finally {
            read.unlock();
        }
    }

    /** A range read at one RocksDB snapshot of the database that was open when it was taken. */
    private final class SnapshotImage implements RangeImage {
        private final Handles owner;
        private final org.rocksdb.Snapshot snapshot;
        private final byte[] from;
        private final byte[] to;
        private volatile boolean closed;

        SnapshotImage(Handles owner, org.rocksdb.Snapshot snapshot, byte[] from, byte[] to) {
            this.owner = owner;
            this.snapshot = snapshot;
            this.from = from;
            this.to = to;
        }

        @Override
        public List<Path> writeTo(Path dir) throws IOException {
            Objects.requireNonNull(dir, "dir");
            Lock read = readLockOpen();
            try {
                if (closed || handles != owner) {
                    throw new IllegalStateException("this range image was released, or the database it was taken"
                            + " from was replaced by a restore: " + dataDir.path());
                }
                return write(dir);
            } finally {
                read.unlock();
            }
        }

        private List<Path> write(Path dir) throws IOException {
            Path target = dir.toAbsolutePath().normalize();
            if (Files.exists(target, LinkOption.NOFOLLOW_LINKS)) {
                throw new FileAlreadyExistsException(target.toString());
            }
            Files.createDirectories(target);
            Path file = target.resolve(RANGE_FILE);
            boolean any;
            try (Slice upperBound = new Slice(to);
                    ReadOptions readOptions = new ReadOptions().setSnapshot(snapshot).setIterateUpperBound(upperBound);
                    RocksIterator it = owner.db.newIterator(readOptions);
                    EnvOptions env = new EnvOptions();
                    SstFileWriter writer = new SstFileWriter(env, owner.rocksOptions)) {
                it.seek(from);
                any = it.isValid();
                if (any) {
                    writer.open(file.toString());
                    for (; it.isValid(); it.next()) {
                        writer.put(it.key(), it.value());
                    }
                    it.status();
                    writer.finish();
                }
            } catch (RocksDBException e) {
                throw new IOException("cannot export a range of RocksDB in " + dataDir.path() + " into " + target
                        + ": " + describe(e), e);
            }
            if (any) {
                try (java.nio.channels.FileChannel ch = java.nio.channels.FileChannel.open(file,
                        java.nio.file.StandardOpenOption.WRITE)) {
                    ch.force(true);
                }
            }
            DataDir.forceDirectory(target);
            DataDir.forceDirectory(target.getParent());
            return any ? List.of(Path.of(RANGE_FILE)) : List.of();
        }

        @Override
        public void close() {
            Lock read = lock.readLock();
            read.lock();
            try {
                // A snapshot of a database since closed (or swapped by a restore) went with it.
                if (!closed && handles == owner) {
                    owner.db.releaseSnapshot(snapshot);
                }
                closed = true;
            } finally {
                read.unlock();
            }
        }
    }

    /** See the class comment: verify, stage durably, then delete the range, ingest and flush. */
    @Override
    public void importRange(byte[] fromInclusive, byte[] toExclusive, Path dir) throws IOException {
        RangedKvEngine.checkRange(fromInclusive, toExclusive);
        Objects.requireNonNull(dir, "dir");
        synchronized (restoreMutex) {
            readLockOpen().unlock(); // Fail fast when closed, before copying anything.
            if (!Files.isDirectory(dir)) {
                throw new java.nio.file.NoSuchFileException(dir.toString(), null, "no range image");
            }
            List<Path> files = new ArrayList<>();
            try (var listing = Files.list(dir)) {
                for (Path f : listing.sorted().toList()) {
                    if (!f.getFileName().toString().equals(RANGE_FILE)) {
                        throw new IOException("cannot import from " + dir + ": " + f.getFileName()
                                + " is not part of a range image (only " + RANGE_FILE + " is)");
                    }
                    verifyRangeFile(f, fromInclusive, toExclusive);
                    files.add(f);
                }
            }
            applyImport(dataDir.stageImport(files, fromInclusive, toExclusive));
        }
    }

    /** Checks every block checksum of an SST file and that its keys lie inside the range. */
    private void verifyRangeFile(Path file, byte[] fromInclusive, byte[] toExclusive) throws IOException {
        try (org.rocksdb.Options readerOptions = new org.rocksdb.Options();
                SstFileReader reader = new SstFileReader(readerOptions)) {
            reader.open(file.toString());
            reader.verifyChecksum();
            try (ReadOptions readOptions = new ReadOptions();
                    SstFileReaderIterator it = reader.newIterator(readOptions)) {
                it.seekToFirst();
                if (!it.isValid()) {
                    it.status();
                    return;
                }
                byte[] first = it.key();
                it.seekToLast();
                byte[] last = it.key();
                it.status();
                if (Arrays.compareUnsigned(first, fromInclusive) < 0 || Arrays.compareUnsigned(last, toExclusive) >= 0) {
                    throw new IOException("cannot import " + file + ": it holds keys outside the range it is"
                            + " imported into (an image of another replica?)");
                }
            }
        } catch (RocksDBException e) {
            throw new IOException("cannot import " + file + ", not a sound SST file: " + describe(e), e);
        }
    }

    /** Replaces the range with a staged import, holding readers off, then discards the staged copy. */
    private void applyImport(DataDir.PendingImport pending) throws IOException {
        Lock write = lock.writeLock();
        write.lock();
        try {
            checkOpen();
            handles.db.deleteRange(handles.writeOptions, pending.fromInclusive(), pending.toExclusive());
            if (!pending.files().isEmpty()) {
                // Copied, not moved: if this crashes half-way, the staged files are there to redo it.
                try (IngestExternalFileOptions ingest = new IngestExternalFileOptions()
                        .setMoveFiles(false).setAllowGlobalSeqNo(true).setAllowBlockingFlush(true)) {
                    handles.db.ingestExternalFile(pending.files().stream().map(Path::toString).toList(), ingest);
                }
            }
            // Makes the range deletion durable whether or not the ingestion flushed it.
            handles.db.flush(handles.flushOptions);
        } catch (RocksDBException e) {
            throw new IOException("cannot import a range into RocksDB in " + dataDir.path() + ": " + describe(e), e);
        } finally {
            write.unlock();
        }
        dataDir.discardImport();
    }

    @Override
    public long approximateSizeBytes(byte[] fromInclusive, byte[] toExclusive) {
        RangedKvEngine.checkRange(fromInclusive, toExclusive);
        Lock read = readLockOpen();
        try (Slice from = new Slice(fromInclusive); Slice to = new Slice(toExclusive)) {
            return handles.db.getApproximateSizes(List.of(new Range(from, to)),
                    SizeApproximationFlag.INCLUDE_FILES, SizeApproximationFlag.INCLUDE_MEMTABLES)[0];
        } finally {
            read.unlock();
        }
    }

    /** SST files on disk plus the memtables not yet flushed. */
    @Override
    public long approximateSizeBytes() {
        Lock read = readLockOpen();
        try {
            return handles.db.getLongProperty("rocksdb.total-sst-files-size")
                    + handles.db.getLongProperty("rocksdb.cur-size-all-mem-tables");
        } catch (RocksDBException e) {
            throw failure("approximateSizeBytes", e);
        } finally {
            read.unlock();
        }
    }

    /**
     * A RocksDB integer property of the default column family, such as
     * {@code rocksdb.estimate-num-keys}, for metrics; -1 when the engine is closed.
     */
    public long longProperty(String name) {
        Lock read;
        try {
            read = readLockOpen();
        } catch (IllegalStateException closed) {
            return -1;
        }
        try {
            return handles.db.getLongProperty(name);
        } catch (RocksDBException e) {
            throw failure("longProperty " + name, e);
        } finally {
            read.unlock();
        }
    }

    /**
     * Closes the database (flushing first unless {@link Options#flushOnClose()} is false) and
     * releases every native handle. Idempotent.
     */
    @Override
    public void close() {
        Lock write = lock.writeLock();
        write.lock();
        try {
            Handles live = handles;
            if (live == null) {
                return;
            }
            handles = null;
            closedReason = "RocksKvEngine is closed";
            live.close();
        } catch (IOException e) {
            throw new KvEngineException("closing RocksDB in " + dataDir.path() + " failed: " + e.getMessage(), e);
        } finally {
            write.unlock();
        }
    }

    @Override
    public String toString() {
        return "RocksKvEngine[" + dataDir.path() + "]";
    }

    /** Takes the read lock and checks the engine is open; the caller unlocks. */
    private Lock readLockOpen() {
        Lock read = lock.readLock();
        read.lock();
        try {
            checkOpen();
        } catch (IllegalStateException e) {
            read.unlock();
            throw e;
        }
        return read;
    }

    private void checkOpen() {
        if (handles == null) {
            throw new IllegalStateException(closedReason + ": " + dataDir.path());
        }
    }

    private KvEngineException failure(String operation, RocksDBException e) {
        return new KvEngineException("RocksDB " + operation + " in " + dataDir.path() + " failed: " + describe(e), e);
    }

    private static String describe(RocksDBException e) {
        Status status = e.getStatus();
        String code = status == null ? "" : status.getCodeString() + ": ";
        return code + e.getMessage();
    }

    /** The native objects of one open database, released together. */
    private static final class Handles implements AutoCloseable {
        final RocksDB db;
        final WriteOptions writeOptions;
        final FlushOptions flushOptions;
        final org.rocksdb.Options rocksOptions;
        private final LRUCache blockCache;
        private final BloomFilter bloomFilter;

        private Handles(RocksDB db, org.rocksdb.Options rocksOptions, LRUCache blockCache, BloomFilter bloomFilter) {
            this.db = db;
            this.rocksOptions = rocksOptions;
            this.blockCache = blockCache;
            this.bloomFilter = bloomFilter;
            // The Raft log is the write-ahead log; see the class comment.
            this.writeOptions = new WriteOptions().setDisableWAL(true);
            this.flushOptions = new FlushOptions().setWaitForFlush(true);
        }

        static Handles open(Path dir, Options options) throws IOException {
            LRUCache blockCache = new LRUCache(options.blockCacheBytes());
            BloomFilter bloomFilter = new BloomFilter(BLOOM_BITS_PER_KEY);
            org.rocksdb.Options rocksOptions = rocksOptions(options, blockCache, bloomFilter);
            try {
                RocksDB db = RocksDB.open(rocksOptions, dir.toString());
                return new Handles(db, rocksOptions, blockCache, bloomFilter);
            } catch (RocksDBException e) {
                rocksOptions.close();
                bloomFilter.close();
                blockCache.close();
                throw new IOException("cannot open RocksDB in " + dir + ": " + describe(e), e);
            }
        }

        /**
         * Opens the database in {@code dir} read-only and verifies every block checksum, so a
         * damaged or foreign image is rejected before the live database is touched.
         */
        static void verify(Path dir, Path image) throws IOException {
            try (org.rocksdb.Options readOnly = new org.rocksdb.Options().setCreateIfMissing(false);
                    RocksDB db = RocksDB.openReadOnly(readOnly, dir.toString())) {
                db.verifyChecksum();
            } catch (RocksDBException e) {
                throw new IOException("cannot restore from " + image + ", not a sound RocksDB checkpoint: "
                        + describe(e), e);
            }
        }

        private static org.rocksdb.Options rocksOptions(Options options, LRUCache blockCache, BloomFilter bloomFilter) {
            BlockBasedTableConfig table = new BlockBasedTableConfig()
                    .setBlockCache(blockCache)
                    .setFilterPolicy(bloomFilter)
                    // Index and filter blocks count against the cache, which bounds memory.
                    .setCacheIndexAndFilterBlocks(true)
                    .setPinL0FilterAndIndexBlocksInCache(true)
                    // A whole-file filter of a compacted file with millions of keys is megabytes:
                    // once data blocks pushed it out of the cache, every get read it back (145 us
                    // a get at a million keys, 4.5 us with 4 KiB partitions and the top level pinned).
                    .setIndexType(org.rocksdb.IndexType.kTwoLevelIndexSearch)
                    .setPartitionFilters(true)
                    .setMetadataBlockSize(4096)
                    .setPinTopLevelIndexAndFilter(true);
            CompressionType compression = options.lz4Compression()
                    ? CompressionType.LZ4_COMPRESSION
                    : CompressionType.NO_COMPRESSION;
            return new org.rocksdb.Options()
                    .setCreateIfMissing(true)
                    .setParanoidChecks(true)
                    .setMaxBackgroundJobs(options.maxBackgroundJobs())
                    .setWriteBufferSize(options.writeBufferBytes())
                    .setMaxWriteBufferNumber(MAX_WRITE_BUFFERS)
                    .setCompressionType(compression)
                    .setBottommostCompressionType(compression)
                    .setLevelCompactionDynamicLevelBytes(true)
                    .setTableFormatConfig(table)
                    // Many point reads of a write look for what is not there (a key written for
                    // the first time, an intent while transactions run, a new client's session):
                    // a whole-key bloom filter over the memtable answers them without a search
                    // of its skip list. A row cache would serve present keys too, but RocksDB
                    // refuses DeleteRange beside one, which dropping and importing ranges need.
                    .setMemtablePrefixBloomSizeRatio(MEMTABLE_BLOOM_RATIO)
                    .setMemtableWholeKeyFiltering(true)
                    .setMaxOpenFiles(MAX_OPEN_FILES)
                    .setBytesPerSync(BYTES_PER_SYNC)
                    .setMaxLogFileSize(INFO_LOG_BYTES_MAX)
                    .setKeepLogFileNum(INFO_LOG_FILES_KEPT)
                    .setAvoidFlushDuringShutdown(!options.flushOnClose());
        }

        /** Closes the database, then every object it used, even if closing the database fails. */
        @Override
        public void close() throws IOException {
            try {
                db.closeE();
            } catch (RocksDBException e) {
                throw new IOException(describe(e), e);
            } finally {
                writeOptions.close();
                flushOptions.close();
                rocksOptions.close();
                bloomFilter.close();
                blockCache.close();
            }
        }
    }
}
