package io.cairn.sim.lin;

/**
 * The value of one key: absent, or present with a {@code long}. Also the state of
 * {@link KvModel} for one key. Both kinds are records, so equality and hashing are by value, as
 * the checker's memo needs.
 */
public sealed interface KvValue permits KvValue.Absent, KvValue.Present {
    /** The key holds nothing: never written, or deleted. */
    KvValue ABSENT = new Absent();

    static KvValue of(long value) {
        return new Present(value);
    }

    /** Use {@link KvValue#ABSENT}. */
    record Absent() implements KvValue {
        @Override
        public String toString() {
            return "absent";
        }
    }

    record Present(long value) implements KvValue {
        @Override
        public String toString() {
            return Long.toString(value);
        }
    }
}
