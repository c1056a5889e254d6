package io.cairn.sim.kv;

import io.cairn.common.Bytes;
import io.cairn.kv.state.Command;
import io.cairn.kv.state.Result;

/**
 * A step of the lock workload: take (or extend) the lock, release it by token, write the shared
 * register (fenced by the token the client holds, or, for the negative control, plain), or read
 * the register at the end of a run. The lock and the register share a hash tag so a sharded
 * cluster keeps them in one shard, as kv-state's fenced writes require.
 *
 * @param owner  the client that takes the lock (its id is the owner's bytes); LOCK only
 * @param token  the fencing token released (UNLOCK) or believed held (WRITE)
 * @param ttlMillis the lock's time to live; LOCK only
 * @param value  the register value a WRITE stores: {@link #registerValue}
 * @param fenced a WRITE goes as kv-state's {@link Command.Fenced}; false only in the negative control
 * @param sessionId for LOCK and UNLOCK, the session the entry belongs to (0: a lock with its own
 *                  TTL); a session's LOCK waits in line and asking again reports where it stands,
 *                  its UNLOCK withdraws the session's entry of {@code owner}; for a releasing
 *                  WRITE, the session that holds the grant (0: a TTL grant)
 * @param release   a fenced WRITE that also releases the grant {@code token} in its entry (what
 *                  the client's {@code SessionLock.putAndUnlock} sends)
 */
public record LockOp(Kind kind, String lock, String register, long owner, long token, long ttlMillis, long value,
                     boolean fenced, long sessionId, boolean release) implements ClientOp {
    public enum Kind { LOCK, UNLOCK, WRITE, READ }

    public LockOp {
        if (kind == null || lock == null || register == null) {
            throw new IllegalArgumentException("kind, lock and register are required");
        }
        if (release && (kind != Kind.WRITE || !fenced)) {
            throw new IllegalArgumentException("only a fenced write releases its lock");
        }
    }

    public static LockOp lock(String lock, String register, long owner, long ttlMillis) {
        return new LockOp(Kind.LOCK, lock, register, owner, 0, ttlMillis, 0, false, 0, false);
    }

    /** A session's request for the lock, waiting in line; {@code ttlMillis} is the session's TTL. */
    public static LockOp sessionLock(String lock, String register, long owner, long sessionId, long ttlMillis) {
        return new LockOp(Kind.LOCK, lock, register, owner, 0, ttlMillis, 0, false, sessionId, false);
    }

    public static LockOp unlock(String lock, String register, long token) {
        return new LockOp(Kind.UNLOCK, lock, register, 0, token, 0, 0, false, 0, false);
    }

    /** Withdraws the session's entry, held under {@code token} (0: it was waiting). */
    public static LockOp sessionUnlock(String lock, String register, long owner, long sessionId, long token) {
        return new LockOp(Kind.UNLOCK, lock, register, owner, token, 0, 0, false, sessionId, false);
    }

    /** A write of {@code value} to the register under {@code token}, fenced or (negative control) plain. */
    public static LockOp write(String lock, String register, long token, long value, boolean fenced) {
        return new LockOp(Kind.WRITE, lock, register, 0, token, 0, value, fenced, 0, false);
    }

    /**
     * A fenced write of {@code value} to the register under {@code token} that releases that grant
     * in the same entry; {@code sessionId} is the session holding it (0: a TTL grant).
     */
    public static LockOp writeAndRelease(String lock, String register, long sessionId, long token, long value) {
        return new LockOp(Kind.WRITE, lock, register, 0, token, 0, value, true, sessionId, true);
    }

    public static LockOp read(String lock, String register) {
        return new LockOp(Kind.READ, lock, register, 0, 0, 0, 0, false, 0, false);
    }

    /**
     * The value a client stores in the register: its id (8 bits), the token it holds (40 bits,
     * a log index) and its write counter (16 bits), so the final read names the write it saw.
     */
    public static long registerValue(int client, long token, long counter) {
        return ((long) (client & 0xFF) << 56) | ((token & 0xFF_FFFF_FFFFL) << 16) | (counter & 0xFFFF);
    }

    /** Lock steps route by the lock, register steps by the register: the same shard either way. */
    @Override
    public String key() {
        return kind == Kind.LOCK || kind == Kind.UNLOCK ? lock : register;
    }

    @Override
    public boolean isRead() {
        return kind == Kind.READ;
    }

    /** The owner's bytes: the client's id, 8 bytes big-endian. */
    public Bytes ownerBytes() {
        return KvOp.encodeValue(owner);
    }

    @Override
    public Command toCommand() {
        return switch (kind) {
            case LOCK -> sessionId == 0 ? new Command.Lock(Bytes.utf8(lock), ownerBytes(), ttlMillis)
                    : new Command.Lock(Bytes.utf8(lock), ownerBytes(), ttlMillis, sessionId, 1, 1, true, 0);
            case UNLOCK -> sessionId == 0 ? new Command.Unlock(Bytes.utf8(lock), token)
                    : new Command.LockRelease(Bytes.utf8(lock), sessionId, ownerBytes());
            case WRITE -> {
                Command put = new Command.Put(Bytes.utf8(register), KvOp.encodeValue(value), 0);
                yield fenced ? new Command.Fenced(Bytes.utf8(lock), token, put, release) : put;
            }
            case READ -> throw new IllegalStateException("reads do not go through the log: " + this);
        };
    }

    @Override
    public OpResult answer(Result result) {
        return LockResult.of(this, result);
    }

    @Override
    public String toString() {
        return switch (kind) {
            case LOCK -> sessionId == 0 ? "lock(" + lock + ",c" + owner + ",ttl=" + ttlMillis + "ms)"
                    : "lock(" + lock + ",c" + owner + ",s" + Long.toHexString(sessionId) + ")";
            case UNLOCK -> sessionId == 0 ? "unlock(" + lock + ",t" + token + ")"
                    : "unlock(" + lock + ",c" + owner + ",s" + Long.toHexString(sessionId) + ",t" + token + ")";
            case WRITE -> (release ? "fenced-put-and-unlock(" : fenced ? "fenced-put(" : "unfenced-put(") + register + ",t" + token + ",c"
                    + (value >>> 56) + "#" + (value & 0xFFFF) + ")";
            case READ -> "get(" + register + ")";
        };
    }
}
