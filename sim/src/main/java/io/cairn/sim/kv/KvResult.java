package io.cairn.sim.kv;

/**
 * What an operation returned. PUT and DELETE: ok. CAS: ok when it swapped. GET: ok, with the
 * value or null when the key is absent.
 */
public record KvResult(boolean ok, Long value) {
    public static final KvResult OK = new KvResult(true, null);
    public static final KvResult CAS_FAILED = new KvResult(false, null);

    public static KvResult read(Long value) {
        return new KvResult(true, value);
    }

    @Override
    public String toString() {
        return value != null ? "=" + value : (ok ? "ok" : "failed");
    }
}
