package io.cairn.sim.kv;

import io.cairn.common.Bytes;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * The replicated state machine of the simulation: a map from keys to longs plus the per-client
 * dedup table of Raft dissertation §6.3 (last sequence applied and its result), so a write that
 * a client retried and that was committed twice takes effect once. Maps are sorted so the
 * snapshot encoding, and therefore its hash, is the same on every replica.
 */
public final class KvStateMachine {
    private record LastWrite(long seq, KvResult result) {}

    private final TreeMap<String, Long> data = new TreeMap<>();
    private final TreeMap<Integer, LastWrite> lastWrites = new TreeMap<>();
    private final boolean dedup;
    private long appliedIndex;

    /** An empty state machine at index 0; {@code dedup} false plants a bug (tests only). */
    public KvStateMachine(boolean dedup) {
        this.dedup = dedup;
    }

    public long appliedIndex() {
        return appliedIndex;
    }

    /** Records that the entry at {@code index} (a command, a no-op or a configuration) was applied. */
    public void setAppliedIndex(long index) {
        this.appliedIndex = index;
    }

    /**
     * Applies a write. Returns its result, the remembered result when this (client, seq) was
     * applied before, or null for a write older than the client's last one (a stale retry, which
     * must not take effect: the client has moved on).
     */
    public KvResult apply(KvCommand command) {
        LastWrite last = lastWrites.get(command.clientId());
        if (dedup && last != null && command.seq() <= last.seq()) {
            return command.seq() == last.seq() ? last.result() : null;
        }
        KvResult result = execute(command.op());
        lastWrites.put(command.clientId(), new LastWrite(command.seq(), result));
        return result;
    }

    private KvResult execute(KvOp op) {
        switch (op.kind()) {
            case PUT -> {
                data.put(op.key(), op.value());
                return KvResult.OK;
            }
            case DELETE -> {
                data.remove(op.key());
                return KvResult.OK;
            }
            case CAS -> {
                if (!Objects.equals(data.get(op.key()), op.expected())) {
                    return KvResult.CAS_FAILED;
                }
                data.put(op.key(), op.value());
                return KvResult.OK;
            }
            default -> throw new IllegalArgumentException("reads do not go through the log: " + op);
        }
    }

    /** The current value of {@code key}, for a read whose index has been applied. */
    public KvResult read(String key) {
        return KvResult.read(data.get(key));
    }

    /**
     * The snapshot image: the simulator's checker rides along a chain hash of the log at the
     * snapshot index, so a node that installs the snapshot can continue the log's chain.
     */
    public Bytes encode(long chainHash) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            out.writeLong(chainHash);
            out.writeInt(data.size());
            for (Map.Entry<String, Long> e : data.entrySet()) {
                out.writeUTF(e.getKey());
                out.writeLong(e.getValue());
            }
            out.writeInt(lastWrites.size());
            for (Map.Entry<Integer, LastWrite> e : lastWrites.entrySet()) {
                out.writeInt(e.getKey());
                writeLastWrite(out, e.getValue());
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return Bytes.wrap(bytes.toByteArray());
    }

    private static void writeLastWrite(DataOutputStream out, LastWrite w) throws IOException {
        out.writeLong(w.seq());
        out.writeBoolean(w.result().ok());
        out.writeBoolean(w.result().value() != null);
        out.writeLong(w.result().value() == null ? 0 : w.result().value());
    }

    /** The chain hash stored in a snapshot image; 0 for the empty image of a fresh log. */
    public static long chainHashOf(Bytes image) {
        if (image.isEmpty()) {
            return 0;
        }
        return java.nio.ByteBuffer.wrap(image.toArray(), 0, 8).getLong();
    }

    /** Rebuilds a state machine from an image taken at {@code index}; empty image = empty map. */
    public static KvStateMachine decode(Bytes image, long index, boolean dedup) {
        KvStateMachine sm = new KvStateMachine(dedup);
        sm.appliedIndex = index;
        if (image.isEmpty()) {
            return sm;
        }
        try (DataInputStream in = new DataInputStream(new java.io.ByteArrayInputStream(image.toArray()))) {
            in.readLong();
            int keys = in.readInt();
            for (int i = 0; i < keys; i++) {
                sm.data.put(in.readUTF(), in.readLong());
            }
            int clients = in.readInt();
            for (int i = 0; i < clients; i++) {
                int client = in.readInt();
                long seq = in.readLong();
                boolean ok = in.readBoolean();
                boolean hasValue = in.readBoolean();
                long value = in.readLong();
                sm.lastWrites.put(client, new LastWrite(seq, new KvResult(ok, hasValue ? value : null)));
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return sm;
    }

    /** A hash of the data and dedup table, to compare replicas. */
    public long digest() {
        return io.cairn.sim.Hashing.ofBytes(encode(0));
    }

    /** The keys and values, sorted, for messages. */
    public String describe() {
        return data.toString();
    }
}
