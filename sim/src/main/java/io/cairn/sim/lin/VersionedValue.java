package io.cairn.sim.lin;

/**
 * The state of one key in {@link VersionedKvModel}: absent at version 0, or a value at version
 * 1 or more. A record, so equality and hashing are by value, as the checker's memo needs.
 */
public record VersionedValue(KvValue value, long version) {
    /** Never written, or deleted. */
    public static final VersionedValue ABSENT = new VersionedValue(KvValue.ABSENT, 0);

    public VersionedValue {
        if (value == null) {
            throw new IllegalArgumentException("value is required (KvValue.ABSENT for none)");
        }
        // Absent exactly at version 0: a key that holds a value has been written at least once.
        if ((value instanceof KvValue.Absent) != (version == 0)) {
            throw new IllegalArgumentException("an absent key has version 0 and only it: " + value + " v" + version);
        }
    }

    public static VersionedValue of(long value, long version) {
        return new VersionedValue(KvValue.of(value), version);
    }

    public boolean isPresent() {
        return version > 0;
    }

    @Override
    public String toString() {
        return isPresent() ? value + " v" + version : "absent";
    }
}
