package io.cairn.kv.engine;

import io.cairn.common.Bytes;
import io.cairn.common.Invariants;
import java.io.IOException;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
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

/**
 * A {@link KvEngine} in a {@link TreeMap}, for the simulator and for tests. It is deterministic:
 * no clock, no threads, no hash order. It is not safe for concurrent use.
 *
 * <p>Like RocksDB with its WAL off, it can lose what was written after the last
 * {@link #flush()}: {@link #loseUnflushedWrites()} simulates a crash, so the simulator can check
 * that the host never compacts its log past what a flush made durable. The writes since the last
 * flush are remembered as an undo list, so memory grows with them until the next flush.
 *
 * <p>An image of the whole content is one byte string: {@link #image()} returns it in memory and
 * {@link #fromImage} builds an engine from it, so the simulator takes and installs snapshots
 * without touching the disk. A checkpoint is the same image in one file, {@value #CHECKPOINT_FILE}.
 * All big-endian:
 * <pre>
 * magic      int   0x434B5631 ("CKV1")
 * version    int   1
 * pairCount  long
 * pairCount times, in ascending unsigned key order:
 *   keyLength int, key bytes, valueLength int, value bytes
 * crc32c     int   CRC32C of every byte before it
 * </pre>
 * {@link #restore} and {@link #fromImage} check the checksum, the structure and the key order
 * before they touch any content; {@code restore} rejects a damaged file with an
 * {@link IOException} naming the file and the fault, {@code fromImage} a damaged image with a
 * {@link KvEngineException} naming the fault.
 */
public final class MemoryKvEngine implements RangedKvEngine {
    /** The name of the one file in a checkpoint directory. */
    public static final String CHECKPOINT_FILE = "memory-kv.ckpt";

