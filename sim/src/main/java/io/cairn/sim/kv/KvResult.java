package io.cairn.sim.kv;

import io.cairn.kv.state.KeyValue;
import io.cairn.kv.state.Result;
import java.util.Optional;

/**
 * What an operation returned, in the workload's terms: kv-state's {@link Result} of a write, or
 * what {@code KvStateMachine.get} saw. Versions are kv-state's: 1 for a key's first write, one
 * more for each write after it, 0 for an absent key; a delete resets them.
 */
public sealed interface KvResult extends OpResult permits KvResult.Written, KvResult.CasFailed, KvResult.Deleted, KvResult.Read {
    /** A PUT, or a CAS whose comparison held, left the key at {@code version}. */
    record Written(long version) implements KvResult {
        @Override
        public String toString() {
            return "written v" + version;
        }
    }

    /** A CAS whose comparison failed: the key was at {@code actualVersion} (0: absent). */
    record CasFailed(long actualVersion) implements KvResult {
        @Override
        public String toString() {
            return "cas-failed v" + actualVersion;
        }
    }

    /** A DELETE; {@code existed} is false when the key was already absent. */
    record Deleted(boolean existed) implements KvResult {
        @Override
        public String toString() {
            return existed ? "deleted" : "deleted-absent";
        }
    }

    /** A GET: the value and its version, or null and 0 when the key is absent. */
    record Read(Long value, long version) implements KvResult {
        public static final Read ABSENT = new Read(null, 0);

        public Read {
            if ((value == null) != (version == 0)) {
                throw new IllegalArgumentException("an absent key has version 0 and only it: " + value + " v" + version);
            }
        }

        @Override
        public String toString() {
            return value == null ? "=absent" : "=" + value + " v" + version;
        }
    }

    /** What a GET answers for {@code KvStateMachine.get}'s result. */
    static Read read(Optional<KeyValue> found) {
        return found.map(kv -> new Read(KvOp.decodeValue(kv.value()), kv.version())).orElse(Read.ABSENT);
    }

    /**
     * The answer to the write {@code op} that kv-state applied with {@code result}. Only the
     * results a write of that kind can have are accepted; a stale, rejected or skipped result
     * answers no client and is the caller's to handle.
     *
     * @throws IllegalStateException if the result cannot answer {@code op}
     */
    static KvResult ofWrite(KvOp op, Result result) {
        boolean matches = switch (op.kind()) {
            case PUT -> result instanceof Result.Written;
            case CAS -> result instanceof Result.Written || result instanceof Result.CasFailed;
            case DELETE -> result instanceof Result.Deleted;
            case GET -> false;
        };
        if (!matches) {
            throw new IllegalStateException(op + " cannot be answered with " + result);
        }
        if (result instanceof Result.Written written) {
            return new Written(written.version());
        }
        if (result instanceof Result.CasFailed failed) {
            return new CasFailed(failed.actualVersion());
        }
        return new Deleted(((Result.Deleted) result).existed());
    }
}
