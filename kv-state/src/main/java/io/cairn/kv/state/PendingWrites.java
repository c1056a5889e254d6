package io.cairn.kv.state;

import io.cairn.common.Invariants;
import io.cairn.kv.engine.KvEngine;
import io.cairn.kv.engine.KvPair;
import io.cairn.kv.engine.WriteBatch;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.TreeMap;

/**
 * The writes of one apply batch, readable before they reach the engine. A {@link WriteBatch}
 * cannot be read back, yet a later entry of the batch must see what an earlier one wrote, so
 * reads go through this overlay: pending puts and deletes first, then the engine. Keys are kept
 * in unsigned byte order, so the batch it produces is the same on every replica.
 */
final class PendingWrites {
    private final KvEngine engine;
    private final SessionCache sessions;
    /** Pending operations; a null value is a delete. */
    private final TreeMap<byte[], byte[]> pending = new TreeMap<>(Arrays::compareUnsigned);
    /** The deadline indexes' floors as the batch so far leaves them; the state machine's once committed. */
    private final IndexFloors floors;
    /** Keys holding intents as the batch so far leaves them. */
    private long intentSlots;

    /**
     * Session records are read through {@code sessions}, every other key from the engine;
     * {@code floors} is this batch's own copy of the committed floors; {@code intentSlots} the
     * committed count of keys holding intents.
     */
    PendingWrites(KvEngine engine, SessionCache sessions, IndexFloors floors, long intentSlots) {
        Invariants.check(intentSlots >= 0, "negative intent count %s", intentSlots);
        this.engine = engine;
        this.sessions = sessions;
        this.floors = floors;
        this.intentSlots = intentSlots;
    }

    /** How many keys hold intents as the batch so far leaves them: 0 means no intent anywhere. */
    long intentSlots() {
        return intentSlots;
    }

    IndexFloors floors() {
        return floors;
    }

    /** The value as the batch so far would leave it, or null. Do not modify the array. */
    byte[] get(byte[] key) {
        if (pending.containsKey(key)) {
            return pending.get(key);
        }
        return Keyspace.isSessionKey(key) ? sessions.get(key) : engine.get(key);
    }

    /** Tells the session cache what this batch wrote, once the engine holds it. */
    void publishSessions() {
        for (Map.Entry<byte[], byte[]> op : pending.entrySet()) {
            if (Keyspace.isSessionKey(op.getKey())) {
                sessions.publish(op.getKey(), op.getValue());
            }
        }
    }

    void put(byte[] key, byte[] value) {
        if (Keyspace.isIntentKey(key) && get(key) == null) {
            intentSlots++;
        }
        pending.put(key.clone(), value.clone());
        floors.written(key);
    }

    void delete(byte[] key) {
        if (Keyspace.isIntentKey(key) && get(key) != null) {
            intentSlots--;
            Invariants.check(intentSlots >= 0, "more intent slots deleted than there were");
        }
        pending.put(key.clone(), null);
    }

    /**
     * Pairs with {@code fromInclusive <= key < toExclusive} as the batch so far would leave
     * them, ascending, at most {@code limit}.
     */
    List<KvPair> scan(byte[] fromInclusive, byte[] toExclusive, int limit) {
        NavigableMap<byte[], byte[]> overlay = pending.subMap(fromInclusive, true, toExclusive, false);
        // Each pending entry can delete at most one engine pair, so limit + overlay.size() engine
        // pairs are enough to fill the page from keys up to the last one fetched.
        int fetch = limit + overlay.size();
        List<KvPair> base = engine.scan(fromInclusive, toExclusive, fetch);
        boolean engineExhausted = base.size() < fetch;
        byte[] horizon = engineExhausted ? null : base.get(base.size() - 1).key();

        TreeMap<byte[], byte[]> merged = new TreeMap<>(Arrays::compareUnsigned);
        for (KvPair pair : base) {
            merged.put(pair.key(), pair.value());
        }
        for (Map.Entry<byte[], byte[]> op : overlay.entrySet()) {
            if (horizon != null && Arrays.compareUnsigned(op.getKey(), horizon) > 0) {
                // At least limit merged keys lie at or below the horizon and sort first; keys
                // beyond it could also miss engine keys between, so they are not needed or exact.
                break;
            }
            if (op.getValue() == null) {
                merged.remove(op.getKey());
            } else {
                merged.put(op.getKey(), op.getValue());
            }
        }
        List<KvPair> out = new ArrayList<>(Math.min(limit, merged.size()));
        for (Map.Entry<byte[], byte[]> e : merged.entrySet()) {
            if (out.size() == limit) {
                break;
            }
            out.add(new KvPair(e.getKey(), e.getValue()));
        }
        return out;
    }

    /**
     * The front of a deadline index: its entries below {@code toExclusive}, from its floor on, at
     * most {@code limit}. Who removes a prefix of them says so first with {@link #consumingThrough}.
     * The floor moves up to the first entry found, or to {@code toExclusive} when none is: a
     * follower, which never looks for the next deadline, thus also stops stepping over the
     * markers of entries that left the index by an update rather than by expiry.
     */
    List<KvPair> scanIndex(byte family, byte[] toExclusive, int limit) {
        byte[] floor = floors.floor(family);
        if (Arrays.compareUnsigned(floor, toExclusive) >= 0) {
            return List.of();
        }
        List<KvPair> front = scan(floor, toExclusive, limit);
        floors.raise(family, front.isEmpty() ? toExclusive : front.get(0).key());
        return front;
    }

    /**
     * The caller is about to delete every entry of the family from its floor through
     * {@code lastKey}, as {@link #scanIndex} returned them. Called before those deletes and any
     * puts that come with them, so that a put below {@code lastKey} lowers the floor again.
     */
    void consumingThrough(byte family, byte[] lastKey) {
        floors.raise(family, Keyspace.successor(lastKey));
    }

    boolean isEmpty() {
        return pending.isEmpty();
    }

    /** The operations in key order: the last write of each key wins. */
    WriteBatch toWriteBatch() {
        WriteBatch batch = new WriteBatch();
        for (Map.Entry<byte[], byte[]> op : pending.entrySet()) {
            if (op.getValue() == null) {
                batch.delete(op.getKey());
            } else {
                batch.put(op.getKey(), op.getValue());
            }
        }
        return batch;
    }
}