    private static final int MAGIC = 0x434B_5631;
    private static final int FORMAT_VERSION = 1;
    private static final int HEADER_BYTES = Integer.BYTES + Integer.BYTES + Long.BYTES;
    private static final int TRAILER_BYTES = Integer.BYTES;
    /** The least bytes one pair takes: two lengths. */
    private static final int PAIR_BYTES_MIN = 2 * Integer.BYTES;
    /** Images above this cannot be held in one array; no simulated store comes close. */
    private static final long IMAGE_BYTES_MAX = Integer.MAX_VALUE - 64;

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
        byte[] image = encodeImage(pairs);
        createImageDir(dir);
        writeImageFile(dir, image);
        return List.of(Path.of(CHECKPOINT_FILE));
    }

    private static void createImageDir(Path dir) throws IOException {
        Path parent = dir.toAbsolutePath().getParent();
        if (parent != null) {
            Files.createDirectories(parent);
        }
        Files.createDirectory(dir);
    }

    private static void writeImageFile(Path dir, byte[] bytes) throws IOException {
        ByteBuffer image = ByteBuffer.wrap(bytes);
        Path file = dir.resolve(CHECKPOINT_FILE);
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            while (image.hasRemaining()) {
                channel.write(image);
            }
            channel.force(true);
        }
        forceDirectory(dir);
    }

    private static byte[] readImageFile(Path file) throws IOException {
        long fileBytes = Files.size(file);
        if (fileBytes > IMAGE_BYTES_MAX) {
            throw damaged("checkpoint " + file, fileBytes + " bytes, more than a MemoryKvEngine checkpoint can hold");
        }
        return Files.readAllBytes(file);
    }

    @Override
    public void restore(Path dir) throws IOException {
        Objects.requireNonNull(dir, "dir");
        checkOpen();
        Path file = dir.resolve(CHECKPOINT_FILE);
        if (!Files.isRegularFile(file)) {
            throw new NoSuchFileException(file.toString(), null, "no MemoryKvEngine checkpoint in " + dir);
        }
        // Decode everything first: a damaged file must leave the content as it was.
        replaceContent(decode(readImageFile(file), "checkpoint " + file));
    }

    @Override
    public void deleteRange(byte[] fromInclusive, byte[] toExclusive) {
        RangedKvEngine.checkRange(fromInclusive, toExclusive);
        checkOpen();
        for (byte[] key : new ArrayList<>(pairs.subMap(fromInclusive, true, toExclusive, false).keySet())) {
            undoSinceFlush.add(new Undo(key, apply(key, null)));
        }
    }

    /** The range's pairs in the checkpoint format, in one file; no file for an empty range. */
    @Override
    public List<Path> exportRange(byte[] fromInclusive, byte[] toExclusive, Path dir) throws IOException {
        try (RangeImage image = captureRange(fromInclusive, toExclusive)) {
            return image.writeTo(dir);
        }
    }

    /** A copy of the range's pairs (values are never changed in place, so the arrays are shared). */
    @Override
    public RangeImage captureRange(byte[] fromInclusive, byte[] toExclusive) {
        RangedKvEngine.checkRange(fromInclusive, toExclusive);
        checkOpen();
        NavigableMap<byte[], byte[]> copy = newPairMap();
        copy.putAll(pairs.subMap(fromInclusive, true, toExclusive, false));
        return new RangeImage() {
            @Override
            public List<Path> writeTo(Path dir) throws IOException {
                Objects.requireNonNull(dir, "dir");
                byte[] image = copy.isEmpty() ? null : encodeImage(copy);
                createImageDir(dir);
                if (image == null) {
                    forceDirectory(dir);
                    return List.of();
                }
                writeImageFile(dir, image);
                return List.of(Path.of(CHECKPOINT_FILE));
            }

            @Override
            public void close() {}
        };
    }

    /** Like {@link #restore} for one range; everything written before counts as flushed afterwards. */
    @Override
    public void importRange(byte[] fromInclusive, byte[] toExclusive, Path dir) throws IOException {
        RangedKvEngine.checkRange(fromInclusive, toExclusive);
        Objects.requireNonNull(dir, "dir");
        checkOpen();
        if (!Files.isDirectory(dir)) {
            throw new NoSuchFileException(dir.toString(), null, "no MemoryKvEngine range image");
        }
        try (var entries = Files.list(dir)) {
            for (Path entry : entries.sorted().toList()) {
                if (!entry.getFileName().toString().equals(CHECKPOINT_FILE)) {
                    throw damaged("range image " + dir, entry.getFileName() + " is not part of one (only "
                            + CHECKPOINT_FILE + " is)");
                }
            }
        }
        Path file = dir.resolve(CHECKPOINT_FILE);
        NavigableMap<byte[], byte[]> incoming = Files.isRegularFile(file)
                ? decode(readImageFile(file), "range image " + file) : newPairMap();
        if (!incoming.isEmpty() && (Arrays.compareUnsigned(incoming.firstKey(), fromInclusive) < 0
                || Arrays.compareUnsigned(incoming.lastKey(), toExclusive) >= 0)) {
            throw damaged("range image " + file, "it holds keys outside the range it is imported into");
        }
        for (byte[] key : new ArrayList<>(pairs.subMap(fromInclusive, true, toExclusive, false).keySet())) {
            apply(key, null);
        }
        for (Map.Entry<byte[], byte[]> e : incoming.entrySet()) {
            apply(e.getKey(), e.getValue());
        }
        undoSinceFlush.clear();
    }

    @Override
    public long approximateSizeBytes(byte[] fromInclusive, byte[] toExclusive) {
        RangedKvEngine.checkRange(fromInclusive, toExclusive);
        checkOpen();
        long bytes = 0;
        for (Map.Entry<byte[], byte[]> e : pairs.subMap(fromInclusive, true, toExclusive, false).entrySet()) {
            bytes += e.getKey().length + e.getValue().length;
        }
        return bytes;
    }

    /**
     * The whole content, writes not yet flushed included, as one image in the checkpoint format
     * (see the class documentation). Equal content gives equal bytes, so replicas can be compared
     * by their images.
     *
     * @throws KvEngineException if the content is too large for one array
     */
    public Bytes image() {
        checkOpen();
        return Bytes.wrap(encodeImage(pairs));
    }

    /**
     * A new engine holding the content of an {@link #image()}. Its content counts as flushed, as
     * after {@link #restore}: a later {@link #loseUnflushedWrites()} keeps it.
     *
     * @throws KvEngineException if the image is damaged or not an image at all
     */
    public static MemoryKvEngine fromImage(Bytes image) {
        Objects.requireNonNull(image, "image");
        MemoryKvEngine engine = new MemoryKvEngine();
        try {
            engine.replaceContent(decode(image.toArray(), "image"));
        } catch (IOException e) {
            throw new KvEngineException(e.getMessage(), e);
        }
        return engine;
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

    private void replaceContent(NavigableMap<byte[], byte[]> content) {
        pairs = content;
        sizeBytes = 0;
        for (Map.Entry<byte[], byte[]> e : content.entrySet()) {
            sizeBytes += e.getKey().length + e.getValue().length;
        }
        undoSinceFlush.clear();
    }

    private void checkOpen() {
        if (closed) {
            throw new IllegalStateException("MemoryKvEngine is closed");
        }
    }

    private static NavigableMap<byte[], byte[]> newPairMap() {
        return new TreeMap<>(Arrays::compareUnsigned);
    }

    /** The image of {@code pairs}, sized exactly. */
    private static byte[] encodeImage(NavigableMap<byte[], byte[]> pairs) {
        long contentBytes = 0;
        for (Map.Entry<byte[], byte[]> e : pairs.entrySet()) {
            contentBytes += e.getKey().length + e.getValue().length;
        }
        long imageBytes = HEADER_BYTES + (long) pairs.size() * PAIR_BYTES_MIN + contentBytes + TRAILER_BYTES;
        if (imageBytes > IMAGE_BYTES_MAX) {
            throw new KvEngineException("MemoryKvEngine content of " + imageBytes
                    + " bytes does not fit in one image", null);
        }
        ByteBuffer out = ByteBuffer.allocate((int) imageBytes);
        out.putInt(MAGIC).putInt(FORMAT_VERSION).putLong(pairs.size());
        for (Map.Entry<byte[], byte[]> e : pairs.entrySet()) {
            out.putInt(e.getKey().length).put(e.getKey());
            out.putInt(e.getValue().length).put(e.getValue());
        }
        // The trailer covers every byte before it.
        CRC32C crc = new CRC32C();
        crc.update(out.array(), 0, out.position());
        out.putInt((int) crc.getValue());
        Invariants.check(!out.hasRemaining(), "MemoryKvEngine image of %s bytes has %s bytes left unwritten",
                imageBytes, out.remaining());
        return out.array();
    }

    /** Decodes an image; {@code source} names it ("checkpoint /path", "image") in the error. */
    private static NavigableMap<byte[], byte[]> decode(byte[] image, String source) throws IOException {
        if (image.length < HEADER_BYTES + TRAILER_BYTES) {
            throw damaged(source, "only " + image.length + " bytes, shorter than header and trailer");
        }
        int bodyBytes = image.length - TRAILER_BYTES;
        CRC32C crc = new CRC32C();
        crc.update(image, 0, bodyBytes);
        int crcStored = ByteBuffer.wrap(image, bodyBytes, TRAILER_BYTES).getInt();
        int crcComputed = (int) crc.getValue();
        if (crcStored != crcComputed) {
            throw damaged(source,
                    String.format("CRC32C mismatch (stored %08x, computed %08x)", crcStored, crcComputed));
        }
        ByteBuffer in = ByteBuffer.wrap(image, 0, bodyBytes);
        int magic = in.getInt();
        if (magic != MAGIC) {
            throw damaged(source, String.format("bad magic %08x", magic));
        }
        int version = in.getInt();
        if (version != FORMAT_VERSION) {
            throw damaged(source, "unknown format version " + version);
        }
        long pairCount = in.getLong();
        if (pairCount < 0 || pairCount > in.remaining() / PAIR_BYTES_MIN) {
            throw damaged(source, "pair count " + pairCount + " does not fit in " + in.remaining() + " bytes");
        }
        NavigableMap<byte[], byte[]> restored = newPairMap();
        byte[] previousKey = null;
        for (long i = 0; i < pairCount; i++) {
            byte[] key = readChunk(in, source, "key", i);
            byte[] value = readChunk(in, source, "value", i);
            if (previousKey != null && Arrays.compareUnsigned(previousKey, key) >= 0) {
                throw damaged(source, "key of pair " + i + " is not above the key before it");
            }
            restored.put(key, value);
            previousKey = key;
        }
        if (in.hasRemaining()) {
            throw damaged(source, in.remaining() + " stray bytes after the last pair");
        }
        return restored;
    }

    private static byte[] readChunk(ByteBuffer in, String source, String what, long pairIndex) throws IOException {
        try {
            int length = in.getInt();
            if (length < 0 || length > in.remaining()) {
                throw damaged(source, what + " length " + length + " of pair " + pairIndex
                        + " exceeds the " + in.remaining() + " bytes left");
            }
            byte[] chunk = new byte[length];
            in.get(chunk);
            return chunk;
        } catch (BufferUnderflowException e) {
            throw damaged(source, "truncated in the " + what + " of pair " + pairIndex);
        }
    }

    private static IOException damaged(String source, String fault) {
        return new IOException("damaged MemoryKvEngine " + source + ": " + fault);
    }

    private static void forceDirectory(Path dir) throws IOException {
        try (FileChannel channel = FileChannel.open(dir, StandardOpenOption.READ)) {
            channel.force(true);
        }
    }
}
