package io.cairn.sim.kv;

import io.cairn.common.Bytes;
import io.cairn.consensus.LogEntry;
import io.cairn.kv.engine.MemoryKvEngine;
import io.cairn.kv.state.KeyRange;
import io.cairn.kv.state.KeyValue;
import io.cairn.kv.state.KvStateMachine;
import io.cairn.kv.state.Result;
import io.cairn.kv.state.ScanPage;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.StringJoiner;

/**
 * One node's replica of the state: the real {@link KvStateMachine} of module kv-state over a
 * {@link MemoryKvEngine}, as the simulator hosts it. Snapshots stay in memory: a snapshot's data
 * is the simulator's chain hash of the log at the snapshot index (8 bytes, big-endian), then the
 * engine's {@link MemoryKvEngine#image() image}, which holds the applied index and term. The
 * empty data of a fresh log's snapshot is an empty replica.
 *
 * <p>The engine lives and dies with the node's process: a restarted node starts from its disk's
 * snapshot and replays the log, as {@code KvStateMachine} allows after any restart.
 */
public final class KvReplica {
    private static final int CHAIN_HASH_BYTES = Long.BYTES;
    private static final int DESCRIBE_KEYS_MAX = 100;
    /**
     * The most keys one Expire removes here: the server's 1,000 would never be reached by the
     * TTL workload's few keys, so the simulator's replicas (all of them alike) remove one at a time,
     * and the leader's follow-up Expires, the index floors they raise and the snapshots taken
     * between them run under every fault.
     */
    static final int EXPIRE_BATCH_MAX = 1;
    private static final KvStateMachine.Options OPTIONS = new KvStateMachine.Options(
            KvStateMachine.Options.DEFAULT.limits(), KvStateMachine.Options.DEFAULT.sessionTtlMillis(), EXPIRE_BATCH_MAX);

    private final MemoryKvEngine engine;
    private final KvStateMachine stateMachine;

    private KvReplica(MemoryKvEngine engine) {
        this.engine = engine;
        this.stateMachine = new KvStateMachine(engine, OPTIONS);
    }

    /** The replica a snapshot's data holds; an empty one for empty data. */
    public static KvReplica fromSnapshotData(Bytes data) {
        if (data.isEmpty()) {
            return new KvReplica(new MemoryKvEngine());
        }
        if (data.size() <= CHAIN_HASH_BYTES) {
            throw new IllegalArgumentException("snapshot data of " + data.size() + " bytes holds no engine image");
        }
        return new KvReplica(MemoryKvEngine.fromImage(data.slice(CHAIN_HASH_BYTES, data.size())));
    }

    /** A snapshot's data: the chain hash of the log at the image's applied index, then the image. */
    public static Bytes snapshotData(long chainHash, Bytes image) {
        byte[] data = new byte[CHAIN_HASH_BYTES + image.size()];
        ByteBuffer.wrap(data).putLong(chainHash);
        image.copyTo(data, CHAIN_HASH_BYTES);
        return Bytes.wrap(data);
    }

    /** The chain hash in a snapshot's data; 0 for the empty data of a fresh log. */
    public static long chainHashOf(Bytes data) {
        if (data.isEmpty()) {
            return 0;
        }
        return ByteBuffer.wrap(data.slice(0, CHAIN_HASH_BYTES).toArray()).getLong();
    }

    public long appliedIndex() {
        return stateMachine.appliedIndex();
    }

    public long appliedTerm() {
        return stateMachine.appliedTerm();
    }

    /** What applying committed entries did: one result per entry, and the changes for watchers. */
    public record Applied(List<Result> results, List<io.cairn.kv.state.WatchEvent> events,
                          java.util.Map<Long, Long> sessionsOpened, java.util.Set<Long> sessionsLeft) {}

    /** Applies committed entries in one engine write, as the server's replica does (stage, write, commit). */
    public Applied apply(List<LogEntry> committed) {
        if (committed.isEmpty()) {
            return new Applied(List.of(), List.of(), java.util.Map.of(), java.util.Set.of());
        }
        KvStateMachine.Staged staged = stateMachine.stage(committed);
        engine.write(staged.writes());
        staged.commit();
        // The engine dies with the process and nothing here simulates losing unflushed writes, so
        // flushing costs nothing but keeps the engine from holding an undo record of every write.
        engine.flush();
        return new Applied(staged.results(), staged.events(), staged.sessionsOpened(), staged.sessionsLeft());
    }

