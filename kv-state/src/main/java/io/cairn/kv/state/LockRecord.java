package io.cairn.kv.state;

import io.cairn.common.Bytes;
import io.cairn.common.InvariantViolation;
import io.cairn.common.Invariants;
import java.util.ArrayList;
import java.util.List;

/**
 * A lock as the engine stores it under {@link Keyspace#lockKey}: how many permits it has, and its
 * holders and waiters in the order they asked. Holders always come first (a waiter is granted
 * only in order, never past another), so the lock is fair. An exclusive lock has one permit and
 * entries of weight one; a semaphore of n permits, entries of weight one (or more, to take several
 * permits at once); a read-write lock {@link #READ_WRITE_PERMITS} permits, readers weighing one
 * and a writer all of them, so a waiting writer stops new readers.
 *
 * <p>An entry either belongs to a session (it lasts until released or until its session ends,
 * and may wait) or carries its own expiry (a lock taken with a TTL, which never waits and is
 * free again once leader time passes it, whether or not an Expire has removed it yet).
 *
 * <pre>
 * u8 format version (2); varint permits, varint delayUntilMillis, varint entryCount, then per
 * entry: bytes owner, i64 sessionId, varint weight, varint token (0: waiting), varint
 * expiresAtMillis (0: until its session ends), varint lockDelayMillis, bytes value
 * version 1, still read: varint token, varint expiresAtMillis, then the owner's bytes to the end
 * </pre>
 */
record LockRecord(int permits, long delayUntilMillis, List<Entry> entries) {
    /** The permits of a read-write lock: a writer takes them all, a reader one. */
    static final int READ_WRITE_PERMITS = 1 << 20;
    /** The most entries (holders and waiters) a lock may have. */
    static final int ENTRIES_MAX = 1_024;
    private static final int FORMAT_VERSION = 2;
    private static final int FORMAT_VERSION_TTL_ONLY = 1;

    /**
     * One holder or waiter.
     *
     * @param sessionId       the session it lasts for; 0 for an entry with its own expiry
     * @param token           its fencing token (the log index of its grant); 0 while it waits
     * @param expiresAtMillis leader time it lapses at; 0 for a session's entry
     * @param lockDelayMillis for a session's holder: how long the lock stays closed to others
     *                        when its session ends by expiry rather than by release
     * @param value           what the entry proclaims (an election's candidate); may be empty
     */
    record Entry(Bytes owner, long sessionId, int weight, long token, long expiresAtMillis, long lockDelayMillis,
                 Bytes value) {
        Entry {
            Invariants.check(owner != null && value != null && weight >= 1 && token >= 0 && expiresAtMillis >= 0 && lockDelayMillis >= 0,
                    "bad lock entry %s %s %s %s %s", sessionId, weight, token, expiresAtMillis, lockDelayMillis);
            Invariants.check((sessionId == 0) == (expiresAtMillis != 0),
                    "a lock entry lasts for a session or until a time, not both: session %s, expiry %s",
                    sessionId, expiresAtMillis);
        }

        boolean granted() {
            return token != 0;
        }

        /** Whether the entry still counts at {@code nowMillis}: a session's always, a TTL one until it lapses. */
        boolean liveAt(long nowMillis) {
            return sessionId != 0 || nowMillis < expiresAtMillis;
        }

        boolean isOf(long session, Bytes who) {
            return sessionId == session && owner.equals(who);
        }

        Entry grantedAt(long revision) {
            return new Entry(owner, sessionId, weight, revision, expiresAtMillis, lockDelayMillis, value);
        }

        Entry proclaiming(Bytes newValue) {
            return new Entry(owner, sessionId, weight, token, expiresAtMillis, lockDelayMillis, newValue);
        }
    }

    LockRecord {
        entries = List.copyOf(entries);
        Invariants.check(permits >= 1 && delayUntilMillis >= 0, "bad lock: %s permits, delay until %s",
                permits, delayUntilMillis);
        boolean waiting = false;
        for (Entry e : entries) {
            Invariants.check(!(waiting && e.granted()), "a lock's holders come before its waiters: %s", entries);
            waiting |= !e.granted();
        }
    }

    /** The permits its live holders take at {@code nowMillis}. */
    int permitsHeldAt(long nowMillis) {
        int used = 0;
        for (Entry e : entries) {
            if (e.granted() && e.liveAt(nowMillis)) {
                used += e.weight();
            }
        }
        return used;
    }

    boolean hasWaiters() {
        return !entries.isEmpty() && !entries.get(entries.size() - 1).granted();
    }

    /** The newest live grant's token at {@code nowMillis}; 0 when nobody holds it. */
    long newestTokenAt(long nowMillis) {
        long newest = 0;
        for (Entry e : entries) {
            if (e.granted() && e.liveAt(nowMillis)) {
                newest = Math.max(newest, e.token());
            }
        }
        return newest;
    }

