package io.cairn.kv.state;

import io.cairn.common.Bytes;
import io.cairn.common.Invariants;
import io.cairn.kv.engine.KvEngine;
import io.cairn.kv.engine.KvPair;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The O(n) check behind {@link KvStateMachine#checkConsistency()}: every index entry points at
 * a record that agrees with it, every record that should be indexed is, and no key lies outside
 * the known families.
 */
final class ConsistencyCheck {
    private static final int PAGE_PAIRS = 1_024;

    private ConsistencyCheck() {}

    static void run(KvEngine engine, IndexFloors floors, long intentSlots) {
        for (byte family : IndexFloors.families()) {
            List<KvPair> below = engine.scan(Keyspace.familyStart(family), floors.floor(family), 1);
            Invariants.check(below.isEmpty(), "index family %s holds entry 0x%s below its floor 0x%s", family,
                    below.isEmpty() ? "" : Bytes.wrap(below.get(0).key()).toHex(),
                    Bytes.wrap(floors.floor(family)).toHex());
        }
        long indexedKeys = 0;
        for (KvPair pair : all(engine, Keyspace.DATA)) {
            StoredValue stored = StoredValue.decode(pair.value(), pair.key());
            Invariants.check(stored.createRevision() >= 1 && stored.createRevision() <= stored.modRevision(),
                    "key %s has revisions create=%s mod=%s", Keyspace.userKeyOfData(pair.key()),
                    stored.createRevision(), stored.modRevision());
            Invariants.check(stored.version() >= 1, "key %s has version %s",
                    Keyspace.userKeyOfData(pair.key()), stored.version());
            if (stored.hasTtl()) {
                indexedKeys++;
            }
        }
        long expiryEntries = 0;
        for (KvPair pair : all(engine, Keyspace.EXPIRY)) {
            Bytes key = Keyspace.userKeyOfExpiry(pair.key());
            byte[] raw = engine.get(Keyspace.dataKey(key));
            Invariants.check(raw != null, "TTL index names key %s, which is absent", key);
            long expiresAtMillis = StoredValue.decode(raw, Keyspace.dataKey(key)).expiresAtMillis();
            Invariants.check(expiresAtMillis == Keyspace.expiryTimeOf(pair.key()),
                    "TTL index says key %s expires at %s, the key says %s",
                    key, Keyspace.expiryTimeOf(pair.key()), expiresAtMillis);
            expiryEntries++;
        }
        Invariants.check(indexedKeys == expiryEntries, "%s keys have a TTL but the TTL index has %s entries",
                indexedKeys, expiryEntries);
        checkSessions(engine);
        checkLocks(engine);
        checkNoStrayKeys(engine, intentSlots);
    }

    private static void checkSessions(KvEngine engine) {
        long sessions = 0;
        for (KvPair pair : all(engine, Keyspace.SESSION)) {
            long clientId = Keyspace.clientIdOfSession(pair.key());
            Session session = Session.decode(pair.value(), clientId);
            session.result(clientId);
            byte[] idleKey = Keyspace.idleKey(session.lastActivityMillis(), clientId);
            Invariants.check(engine.get(idleKey) != null, "session of client %s has no idle index entry", clientId);
            sessions++;
        }
        long idleEntries = all(engine, Keyspace.SESSION_IDLE).size();
        Invariants.check(sessions == idleEntries, "%s sessions but %s idle index entries", sessions, idleEntries);
    }

    /**
     * Every lock's expiry index entry is at its next event and every session entry of a lock is
     * indexed under a live session, and the other way round.
     */
    private static void checkLocks(KvEngine engine) {
        long indexed = 0;
        long sessionEntries = 0;
        for (KvPair pair : all(engine, Keyspace.LOCK)) {
            Bytes name = Keyspace.lockNameOf(pair.key());
            LockRecord lock = LockRecord.decode(pair.value(), pair.key());
            Invariants.check(!lock.entries().isEmpty(), "lock %s is stored with no entry", name);
            if (lock.nextEventMillis() != Long.MAX_VALUE) {
                Invariants.check(engine.get(Keyspace.lockExpiryKey(lock.nextEventMillis(), name)) != null,
                        "lock %s has no expiry index entry at %s", name, lock.nextEventMillis());
                indexed++;
            }
            java.util.Set<Long> sessionsHere = new java.util.HashSet<>();
            for (LockRecord.Entry e : lock.entries()) {
                if (e.sessionId() == 0 || !sessionsHere.add(e.sessionId())) {
                    continue; // one index key per session and lock, however many entries
                }
                Invariants.check(engine.get(Keyspace.sessionEntryKey(e.sessionId(), name)) != null,
                        "lock %s has an entry of session %s that the session does not index", name, e.sessionId());
                byte[] sessionKey = Keyspace.lockSessionKey(e.sessionId());
                byte[] session = engine.get(sessionKey);
                Invariants.check(session != null && !LockSession.decode(session, sessionKey).ended(),
                        "lock %s has an entry of session %s, which is not live here", name, e.sessionId());
                sessionEntries++;
            }
        }
        long expiryEntries = all(engine, Keyspace.LOCK_EXPIRY).size();
        Invariants.check(indexed == expiryEntries, "%s locks with a next event but %s lock expiry index entries",
                indexed, expiryEntries);
        long entryIndex = all(engine, Keyspace.LOCK_SESSION_ENTRY).size();
        Invariants.check(sessionEntries == entryIndex, "%s (session, lock) pairs in locks but %s in the session index",
                sessionEntries, entryIndex);
        long ended = 0;
        for (KvPair pair : all(engine, Keyspace.LOCK_SESSION)) {
            LockSession session = LockSession.decode(pair.value(), pair.key());
            long id = Keyspace.sessionIdOfLockSession(pair.key());
            if (!session.ended() && session.locks() != LockSession.LOCKS_UNKNOWN) {
                long named = engine.scan(Keyspace.sessionEntriesStart(id), Keyspace.sessionEntriesEnd(id),
                        Integer.MAX_VALUE).size();
                Invariants.check(session.locks() == named, "session %s counts %s locks but its index names %s",
                        id, session.locks(), named);
            }
            if (session.ended()) {
                Invariants.check(engine.get(Keyspace.endedSessionKey(session.endedAtMillis(), id)) != null,
                        "ended session %s has no index entry", id);
                ended++;
            }
        }
        long endedIndex = all(engine, Keyspace.LOCK_SESSION_ENDED).size();
        Invariants.check(ended == endedIndex, "%s ended sessions but %s index entries", ended, endedIndex);
    }

    private static void checkNoStrayKeys(KvEngine engine, long intentSlots) {
        List<KvPair> meta = all(engine, Keyspace.META);
        for (KvPair pair : meta) {
            Invariants.check(Arrays.equals(pair.key(), Keyspace.APPLIED_KEY),
                    "unknown meta key 0x%s", Bytes.copyOf(pair.key()).toHex());
        }
        List<KvPair> intents = all(engine, Keyspace.INTENT);
        for (KvPair pair : intents) {
            Intent.decodeSlot(pair.value(), pair.key());
        }
        Invariants.check(intents.size() == intentSlots, "%s keys hold intents but the state machine counts %s",
                intents.size(), intentSlots);
        for (KvPair pair : all(engine, Keyspace.TXN)) {
            TxnRecord.decode(pair.value(), pair.key());
        }
        for (KvPair pair : all(engine, Keyspace.SYSTEM)) {
            Invariants.check(pair.value().length >= 8, "system record 0x%s has no version",
                    Bytes.copyOf(pair.key()).toHex());
        }
        List<KvPair> beyond = engine.scan(Keyspace.familyEnd(Keyspace.LOCK_SESSION_ENDED), null, 1);
        Invariants.check(beyond.isEmpty(), "unknown key family in key 0x%s",
                beyond.isEmpty() ? "" : Bytes.copyOf(beyond.get(0).key()).toHex());
    }

    private static List<KvPair> all(KvEngine engine, byte family) {
        List<KvPair> out = new ArrayList<>();
        byte[] cursor = Keyspace.familyStart(family);
        byte[] end = Keyspace.familyEnd(family);
        while (true) {
            List<KvPair> page = engine.scan(cursor, end, PAGE_PAIRS);
            out.addAll(page);
            if (page.size() < PAGE_PAIRS) {
                return out;
            }
            cursor = Keyspace.successor(page.get(page.size() - 1).key());
        }
    }
}
