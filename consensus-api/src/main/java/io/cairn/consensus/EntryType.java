package io.cairn.consensus;

/**
 * What a log entry carries. Each kind has an explicit code that storage formats write, so
 * reordering or adding constants never changes what a stored entry means.
 */
public enum EntryType {
    /** A state machine command, or a leader's no-op when the data is empty. */
    NORMAL(0),
    /** A membership configuration: an encoded {@link ConfState}. */
    CONFIG(1);

    private final int code;

    EntryType(int code) {
        this.code = code;
    }

    /** The stable code stored formats use for this kind. */
    public int code() {
        return code;
    }

    /** The kind whose {@link #code()} is {@code code}; an unknown code is corruption. */
    public static EntryType ofCode(int code) {
        for (EntryType t : values()) {
            if (t.code == code) {
                return t;
            }
        }
        throw new IllegalArgumentException("unknown log entry type code " + code);
    }
}
