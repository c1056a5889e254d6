package io.cairn.kv.state;

import io.cairn.common.Bytes;
import java.util.ArrayList;
import java.util.List;

/**
 * A write the state machine applies, carried in a {@link CommandEnvelope}. Constructors check
 * only what makes a command meaningless (nulls, negative numbers); size limits are the business
 * of {@link Limits}, checked at the edge and again when applied.
 */
public sealed interface Command
        permits Command.Put, Command.Delete, Command.CompareAndSet, Command.Expire,
                Command.Lock, Command.Unlock, Command.Fenced, Command.SetTtl, Command.Txn,
                Command.Prepare, Command.Decide, Command.Resolve, Command.Forget, Command.SetSystem {

    /** Sets {@code key} to {@code value}. {@code ttlMillis} 0 means the key never expires. */
    record Put(Bytes key, Bytes value, long ttlMillis) implements Command, TxnOp {
        public Put {
            requireKeyAndValue(key, value);
            requireTtl(ttlMillis);
        }
    }

    /** Removes {@code key}; a later put of the same key starts again at version 1. */
    record Delete(Bytes key) implements Command, TxnOp {
        public Delete {
            if (key == null) {
                throw new IllegalArgumentException("key is required");
            }
        }
    }

    /**
     * Sets {@code key} to {@code value} only if the key's current version is
     * {@code expectedVersion}; {@code expectedVersion} 0 means "the key is absent" (or expired).
     */
    record CompareAndSet(Bytes key, long expectedVersion, Bytes value, long ttlMillis) implements Command {
        public CompareAndSet {
            requireKeyAndValue(key, value);
            if (expectedVersion < 0) {
                throw new IllegalArgumentException("expectedVersion must not be negative: " + expectedVersion);
            }
            requireTtl(ttlMillis);
        }
    }

    /**
     * Gives a live {@code key} a new TTL of {@code ttlMillis} from the entry's leader time, or
     * none with 0 (Redis's EXPIRE and PERSIST), keeping its value. It is a write of the key: its
     * mod revision and version move, watchers see a PUT. An absent or expired key stays absent.
     */
    record SetTtl(Bytes key, long ttlMillis) implements Command {
        public SetTtl {
            if (key == null) {
                throw new IllegalArgumentException("key is required");
            }
            requireTtl(ttlMillis);
        }
    }

    /**
     * Removes keys whose TTL passed at {@code nowMillis} and forgets client sessions idle longer
     * than the session TTL. The leader proposes it periodically, with {@code nowMillis} equal to
     * the envelope's timestamp.
     */
    record Expire(long nowMillis) implements Command {
        public Expire {
            if (nowMillis < 0) {
                throw new IllegalArgumentException("nowMillis must not be negative: " + nowMillis);
            }
        }
    }

    /**
     * Takes the lock {@code name} for {@code owner} until {@code ttlMillis} after the entry's
     * leader time, if it is free or its grant expired: the grant's fencing token is the entry's
     * log index, so tokens of a lock only grow. If {@code owner} already holds it, the grant is
     * extended by the TTL and keeps its token (a holder's keep-alive; taking it again is
     * reentrant). Held by another owner, nothing changes. Locks live apart from keys: a lock and
     * a key may share a name.
     */
    record Lock(Bytes name, Bytes owner, long ttlMillis) implements Command {
        public Lock {
            if (name == null || owner == null) {
                throw new IllegalArgumentException("name and owner are required");
            }
            if (ttlMillis < 1) {
                throw new IllegalArgumentException("a lock's ttlMillis must be positive: " + ttlMillis);
            }
        }
    }

    /** Releases the lock {@code name} if its current grant has fencing token {@code token}. */
    record Unlock(Bytes name, long token) implements Command {
        public Unlock {
            if (name == null) {
                throw new IllegalArgumentException("name is required");
            }
            if (token < 1) {
                throw new IllegalArgumentException("a fencing token is positive: " + token);
            }
        }
    }

    /**
     * Applies {@code write} (a put, delete, compare-and-set or TTL change) only while the lock {@code lock}
     * is held, unexpired, under fencing token {@code token}; otherwise changes nothing. The lock
     * must live in the same shard as the key: give both the same {@code {tag}}.
     */
    record Fenced(Bytes lock, long token, Command write) implements Command {
        public Fenced {
            if (lock == null || write == null) {
                throw new IllegalArgumentException("lock and write are required");
            }
            if (token < 1) {
                throw new IllegalArgumentException("a fencing token is positive: " + token);
            }
            if (!(write instanceof Put || write instanceof Delete || write instanceof CompareAndSet
                    || write instanceof SetTtl)) {
                throw new IllegalArgumentException("only a put, delete, compare-and-set or TTL change can be fenced, not "
                        + write.getClass().getSimpleName());
            }
        }
    }

    /**
     * etcd's mini-transaction on one shard: if every comparison holds, the {@code success}
     * operations, else the {@code failure} ones, all in one entry, atomically. Nothing else
     * applies between the comparisons and the operations. A branch writes each key at most
     * once; the sizes are bounded by {@link Limits#TXN_OPS_MAX} and {@link Limits#TXN_BYTES_MAX}.
     */
    record Txn(List<Compare> compares, List<TxnOp> success, List<TxnOp> failure)
            implements Command {
        public Txn {
            if (compares == null || success == null || failure == null) {
                throw new IllegalArgumentException("compares, success and failure are required (may be empty)");
            }
            compares = List.copyOf(compares);
            success = List.copyOf(success);
            failure = List.copyOf(failure);
        }

        /** Every key the transaction compares, reads or writes, with repeats. */
        public List<Bytes> keys() {
            List<Bytes> keys = new ArrayList<>();
            compares.forEach(c -> keys.add(c.key()));
            success.forEach(o -> keys.add(o.key()));
            failure.forEach(o -> keys.add(o.key()));
            return keys;
        }
    }

    /**
     * A cross-shard transaction's first phase on one participant shard: unless another
     * transaction holds an intent on one of the keys ({@link Result.Locked}, nothing changes),
     * checks the comparisons (the versions the transaction read here) and, if all hold, places an
     * intent on every written key and, with {@code lockReads}, a READ intent on every compared
     * key it does not write, so none changes until {@link Decide} and {@link Resolve}. Without
     * {@code lockReads} (a read-only transaction's validation) it places nothing, and only a
     * write intent on a compared key blocks it. The transaction's record will live in the shard
     * of {@code primaryKey}.
     */
    record Prepare(Bytes txnId, Bytes primaryKey, List<Compare> compares, List<TxnOp> writes, boolean lockReads)
            implements Command {
        public Prepare {
            if (txnId == null || primaryKey == null || compares == null || writes == null) {
                throw new IllegalArgumentException("txnId, primaryKey, compares and writes are required");
            }
            compares = List.copyOf(compares);
            writes = List.copyOf(writes);
            for (TxnOp op : writes) {
                if (op instanceof TxnOp.Get) {
                    throw new IllegalArgumentException("a prepare carries writes only, not " + op);
                }
            }
        }
    }

    /**
     * Writes the outcome of transaction {@code txnId} into its record, in the primary key's shard,
     * unless a record exists; either way answers the outcome recorded ({@link Result.Decided}).
     * The coordinator decides {@code commit} once every participant prepared; anyone aborts a
     * transaction whose intent outlived the transaction timeout, and whichever applies first wins.
     */
    record Decide(Bytes txnId, boolean commit) implements Command {
        public Decide {
            if (txnId == null) {
                throw new IllegalArgumentException("txnId is required");
            }
        }
    }

    /**
     * Ends transaction {@code txnId}'s intents on {@code keys} (others' intents and keys without
     * one are left alone): with {@code commit}, each write intent's put or delete applies at this
     * entry's revision. Only the outcome its record holds may be resolved.
     */
    record Resolve(Bytes txnId, boolean commit, List<Bytes> keys) implements Command {
        public Resolve {
            if (txnId == null || keys == null) {
                throw new IllegalArgumentException("txnId and keys are required");
            }
            keys = List.copyOf(keys);
        }
    }

    /**
     * Removes transaction {@code txnId}'s record (answering {@link Result.Deleted}). The
     * coordinator sends it once every intent the transaction placed is resolved, so no intent is
     * left to consult the record; a record whose coordinator died first is kept.
     */
    record Forget(Bytes txnId) implements Command {
        public Forget {
            if (txnId == null) {
                throw new IllegalArgumentException("txnId is required");
            }
        }
    }

    /**
     * Sets the record {@code name} of the shard's system family, which no client request reads
     * or writes (the control group keeps users and roles there), if its version is
     * {@code expectedVersion} (0: absent); answers {@link Result.Written} with the new version
     * (the entry's index) or {@link Result.CasFailed}. Nodes write it, never clients.
     */
    record SetSystem(Bytes name, long expectedVersion, Bytes value) implements Command {
        public static final int VALUE_BYTES_MAX = 8 << 20;

        public SetSystem {
            requireKeyAndValue(name, value);
            if (name.size() == 0 || expectedVersion < 0 || value.size() > VALUE_BYTES_MAX) {
                throw new IllegalArgumentException("a system record needs a name, a version >= 0 and at most "
                        + VALUE_BYTES_MAX + " bytes");
            }
        }
    }

    private static void requireKeyAndValue(Bytes key, Bytes value) {
        if (key == null || value == null) {
            throw new IllegalArgumentException("key and value are required");
        }
    }

    private static void requireTtl(long ttlMillis) {
        if (ttlMillis < 0) {
            throw new IllegalArgumentException("ttlMillis must not be negative (0 = no TTL): " + ttlMillis);
        }
    }
}
