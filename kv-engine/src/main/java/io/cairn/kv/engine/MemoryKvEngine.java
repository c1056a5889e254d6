package io.cairn.kv.engine;

import java.io.BufferedOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Objects;
import java.util.TreeMap;
import java.util.zip.CRC32C;
import java.util.zip.CheckedOutputStream;

/**
 * A {@link KvEngine} in a {@link TreeMap}, for the simulator and for tests. It is deterministic:
 * no clock, no threads, no hash order. It is not safe for concurrent use.
 *
 * <p>Like RocksDB with its WAL off, it can lose what was written after the last
 * {@link #flush()}: {@link #loseUnflushedWrites()} simulates a crash, so the simulator can check
 * that the host never compacts its log past what a flush made durable. The writes since the last
 * flush are remembered as an undo list, so memory grows with them until the next flush.
 *
 * <p>A checkpoint is one file, {@value #CHECKPOINT_FILE}, all big-endian:
 * <pre>
 * magic      int   0x434B5631 ("CKV1")
 * version    int   1
 * pairCount  long
 * pairCount times, in ascending unsigned key order:
 *   keyLength int, key bytes, valueLength int, value bytes
 * crc32c     int   CRC32C of every byte before it
 * </pre>
 * {@link #restore} checks the checksum, the structure and the key order before it touches the
 * content, and rejects a damaged file with an {@link IOException} naming the file and the fault.
 */
public final class MemoryKvEngine implements KvEngine {
    /** The name of the one file in a checkpoint directory. */
    public static final String CHECKPOINT_FILE = "memory-kv.ckpt";

    private static final int MAGIC = 0x434B_5631;
    private static final int FORMAT_VERSION = 1;
    private static final int HEADER_BYTES = Integer.BYTES + Integer.BYTES + Long.BYTES;
    private static final int TRAILER_BYTES = Integer.BYTES;
    /** The least bytes one pair takes: two lengths. */
    private static final int PAIR_BYTES_MIN = 2 * Integer.BYTES;
    /** Files above this cannot be read into one array; no simulated store comes close. */
    private static final long CHECKPOINT_BYTES_MAX = Integer.MAX_VALUE - 64;
    private static final int WRITE_BUFFER_BYTES = 64 * 1024;

    /** What a write replaced, so that a simulated crash can undo it; null: the key was absent. */
    private record Undo(byte[] key, byte[] previousValue) {}

    private NavigableMap<byte[], byte[]> pairs = newPairMap();
    private final List<Undo> undoSinceFlush = new ArrayList<>();
    private long sizeBytes;
    private boolean closed;

    @Override
    public byte[] get(byte[] key) {
        Objects.requireNonNull(key, "key");
        checkOpen();
        byte[] value = pairs.get(key);
        return value == null ? null : value.clone();
    }

    @Override
    public void write(WriteBatch batch) {
        Objects.requireNonNull(batch, "batch");
        checkOpen();
        for (WriteBatch.Op op : batch.ops()) {
            byte[] previous = apply(op.key(), op.value());
            undoSinceFlush.add(new Undo(op.key(), previous));
        }
    }

    @Override
    public List<KvPair> scan(byte[] fromInclusive, byte[] toExclusive, int limit) {
        Objects.requireNonNull(fromInclusive, "fromInclusive");
        if (limit < 0) {
            throw new IllegalArgumentException("limit must be >= 0, was " + limit);
        }
        checkOpen();
        List<KvPair> result = new ArrayList<>(Math.min(limit, 64));
        boolean emptyRange = toExclusive != null && Arrays.compareUnsigned(fromInclusive, toExclusive) >= 0;
        if (emptyRange || limit == 0) {
            return result;
        }
        NavigableMap<byte[], byte[]> range = toExclusive == null
                ? pairs.tailMap(fromInclusive, true)
                : pairs.subMap(fromInclusive, true, toExclusive, false);
        for (Map.Entry<byte[], byte[]> e : range.entrySet()) {
            if (result.size() == limit) {
                break;
            }
            result.add(new KvPair(e.getKey().clone(), e.getValue().clone()));
        }
        return result;
    }

    /** Marks everything written so far durable: a later {@link #loseUnflushedWrites()} keeps it. */
    @Override
    public void flush() {
        checkOpen();
        undoSinceFlush.clear();
    }

    /**
     * Simulates a crash and restart: forgets every write made after the last {@link #flush()}
     * or {@link #restore}, as RocksDB with its WAL off may. Batches are undone whole, so the
     * content is again exactly as some earlier batch left it.
     */
    public void loseUnflushedWrites() {
        checkOpen();
        for (int i = undoSinceFlush.size() - 1; i >= 0; i--) {
            Undo undo = undoSinceFlush.get(i);
            apply(undo.key(), undo.previousValue());
        }
        undoSinceFlush.clear();
    }

