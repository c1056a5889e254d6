package io.cairn.kv.state;

import io.cairn.common.Bytes;
import java.util.Arrays;

/**
 * One condition of a {@link Command.Txn}, as etcd's Compare: a key's {@link Target} against a
 * number or a value. An absent (or expired) key has version, create revision and mod revision
 * 0, so {@code VERSION EQUAL 0} asks for absence; a {@code VALUE} comparison with an absent key
 * never holds. {@code LOCK_TOKEN} reads the lock named {@code key} (0 when free or expired):
 * {@code LOCK_TOKEN EQUAL t} fences a whole transaction with token t.
 */
public record Compare(Bytes key, Target target, Relation relation, long number, Bytes value) {
    /** What of the key is compared; codes are the encoded form and never reused. */
    public enum Target {
        VERSION(1), CREATE_REVISION(2), MOD_REVISION(3), VALUE(4), LOCK_TOKEN(5);

        private final int code;

        Target(int code) {
            this.code = code;
        }

        public int code() {
            return code;
        }

        static Target ofCode(int code) {
            for (Target t : values()) {
                if (t.code == code) {
                    return t;
                }
            }
            throw new CodecException("unknown compare target code " + code);
        }
    }

    /** How the key's side relates to the given side; codes are the encoded form. */
    public enum Relation {
        EQUAL(1), NOT_EQUAL(2), LESS(3), GREATER(4);

        private final int code;

        Relation(int code) {
            this.code = code;
        }

        public int code() {
            return code;
        }

        static Relation ofCode(int code) {
            for (Relation r : values()) {
                if (r.code == code) {
                    return r;
                }
            }
            throw new CodecException("unknown compare relation code " + code);
        }

        boolean holds(int signum) {
            return switch (this) {
                case EQUAL -> signum == 0;
                case NOT_EQUAL -> signum != 0;
                case LESS -> signum < 0;
                case GREATER -> signum > 0;
            };
        }
    }

    public Compare {
        if (key == null || target == null || relation == null) {
            throw new IllegalArgumentException("key, target and relation are required");
        }
        if (target == Target.VALUE) {
            if (value == null || number != 0) {
                throw new IllegalArgumentException("a VALUE comparison takes a value and no number");
            }
        } else {
            if (value != null) {
                throw new IllegalArgumentException("a " + target + " comparison takes a number, not a value");
            }
            if (number < 0) {
                throw new IllegalArgumentException("a " + target + " comparison takes a number >= 0: " + number);
            }
        }
    }

    /** A comparison of a number-valued target. */
    public static Compare of(Bytes key, Target target, Relation relation, long number) {
        return new Compare(key, target, relation, number, null);
    }

    /** A comparison of the key's value, bytes compared unsigned as etcd does. */
    public static Compare value(Bytes key, Relation relation, Bytes value) {
        return new Compare(key, Target.VALUE, relation, 0, value);
    }

    /**
     * Whether the comparison holds for the key's live state {@code kv} (null: absent) and, for
     * {@code LOCK_TOKEN}, the lock's current token {@code lockToken}.
     */
    boolean holds(KeyValue kv, long lockToken) {
        return switch (target) {
            case VERSION -> relation.holds(Long.compare(kv == null ? 0 : kv.version(), number));
            case CREATE_REVISION -> relation.holds(Long.compare(kv == null ? 0 : kv.createRevision(), number));
            case MOD_REVISION -> relation.holds(Long.compare(kv == null ? 0 : kv.modRevision(), number));
            case VALUE -> kv != null && relation.holds(Integer.signum(
                    Arrays.compareUnsigned(kv.value().toArray(), value.toArray())));
            case LOCK_TOKEN -> relation.holds(Long.compare(lockToken, number));
        };
    }

    @Override
    public String toString() {
        String side = target == Target.VALUE ? "\"" + value.toUtf8() + "\"" : Long.toString(number);
        return target.name().toLowerCase() + "(" + key.toUtf8() + ") " + relation + " " + side;
    }
}
