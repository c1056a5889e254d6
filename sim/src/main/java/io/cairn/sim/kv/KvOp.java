package io.cairn.sim.kv;

/**
 * A client operation on the simulated key-value store: keys are short strings, values longs.
 *
 * @param value the value PUT or CAS writes (unused by GET and DELETE)
 * @param expected the value CAS requires, or null for "the key is absent"
 */
public record KvOp(Kind kind, String key, long value, Long expected) {
    public enum Kind { PUT, GET, CAS, DELETE }

    public KvOp {
        if (kind == null || key == null) {
            throw new IllegalArgumentException("kind and key are required");
        }
    }

    public static KvOp put(String key, long value) {
        return new KvOp(Kind.PUT, key, value, null);
    }

    public static KvOp get(String key) {
        return new KvOp(Kind.GET, key, 0, null);
    }

    public static KvOp cas(String key, Long expected, long value) {
        return new KvOp(Kind.CAS, key, value, expected);
    }

    public static KvOp delete(String key) {
        return new KvOp(Kind.DELETE, key, 0, null);
    }

    public boolean isRead() {
        return kind == Kind.GET;
    }

    @Override
    public String toString() {
        return switch (kind) {
            case PUT -> "put(" + key + "," + value + ")";
            case GET -> "get(" + key + ")";
            case CAS -> "cas(" + key + "," + (expected == null ? "absent" : expected) + "->" + value + ")";
            case DELETE -> "delete(" + key + ")";
        };
    }
}