    @Override
    public List<Path> checkpoint(Path dir) throws IOException {
        Objects.requireNonNull(dir, "dir");
        checkOpen();
        Path parent = dir.toAbsolutePath().getParent();
        if (parent != null) {
            Files.createDirectories(parent);
        }
        Files.createDirectory(dir);
        Path file = dir.resolve(CHECKPOINT_FILE);
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            CRC32C crc = new CRC32C();
            DataOutputStream out = new DataOutputStream(new BufferedOutputStream(
                    new CheckedOutputStream(Channels.newOutputStream(channel), crc), WRITE_BUFFER_BYTES));
            out.writeInt(MAGIC);
            out.writeInt(FORMAT_VERSION);
            out.writeLong(pairs.size());
            for (Map.Entry<byte[], byte[]> e : pairs.entrySet()) {
                out.writeInt(e.getKey().length);
                out.write(e.getKey());
                out.writeInt(e.getValue().length);
                out.write(e.getValue());
            }
            out.flush();
            // The trailer covers every byte before it, so take the checksum before writing it.
            out.writeInt((int) crc.getValue());
            out.flush();
            channel.force(true);
        }
        forceDirectory(dir);
        return List.of(Path.of(CHECKPOINT_FILE));
    }

    @Override
    public void restore(Path dir) throws IOException {
        Objects.requireNonNull(dir, "dir");
        checkOpen();
        Path file = dir.resolve(CHECKPOINT_FILE);
        if (!Files.isRegularFile(file)) {
            throw new NoSuchFileException(file.toString(), null, "no MemoryKvEngine checkpoint in " + dir);
        }
        long fileBytes = Files.size(file);
        if (fileBytes > CHECKPOINT_BYTES_MAX) {
            throw damaged(file, fileBytes + " bytes, more than a MemoryKvEngine checkpoint can hold");
        }
        // Decode everything first: a damaged file must leave the content as it was.
        NavigableMap<byte[], byte[]> restored = decode(Files.readAllBytes(file), file);
        pairs = restored;
        sizeBytes = 0;
        for (Map.Entry<byte[], byte[]> e : restored.entrySet()) {
            sizeBytes += e.getKey().length + e.getValue().length;
        }
        undoSinceFlush.clear();
    }

    /** The exact sum of key and value lengths. */
    @Override
    public long approximateSizeBytes() {
        checkOpen();
        return sizeBytes;
    }

    @Override
    public void close() {
        closed = true;
        pairs = newPairMap();
        undoSinceFlush.clear();
    }

    /** Puts value under key, or removes key if value is null; returns the value replaced. */
    private byte[] apply(byte[] key, byte[] value) {
        byte[] previous;
        if (value == null) {
            previous = pairs.remove(key);
        } else {
            previous = pairs.put(key.clone(), value.clone());
            sizeBytes += key.length + value.length;
        }
        if (previous != null) {
            sizeBytes -= key.length + previous.length;
        }
        return previous;
    }

    private void checkOpen() {
        if (closed) {
            throw new IllegalStateException("MemoryKvEngine is closed");
        }
    }

    private static NavigableMap<byte[], byte[]> newPairMap() {
        return new TreeMap<>(Arrays::compareUnsigned);
    }

    private static NavigableMap<byte[], byte[]> decode(byte[] image, Path file) throws IOException {
        if (image.length < HEADER_BYTES + TRAILER_BYTES) {
            throw damaged(file, "only " + image.length + " bytes, shorter than header and trailer");
        }
        int bodyBytes = image.length - TRAILER_BYTES;
        CRC32C crc = new CRC32C();
        crc.update(image, 0, bodyBytes);
        int crcStored = ByteBuffer.wrap(image, bodyBytes, TRAILER_BYTES).getInt();
        int crcComputed = (int) crc.getValue();
        if (crcStored != crcComputed) {
            throw damaged(file, String.format("CRC32C mismatch (stored %08x, computed %08x)", crcStored, crcComputed));
        }
        ByteBuffer in = ByteBuffer.wrap(image, 0, bodyBytes);
        int magic = in.getInt();
        if (magic != MAGIC) {
            throw damaged(file, String.format("bad magic %08x", magic));
        }
        int version = in.getInt();
        if (version != FORMAT_VERSION) {
            throw damaged(file, "unknown format version " + version);
        }
        long pairCount = in.getLong();
        if (pairCount < 0 || pairCount > in.remaining() / PAIR_BYTES_MIN) {
            throw damaged(file, "pair count " + pairCount + " does not fit in " + in.remaining() + " bytes");
        }
        NavigableMap<byte[], byte[]> restored = newPairMap();
        byte[] previousKey = null;
        for (long i = 0; i < pairCount; i++) {
            byte[] key = readChunk(in, file, "key", i);
            byte[] value = readChunk(in, file, "value", i);
            if (previousKey != null && Arrays.compareUnsigned(previousKey, key) >= 0) {
                throw damaged(file, "key of pair " + i + " is not above the key before it");
            }
            restored.put(key, value);
            previousKey = key;
        }
        if (in.hasRemaining()) {
            throw damaged(file, in.remaining() + " stray bytes after the last pair");
        }
        return restored;
    }

    private static byte[] readChunk(ByteBuffer in, Path file, String what, long pairIndex) throws IOException {
        try {
            int length = in.getInt();
            if (length < 0 || length > in.remaining()) {
                throw damaged(file, what + " length " + length + " of pair " + pairIndex
                        + " exceeds the " + in.remaining() + " bytes left");
            }
            byte[] chunk = new byte[length];
            in.get(chunk);
            return chunk;
        } catch (BufferUnderflowException e) {
            throw damaged(file, "truncated in the " + what + " of pair " + pairIndex);
        }
    }

    private static IOException damaged(Path file, String fault) {
        return new IOException("damaged MemoryKvEngine checkpoint " + file + ": " + fault);
    }

    private static void forceDirectory(Path dir) throws IOException {
        try (FileChannel channel = FileChannel.open(dir, StandardOpenOption.READ)) {
            channel.force(true);
        }
    }
}
