package io.cairn.kv.state;

import io.cairn.common.Bytes;
import io.cairn.common.Invariants;
import io.cairn.kv.engine.KvPair;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The lock commands of one apply batch over its pending writes: acquire, release, the end of a
 * session, and expiry. Every change to a lock goes through {@link #store}, which settles the
 * lock (grants waiters in order), keeps the expiry and session indexes in step and notes the
 * lock's name for the waiters the host wakes once the batch is written.
 */
final class LockTable {
    /** How long an ended session's id is remembered, so a late request with it is refused. */
    static final long ENDED_SESSION_KEEP_MILLIS = 60 * 60 * 1000L;

    private static final int SCAN_PAGE = 1_024;
    private final PendingWrites writes;
    /** Locks changed by the batch, in order of first change: whose waiters to wake. */
    final Set<Bytes> changed = new LinkedHashSet<>();
    /** Sessions the batch first saw in this shard, with their TTLs: what the leader starts watching. */
    final Map<Long, Long> opened = new LinkedHashMap<>();

    /** Sessions that ended or left the shard in the batch: what the leader stops watching. */
    final Set<Long> left = new LinkedHashSet<>();

    /** What one Expire did to locks: locks settled, ended sessions forgotten, whether more is due. */
    record Expiry(int settled, int forgotten, boolean more) {}

    LockTable(PendingWrites writes) {
        this.writes = writes;
    }

    LockRecord load(Bytes name) {
        byte[] lockKey = Keyspace.lockKey(name);
        byte[] raw = writes.get(lockKey);
        return raw == null ? null : LockRecord.decode(raw, lockKey);
    }

    /** The newest live grant of the lock at {@code nowMillis}; 0 when nobody holds it. */
    long currentToken(Bytes name, long nowMillis) {
        LockRecord lock = load(name);
        return lock == null ? 0 : lock.newestTokenAt(nowMillis);
    }

    boolean holds(Bytes name, long token, long nowMillis) {
        LockRecord lock = load(name);
        return lock != null && lock.holdsTokenAt(token, nowMillis);
    }

    Result acquire(Command.Lock cmd, long nowMillis, long revision) {
        if (cmd.sessionId() != 0 && sessionEnded(cmd.sessionId())) {
            return new Result.SessionEnded(cmd.sessionId());
        }
        LockRecord old = load(cmd.name());
        LockRecord lock = old == null ? null : old.settle(nowMillis, revision);
        if (lock != null && lock.permits() != cmd.permits()) {
            return new Result.Rejected(RejectReason.LOCK_KIND, "lock " + cmd.name() + " has " + describePermits(lock.permits())
                    + ", not " + describePermits(cmd.permits()));
        }
        List<LockRecord.Entry> entries = lock == null ? new ArrayList<>() : new ArrayList<>(lock.entries());
        int mine = lock == null ? -1 : lock.indexOf(cmd.sessionId(), cmd.owner());
        if (mine >= 0) {
            return again(cmd, old, lock, entries, mine, nowMillis, revision);
        }
        int permits = cmd.permits();
        long delayUntil = lock == null ? 0 : lock.delayUntilMillis();
        boolean fits = (lock == null || !lock.hasWaiters() && lock.permitsHeldAt(nowMillis) + cmd.weight() <= permits)
                && delayUntil == 0;
        if (!fits && !cmd.waits()) {
            LockRecord.Entry holder = lock == null ? null : lock.newestHolderAt(nowMillis);
            if (old != null && !old.equals(lock)) {
                store(cmd.name(), old, lock); // the settle dropped lapsed entries or granted waiters
            }
            return new Result.LockBusy(holder == null ? 0 : holder.token(),
                    holder == null ? delayUntil : holder.expiresAtMillis());
        }
        if (entries.size() >= LockRecord.ENTRIES_MAX) {
            return new Result.Rejected(RejectReason.LOCK_FULL, "lock " + cmd.name() + " already has "
                    + LockRecord.ENTRIES_MAX + " holders and waiters, the most one lock takes");
        }
        long expiresAt = cmd.sessionId() == 0 ? saturatedAdd(nowMillis, cmd.ttlMillis()) : 0;
        LockRecord.Entry entry = new LockRecord.Entry(cmd.owner(), cmd.sessionId(), cmd.weight(), fits ? revision : 0,
                expiresAt, cmd.lockDelayMillis(), cmd.value());
        entries.add(entry);
        store(cmd.name(), old, new LockRecord(permits, delayUntil, entries));
        if (cmd.sessionId() != 0) {
            joinSession(cmd.sessionId(), cmd.ttlMillis(), cmd.name());
        }
        return fits ? new Result.LockGranted(revision, expiresAt) : queued(lock, entries.size() - 1, nowMillis);
    }

    /** The caller already has an entry: a TTL holder extends it, a session's entry is reported as it stands. */
    private Result again(Command.Lock cmd, LockRecord old, LockRecord lock, List<LockRecord.Entry> entries, int mine,
                         long nowMillis, long revision) {
        LockRecord.Entry e = entries.get(mine);
        if (e.sessionId() == 0) {
            long expiresAt = saturatedAdd(nowMillis, cmd.ttlMillis());
            entries.set(mine, new LockRecord.Entry(e.owner(), 0, e.weight(), e.token(), expiresAt, 0, e.value()));
            store(cmd.name(), old, lock.with(entries, lock.delayUntilMillis()));
            return new Result.LockGranted(e.token(), expiresAt);
        }
        if (!old.equals(lock)) {
            store(cmd.name(), old, lock);
        }
        return e.granted() ? new Result.LockGranted(e.token(), 0) : queued(lock, mine, nowMillis);
    }

    private static Result.LockQueued queued(LockRecord lock, int index, long nowMillis) {
        int ahead = 0;
        for (int i = 0; i < index; i++) {
            ahead += lock.entries().get(i).granted() ? 0 : 1;
        }
        return new Result.LockQueued(ahead + 1, lock == null ? 0 : lock.newestTokenAt(nowMillis));
    }

    /** Releases a TTL grant by its token. */
    Result unlock(Command.Unlock cmd, long nowMillis, long revision) {
        LockRecord old = load(cmd.name());
        LockRecord lock = old == null ? null : old.settle(nowMillis, revision);
        int index = -1;
        for (int i = 0; lock != null && i < lock.entries().size(); i++) {
            LockRecord.Entry e = lock.entries().get(i);
            if (e.sessionId() == 0 && e.token() == cmd.token()) {
                index = i;
            }
        }
        if (index < 0) {
            if (old != null && !old.equals(lock)) {
                store(cmd.name(), old, lock);
            }
            return new Result.NotHolder(lock == null ? 0 : lock.newestTokenAt(nowMillis));
        }
        List<LockRecord.Entry> entries = new ArrayList<>(lock.entries());
        entries.remove(index);
        store(cmd.name(), old, settled(lock.with(entries, lock.delayUntilMillis()), nowMillis, revision));
        return new Result.Released(cmd.token());
    }

    /** Withdraws a session's entry: releases it if granted, leaves the queue if waiting. */
    Result release(Command.LockRelease cmd, long nowMillis, long revision) {
        LockRecord old = load(cmd.name());
        int index = old == null ? -1 : old.indexOf(cmd.sessionId(), cmd.owner());
        if (index < 0) {
            return new Result.NotHolder(old == null ? 0 : old.newestTokenAt(nowMillis));
        }
        LockRecord.Entry e = old.entries().get(index);
        List<LockRecord.Entry> entries = new ArrayList<>(old.entries());
        entries.remove(index);
        store(cmd.name(), old, settled(old.with(entries, old.delayUntilMillis()), nowMillis, revision));
        // The session's index names the lock once, however many handles of the session it holds.
        if (entries.stream().noneMatch(other -> other.sessionId() == cmd.sessionId())) {
            leaveSession(cmd.sessionId(), cmd.name());
        }
        return new Result.Released(e.token());
    }

    /** Whether {@code name} is an exclusive lock (one permit): a grant's token then names one holder. */
    boolean exclusive(Bytes name) {
        LockRecord lock = load(name);
        return lock != null && lock.permits() == 1;
    }

    /**
     * Releases the grant with fencing token {@code token}, whoever holds it (a session's entry or
     * a TTL lock), granting the next in line; the caller knows it holds ({@link #holds}).
     */
    void releaseGrant(Bytes name, long token, long nowMillis, long revision) {
        LockRecord old = load(name);
        LockRecord lock = old.settle(nowMillis, revision);
        int index = -1;
        for (int i = 0; i < lock.entries().size(); i++) {
            if (lock.entries().get(i).granted() && lock.entries().get(i).token() == token) {
                index = i;
            }
        }
        Invariants.check(index >= 0, "release of grant %s of a lock that does not hold it", token);
        LockRecord.Entry e = lock.entries().get(index);
        List<LockRecord.Entry> entries = new ArrayList<>(lock.entries());
        entries.remove(index);
        store(name, old, settled(lock.with(entries, lock.delayUntilMillis()), nowMillis, revision));
        if (e.sessionId() != 0 && entries.stream().noneMatch(other -> other.sessionId() == e.sessionId())) {
            leaveSession(e.sessionId(), name);
        }
    }

    /** A holder changes what its entry proclaims; answers its grant, or NotHolder when it holds nothing. */
    Result proclaim(Command.Proclaim cmd, long nowMillis) {
        LockRecord old = load(cmd.name());
        int index = old == null ? -1 : old.indexOf(cmd.sessionId(), cmd.owner());
        if (index < 0 || !old.entries().get(index).granted()) {
            return new Result.NotHolder(old == null ? 0 : old.newestTokenAt(nowMillis));
        }
        List<LockRecord.Entry> entries = new ArrayList<>(old.entries());
        LockRecord.Entry e = entries.get(index);
        entries.set(index, e.proclaiming(cmd.value()));
        store(cmd.name(), old, old.with(entries, old.delayUntilMillis()));
        return new Result.LockGranted(e.token(), 0);
    }

    /**
     * Ends sessions in this shard: their entries go, waiters behind them are granted, and their ids
     * are remembered for {@link #ENDED_SESSION_KEEP_MILLIS} so a late acquire is refused. A session
     * that {@code expired} closes each lock it held for that entry's lock delay.
     */
    Result endSessions(Command.EndSessions cmd, long nowMillis, long revision) {
        int released = 0;
        for (long sessionId : cmd.sessionIds()) {
            byte[] sessionKey = Keyspace.lockSessionKey(sessionId);
            byte[] raw = writes.get(sessionKey);
            // Unknown here (it never held anything in this shard, or released all of it): nothing to end.
            if (raw == null || LockSession.decode(raw, sessionKey).ended()) {
                continue;
            }
            long ttl = LockSession.decode(raw, sessionKey).ttlMillis();
            for (Bytes name : sessionLocks(sessionId)) {
                released += dropSessionEntry(name, sessionId, cmd.expired(), nowMillis, revision);
                writes.delete(Keyspace.sessionEntryKey(sessionId, name));
            }
            long endedAt = Math.max(1, nowMillis);
            writes.put(sessionKey, new LockSession(ttl, endedAt).encode());
            writes.put(Keyspace.endedSessionKey(endedAt, sessionId), Keyspace.EMPTY_VALUE);
            left.add(sessionId);
        }
        return new Result.SessionsEnded(released);
    }

    private int dropSessionEntry(Bytes name, long sessionId, boolean expired, long nowMillis, long revision) {
        LockRecord old = load(name);
        Invariants.check(old != null, "session %s indexes lock %s, which does not exist", sessionId, name);
        List<LockRecord.Entry> entries = new ArrayList<>();
        long delayUntil = old.delayUntilMillis();
        int dropped = 0;
        for (LockRecord.Entry e : old.entries()) {
            if (e.sessionId() != sessionId) {
                entries.add(e);
                continue;
            }
            dropped++;
            if (expired && e.granted() && e.lockDelayMillis() > 0) {
                delayUntil = Math.max(delayUntil, saturatedAdd(nowMillis, e.lockDelayMillis()));
            }
        }
        Invariants.check(dropped > 0, "session %s indexes lock %s, which has no entry of it", sessionId, name);
        store(name, old, settled(old.with(entries, delayUntil), nowMillis, revision));
        return dropped;
    }

    /**
     * Expiry at {@code cutoffMillis}: the locks whose next event passed (a lapsed TTL grant, a
     * delay over) are settled, and ended sessions past their keep time forgotten; at most
     * {@code bound} of each. Returns the locks settled and sessions forgotten, and whether more is due.
     */
    Expiry expire(long cutoffMillis, long revision, int bound) {
        List<KvPair> due = writes.scanIndex(Keyspace.LOCK_EXPIRY, Keyspace.lockExpiryEndAfter(cutoffMillis), bound + 1);
        int settledCount = Math.min(bound, due.size());
        if (settledCount > 0) {
            // Settling may index a lock's next event again, below the last settled entry.
            writes.consumingThrough(Keyspace.LOCK_EXPIRY, due.get(settledCount - 1).key());
        }
        for (int i = 0; i < settledCount; i++) {
            byte[] indexKey = due.get(i).key();
            Bytes name = Keyspace.lockNameOfExpiry(indexKey);
            LockRecord old = load(name);
            Invariants.check(old != null && old.nextEventMillis() == Keyspace.lockExpiryTimeOf(indexKey),
                    "lock expiry index entry for %s at %s has no matching lock", name, Keyspace.lockExpiryTimeOf(indexKey));
            store(name, old, old.settle(cutoffMillis, revision));
        }
        List<KvPair> ended = cutoffMillis > ENDED_SESSION_KEEP_MILLIS
                ? writes.scanIndex(Keyspace.LOCK_SESSION_ENDED,
                        Keyspace.endedSessionEndAfter(cutoffMillis - ENDED_SESSION_KEEP_MILLIS), bound + 1)
                : List.of();
        int forgotten = Math.min(bound, ended.size());
        if (forgotten > 0) {
            writes.consumingThrough(Keyspace.LOCK_SESSION_ENDED, ended.get(forgotten - 1).key());
        }
        for (int i = 0; i < forgotten; i++) {
            byte[] indexKey = ended.get(i).key();
            writes.delete(Keyspace.lockSessionKey(Keyspace.sessionIdOfEnded(indexKey)));
            writes.delete(indexKey);
        }
        boolean more = due.size() > bound || forgotten == bound && ended.size() > bound;
        return new Expiry(settledCount, forgotten, more);
    }

    /** When an Expire forgets the ended session of this index entry. */
    static long forgetEndedAtMillis(byte[] endedIndexKey) {
        return Keyspace.endedTimeOf(endedIndexKey) + ENDED_SESSION_KEEP_MILLIS;
    }

    /** Whether the session ended in this shard (and is still remembered as ended). */
    private boolean sessionEnded(long sessionId) {
        byte[] sessionKey = Keyspace.lockSessionKey(sessionId);
        byte[] raw = writes.get(sessionKey);
        return raw != null && LockSession.decode(raw, sessionKey).ended();
    }

    /**
     * The session's first entry in lock {@code name} indexes the lock under the session and counts
     * it; its first entry in this shard makes it known here. A refusal changes nothing.
     */
    private void joinSession(long sessionId, long ttlMillis, Bytes name) {
        byte[] entryKey = Keyspace.sessionEntryKey(sessionId, name);
        if (writes.get(entryKey) != null) {
            return; // another handle of the session in this lock: indexed and counted once
        }
        writes.put(entryKey, Keyspace.EMPTY_VALUE);
        byte[] sessionKey = Keyspace.lockSessionKey(sessionId);
        byte[] raw = writes.get(sessionKey);
        if (raw == null) {
            writes.put(sessionKey, new LockSession(ttlMillis, 0, 1).encode());
            opened.put(sessionId, ttlMillis);
            left.remove(sessionId);
            return;
        }
        LockSession session = LockSession.decode(raw, sessionKey);
        writes.put(sessionKey, session.withLocks(locksAfter(sessionId, session, +1)).encode());
    }

    /** After a session's last entry left lock {@code name}: the session leaves the shard when that was its last lock here. */
    private void leaveSession(long sessionId, Bytes name) {
        writes.delete(Keyspace.sessionEntryKey(sessionId, name));
        byte[] sessionKey = Keyspace.lockSessionKey(sessionId);
        LockSession session = LockSession.decode(writes.get(sessionKey), sessionKey);
        long locks = locksAfter(sessionId, session, -1);
        if (locks == 0) {
            writes.delete(sessionKey);
            opened.remove(sessionId);
            left.add(sessionId);
        } else {
            writes.put(sessionKey, session.withLocks(locks).encode());
        }
    }

    /**
     * How many locks the session's index names once its entry key was just put ({@code +1}) or
     * deleted ({@code -1}): its count moved by that, or for a record of an older release (no
     * count), a scan of the index as it now stands, once.
     */
    private long locksAfter(long sessionId, LockSession session, int change) {
        long locks = session.locks() == LockSession.LOCKS_UNKNOWN ? sessionLocks(sessionId).size()
                : session.locks() + change;
        Invariants.check(locks >= 0, "session %s counts %s locks here", sessionId, locks);
        return locks;
    }

    private List<Bytes> sessionLocks(long sessionId) {
        List<Bytes> names = new ArrayList<>();
        byte[] from = Keyspace.sessionEntriesStart(sessionId);
        byte[] end = Keyspace.sessionEntriesEnd(sessionId);
        while (true) {
            List<KvPair> page = writes.scan(from, end, SCAN_PAGE);
            for (KvPair pair : page) {
                names.add(Keyspace.lockNameOfSessionEntry(pair.key()));
            }
            if (page.size() < SCAN_PAGE) {
                return names;
            }
            from = Keyspace.successor(page.get(page.size() - 1).key());
        }
    }

    private static LockRecord settled(LockRecord lock, long nowMillis, long revision) {
        return lock.entries().isEmpty() ? null : lock.settle(nowMillis, revision);
    }

    /** Replaces {@code old} (null: none) with {@code lock} (null: none), keeping the expiry index in step. */
    void store(Bytes name, LockRecord old, LockRecord lock) {
        if (old != null && old.nextEventMillis() != Long.MAX_VALUE) {
            writes.delete(Keyspace.lockExpiryKey(old.nextEventMillis(), name));
        }
        if (lock == null) {
            writes.delete(Keyspace.lockKey(name));
        } else {
            writes.put(Keyspace.lockKey(name), lock.encode());
            if (lock.nextEventMillis() != Long.MAX_VALUE) {
                writes.put(Keyspace.lockExpiryKey(lock.nextEventMillis(), name), Keyspace.EMPTY_VALUE);
            }
        }
        changed.add(name);
    }

    private static String describePermits(int permits) {
        return permits == 1 ? "one permit (an exclusive lock)"
                : permits == LockRecord.READ_WRITE_PERMITS ? "a read-write lock's permits" : permits + " permits";
    }

    static long saturatedAdd(long a, long b) {
        return b > Long.MAX_VALUE - a ? Long.MAX_VALUE : a + b;
    }
}
