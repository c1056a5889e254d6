package io.cairn.kv.state;

import io.cairn.common.Bytes;

/**
 * The outcome of applying one log entry, which the node sends back to the client that proposed
 * it and the session table stores for retries. {@link KvStateMachine#apply} returns one result
 * per entry, in entry order.
 */
public sealed interface Result
        permits Result.Written, Result.Deleted, Result.CasFailed, Result.Expired,
                Result.Stale, Result.Rejected, Result.Skipped,
                Result.LockGranted, Result.LockBusy, Result.LockQueued, Result.Released, Result.SessionEnded, Result.SessionsEnded, Result.NotHolder, Result.FencedOut,
                Result.Read, Result.TxnDone, Result.Prepared, Result.Locked, Result.Decided, Result.OutcomeUnknown, Result.Resolved {

    /**
     * A put, or a compare-and-set whose comparison held, stored the value: the key's
     * modRevision is now {@code revision} (the entry's log index) and its version {@code version}.
     */
    record Written(long revision, long version) implements Result {
        public Written {
            requireNonNegative(revision, "revision");
            if (version < 1) {
                throw new IllegalArgumentException("a written key has version at least 1: " + version);
            }
        }
    }

    /** A delete at {@code revision}; {@code existed} is false if the key was absent or expired. */
    record Deleted(long revision, boolean existed) implements Result {
        public Deleted {
            requireNonNegative(revision, "revision");
        }
    }

    /** A compare-and-set whose comparison failed: the key's version is {@code actualVersion} (0 = absent). */
    record CasFailed(long actualVersion) implements Result {
        public CasFailed {
            requireNonNegative(actualVersion, "actualVersion");
        }
    }

    /**
     * An expire pass removed {@code keysRemoved} keys and forgot {@code sessionsForgotten} idle
     * sessions. {@code more} says it stopped at its per-command bound with work left, so the
     * leader should propose another soon.
     */
    record Expired(int keysRemoved, int sessionsForgotten, boolean more) implements Result {
        public Expired {
            requireNonNegative(keysRemoved, "keysRemoved");
            requireNonNegative(sessionsForgotten, "sessionsForgotten");
        }
    }

    /**
     * The command's sequence is below the client's last one, {@code lastSequence}: it is a late
     * duplicate whose result is gone, and it changed nothing.
     */
    record Stale(long lastSequence) implements Result {
        public Stale {
            requireNonNegative(lastSequence, "lastSequence");
        }
    }

    /** The command was refused and changed nothing but the session's sequence. */
    record Rejected(RejectReason reason, String message) implements Result {
        public Rejected {
            if (reason == null || message == null) {
                throw new IllegalArgumentException("reason and message are required");
            }
        }
    }

    /** The entry carried no command: a leader's no-op or a configuration change. */
    record Skipped() implements Result {}

    /**
     * The lock is held by the caller under {@code token} until {@code expiresAtMillis} (leader
     * time; 0 for a session's entry, held until released or its session ends).
     */
    record LockGranted(long token, long expiresAtMillis) implements Result {
        public LockGranted {
            requirePositive(token, "token");
        }
    }

    /**
     * The lock has no room for the caller: its newest holder has {@code token} until
     * {@code expiresAtMillis} (0: until its session ends), or, with token 0, it is closed by a
     * lock delay until {@code expiresAtMillis}; nothing changed.
     */
    record LockBusy(long token, long expiresAtMillis) implements Result {
        public LockBusy {
            requireNonNegative(token, "token");
        }
    }

    /** The caller waits for the lock, {@code position} in line (1: next), behind holder {@code holderToken}. */
    record LockQueued(int position, long holderToken) implements Result {
        public LockQueued {
            requirePositive(position, "position");
            requireNonNegative(holderToken, "holderToken");
        }
    }

    /** The grant with fencing token {@code token} was released; token 0: a waiter left the queue. */
    record Released(long token) implements Result {
        public Released {
            requireNonNegative(token, "token");
        }
    }

    /** Session {@code sessionId} ended in this shard (it expired or was closed); nothing changed. */
    record SessionEnded(long sessionId) implements Result {}

    /** {@link Command.EndSessions} applied: {@code entries} holders and waiters left their locks. */
    record SessionsEnded(int entries) implements Result {
        public SessionsEnded {
            requireNonNegative(entries, "entries");
        }
    }

    /**
     * The token given is not the lock's current grant, which has token {@code currentToken}
     * (0: the lock is free or its grant expired); nothing changed.
     */
    record NotHolder(long currentToken) implements Result {
        public NotHolder {
            requireNonNegative(currentToken, "currentToken");
        }
    }

    /**
     * A fenced write whose token is not the lock's current grant, which has token
     * {@code currentToken} (0: free or expired): the write was not applied.
     */
    record FencedOut(long currentToken) implements Result {
        public FencedOut {
            requireNonNegative(currentToken, "currentToken");
        }
    }

    /** A transaction's read of a key: {@code kv} is null when the key is absent or expired. */
    record Read(KeyValue kv) implements Result {
        public java.util.Optional<KeyValue> found() {
            return java.util.Optional.ofNullable(kv);
        }
    }

    /**
     * A {@link Command.Txn} applied: {@code succeeded} says which branch ran, {@code failedCompare}
     * is the index of the first comparison that did not hold (-1 when all held), {@code revision}
     * is the transaction's entry index (the mod revision of all it wrote), and {@code results} has
     * one {@link Written}, {@link Deleted} or {@link Read} per operation of the branch that ran,
     * in order.
     */
    record TxnDone(boolean succeeded, int failedCompare, long revision, java.util.List<Result> results)
            implements Result {
        public TxnDone {
            requirePositive(revision, "revision");
            if (succeeded != (failedCompare == -1) || failedCompare < -1) {
                throw new IllegalArgumentException("a transaction succeeds exactly when no comparison failed: "
                        + succeeded + ", " + failedCompare);
            }
            results = java.util.List.copyOf(results);
            for (Result r : results) {
                if (!(r instanceof Written || r instanceof Deleted || r instanceof Read)) {
                    throw new IllegalArgumentException("not an operation's result: " + r);
                }
            }
        }
    }

    /**
     * A {@link Command.Prepare} applied: with {@code failedCompare} -1 every comparison held and
     * the intents are in place; otherwise comparison {@code failedCompare} did not hold and nothing
     * changed.
     */
    record Prepared(int failedCompare) implements Result {
        public Prepared {
            if (failedCompare < -1) {
                throw new IllegalArgumentException("failedCompare is -1 or an index: " + failedCompare);
            }
        }

        public boolean ok() {
            return failedCompare == -1;
        }
    }

    /**
     * Another transaction, {@code txnId} (its record in the shard of {@code primaryKey}), holds an
     * intent on {@code key}, prepared at leader time {@code preparedAtMillis}: nothing changed,
     * and the client's session did not advance, so the same command may be proposed again once the
     * intent is resolved.
     */
    record Locked(Bytes key, Bytes txnId, Bytes primaryKey, long preparedAtMillis) implements Result {
        public Locked {
            if (key == null || txnId == null || primaryKey == null) {
                throw new IllegalArgumentException("key, txnId and primaryKey are required");
            }
        }
    }

    /** The outcome a transaction's record holds. */
    record Decided(boolean committed) implements Result {}

    /**
     * A commit decision found neither a record nor the transaction's intent on its primary key:
     * the transaction was decided and cleaned up long ago, and this shard no longer knows how.
     * Nothing changed.
     */
    record OutcomeUnknown() implements Result {}

    /** A {@link Command.Resolve} ended {@code intents} of the transaction's intents. */
    record Resolved(int intents) implements Result {
        public Resolved {
            requireNonNegative(intents, "intents");
        }
    }

    /** The bytes the session table stores and the node answers with; see {@link ResultCodec}. */
    default Bytes encode() {
        return ResultCodec.encode(this);
    }

    /** Decodes what {@link #encode} produced; throws {@link CodecException} on anything else. */
    static Result decode(Bytes data) {
        return ResultCodec.decode(data);
    }

    private static void requirePositive(long value, String name) {
        if (value < 1) {
            throw new IllegalArgumentException(name + " must be positive: " + value);
        }
    }

    private static void requireNonNegative(long value, String name) {
        if (value < 0) {
            throw new IllegalArgumentException(name + " must not be negative: " + value);
        }
    }
}
