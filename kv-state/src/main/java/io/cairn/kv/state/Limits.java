package io.cairn.kv.state;

import io.cairn.common.Bytes;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * Size bounds on what a client may write or ask for (design decision 10). The node calls the
 * {@code check*} methods before proposing, so a client learns of a bad request with a clear
 * {@link IllegalArgumentException} and nothing oversized reaches the log. The state machine
 * checks again with {@link #violation}, answering {@link Result.Rejected}: a bad entry that got
 * into the log anyway can never corrupt state.
 *
 * <p>The limits the state machine applies are part of the replicated state's definition: every
 * replica must use the same ones, or a replica that replays a log entry under other limits
 * diverges. Raise them only through a coordinated rollout, and never lower them while entries
 * above the new limits may still be unapplied.
 */
public record Limits(int keyBytesMax, int valueBytesMax, int scanLimitMax) {
    public static final int KEY_BYTES_MAX_DEFAULT = 4 * 1024;
    public static final int VALUE_BYTES_MAX_DEFAULT = 1024 * 1024;
    public static final int SCAN_LIMIT_MAX_DEFAULT = 10_000;
    /** A TTL bound so that timestamp plus TTL never overflows: 100 years. */
    public static final int OWNER_BYTES_MAX = 256;
    public static final long TTL_MILLIS_MAX = 100L * 365 * 24 * 3600 * 1000;
    /** The longest lock session TTL: an hour. */
    public static final long SESSION_TTL_MILLIS_MAX = 3_600_000L;
    /** The most comparisons, and separately the most operations per branch, of one transaction. */
    public static final int TXN_OPS_MAX = 128;
    /** The most bytes of keys and values one transaction may carry: it is one log entry. */
    public static final int TXN_BYTES_MAX = 4 * 1024 * 1024;

    public static final Limits DEFAULT =
            new Limits(KEY_BYTES_MAX_DEFAULT, VALUE_BYTES_MAX_DEFAULT, SCAN_LIMIT_MAX_DEFAULT);

    public Limits {
        if (keyBytesMax < 1 || valueBytesMax < 0 || scanLimitMax < 1) {
            throw new IllegalArgumentException(String.format(
                    "limits must be positive: keyBytesMax=%d valueBytesMax=%d scanLimitMax=%d",
                    keyBytesMax, valueBytesMax, scanLimitMax));
        }
    }

    /** Throws if the key is empty or longer than {@link #keyBytesMax}. */
    public void checkKey(Bytes key) {
        keyViolation(key).ifPresent(Limits::fail);
    }

    /** Throws if the value is longer than {@link #valueBytesMax}. */
    public void checkValue(Bytes value) {
        valueViolation(value).ifPresent(Limits::fail);
    }

    /** Throws unless {@code 0 <= ttlMillis <= TTL_MILLIS_MAX}. */
    public void checkTtl(long ttlMillis) {
        if (ttlMillis < 0) {
            throw new IllegalArgumentException("ttlMillis must not be negative (0 = no TTL): " + ttlMillis);
        }
        ttlViolation(ttlMillis).ifPresent(Limits::fail);
    }

    /** Throws unless {@code 1 <= limit <= scanLimitMax}. */
    public void checkScanLimit(int limit) {
        if (limit < 1) {
            throw new IllegalArgumentException("scan limit must be at least 1: " + limit);
        }
        if (limit > scanLimitMax) {
            throw new IllegalArgumentException(
                    "scan limit " + limit + " is over the limit scanLimitMax=" + scanLimitMax);
        }
    }

    /** Throws if any part of the command breaks a limit: the edge check before proposing. */
    public void check(Command command) {
        violation(command).ifPresent(Limits::fail);
    }

    /** The first limit the command breaks, as the result the state machine answers with. */
    public Optional<Result.Rejected> violation(Command command) {
        if (command instanceof Command.Put put) {
            return first(keyViolation(put.key()), valueViolation(put.value()), ttlViolation(put.ttlMillis()));
        } else if (command instanceof Command.CompareAndSet cas) {
            return first(keyViolation(cas.key()), valueViolation(cas.value()), ttlViolation(cas.ttlMillis()));
        } else if (command instanceof Command.Delete delete) {
            return keyViolation(delete.key());
        } else if (command instanceof Command.Lock lock) {
            return first(keyViolation(lock.name()), ownerViolation(lock.owner()), ttlViolation(lock.ttlMillis()),
                    ttlViolation(lock.lockDelayMillis()), valueViolation(lock.value()), lock.sessionId() != 0 && lock.ttlMillis() > SESSION_TTL_MILLIS_MAX
                            ? Optional.of(new Result.Rejected(RejectReason.TTL_TOO_LARGE, "a session's TTL is at most "
                                    + SESSION_TTL_MILLIS_MAX + " ms, not " + lock.ttlMillis()))
                            : Optional.empty());
        } else if (command instanceof Command.Unlock unlock) {
            return keyViolation(unlock.name());
        } else if (command instanceof Command.Proclaim p) {
            return first(keyViolation(p.name()), ownerViolation(p.owner()), valueViolation(p.value()));
        } else if (command instanceof Command.LockRelease release) {
            return first(keyViolation(release.name()), ownerViolation(release.owner()));
        } else if (command instanceof Command.SetTtl setTtl) {
            return first(keyViolation(setTtl.key()), ttlViolation(setTtl.ttlMillis()));
        } else if (command instanceof Command.Fenced fenced) {
            return first(keyViolation(fenced.lock()), violation(fenced.write()));
        } else if (command instanceof Command.Txn txn) {
            return txnViolation(txn);
        } else if (command instanceof Command.Prepare p) {
            return first(txnIdViolation(p.txnId()), keyViolation(p.primaryKey()),
                    txnViolation(new Command.Txn(p.compares(), p.writes(), List.of())));
        } else if (command instanceof Command.Decide d) {
            if (d.intentKeys().size() > 2 * TXN_OPS_MAX) {
                return Optional.of(new Result.Rejected(RejectReason.TXN_TOO_LARGE,
                        "a decision names at most " + 2 * TXN_OPS_MAX + " intent keys, not " + d.intentKeys().size()));
            }
            return txnIdViolation(d.txnId());
        } else if (command instanceof Command.Forget f) {
            return txnIdViolation(f.txnId());
        } else if (command instanceof Command.Resolve r) {
            if (r.keys().size() > 2 * TXN_OPS_MAX) {
                return Optional.of(new Result.Rejected(RejectReason.TXN_TOO_LARGE,
                        "a resolve names at most " + 2 * TXN_OPS_MAX + " keys, not " + r.keys().size()));
            }
            return txnIdViolation(r.txnId());
        }
        return Optional.empty();
    }

    /** The most bytes of a transaction id: the coordinator draws 16 random ones. */
    public static final int TXN_ID_BYTES_MAX = 64;

    private static Optional<Result.Rejected> txnIdViolation(Bytes txnId) {
        if (txnId.isEmpty() || txnId.size() > TXN_ID_BYTES_MAX) {
            return Optional.of(new Result.Rejected(RejectReason.MALFORMED,
                    "a transaction id is 1 to " + TXN_ID_BYTES_MAX + " bytes, not " + txnId.size()));
        }
        return Optional.empty();
    }

    /** The bytes of keys and values a transaction carries, as {@link #TXN_BYTES_MAX} counts them. */
    public static int txnPayloadBytes(Command.Txn txn) {
        long bytes = 0;
        for (Compare c : txn.compares()) {
            bytes += c.key().size() + (c.value() == null ? 8 : c.value().size());
        }
        for (List<TxnOp> branch : List.of(txn.success(), txn.failure())) {
            for (TxnOp op : branch) {
                bytes += op.key().size() + (op instanceof Command.Put put ? put.value().size() : 0);
            }
        }
        return (int) Math.min(Integer.MAX_VALUE, bytes);
    }

    private Optional<Result.Rejected> txnViolation(Command.Txn txn) {
        if (txn.compares().size() > TXN_OPS_MAX || txn.success().size() > TXN_OPS_MAX
                || txn.failure().size() > TXN_OPS_MAX) {
            return Optional.of(new Result.Rejected(RejectReason.TXN_TOO_LARGE, "a transaction has at most "
                    + TXN_OPS_MAX + " comparisons and " + TXN_OPS_MAX + " operations per branch, not "
                    + txn.compares().size() + ", " + txn.success().size() + " and " + txn.failure().size()));
        }
        int bytes = txnPayloadBytes(txn);
        if (bytes > TXN_BYTES_MAX) {
            return Optional.of(new Result.Rejected(RejectReason.TXN_TOO_LARGE, "the transaction carries "
                    + bytes + " bytes of keys and values, over the limit TXN_BYTES_MAX=" + TXN_BYTES_MAX));
        }
        for (Compare c : txn.compares()) {
            Optional<Result.Rejected> v = keyViolation(c.key());
            if (v.isPresent()) {
                return v;
            }
        }
        for (List<TxnOp> branch : List.of(txn.success(), txn.failure())) {
            Set<Bytes> written = new HashSet<>();
            for (TxnOp op : branch) {
                Optional<Result.Rejected> v = op instanceof Command c ? violation(c) : keyViolation(op.key());
                if (v.isPresent()) {
                    return v;
                }
                if (!(op instanceof TxnOp.Get) && !written.add(op.key())) {
                    return Optional.of(new Result.Rejected(RejectReason.MALFORMED,
                            "a transaction branch writes key " + op.key().toUtf8() + " more than once"));
                }
            }
        }
        return Optional.empty();
    }

    private Optional<Result.Rejected> keyViolation(Bytes key) {
        if (key.isEmpty()) {
            return Optional.of(new Result.Rejected(RejectReason.KEY_EMPTY, "key must not be empty"));
        }
        if (key.size() > keyBytesMax) {
            return Optional.of(new Result.Rejected(RejectReason.KEY_TOO_LARGE,
                    "key is " + key.size() + " bytes, over the limit keyBytesMax=" + keyBytesMax));
        }
        return Optional.empty();
    }

    /** A lock owner is an identity, not data: at most {@value #OWNER_BYTES_MAX} bytes, never empty. */
    private static Optional<Result.Rejected> ownerViolation(Bytes owner) {
        if (owner.isEmpty() || owner.size() > OWNER_BYTES_MAX) {
            return Optional.of(new Result.Rejected(RejectReason.MALFORMED,
                    "a lock owner is 1 to " + OWNER_BYTES_MAX + " bytes, not " + owner.size()));
        }
        return Optional.empty();
    }

    private Optional<Result.Rejected> valueViolation(Bytes value) {
        if (value.size() > valueBytesMax) {
            return Optional.of(new Result.Rejected(RejectReason.VALUE_TOO_LARGE,
                    "value is " + value.size() + " bytes, over the limit valueBytesMax=" + valueBytesMax));
        }
        return Optional.empty();
    }

    private static Optional<Result.Rejected> ttlViolation(long ttlMillis) {
        // Negative TTLs cannot be constructed; the bound keeps now + ttl from overflowing.
        if (ttlMillis > TTL_MILLIS_MAX) {
            return Optional.of(new Result.Rejected(RejectReason.TTL_TOO_LARGE,
                    "ttlMillis is " + ttlMillis + ", over the limit TTL_MILLIS_MAX=" + TTL_MILLIS_MAX));
        }
        return Optional.empty();
    }

    @SafeVarargs
    private static Optional<Result.Rejected> first(Optional<Result.Rejected>... checks) {
        for (Optional<Result.Rejected> check : checks) {
            if (check.isPresent()) {
                return check;
            }
        }
        return Optional.empty();
    }

    private static void fail(Result.Rejected rejected) {
        throw new IllegalArgumentException(rejected.message());
    }
}
