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
                Command.Lock, Command.Unlock, Command.LockRelease, Command.EndSessions, Command.Proclaim, Command.Fenced, Command.SetTtl, Command.Txn,
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
     * Asks for the lock {@code name} for {@code owner} (see {@link LockRecord} for the kinds).
     *
     * <p>Without a session ({@code sessionId} 0): a grant until {@code ttlMillis} after the entry's
     * leader time, if the lock has room now; asked again by the same owner, the grant is extended
     * and keeps its token (a keep-alive; taking it again is reentrant). It never waits.
     *
     * <p>With a session: an entry that lasts until released or until the session ends in this
     * shard; {@code ttlMillis} is the session's TTL. Granted now if it fits and nobody waits,
     * otherwise queued when {@code waits}, else refused. Asked again by the same session and owner,
     * the entry is reported as it stands.
     *
     * <p>A grant's fencing token is the log index of the entry that granted it, so the tokens of a
     * lock only grow. Locks live apart from keys: a lock and a key may share a name.
     *
     * @param permits         the lock's permits: 1 exclusive, n a semaphore,
     *                        {@link #READ_WRITE_PERMITS} a read-write lock; all entries agree
     * @param weight          the permits this entry takes, 1 to {@code permits}
     * @param lockDelayMillis how long the lock stays closed to others if the session ends by
     *                        expiry while holding it
     * @param value           what the entry proclaims (an election's candidate), with a session;
     *                        asked again, a held entry keeps the value it has
     */
    record Lock(Bytes name, Bytes owner, long ttlMillis, long sessionId, int permits, int weight, boolean waits,
                long lockDelayMillis, Bytes value) implements Command {
        /** The permits of a read-write lock: a writer takes them all, a reader one. */
        public static final int READ_WRITE_PERMITS = LockRecord.READ_WRITE_PERMITS;

        public Lock {
            if (name == null || owner == null || value == null) {
                throw new IllegalArgumentException("name, owner and value are required");
            }
            if (sessionId == 0 && !value.isEmpty()) {
                throw new IllegalArgumentException("only a session's entry proclaims a value");
            }
            if (ttlMillis < 1) {
                throw new IllegalArgumentException("a lock's (or its session's) ttlMillis must be positive: " + ttlMillis);
            }
            if (permits < 1 || weight < 1 || weight > permits) {
                throw new IllegalArgumentException("a lock has at least one permit and an entry takes 1 to all of them: "
                        + weight + " of " + permits);
            }
            if (sessionId == 0 && (waits || lockDelayMillis != 0)) {
                throw new IllegalArgumentException("only a session's entry may wait or have a lock delay");
            }
            if (lockDelayMillis < 0) {
                throw new IllegalArgumentException("lockDelayMillis must not be negative: " + lockDelayMillis);
            }
        }

        /** An exclusive lock with its own TTL. */
        public Lock(Bytes name, Bytes owner, long ttlMillis) {
            this(name, owner, ttlMillis, 0, 1, 1, false, 0, Bytes.EMPTY);
        }

        /** A session's entry that proclaims nothing. */
        public Lock(Bytes name, Bytes owner, long ttlMillis, long sessionId, int permits, int weight, boolean waits,
                    long lockDelayMillis) {
            this(name, owner, ttlMillis, sessionId, permits, weight, waits, lockDelayMillis, Bytes.EMPTY);
        }
    }

    /** Withdraws session {@code sessionId}'s entry of {@code owner} in lock {@code name}, held or waiting. */
    record LockRelease(Bytes name, long sessionId, Bytes owner) implements Command {
        public LockRelease {
            if (name == null || owner == null || sessionId == 0) {
                throw new IllegalArgumentException("name, a session and owner are required");
            }
        }
    }

    /**
     * Replaces what session {@code sessionId}'s entry of {@code owner} in lock {@code name}
     * proclaims (an election's leader announcing a new value), only while that entry holds the
     * lock; otherwise nothing changes ({@link Result.NotHolder}).
     */
    record Proclaim(Bytes name, long sessionId, Bytes owner, Bytes value) implements Command {
        public Proclaim {
            if (name == null || owner == null || value == null || sessionId == 0) {
                throw new IllegalArgumentException("name, a session, owner and value are required");
            }
        }
    }

    /**
     * Ends sessions in this shard: their entries leave every lock (waiters behind them are granted)
     * and a later request of theirs here is refused. The leader proposes it with {@code expired}
     * for sessions it had no keep-alive from for their TTL; a client closing its session, without.
     */
    record EndSessions(List<Long> sessionIds, boolean expired) implements Command {
        /** The most sessions one command ends. */
        public static final int SESSIONS_MAX = 1_000;

        public EndSessions {
            sessionIds = List.copyOf(sessionIds);
            if (sessionIds.isEmpty() || sessionIds.size() > SESSIONS_MAX || sessionIds.contains(0L)) {
                throw new IllegalArgumentException("1 to " + SESSIONS_MAX + " sessions, none 0: " + sessionIds.size());
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
     * must live in the same shard as the key: give both the same {@code {tag}}. With
     * {@code release} (a put or a delete only), the grant is released in the same entry, once the
     * write is applied: the next in line is granted at once, and nobody sees the lock free
     * without the write.
     */
    record Fenced(Bytes lock, long token, Command write, boolean release) implements Command {
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
            if (release && !(write instanceof Put || write instanceof Delete)) {
                throw new IllegalArgumentException("only a put or a delete can release its lock, not "
                        + write.getClass().getSimpleName());
            }
        }

        public Fenced(Bytes lock, long token, Command write) {
            this(lock, token, write, false);
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
     * transaction holds a conflicting intent ({@link Result.Locked}, nothing changes: any intent
     * on a written key, a write intent on a compared key), checks the comparisons (the versions
     * the transaction read here) and, if all hold, places a write intent on every written key
     * and, with {@code lockReads}, a READ intent on every compared key it does not write, so none
     * changes until {@link Decide} and {@link Resolve}; readers share a key. Without
     * {@code lockReads} (a read-only transaction's validation) it places nothing. The
     * transaction's record will live in the shard of {@code primaryKey}; in that shard a prepare
     * arriving after the transaction was decided places nothing and answers the decision
     * ({@link Result.Decided}).
     *
     * <p>{@code sharedReads} is false only in entries written before read intents were shared,
     * which apply as they did: any other transaction's intent on a compared key stopped them, and
     * they did not look for a decision.
     */
    record Prepare(Bytes txnId, Bytes primaryKey, List<Compare> compares, List<TxnOp> writes, boolean lockReads,
                   boolean sharedReads) implements Command {
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

        /** A prepare as every node makes it now. */
        public Prepare(Bytes txnId, Bytes primaryKey, List<Compare> compares, List<TxnOp> writes, boolean lockReads) {
            this(txnId, primaryKey, compares, writes, lockReads, true);
        }
    }

    /**
     * Writes the outcome of transaction {@code txnId} into its record, in the primary key's shard,
     * unless a record exists; either way answers the outcome recorded ({@link Result.Decided}).
     * The coordinator decides {@code commit} once every participant prepared; anyone aborts a
     * transaction whose intent outlived the transaction timeout, and whichever applies first wins.
     *
     * <p>With {@code primaryKey} (every decision made since records are cleaned up; null only in
     * entries written before, which apply as they did): a commit is recorded only while the
     * transaction still holds its intent on the primary key, else the answer is
     * {@link Result.OutcomeUnknown} (decided and cleaned up long ago); an abort drops that intent
     * in the same entry. So once a record is gone, nothing can commit the transaction any more.
     * A commit names in {@code intentKeys} every key the transaction holds an intent on, in any
     * shard, so that the record's shard can resolve them all when the coordinator did not.
     */
    record Decide(Bytes txnId, boolean commit, Bytes primaryKey, List<Bytes> intentKeys) implements Command {
        public Decide {
            if (txnId == null || intentKeys == null) {
                throw new IllegalArgumentException("txnId and intentKeys are required");
            }
            if (primaryKey == null && !intentKeys.isEmpty()) {
                throw new IllegalArgumentException("intent keys come with the primary key");
            }
            intentKeys = List.copyOf(intentKeys);
        }

        /** A decision as every node makes it now: bound to the intent on {@code primaryKey}. */
        public static Decide of(Bytes txnId, boolean commit, Bytes primaryKey, List<Bytes> intentKeys) {
            if (primaryKey == null) {
                throw new IllegalArgumentException("primaryKey is required");
            }
            return new Decide(txnId, commit, primaryKey, intentKeys);
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
     * left to consult the record; when the coordinator died first, the record's shard leader
     * resolves what the record names and then removes it, a while after the decision.
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
