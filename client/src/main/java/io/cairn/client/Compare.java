package io.cairn.client;

import com.google.protobuf.ByteString;
import java.nio.charset.StandardCharsets;

/**
 * A condition of a {@link Txn}, checked by the shard when it applies the transaction. An absent
 * (or expired) key has version, create revision and mod revision 0, so {@link #absent} is
 * "version = 0"; a value comparison with an absent key never holds. {@link #lockToken} compares
 * the current fencing token of a lock (0 when free): "lock token = t" fences the transaction.
 *
 * @param number the right side for every target but {@code VALUE}
 * @param value the right side for {@code VALUE}, compared byte-wise unsigned; null otherwise
 */
public record Compare(byte[] key, Target target, Relation relation, long number, byte[] value) {
    public enum Target { VERSION, CREATE_REVISION, MOD_REVISION, VALUE, LOCK_TOKEN }

    public enum Relation { EQUAL, NOT_EQUAL, LESS, GREATER }

    public Compare {
        if (key == null || key.length == 0 || target == null || relation == null) {
            throw new IllegalArgumentException("a compare needs a non-empty key, a target and a relation");
        }
        if ((target == Target.VALUE) != (value != null)) {
            throw new IllegalArgumentException("a VALUE compare takes a value, every other target a number");
        }
        if (number < 0) {
            throw new IllegalArgumentException("a compare's number must not be negative: " + number);
        }
    }

    public static Compare version(byte[] key, Relation relation, long version) {
        return new Compare(key, Target.VERSION, relation, version, null);
    }

    public static Compare version(String key, Relation relation, long version) {
        return version(utf8(key), relation, version);
    }

    public static Compare createRevision(String key, Relation relation, long revision) {
        return new Compare(utf8(key), Target.CREATE_REVISION, relation, revision, null);
    }

    public static Compare modRevision(byte[] key, Relation relation, long revision) {
        return new Compare(key, Target.MOD_REVISION, relation, revision, null);
    }

    public static Compare modRevision(String key, Relation relation, long revision) {
        return modRevision(utf8(key), relation, revision);
    }

    public static Compare value(byte[] key, Relation relation, byte[] value) {
        return new Compare(key, Target.VALUE, relation, 0, value);
    }

    public static Compare value(String key, Relation relation, String value) {
        return value(utf8(key), relation, utf8(value));
    }

    /** The lock {@code name}'s current fencing token against {@code token} (0: the lock is free). */
    public static Compare lockToken(byte[] name, Relation relation, long token) {
        return new Compare(name, Target.LOCK_TOKEN, relation, token, null);
    }

    /** The key is absent (or expired): version = 0. */
    public static Compare absent(byte[] key) {
        return version(key, Relation.EQUAL, 0);
    }

    public static Compare absent(String key) {
        return absent(utf8(key));
    }

    /** Whether the comparison holds for the key as read ({@code kv} null: absent); not for lock tokens. */
    boolean holds(KeyValue kv) {
        int signum = switch (target) {
            case VERSION -> Long.compare(kv == null ? 0 : kv.version(), number);
            case CREATE_REVISION -> Long.compare(kv == null ? 0 : kv.createRevision(), number);
            case MOD_REVISION -> Long.compare(kv == null ? 0 : kv.modRevision(), number);
            case VALUE -> kv == null ? 2 : Integer.signum(java.util.Arrays.compareUnsigned(kv.value(), value));
            case LOCK_TOKEN -> throw new IllegalStateException("a lock token is compared by its shard");
        };
        if (signum == 2) {
            return false; // a value comparison with an absent key never holds
        }
        return switch (relation) {
            case EQUAL -> signum == 0;
            case NOT_EQUAL -> signum != 0;
            case LESS -> signum < 0;
            case GREATER -> signum > 0;
        };
    }

    io.cairn.api.proto.Compare toProto() {
        var b = io.cairn.api.proto.Compare.newBuilder().setKey(ByteString.copyFrom(key))
                .setTarget(io.cairn.api.proto.Compare.Target.valueOf(target.name()))
                .setRelation(io.cairn.api.proto.Compare.Relation.valueOf(relation.name()));
        if (value != null) {
            b.setValue(ByteString.copyFrom(value));
        } else {
            b.setNumber(number);
        }
        return b.build();
    }

    @Override
    public String toString() {
        String side = value != null ? "\"" + new String(value, StandardCharsets.UTF_8) + "\"" : Long.toString(number);
        return target.name().toLowerCase() + "(" + new String(key, StandardCharsets.UTF_8) + ") " + relation + " " + side;
    }

    private static byte[] utf8(String s) {
        if (s == null) {
            throw new IllegalArgumentException("key and value are required");
        }
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