    /** The live lock sessions of this replica's shard, with their TTLs (ms). */
    public java.util.Map<Long, Long> lockSessions() {
        return stateMachine.lockSessions();
    }

    /** When kv-state's Expire would next find work (see KvStateMachine#nextExpiryMillis). */
    public long nextExpiryMillis() {
        return stateMachine.nextExpiryMillis();
    }

    /** The latest leader time this replica applied (the state machine's clock). */
    public long clockMillis() {
        return stateMachine.clockMillis();
    }

    /** Lock {@code name}'s holders and waiters as a read at {@code nowMillis} sees them; empty when it has none. */
    public java.util.Optional<io.cairn.kv.state.LockState> lockState(String name, long nowMillis) {
        return stateMachine.lockState(Bytes.utf8(name), nowMillis);
    }

    /** What a GET of {@code key} sees at {@code nowMillis}. */
    public KvResult.Read read(String key, long nowMillis) {
        return KvResult.read(stateMachine.get(Bytes.utf8(key), nowMillis));
    }

    /**
     * An aggregation step on this replica's applied state, as the node serves it: the aggregate
     * module's "sum" over the 8-byte values under the op's prefix (with the write intents on the
     * range), or the {@link io.cairn.kv.state.CutCheck} of the range since the op's revision.
     */
    public AggResult aggregate(AggOp op, io.cairn.kv.state.WatchHub hub, long nowMillis) {
        if (op.kind() == AggOp.Kind.CHECK) {
            return new AggResult(appliedIndex(), 0, 0, io.cairn.kv.state.CutCheck.unsettled(hub, stateMachine, op.range(),
                    op.sinceRevision()));
        }
        io.cairn.aggregate.Aggregation sum = io.cairn.aggregate.Aggregation.of("sum", java.util.Map.of("encoding", "int64"), 0);
        io.cairn.aggregate.Aggregation.Partial partial = sum.newPartial();
        java.util.Optional<Bytes> resume = java.util.Optional.of(op.range().fromInclusive());
        while (resume.isPresent()) {
            resume = stateMachine.forEachLive(new KeyRange(resume.get(), op.range().toExclusive()), 1_024, nowMillis,
                    partial::add);
        }
        long total = Long.parseLong(partial.finish().get(""));
        return new AggResult(appliedIndex(), total, stateMachine.writeIntentsIn(op.range(), Integer.MAX_VALUE), false);
    }

    /** The engine's image: equal on every replica that applied the same entries. */
    public Bytes image() {
        return engine.image();
    }

    /** Checks kv-state's TTL and session indexes against their records; throws InvariantViolation. */
    public void checkConsistency() {
        stateMachine.checkConsistency();
    }

    /** The live keys, values and versions, for failure messages. */
    public String describe(long nowMillis) {
        ScanPage page = stateMachine.scan(KeyRange.all(), DESCRIBE_KEYS_MAX, nowMillis);
        StringJoiner joiner = new StringJoiner(", ", "{", page.isLast() ? "}" : ", ...}");
        for (KeyValue kv : page.entries()) {
            // Key-value and bank values are 8-byte numbers; the list-append workload's are text.
            String value = kv.value().size() == Long.BYTES ? Long.toString(KvOp.decodeValue(kv.value()))
                    : "\"" + kv.value().toUtf8() + "\"";
            joiner.add(kv.key().toUtf8() + "=" + value + " v" + kv.version());
        }
        return "applied " + appliedIndex() + " " + joiner;
    }

    /** A page of the transaction intents this replica applied (see {@code KvStateMachine#intents}). */
    public KvStateMachine.Page<Result.Locked> txnIntents(Bytes fromKey, int max) {
        return stateMachine.intents(fromKey, max);
    }

    /** A page of the transaction records this replica applied (see {@code KvStateMachine#txnRecords}). */
    public KvStateMachine.Page<KvStateMachine.TxnRecordView> txnRecords(Bytes fromTxnId, int max) {
        return stateMachine.txnRecords(fromTxnId, max);
    }
}
