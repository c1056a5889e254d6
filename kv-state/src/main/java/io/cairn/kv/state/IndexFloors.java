package io.cairn.kv.state;

import io.cairn.common.Invariants;
import java.util.Arrays;

/**
 * Where the live entries of each deadline index may begin: a key at or below every entry of the
 * family that the engine holds. The deadline indexes (key TTLs, idle client sessions, lock events,
 * ended lock sessions) are queues consumed from the front, so a scan from the start of the family
 * would step over the delete markers of every entry consumed so far, until RocksDB compacts them
 * away: after a million expiries, every Expire and every look for the next deadline walked a
 * million markers (50 ms per look at 300,000). Scanning from the floor skips them.
 *
 * <p>The floors are memory only and never replicated: starting from the family's start (after an
 * open or a snapshot install) is always right, only slower once. Any put into a family lowers its
 * floor to the new key if it is lower; consuming entries from the floor, or finding the family's
 * first entry, raises it. The invariant (no entry of the family sorts below its floor) is checked
 * by {@link ConsistencyCheck}.
 */
final class IndexFloors {
    private static final byte[] FAMILIES = {
        Keyspace.EXPIRY, Keyspace.SESSION_IDLE, Keyspace.LOCK_EXPIRY, Keyspace.LOCK_SESSION_ENDED,
    };

    private final byte[][] floors;

    private IndexFloors(byte[][] floors) {
        this.floors = floors;
    }

    /** Every floor at the start of its family: right for any engine content. */
    static IndexFloors atFamilyStarts() {
        byte[][] floors = new byte[FAMILIES.length][];
        for (int i = 0; i < FAMILIES.length; i++) {
            floors[i] = Keyspace.familyStart(FAMILIES[i]);
        }
        return new IndexFloors(floors);
    }

    /** The families whose floors are kept, for the consistency check. */
    static byte[] families() {
        return FAMILIES.clone();
    }

    IndexFloors copy() {
        return new IndexFloors(floors.clone());
    }

    /** The lowest key of the family that may hold an entry. Do not modify the array. */
    byte[] floor(byte family) {
        return floors[slot(family)];
    }

    /** A put of {@code key}: if it belongs to a kept family and sorts below its floor, it is the new floor. */
    void written(byte[] key) {
        if (key.length == 0) {
            return;
        }
        int slot = slotOrNegative(key[0]);
        if (slot >= 0 && Arrays.compareUnsigned(key, floors[slot]) < 0) {
            floors[slot] = key.clone();
        }
    }

    /**
     * No entry of the family sorts below {@code key} any more: every entry from the floor up to
     * it was consumed, or a scan from the floor found its first entry there (or none, for the
     * family's end).
     */
    void raise(byte family, byte[] key) {
        int slot = slot(family);
        Invariants.check(Arrays.compareUnsigned(key, floors[slot]) >= 0, "floor of family %s lowered by a raise", family);
        Invariants.check(Arrays.compareUnsigned(key, Keyspace.familyEnd(family)) <= 0,
                "floor of family %s raised past the family", family);
        floors[slot] = key.clone();
    }

    private static int slot(byte family) {
        int slot = slotOrNegative(family);
        Invariants.check(slot >= 0, "family %s has no floor", family);
        return slot;
    }

    private static int slotOrNegative(byte family) {
        for (int i = 0; i < FAMILIES.length; i++) {
            if (FAMILIES[i] == family) {
                return i;
            }
        }
        return -1;
    }
}
