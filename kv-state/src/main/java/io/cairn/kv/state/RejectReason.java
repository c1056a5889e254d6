package io.cairn.kv.state;

/** Why the state machine refused a command. The codec stores the ordinal's stable code. */
public enum RejectReason {
    /** The entry's data did not decode as a command envelope. */
    MALFORMED(1),
    /** The key is empty. */
    KEY_EMPTY(2),
    /** The key is longer than {@link Limits#keyBytesMax()}. */
    KEY_TOO_LARGE(3),
    /** The value is longer than {@link Limits#valueBytesMax()}. */
    VALUE_TOO_LARGE(4),
    /** The TTL is above {@link Limits#TTL_MILLIS_MAX}. */
    TTL_TOO_LARGE(5),
    /** A transaction has more comparisons, operations or bytes than {@link Limits} allow. */
    TXN_TOO_LARGE(6),
    /** The lock exists with another number of permits (an exclusive lock asked as a semaphore, say). */
    LOCK_KIND(7),
    /** The lock has as many holders and waiters as one lock takes. */
    LOCK_FULL(8);

    private final int code;

    RejectReason(int code) {
        this.code = code;
    }

    /** The number that stands for this reason in encoded results; never reused. */
    public int code() {
        return code;
    }

    public static RejectReason ofCode(int code) {
        for (RejectReason r : values()) {
            if (r.code == code) {
                return r;
            }
        }
        throw new CodecException("unknown reject reason code " + code);
    }
}
