package io.cairn.kv.state;

import io.cairn.common.Bytes;
import io.cairn.common.InvariantViolation;
import io.cairn.common.Invariants;
import io.cairn.consensus.EntryType;
import io.cairn.consensus.LogEntry;
import io.cairn.kv.engine.KvEngine;
import io.cairn.kv.engine.KvPair;
import io.cairn.kv.engine.WriteBatch;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * A shard's replicated state: keys with etcd-style metadata, TTLs and exactly-once client
 * sessions, kept in a {@link KvEngine} together with the log index it has applied. See the
 * package documentation for the key layout and the rules.
 *
 * <p>Not thread-safe: the host applies and reads from one thread (or serialises them itself).
 * Every replica must construct it with equal {@link Options}, which are part of the replicated
 * state's definition.
 */
public final class KvStateMachine {
    /**
     * Settings that decide what apply does, so they must be equal on every replica.
     *
     * @param limits          sizes beyond which a command is rejected
     * @param sessionTtlMillis how long a client may be idle before {@link Command.Expire}
     *                        forgets its session (and with it the exactly-once guarantee)
     * @param expireBatchMax  the most keys, and separately the most sessions, one Expire removes
     */
    public record Options(Limits limits, long sessionTtlMillis, int expireBatchMax) {
        public static final long SESSION_TTL_MILLIS_DEFAULT = 10 * 60 * 1000L;
        public static final int EXPIRE_BATCH_MAX_DEFAULT = 1_000;
        public static final Options DEFAULT =
                new Options(Limits.DEFAULT, SESSION_TTL_MILLIS_DEFAULT, EXPIRE_BATCH_MAX_DEFAULT);

        public Options {
            if (limits == null) {
                throw new IllegalArgumentException("limits are required");
            }
            if (sessionTtlMillis < 1) {
                throw new IllegalArgumentException("sessionTtlMillis must be positive: " + sessionTtlMillis);
            }
            if (expireBatchMax < 1) {
                throw new IllegalArgumentException("expireBatchMax must be positive: " + expireBatchMax);
            }
        }
    }

    /** A snapshot written by {@link #snapshot}: the engine image and the position it covers. */
    public record SnapshotFiles(long appliedIndex, long appliedTerm, Path dir, List<Path> files) {
        public SnapshotFiles {
            files = List.copyOf(files);
        }
    }

    /** Expired keys a scan page may step over before it returns short, with a next key. */
    static final int SCAN_EXPIRED_SKIP_MAX = 1_024;
    /** Extra pairs a scan fetches per engine call once it has met expired keys. */
    private static final int SCAN_CHUNK_EXTRA_MAX = 128;
    private static final int APPLIED_FORMAT_VERSION = 1;
    private static final Result SKIPPED = new Result.Skipped();

    private final KvEngine engine;
    private final Options options;
    private final SessionCache sessions;
    /**
     * Volatile: readers on other threads take it before reading the engine, and must never see
     * an index the engine's state does not yet hold (the engine is written first).
     */
    private volatile long appliedIndex;
    private long appliedTerm;
    /** The largest leader timestamp applied so far: the state machine's clock never goes back. */
    private long clockMillis;
    /** Where the deadline indexes' entries begin, as applied; replaced by each committed batch's. */
    private IndexFloors floors = IndexFloors.atFamilyStarts();
    /**
     * How many keys hold transaction intents, as applied. While none does, a write need not look
     * for one: a point read that finds nothing still costs RocksDB a probe of every level, the
     * largest share of a plain put's reads before this count.
     */
    private long intentSlots;

    public KvStateMachine(KvEngine engine) {
        this(engine, Options.DEFAULT);
    }

    /** Reads the applied position back from the engine, which may be empty or from a restart. */
    public KvStateMachine(KvEngine engine, Options options) {
        if (engine == null || options == null) {
            throw new IllegalArgumentException("engine and options are required");
        }
        this.engine = engine;
        this.options = options;
        this.sessions = new SessionCache(engine);
        loadAppliedPosition();
    }

    public Options options() {
        return options;
    }

    /** The index of the last entry applied; 0 for an empty engine. */
    public long appliedIndex() {
        return appliedIndex;
    }

    /** The term of the last entry applied; 0 for an empty engine. */
    public long appliedTerm() {
        return appliedTerm;
    }

    /** The state machine's clock: the largest leader timestamp applied, 0 before any. */
    public long clockMillis() {
        return clockMillis;
    }

    /**
     * The earliest time at which a {@link Command.Expire} would find work: the first key's
     * expiry, a lock's next event, an ended lock session to forget, or the moment the
     * longest-idle session outlives the session TTL. Long.MAX_VALUE when nothing can expire. Lets
     * the leader propose Expire only when it will do something, so an idle group writes nothing.
     * Four index seeks from the index floors, which it raises to what it finds; reads applied
     * state only. Same thread as {@link #stage} and {@link Staged#commit}.
     */
    public long nextExpiryMillis() {
        long next = Long.MAX_VALUE;
        byte[] key = firstIndexEntry(Keyspace.EXPIRY);
        if (key != null) {
            next = Keyspace.expiryTimeOf(key);
        }
        byte[] lock = firstIndexEntry(Keyspace.LOCK_EXPIRY);
        if (lock != null) {
            next = Math.min(next, Keyspace.lockExpiryTimeOf(lock));
        }
        byte[] ended = firstIndexEntry(Keyspace.LOCK_SESSION_ENDED);
        if (ended != null) {
            next = Math.min(next, LockTable.forgetEndedAtMillis(ended));
        }
        byte[] idle = firstIndexEntry(Keyspace.SESSION_IDLE);
        if (idle != null) {
            // Expire forgets sessions whose last activity is before now - TTL.
            long lastActivity = Keyspace.lastActivityOfIdle(idle);
            next = Math.min(next, lastActivity + options.sessionTtlMillis() + 1);
        }
        return next;
    }