    /** Whether {@code token} is a live grant of this lock at {@code nowMillis}. */
    boolean holdsTokenAt(long token, long nowMillis) {
        for (Entry e : entries) {
            if (e.granted() && e.token() == token && e.liveAt(nowMillis)) {
                return true;
            }
        }
        return false;
    }

    /** The live holder with the newest token; null when nobody holds it. */
    Entry newestHolderAt(long nowMillis) {
        Entry newest = null;
        for (Entry e : entries) {
            if (e.granted() && e.liveAt(nowMillis) && (newest == null || e.token() > newest.token())) {
                newest = e;
            }
        }
        return newest;
    }

    int indexOf(long sessionId, Bytes owner) {
        for (int i = 0; i < entries.size(); i++) {
            if (entries.get(i).isOf(sessionId, owner)) {
                return i;
            }
        }
        return -1;
    }

    /**
     * The record at {@code nowMillis} after {@code revision}: lapsed TTL entries dropped, a passed
     * delay cleared, and waiters granted in order while their weight fits (at {@code revision},
     * their token). Null when no entry is left.
     */
    LockRecord settle(long nowMillis, long revision) {
        List<Entry> kept = new ArrayList<>(entries.size());
        int used = 0;
        for (Entry e : entries) {
            if (e.liveAt(nowMillis)) {
                kept.add(e);
                used += e.granted() ? e.weight() : 0;
            }
        }
        long delay = nowMillis < delayUntilMillis ? delayUntilMillis : 0;
        if (delay == 0) {
            for (int i = 0; i < kept.size(); i++) {
                Entry e = kept.get(i);
                if (e.granted()) {
                    continue;
                }
                if (used + e.weight() > permits) {
                    break; // fair: nobody behind a waiter that does not fit is granted before it
                }
                kept.set(i, e.grantedAt(revision));
                used += e.weight();
            }
        }
        return kept.isEmpty() ? null : new LockRecord(permits, delay, kept);
    }

    LockRecord with(List<Entry> changed, long delayUntil) {
        return new LockRecord(permits, delayUntil, changed);
    }

    /**
     * The leader time at which an Expire next changes this lock: the first TTL entry's expiry, or
     * the end of its delay while someone waits; {@link Long#MAX_VALUE} when nothing will.
     */
    long nextEventMillis() {
        long next = Long.MAX_VALUE;
        for (Entry e : entries) {
            if (e.sessionId() == 0) {
                next = Math.min(next, e.expiresAtMillis());
            }
        }
        if (delayUntilMillis != 0 && hasWaiters()) {
            next = Math.min(next, delayUntilMillis);
        }
        return next;
    }

    byte[] encode() {
        Encoder out = new Encoder(16 + entries.size() * 64);
        out.writeByte(FORMAT_VERSION).writeVarLong(permits).writeVarLong(delayUntilMillis).writeVarLong(entries.size());
        for (Entry e : entries) {
            out.writeBytes(e.owner()).writeLong(e.sessionId()).writeVarLong(e.weight()).writeVarLong(e.token())
                    .writeVarLong(e.expiresAtMillis()).writeVarLong(e.lockDelayMillis()).writeBytes(e.value());
        }
        return out.toArray();
    }

    static LockRecord decode(byte[] data, byte[] engineKey) {
        try {
            Decoder in = new Decoder(data, "lock record");
            int version = in.readByte("format version");
            if (version == FORMAT_VERSION_TTL_ONLY) {
                long token = in.readVarLong("token");
                long expiresAt = in.readVarLong("expiresAtMillis");
                return new LockRecord(1, 0, List.of(new Entry(in.readRest(), 0, 1, token, expiresAt, 0, Bytes.EMPTY)));
            }
            if (version != FORMAT_VERSION) {
                throw new CodecException("unknown lock record version " + version);
            }
            int permits = in.readVarInt("permits");
            long delayUntil = in.readVarLong("delayUntilMillis");
            int count = in.readVarInt("entryCount");
            List<Entry> entries = new ArrayList<>(Math.min(count, ENTRIES_MAX));
            for (int i = 0; i < count; i++) {
                entries.add(new Entry(in.readBytes("owner"), in.readLong("sessionId"), in.readVarInt("weight"),
                        in.readVarLong("token"), in.readVarLong("expiresAtMillis"), in.readVarLong("lockDelayMillis"),
                        in.readBytes("value")));
            }
            in.finish();
            return new LockRecord(permits, delayUntil, entries);
        } catch (CodecException | InvariantViolation e) {
            throw new InvariantViolation("engine holds a corrupt lock record under 0x"
                    + Bytes.copyOf(engineKey).toHex() + ": " + e.getMessage());
        }
    }
}
