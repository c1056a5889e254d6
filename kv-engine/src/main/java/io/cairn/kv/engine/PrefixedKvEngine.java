package io.cairn.kv.engine;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * One replica's view of a node's shared {@link RangedKvEngine}: every key it is given is stored
 * under a fixed prefix, so the replica sees only its own range and the empty key is still its
 * first key. A checkpoint is an export of the range and a restore an import into it, so one
 * replica's snapshot leaves every other replica's data alone. Thread-safety is the shared
 * engine's.
 *
 * <p>{@link #close()} closes the view only; the shared engine belongs to the node. The host
 * writes several replicas' batches as one by translating each with {@link #toShared} and
 * writing the union to the shared engine.
 */
public final class PrefixedKvEngine implements KvEngine {
    private final RangedKvEngine shared;
    private final byte[] prefix;
    private final byte[] end;
    private volatile boolean closed;

    /**
     * @param prefix non-empty and not all 0xFF bytes (so the range has an end); no other view of
     *               the same engine may use a prefix that starts with this one or is its start
     */
    public PrefixedKvEngine(RangedKvEngine shared, byte[] prefix) {
        this.shared = Objects.requireNonNull(shared, "shared");
        Objects.requireNonNull(prefix, "prefix");
        this.prefix = prefix.clone();
        this.end = prefixEnd(this.prefix);
        if (end == null) {
            throw new IllegalArgumentException("a prefix must be non-empty and not all 0xFF bytes");
        }
    }

    /** The first key after every key that starts with {@code prefix}; null if there is none. */
    public static byte[] prefixEnd(byte[] prefix) {
        for (int i = prefix.length - 1; i >= 0; i--) {
            if (prefix[i] != (byte) 0xFF) {
                byte[] end = Arrays.copyOf(prefix, i + 1);
                end[i]++;
                return end;
            }
        }
        return null;
    }

    /** The first key of this view's range in the shared engine. */
    public byte[] rangeStart() {
        return prefix.clone();
    }

    /** The end (exclusive) of this view's range in the shared engine. */
    public byte[] rangeEnd() {
        return end.clone();
    }

    @Override
    public byte[] get(byte[] key) {
        checkOpen();
        return shared.get(withPrefix(Objects.requireNonNull(key, "key")));
    }

    @Override
    public void write(WriteBatch batch) {
        checkOpen();
        shared.write(toShared(batch));
    }

    /** The same operations in the shared engine's keys, for a host that writes several views' batches as one. */
    public WriteBatch toShared(WriteBatch batch) {
        Objects.requireNonNull(batch, "batch");
        WriteBatch out = new WriteBatch();
        for (WriteBatch.Op op : batch.ops()) {
            if (op.isDelete()) {
                out.deleteOwned(withPrefix(op.key()));
            } else {
                // Ops hold copies the batch made on the way in, so the value can be shared.
                out.putOwned(withPrefix(op.key()), op.value());
            }
        }
        return out;
    }

    @Override
    public List<KvPair> scan(byte[] fromInclusive, byte[] toExclusive, int limit) {
        Objects.requireNonNull(fromInclusive, "fromInclusive");
        checkOpen();
        List<KvPair> found = shared.scan(withPrefix(fromInclusive),
                toExclusive == null ? end : withPrefix(toExclusive), limit);
        List<KvPair> result = new ArrayList<>(found.size());
        for (KvPair pair : found) {
            byte[] key = pair.key();
            result.add(new KvPair(Arrays.copyOfRange(key, prefix.length, key.length), pair.value()));
        }
        return result;
    }

    /** Flushes the shared engine: every view's writes become durable together. */
    @Override
    public void flush() {
        checkOpen();
        shared.flush();
    }

    /** An export of this view's range, keys as the shared engine holds them. */
    @Override
    public List<Path> checkpoint(Path dir) throws IOException {
        checkOpen();
        return shared.exportRange(prefix, end, dir);
    }

    /** {@link #checkpoint} in two steps: the image now, the files later (see {@link RangeImage}). */
    public RangeImage captureCheckpoint() {
        checkOpen();
        return shared.captureRange(prefix, end);
    }

    /**
     * Imports an image of this view's range; an image of another view (another prefix) holds keys
     * outside the range and is refused with the content intact.
     */
    @Override
    public void restore(Path dir) throws IOException {
        checkOpen();
        shared.importRange(prefix, end, Objects.requireNonNull(dir, "dir"));
    }

    @Override
    public long approximateSizeBytes() {
        checkOpen();
        return shared.approximateSizeBytes(prefix, end);
    }

    /**
     * Removes this view's whole range from the shared engine and makes that durable: what a
     * dropped replica leaves behind is gone even after a crash.
     */
    public void deleteAll() {
        checkOpen();
        shared.deleteRange(prefix, end);
        shared.flush();
    }

    /** Closes this view; the shared engine stays open. Idempotent. */
    @Override
    public void close() {
        closed = true;
    }

    @Override
    public String toString() {
        return "PrefixedKvEngine[" + java.util.HexFormat.of().formatHex(prefix) + " of " + shared + "]";
    }

    private byte[] withPrefix(byte[] key) {
        byte[] out = Arrays.copyOf(prefix, prefix.length + key.length);
        System.arraycopy(key, 0, out, prefix.length, key.length);
        return out;
    }

    private void checkOpen() {
        if (closed) {
            throw new IllegalStateException("this view of the shared engine is closed: " + this);
        }
    }
}