    /** The applied first entry of a deadline index, or null; the floor moves up to it (or to the family's end). */
    private byte[] firstIndexEntry(byte family) {
        List<KvPair> first = engine.scan(floors.floor(family), Keyspace.familyEnd(family), 1);
        byte[] found = first.isEmpty() ? Keyspace.familyEnd(family) : first.get(0).key();
        floors.raise(family, found);
        return first.isEmpty() ? null : found;
    }

    /**
     * Applies committed entries, which must start at {@link #appliedIndex()} + 1 and follow each
     * other without gaps, in one engine write that also records the new applied index and term.
     * Returns one result per entry, in entry order: {@link Result.Skipped} for a leader's no-op
     * (empty data) and for a configuration entry. A gap is a host bug and throws
     * {@link InvariantViolation} with the engine untouched.
     */
    public List<Result> apply(List<LogEntry> committed) {
        if (committed.isEmpty()) {
            return List.of();
        }
        Staged staged = stage(committed);
        engine.write(staged.writes());
        staged.commit();
        return staged.results();
    }

    /**
     * Applies committed entries as {@link #apply} does, except that the engine write is left to
     * the caller: a host of many replicas on one shared engine writes every replica's
     * {@link Staged#writes()} of a round as one batch, then calls {@link Staged#commit()} on each.
     * Until then nothing here changes; staging again, or committing another staged apply first,
     * is a host bug.
     */
    public Staged stage(List<LogEntry> committed) {
        Invariants.check(!committed.isEmpty(), "nothing to stage");
        Batch batch = new Batch(new PendingWrites(engine, sessions, floors.copy(), intentSlots), clockMillis);
        List<Result> results = new ArrayList<>(committed.size());
        long index = appliedIndex;
        long term = appliedTerm;
        for (LogEntry entry : committed) {
            Invariants.check(entry.index() == index + 1,
                    "entry %s applied after index %s: entries must follow the applied index without gaps",
                    entry.index(), index);
            Invariants.check(entry.term() >= term, "entry %s has term %s, below the applied term %s",
                    entry.index(), entry.term(), term);
            results.add(applyEntry(batch, entry));
            index = entry.index();
            term = entry.term();
        }
        batch.writes.put(Keyspace.APPLIED_KEY, encodeAppliedPosition(index, term, batch.clockMillis));
        return new Staged(batch, results, appliedIndex, index, term);
    }

    /** Entries applied in memory, waiting for the host to write {@link #writes()} and {@link #commit()}. */
    public final class Staged {
        private final Batch batch;
        private final List<Result> results;
        private final WriteBatch writes;
        private final long fromIndex;
        private final long toIndex;
        private final long toTerm;
        private boolean committed;

        private Staged(Batch batch, List<Result> results, long fromIndex, long toIndex, long toTerm) {
            this.batch = batch;
            this.results = List.copyOf(results);
            this.writes = batch.writes.toWriteBatch();
            this.fromIndex = fromIndex;
            this.toIndex = toIndex;
            this.toTerm = toTerm;
        }

        /** The engine writes of these entries, the new applied position included. */
        public WriteBatch writes() {
            return writes;
        }

        /** One result per entry, in entry order. */
        public List<Result> results() {
            return results;
        }

        /** The changes these entries made to user keys, in revision order, for watchers. */
        public List<WatchEvent> events() {
            return List.copyOf(batch.events);
        }

        /** The locks these entries changed, in order: whose waiters to wake once written. */
        public List<Bytes> locksChanged() {
            return List.copyOf(batch.locks.changed);
        }

        /** Lock sessions these entries brought into the shard, with their TTLs. */
        public java.util.Map<Long, Long> sessionsOpened() {
            return java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(batch.locks.opened));
        }

        /** Lock sessions these entries ended, or that left the shard with their last lock here. */
        public java.util.Set<Long> sessionsLeft() {
            return java.util.Collections.unmodifiableSet(new java.util.LinkedHashSet<>(batch.locks.left));
        }

        /** After {@link #writes()} reached the engine: the state machine moves to the new applied position. */
        public void commit() {
            Invariants.check(!committed, "staged apply of entries %s..%s committed twice", fromIndex + 1, toIndex);
            Invariants.check(appliedIndex == fromIndex,
                    "staged apply from index %s committed at applied index %s", fromIndex, appliedIndex);
            committed = true;
            batch.writes.publishSessions();
            appliedIndex = toIndex;
            appliedTerm = toTerm;
            clockMillis = batch.clockMillis;
            floors = batch.writes.floors();
            intentSlots = batch.writes.intentSlots();
        }
    }

    /**
     * The live key as a read at {@code nowMillis} sees it; empty if absent or expired. This and
     * {@link #scan} read only the engine, so they may run on other threads than {@link #apply}
     * when the engine takes concurrent reads.
     */
    /** The system record {@code name} ({@link Command.SetSystem}): its value, and its version as both revisions. */
    public Optional<KeyValue> system(Bytes name) {
        byte[] recordKey = Keyspace.systemKey(name);
        byte[] raw = engine.get(recordKey);
        if (raw == null) {
            return Optional.empty();
        }
        long version = systemVersion(raw, recordKey);
        return Optional.of(new KeyValue(name, Bytes.copyOf(raw, 8, raw.length - 8), version, version, version, 0));
    }

    private static long systemVersion(byte[] stored, byte[] recordKey) {
        if (stored.length < 8) {
            throw new CodecException("system record 0x" + Bytes.wrap(recordKey).toHex() + " is " + stored.length
                    + " bytes, shorter than its version");
        }
        return java.nio.ByteBuffer.wrap(stored).getLong();
    }

    public Optional<KeyValue> get(Bytes key, long nowMillis) {
        byte[] dataKey = Keyspace.dataKey(key);
        byte[] raw = engine.get(dataKey);
        if (raw == null) {
            return Optional.empty();
        }
        StoredValue stored = StoredValue.decode(raw, dataKey);
        return stored.isLiveAt(nowMillis) ? Optional.of(stored.toKeyValue(key)) : Optional.empty();
    }

    /**
     * Up to {@code limit} live keys of {@code range} at {@code nowMillis}, ascending, and the key
     * to resume at. {@code limit} must be in [1, {@link Limits#scanLimitMax()}].
     */
    public ScanPage scan(KeyRange range, int limit, long nowMillis) {
        options.limits().checkScanLimit(limit);
        byte[] cursor = Keyspace.dataKey(range.fromInclusive());
        byte[] end = range.toExclusive() == null
                ? Keyspace.familyEnd(Keyspace.DATA) : Keyspace.dataKey(range.toExclusive());
        List<KeyValue> entries = new ArrayList<>();
        int examinedMax = limit + SCAN_EXPIRED_SKIP_MAX;
        int examined = 0;
        // Each round examines at least one pair or ends the scan, and examined is bounded.
        while (true) {
            // One more than still needed, to learn the next key; more after expired keys showed up.
            int skipped = examined - entries.size();
            int want = limit - entries.size() + 1 + Math.min(skipped, SCAN_CHUNK_EXTRA_MAX);
            List<KvPair> chunk = engine.scan(cursor, end, want);
            for (KvPair pair : chunk) {
                if (entries.size() == limit) {
                    return new ScanPage(entries, Optional.of(Keyspace.userKeyOfData(pair.key())));
                }
                if (examined == examinedMax) {
                    return new ScanPage(entries, Optional.of(Keyspace.userKeyOfData(pair.key())));
                }
                examined++;
                StoredValue stored = StoredValue.decode(pair.value(), pair.key());
                if (stored.isLiveAt(nowMillis)) {
                    entries.add(stored.toKeyValue(Keyspace.userKeyOfData(pair.key())));
                }
            }
            if (chunk.size() < want) {
                return new ScanPage(entries, Optional.empty());
            }
            cursor = Keyspace.successor(chunk.get(chunk.size() - 1).key());
        }
    }

    /**
     * How many of each kind of record the state holds, for metrics: keys with a TTL, client
     * sessions, locks held, open transaction intents, transaction records and lock sessions. Each count stops
     * at {@code perKindMax} (then {@link Census#capped} is true), so a scrape of a large shard
     * costs a bounded scan. Reads the engine only; safe beside apply on an engine whose reads
     * are (RocksDB's are), and as current as the engine's last write.
     */
    public Census census(int perKindMax) {
        if (perKindMax <= 0) {
            throw new IllegalArgumentException("perKindMax must be positive: " + perKindMax);
        }
        long[] counts = new long[6];
        byte[] families = {Keyspace.EXPIRY, Keyspace.SESSION, Keyspace.LOCK, Keyspace.INTENT, Keyspace.TXN,
            Keyspace.LOCK_SESSION};
        boolean capped = false;
        for (int i = 0; i < families.length; i++) {
            counts[i] = countFamily(families[i], perKindMax);
            capped |= counts[i] == perKindMax;
        }
        return new Census(counts[0], counts[1], counts[2], counts[3], counts[4], counts[5], capped);
    }

    /**
     * See {@link #census}. {@code locksHeld} counts locks with holders or waiters;
     * {@code lockSessions} the lock sessions the shard knows, live or recently ended.
     */
    public record Census(long ttlKeys, long sessions, long locksHeld, long intents, long txnRecords, long lockSessions,
                         boolean capped) {}

    private long countFamily(byte family, int max) {
        byte[] cursor = Keyspace.familyStart(family);
        byte[] end = Keyspace.familyEnd(family);
        long count = 0;
        while (count < max) {
            int asked = (int) Math.min(1_024, max - count);
            List<KvPair> page = engine.scan(cursor, end, asked);
            count += page.size();
            if (page.size() < asked) {
                break; // the family ended
            }
            cursor = Keyspace.successor(page.get(page.size() - 1).key());
        }
        return count;
    }

    /**
     * Hands up to {@code keysMax} live keys of {@code range} to {@code sink}, in key order, as
     * (key, value) arrays the sink may keep. Returns the key to resume at, or empty when the range
     * is done. For aggregations, which see every key of a range a bounded chunk at a time.
     */
    public Optional<Bytes> forEachLive(KeyRange range, int keysMax, long nowMillis,
                                       java.util.function.BiConsumer<byte[], byte[]> sink) {
        if (keysMax <= 0) {
            throw new IllegalArgumentException("keysMax must be positive: " + keysMax);
        }
        byte[] cursor = Keyspace.dataKey(range.fromInclusive());
        byte[] end = range.toExclusive() == null
                ? Keyspace.familyEnd(Keyspace.DATA) : Keyspace.dataKey(range.toExclusive());
        int examined = 0;
        while (examined < keysMax) {
            int asked = Math.min(1_024, keysMax - examined);
            List<KvPair> chunk = engine.scan(cursor, end, asked);
            for (KvPair pair : chunk) {
                StoredValue stored = StoredValue.decode(pair.value(), pair.key());
                if (stored.isLiveAt(nowMillis)) {
                    sink.accept(Keyspace.userKeyOfData(pair.key()).toArray(), stored.value().toArray());
                }
            }
            examined += chunk.size();
            if (chunk.size() < asked) {
                return Optional.empty();
            }
            cursor = Keyspace.successor(chunk.get(chunk.size() - 1).key());
        }
        List<KvPair> next = engine.scan(cursor, end, 1);
        return next.isEmpty() ? Optional.empty() : Optional.of(Keyspace.userKeyOfData(next.get(0).key()));
    }

    /**
     * How many write intents (a prepared transaction's put or delete) lie on keys of
     * {@code range}, counting up to {@code max}: while one does, the range's committed state may
     * be about to change as part of a transaction that other shards already show.
     */
    public long writeIntentsIn(KeyRange range, int max) {
        byte[] cursor = Keyspace.intentKey(range.fromInclusive());
        byte[] end = range.toExclusive() == null
                ? Keyspace.familyEnd(Keyspace.INTENT) : Keyspace.intentKey(range.toExclusive());
        long count = 0;
        while (count < max) {
            List<KvPair> chunk = engine.scan(cursor, end, 256);
            for (KvPair pair : chunk) {
                if (Intent.decodeSlot(pair.value(), pair.key()).get(0).isWrite() && ++count == max) {
                    return count;
                }
            }
            if (chunk.size() < 256) {
                return count;
            }
            cursor = Keyspace.successor(chunk.get(chunk.size() - 1).key());
        }
        return count;
    }

    /**
     * A decided transaction's record, as the cleanup of records whose coordinator did not remove
     * them sees it: {@code cleanable} says whether this shard may end it by itself (see
     * {@link Command.Decide}); {@code intentKeys} are the keys its intents may still hold, in any
     * shard (empty for an abort).
     */
    public record TxnRecordView(Bytes txnId, boolean committed, long decidedAtMillis, List<Bytes> intentKeys,
                                boolean cleanable) {}

    /** A page of a bounded scan, and the id or key the next page starts at (null: the scan is done). */
    public record Page<T>(List<T> items, Bytes next) {}

    /** Up to {@code max} transaction records from id {@code fromTxnId} (null: the first), in id order. */
    public Page<TxnRecordView> txnRecords(Bytes fromTxnId, int max) {
        List<KvPair> pairs = familyPage(Keyspace.TXN, fromTxnId, max);
        List<TxnRecordView> views = new ArrayList<>(pairs.size());
        for (KvPair pair : pairs) {
            TxnRecord r = TxnRecord.decode(pair.value(), pair.key());
            views.add(new TxnRecordView(Bytes.copyOf(pair.key(), 1, pair.key().length - 1), r.committed(),
                    r.decidedAtMillis(), r.intentKeys() == null ? List.of() : r.intentKeys(), r.cleanable()));
        }
        return new Page<>(views, pairs.size() < max ? null : successorOf(views.get(views.size() - 1).txnId()));
    }

    /**
     * Up to {@code max} intents from user key {@code fromKey} (null: the first), in key order, each
     * as the {@link Result.Locked} a write meeting it would get.
     */
    public Page<Result.Locked> intents(Bytes fromKey, int max) {
        List<KvPair> pairs = familyPage(Keyspace.INTENT, fromKey, max);
        List<Result.Locked> held = new ArrayList<>(pairs.size());
        for (KvPair pair : pairs) {
            for (Intent i : Intent.decodeSlot(pair.value(), pair.key())) {
                held.add(new Result.Locked(Keyspace.userKeyOfIntent(pair.key()), i.txnId(), i.primaryKey(),
                        i.preparedAtMillis()));
            }
        }
        return new Page<>(held, pairs.size() < max ? null
                : successorOf(Keyspace.userKeyOfIntent(pairs.get(pairs.size() - 1).key())));
    }

    private List<KvPair> familyPage(byte family, Bytes from, int max) {
        if (max <= 0) {
            throw new IllegalArgumentException("max must be positive: " + max);
        }
        byte[] start = from == null ? Keyspace.familyStart(family) : Keyspace.withFamily(family, from.toArray());
        return engine.scan(start, Keyspace.familyEnd(family), max);
    }

    private static Bytes successorOf(Bytes b) {
        return Bytes.wrap(Keyspace.successor(b.toArray()));
    }

    /** {@link #scan} of every key that starts with {@code prefix}. */
    public ScanPage scanPrefix(Bytes prefix, int limit, long nowMillis) {
        return scan(KeyRange.prefix(prefix), limit, nowMillis);
    }

    /**
     * Writes a consistent image of the whole state, applied position included, into {@code dir},
     * which must not exist yet.
     */
    public SnapshotFiles snapshot(Path dir) throws IOException {
        long index = appliedIndex;
        long term = appliedTerm;
        List<Path> files = engine.checkpoint(dir);
        return new SnapshotFiles(index, term, dir, files);
    }

    /**
     * Replaces the whole state with a {@link #snapshot} image and reads the applied position back
     * from it. On failure the previous state is intact.
     */
    public void restore(Path dir) throws IOException {
        sessions.clear();
        engine.restore(dir);
        loadAppliedPosition();
    }

    /**
     * Checks that the TTL and session idle indexes match the records they index, both ways.
     * Costs a scan of everything: for tests and the simulator. Throws {@link InvariantViolation}.
     */
    public void checkConsistency() {
        ConsistencyCheck.run(engine, floors, intentSlots);
    }

    private Result applyEntry(Batch batch, LogEntry entry) {
        // A leader's no-op and a configuration change only advance the applied index.
        if (entry.type() == EntryType.CONFIG || entry.data().isEmpty()) {
            return SKIPPED;
        }
        CommandEnvelope envelope;
        try {
            envelope = CommandEnvelope.decode(entry.data());
        } catch (CodecException e) {
            return new Result.Rejected(RejectReason.MALFORMED, e.getMessage());
        }
        batch.advanceClock(envelope.leaderTimestampMillis());
        if (envelope.command() instanceof Command.Expire expire) {
            batch.advanceClock(expire.nowMillis());
        }
        long revision = entry.index();
        if (!envelope.hasSession()) {
            return execute(batch, envelope.command(), revision);
        }
        return applyWithSession(batch, envelope, revision);
    }

    /** Raft dissertation §6.3: a retried sequence gets its stored result, an older one Stale. */
    private Result applyWithSession(Batch batch, CommandEnvelope envelope, long revision) {
        long clientId = envelope.clientId();
        byte[] sessionKey = Keyspace.sessionKey(clientId);
        byte[] raw = batch.writes.get(sessionKey);
        Session session = raw == null ? null : Session.decode(raw, clientId);
        if (session != null && envelope.sequence() < session.lastSequence()) {
            return new Result.Stale(session.lastSequence());
        }
        if (session != null && envelope.sequence() == session.lastSequence()) {
            return session.result(clientId);
        }
        Result result = execute(batch, envelope.command(), revision);
        if (result instanceof Result.Locked) {
            // Nothing happened: the same sequence may be proposed again once the intent is gone.
            return result;
        }
        // The command may have been an Expire that forgot this very session; re-read before
        // replacing the idle index entry.
        byte[] current = batch.writes.get(sessionKey);
        if (current != null) {
            Session old = Session.decode(current, clientId);
            batch.writes.delete(Keyspace.idleKey(old.lastActivityMillis(), clientId));
        }
        Session updated = new Session(envelope.sequence(), batch.clockMillis, result.encode());
        batch.writes.put(sessionKey, updated.encode());
        batch.writes.put(Keyspace.idleKey(updated.lastActivityMillis(), clientId), Keyspace.EMPTY_VALUE);
        return result;
    }

    private Result execute(Batch batch, Command command, long revision) {
        Optional<Result.Rejected> violation = options.limits().violation(command);
        if (violation.isPresent()) {
            return violation.get();
        }
        Bytes written = writtenKey(command);
        if (written != null) {
            Result.Locked locked = blockedBy(batch, written, null, true);
            if (locked != null) {
                return locked;
            }
        }
        if (command instanceof Command.Put put) {
            return write(batch, put.key(), put.value(), put.ttlMillis(), revision);
        } else if (command instanceof Command.Delete delete) {
            return delete(batch, delete.key(), revision);
        } else if (command instanceof Command.CompareAndSet cas) {
            StoredValue current = batch.load(cas.key());
            long actualVersion = current != null && current.isLiveAt(batch.clockMillis) ? current.version() : 0;
            if (actualVersion != cas.expectedVersion()) {
                return new Result.CasFailed(actualVersion);
            }
            return write(batch, cas.key(), cas.value(), cas.ttlMillis(), revision);
        } else if (command instanceof Command.SetTtl setTtl) {
            StoredValue current = batch.load(setTtl.key());
            if (current == null || !current.isLiveAt(batch.clockMillis)) {
                return new Result.Deleted(revision, false);
            }
            return write(batch, setTtl.key(), current.value(), setTtl.ttlMillis(), revision);
        } else if (command instanceof Command.Expire) {
            return expire(batch, revision);
        } else if (command instanceof Command.Lock lock) {
            return batch.locks.acquire(lock, batch.clockMillis, revision);
        } else if (command instanceof Command.Unlock unlock) {
            return batch.locks.unlock(unlock, batch.clockMillis, revision);
        } else if (command instanceof Command.LockRelease release) {
            return batch.locks.release(release, batch.clockMillis, revision);
        } else if (command instanceof Command.Proclaim proclaim) {
            return batch.locks.proclaim(proclaim, batch.clockMillis);
        } else if (command instanceof Command.EndSessions end) {
            return batch.locks.endSessions(end, batch.clockMillis, revision);
        } else if (command instanceof Command.Fenced fenced) {
            if (!batch.locks.holds(fenced.lock(), fenced.token(), batch.clockMillis)) {
                return new Result.FencedOut(batch.locks.currentToken(fenced.lock(), batch.clockMillis));
            }
            if (fenced.release() && !batch.locks.exclusive(fenced.lock())) {
                // A semaphore's or read-write lock's holders granted by one entry share its token:
                // the token does not say whose grant to release.
                return new Result.Rejected(RejectReason.LOCK_KIND, "only an exclusive lock is released by its fenced"
                        + " write; " + fenced.lock() + " has several permits: write, then release");
            }
            Result result = execute(batch, fenced.write(), revision);
            // A write stopped by a transaction's intent changed nothing, and is proposed again.
            if (fenced.release() && !(result instanceof Result.Locked)) {
                batch.locks.releaseGrant(fenced.lock(), fenced.token(), batch.clockMillis, revision);
            }
            return result;
        } else if (command instanceof Command.Txn txn) {
            return transact(batch, txn, revision);
        } else if (command instanceof Command.Prepare prepare) {
            return prepare(batch, prepare);
        } else if (command instanceof Command.Decide decide) {
            return decide(batch, decide);
        } else if (command instanceof Command.Resolve resolve) {
            return resolve(batch, resolve, revision);
        } else if (command instanceof Command.Forget forget) {
            byte[] recordKey = Keyspace.txnKey(forget.txnId());
            boolean existed = batch.writes.get(recordKey) != null;
            batch.writes.delete(recordKey);
            return new Result.Deleted(revision, existed);
        } else if (command instanceof Command.SetSystem sys) {
            byte[] recordKey = Keyspace.systemKey(sys.name());
            byte[] current = batch.writes.get(recordKey);
            long actual = current == null ? 0 : systemVersion(current, recordKey);
            if (actual != sys.expectedVersion()) {
                return new Result.CasFailed(actual);
            }
            byte[] stored = new byte[8 + sys.value().size()];
            java.nio.ByteBuffer.wrap(stored).putLong(revision);
            sys.value().copyTo(stored, 8);
            batch.writes.put(recordKey, stored);
            return new Result.Written(revision, revision);
        }
        throw new AssertionError("unknown command " + command);
    }

    /** The key a plain write changes; null for other commands. */
    private static Bytes writtenKey(Command command) {
        if (command instanceof Command.Put put) {
            return put.key();
        } else if (command instanceof Command.Delete delete) {
            return delete.key();
        } else if (command instanceof Command.CompareAndSet cas) {
            return cas.key();
        } else if (command instanceof Command.SetTtl setTtl) {
            return setTtl.key();
        }
        return null;
    }

    /**
     * The intent of a transaction other than {@code own} (null: none) that stops this command on
     * {@code key}: any intent stops a write (a read intent keeps what a transaction read from
     * changing), a write intent stops a read whose answer decides something (a comparison, or a
     * prepare's read, which may then share the key with other readers).
     */
    private static Result.Locked blockedBy(Batch batch, Bytes key, Bytes own, boolean writing) {
        for (Intent intent : batch.loadIntents(key)) {
            if (!intent.txnId().equals(own) && (writing || intent.isWrite())) {
                return new Result.Locked(key, intent.txnId(), intent.primaryKey(), intent.preparedAtMillis());
            }
        }
        return null;
    }

    private Result prepare(Batch batch, Command.Prepare p) {
        if (p.sharedReads()) {
            // In the primary's shard: a prepare that arrives after its transaction was decided
            // (aborted by whoever met its intents) places nothing, so no intent on the primary
            // key can outlive the record and let a late commit decision through once it is gone.
            byte[] recordKey = Keyspace.txnKey(p.txnId());
            byte[] record = batch.writes.get(recordKey);
            if (record != null) {
                return new Result.Decided(TxnRecord.decode(record, recordKey).committed());
            }
        }
        for (TxnOp op : p.writes()) {
            Result.Locked locked = blockedBy(batch, op.key(), p.txnId(), true);
            if (locked != null) {
                return locked;
            }
        }
        for (Compare c : p.compares()) {
            // A lock token names a lock, not a key: no key intent concerns it.
            // Readers share a key; before they did, any other intent stopped a prepare that holds reads.
            Result.Locked locked = c.target() == Compare.Target.LOCK_TOKEN ? null
                    : blockedBy(batch, c.key(), p.txnId(), p.lockReads() && !p.sharedReads());
            if (locked != null) {
                return locked;
            }
        }
        for (int i = 0; i < p.compares().size(); i++) {
            Compare c = p.compares().get(i);
            long token = c.target() == Compare.Target.LOCK_TOKEN ? batch.locks.currentToken(c.key(), batch.clockMillis) : 0;
            if (!c.holds(batch.live(c.key()), token)) {
                return new Result.Prepared(i);
            }
        }
        for (TxnOp op : p.writes()) {
            Intent intent = op instanceof Command.Put put
                    ? new Intent(p.txnId(), p.primaryKey(), batch.clockMillis, Intent.Kind.PUT, put.value(), put.ttlMillis())
                    : new Intent(p.txnId(), p.primaryKey(), batch.clockMillis, Intent.Kind.DELETE, null, 0);
            batch.storeIntents(op.key(), List.of(intent));
        }
        if (p.lockReads()) {
            for (Compare c : p.compares()) {
                List<Intent> held = c.target() == Compare.Target.LOCK_TOKEN ? null : batch.loadIntents(c.key());
                if (held != null && held.stream().noneMatch(i -> i.txnId().equals(p.txnId()))) {
                    // Only other readers can be here (a writer stopped this prepare above): share.
                    List<Intent> shared = new ArrayList<>(held);
                    shared.add(new Intent(p.txnId(), p.primaryKey(), batch.clockMillis, Intent.Kind.READ, null, 0));
                    batch.storeIntents(c.key(), shared);
                }
            }
        }
        return new Result.Prepared(-1);
    }

    private static Result decide(Batch batch, Command.Decide d) {
        byte[] recordKey = Keyspace.txnKey(d.txnId());
        byte[] raw = batch.writes.get(recordKey);
        if (raw != null) {
            return new Result.Decided(TxnRecord.decode(raw, recordKey).committed());
        }
        if (d.primaryKey() != null) {
            // The primary key is written, so the transaction's intent there is the slot's only one.
            List<Intent> primary = batch.loadIntents(d.primaryKey());
            boolean held = primary.size() == 1 && primary.get(0).isWrite() && primary.get(0).txnId().equals(d.txnId());
            if (d.commit() && !held) {
                // Decided, resolved and cleaned up long ago (a record goes only after that), or
                // never prepared here: committing now could contradict what was resolved.
                return new Result.OutcomeUnknown();
            }
            if (!d.commit() && held) {
                // With the primary's intent gone, no later commit decision can be recorded even
                // once this record is cleaned up.
                batch.writes.delete(Keyspace.intentKey(d.primaryKey()));
            }
        }
        // A decision from before records were cleaned up keeps a record that never goes.
        List<Bytes> keys = d.primaryKey() == null ? null : d.intentKeys();
        batch.writes.put(recordKey, new TxnRecord(d.commit(), batch.clockMillis, keys).encode());
        return new Result.Decided(d.commit());
    }

    private Result resolve(Batch batch, Command.Resolve r, long revision) {
        int ended = 0;
        for (Bytes key : r.keys()) {
            List<Intent> others = new ArrayList<>(batch.loadIntents(key));
            Intent intent = others.stream().filter(i -> i.txnId().equals(r.txnId())).findFirst().orElse(null);
            if (intent == null) {
                continue;
            }
            others.remove(intent);
            batch.storeIntents(key, others);
            ended++;
            if (r.commit() && intent.kind() == Intent.Kind.PUT) {
                write(batch, key, intent.value(), intent.ttlMillis(), revision);
            } else if (r.commit() && intent.kind() == Intent.Kind.DELETE) {
                delete(batch, key, revision);
            }
        }
        return new Result.Resolved(ended);
    }

    /** The kind of intent (READ, PUT, DELETE) transactions hold on {@code key} in applied state, if any. */
    public Optional<String> intentOn(Bytes key) {
        List<Intent> held = appliedIntents(key);
        return held.isEmpty() ? Optional.empty() : Optional.of(held.get(0).kind().name());
    }

    /** The ids of the transactions holding intents on {@code key} in applied state (several only when reading). */
    public List<Bytes> intentHolders(Bytes key) {
        return appliedIntents(key).stream().map(Intent::txnId).toList();
    }

    private List<Intent> appliedIntents(Bytes key) {
        byte[] intentKey = Keyspace.intentKey(key);
        byte[] raw = engine.get(intentKey);
        return raw == null ? List.of() : Intent.decodeSlot(raw, intentKey);
    }

    /**
     * The comparisons against the state the entries before this one left, then one branch's
     * operations in order; every write takes this entry's revision.
     */
    private Result transact(Batch batch, Command.Txn txn, long revision) {
        for (Compare c : txn.compares()) {
            Result.Locked locked = c.target() == Compare.Target.LOCK_TOKEN ? null : blockedBy(batch, c.key(), null, false);
            if (locked != null) {
                return locked;
            }
        }
        for (List<TxnOp> branch : List.of(txn.success(), txn.failure())) {
            for (TxnOp op : branch) {
                Result.Locked locked = blockedBy(batch, op.key(), null, !(op instanceof TxnOp.Get));
                if (locked != null) {
                    return locked;
                }
            }
        }
        int failed = -1;
        for (int i = 0; i < txn.compares().size() && failed < 0; i++) {
            Compare c = txn.compares().get(i);
            long token = c.target() == Compare.Target.LOCK_TOKEN ? batch.locks.currentToken(c.key(), batch.clockMillis) : 0;
            if (!c.holds(batch.live(c.key()), token)) {
                failed = i;
            }
        }
        List<TxnOp> ops = failed < 0 ? txn.success() : txn.failure();
        List<Result> results = new ArrayList<>(ops.size());
        for (TxnOp op : ops) {
            if (op instanceof Command.Put put) {
                results.add(write(batch, put.key(), put.value(), put.ttlMillis(), revision));
            } else if (op instanceof Command.Delete delete) {
                results.add(delete(batch, delete.key(), revision));
            } else if (op instanceof TxnOp.Get get) {
                results.add(new Result.Read(batch.live(get.key())));
            }
        }
        return new Result.TxnDone(failed < 0, failed, revision, results);
    }

    /** Sets the key; an expired key not yet removed counts as absent, so this re-creates it. */
    private Result write(Batch batch, Bytes key, Bytes value, long ttlMillis, long revision) {
        StoredValue old = batch.load(key);
        if (old != null && old.hasTtl()) {
            batch.writes.delete(Keyspace.expiryKey(old.expiresAtMillis(), key));
        }
        boolean live = old != null && old.isLiveAt(batch.clockMillis);
        long createRevision = live ? old.createRevision() : revision;
        long version = live ? old.version() + 1 : 1;
        long expiresAtMillis = ttlMillis == 0 ? 0 : saturatedAdd(batch.clockMillis, ttlMillis);
        StoredValue stored = new StoredValue(createRevision, revision, version, expiresAtMillis, value);
        batch.writes.put(Keyspace.dataKey(key), stored.encode());
        if (stored.hasTtl()) {
            batch.writes.put(Keyspace.expiryKey(expiresAtMillis, key), Keyspace.EMPTY_VALUE);
        }
        batch.events.add(WatchEvent.put(revision,
                new KeyValue(key, value, createRevision, revision, version, expiresAtMillis)));
        return new Result.Written(revision, version);
    }

    private Result delete(Batch batch, Bytes key, long revision) {
        StoredValue old = batch.load(key);
        if (old == null) {
            return new Result.Deleted(revision, false);
        }
        batch.removeKey(key, old);
        boolean live = old.isLiveAt(batch.clockMillis);
        batch.events.add(WatchEvent.removed(live ? WatchEvent.Type.DELETE : WatchEvent.Type.EXPIRE, revision, key));
        return new Result.Deleted(revision, live);
    }

    /**
     * The lock's current grant as a read at {@code nowMillis} sees it; empty if free or expired.
     * Reads applied state only, as {@link #get} does.
     */
    public Optional<LockGrant> lock(Bytes name, long nowMillis) {
        return lockState(name, nowMillis).flatMap(state -> state.newestHolder().map(
                h -> new LockGrant(name, h.owner(), h.token(), h.expiresAtMillis())));
    }

    /** The lock's holders and waiters as a read at {@code nowMillis} sees them; empty when it has none. */
    public Optional<LockState> lockState(Bytes name, long nowMillis) {
        byte[] lockKey = Keyspace.lockKey(name);
        byte[] raw = engine.get(lockKey);
        return raw == null ? Optional.empty() : LockState.of(name, LockRecord.decode(raw, lockKey), nowMillis);
    }

    /** Up to {@code limit} locks with holders or waiters, by name from {@code fromName} on. */
    public List<LockState> locks(Bytes fromName, int limit, long nowMillis) {
        options.limits().checkScanLimit(limit);
        List<LockState> out = new ArrayList<>();
        byte[] from = Keyspace.lockKey(fromName);
        while (out.size() < limit) {
            int asked = limit - out.size();
            List<KvPair> page = engine.scan(from, Keyspace.familyEnd(Keyspace.LOCK), asked);
            for (KvPair pair : page) {
                LockState.of(Keyspace.lockNameOf(pair.key()), LockRecord.decode(pair.value(), pair.key()), nowMillis)
                        .ifPresent(out::add);
            }
            if (page.size() < asked) {
                break;
            }
            from = Keyspace.successor(page.get(page.size() - 1).key());
        }
        return out;
    }

    /** The live lock sessions this shard has entries of, with their TTLs: what its leader watches. */
    public java.util.Map<Long, Long> lockSessions() {
        java.util.Map<Long, Long> live = new java.util.LinkedHashMap<>();
        byte[] from = Keyspace.familyStart(Keyspace.LOCK_SESSION);
        int pageSize = 4_096;
        while (true) {
            List<KvPair> page = engine.scan(from, Keyspace.familyEnd(Keyspace.LOCK_SESSION), pageSize);
            for (KvPair pair : page) {
                LockSession session = LockSession.decode(pair.value(), pair.key());
                if (!session.ended()) {
                    live.put(Keyspace.sessionIdOfLockSession(pair.key()), session.ttlMillis());
                }
            }
            if (page.size() < pageSize) {
                return live;
            }
            from = Keyspace.successor(page.get(page.size() - 1).key());
        }
    }

    /** Removes keys due at the clock and sessions idle too long, each at most expireBatchMax. */
    private Result expire(Batch batch, long revision) {
        long cutoffMillis = batch.clockMillis;
        int bound = options.expireBatchMax();
        List<KvPair> due = batch.writes.scanIndex(Keyspace.EXPIRY, Keyspace.expiryEndAfter(cutoffMillis), bound + 1);
        int keysRemoved = Math.min(bound, due.size());
        if (keysRemoved > 0) {
            batch.writes.consumingThrough(Keyspace.EXPIRY, due.get(keysRemoved - 1).key());
        }
        for (int i = 0; i < keysRemoved; i++) {
            byte[] indexKey = due.get(i).key();
            Bytes key = Keyspace.userKeyOfExpiry(indexKey);
            StoredValue stored = batch.load(key);
            Invariants.check(stored != null && stored.expiresAtMillis() == Keyspace.expiryTimeOf(indexKey),
                    "TTL index entry for key %s at %s has no matching value", key, Keyspace.expiryTimeOf(indexKey));
            batch.removeKey(key, stored);
            batch.events.add(WatchEvent.removed(WatchEvent.Type.EXPIRE, revision, key));
        }
        int sessionsForgotten = 0;
        List<KvPair> idle = List.of();
        long idleBeforeMillis = cutoffMillis - options.sessionTtlMillis();
        if (idleBeforeMillis > 0) {
            idle = batch.writes.scanIndex(Keyspace.SESSION_IDLE, Keyspace.idleKeyStart(idleBeforeMillis), bound + 1);
            sessionsForgotten = Math.min(bound, idle.size());
            if (sessionsForgotten > 0) {
                batch.writes.consumingThrough(Keyspace.SESSION_IDLE, idle.get(sessionsForgotten - 1).key());
            }
            for (int i = 0; i < sessionsForgotten; i++) {
                byte[] idleKey = idle.get(i).key();
                batch.writes.delete(Keyspace.sessionKey(Keyspace.clientIdOfIdle(idleKey)));
                batch.writes.delete(idleKey);
            }
        }
        LockTable.Expiry locks = batch.locks.expire(cutoffMillis, revision, bound);
        boolean more = due.size() > bound || idle.size() > bound || locks.more();
        return new Result.Expired(keysRemoved + locks.settled(), sessionsForgotten + locks.forgotten(), more);
    }

    private void loadAppliedPosition() {
        floors = IndexFloors.atFamilyStarts();
        intentSlots = countFamily(Keyspace.INTENT, Integer.MAX_VALUE);
        byte[] raw = engine.get(Keyspace.APPLIED_KEY);
        if (raw == null) {
            appliedIndex = 0;
            appliedTerm = 0;
            clockMillis = 0;
            return;
        }
        try {
            Decoder in = new Decoder(raw, "applied position");
            in.readVersion(APPLIED_FORMAT_VERSION);
            appliedIndex = in.readVarLong("appliedIndex");
            appliedTerm = in.readVarLong("appliedTerm");
            clockMillis = in.readVarLong("clockMillis");
            in.finish();
        } catch (CodecException e) {
            throw new InvariantViolation("engine holds a corrupt applied position: " + e.getMessage());
        }
    }

    private static byte[] encodeAppliedPosition(long index, long term, long clockMillis) {
        return new Encoder(32).writeByte(APPLIED_FORMAT_VERSION)
                .writeVarLong(index).writeVarLong(term).writeVarLong(clockMillis).toArray();
    }

    private static long saturatedAdd(long a, long b) {
        return b > Long.MAX_VALUE - a ? Long.MAX_VALUE : a + b;
    }

    /** The state of one apply call: its pending writes and its clock. */
    private static final class Batch {
        final PendingWrites writes;
        long clockMillis;
        /** What watchers are told once the batch is committed, in revision order. */
        final List<WatchEvent> events = new ArrayList<>();

        final LockTable locks;

        Batch(PendingWrites writes, long clockMillis) {
            this.writes = writes;
            this.locks = new LockTable(writes);
            this.clockMillis = clockMillis;
        }

        /** Leaders' clocks may disagree; the state machine's time only moves forward. */
        void advanceClock(long leaderMillis) {
            clockMillis = Math.max(clockMillis, leaderMillis);
        }

        /** The stored record of a user key, expired or not, as the batch so far leaves it. */
        StoredValue load(Bytes key) {
            byte[] dataKey = Keyspace.dataKey(key);
            byte[] raw = writes.get(dataKey);
            return raw == null ? null : StoredValue.decode(raw, dataKey);
        }

        /** The key as a read at the batch's clock sees it, after the batch so far; null if absent or expired. */
        KeyValue live(Bytes key) {
            StoredValue stored = load(key);
            return stored != null && stored.isLiveAt(clockMillis) ? stored.toKeyValue(key) : null;
        }

        /** The intents on the key, as the batch so far leaves them: one write intent, readers, or none. */
        List<Intent> loadIntents(Bytes key) {
            if (writes.intentSlots() == 0) {
                return List.of();
            }
            byte[] intentKey = Keyspace.intentKey(key);
            byte[] raw = writes.get(intentKey);
            return raw == null ? List.of() : Intent.decodeSlot(raw, intentKey);
        }

        /** Replaces the key's intents; none removes the slot. */
        void storeIntents(Bytes key, List<Intent> intents) {
            if (intents.isEmpty()) {
                writes.delete(Keyspace.intentKey(key));
            } else {
                writes.put(Keyspace.intentKey(key), Intent.encodeSlot(intents));
            }
        }

        void removeKey(Bytes key, StoredValue stored) {
            writes.delete(Keyspace.dataKey(key));
            if (stored.hasTtl()) {
                writes.delete(Keyspace.expiryKey(stored.expiresAtMillis(), key));
            }
        }
    }
}
