package io.cairn.sim.kv;

import io.cairn.kv.state.Result;

/**
 * kv-state's own {@link Result} of a lock step (Lock, Unlock, a fenced or plain write of the
 * register): the lock checker needs what the state machine said, revisions and tokens included.
 */
public record LockResult(Result result) implements OpResult {
    public LockResult {
        if (result == null) {
            throw new IllegalArgumentException("result is required");
        }
    }

    /**
     * The answer to {@code op}, which kv-state applied with {@code result}; only the results a
     * step of that kind can have are accepted.
     *
     * @throws IllegalStateException if the result cannot answer {@code op}
     */
    static LockResult of(LockOp op, Result result) {
        boolean matches = switch (op.kind()) {
            case LOCK -> result instanceof Result.LockGranted || result instanceof Result.LockBusy
                    || op.sessionId() != 0 && (result instanceof Result.LockQueued || result instanceof Result.SessionEnded);
            case UNLOCK -> result instanceof Result.Released || result instanceof Result.NotHolder;
            case WRITE -> result instanceof Result.Written || (op.fenced() && result instanceof Result.FencedOut);
            case READ -> false;
        };
        if (!matches) {
            throw new IllegalStateException(op + " cannot be answered with " + result);
        }
        return new LockResult(result);
    }

    @Override
    public String toString() {
        if (result instanceof Result.LockGranted g) {
            return "granted t" + g.token() + " until " + g.expiresAtMillis() + "ms";
        }
        if (result instanceof Result.LockBusy b) {
            return "busy t" + b.token() + " until " + b.expiresAtMillis() + "ms";
        }
        if (result instanceof Result.LockQueued q) {
            return "queued #" + q.position() + " behind t" + q.holderToken();
        }
        if (result instanceof Result.SessionEnded) {
            return "session ended";
        }
        if (result instanceof Result.Released r) {
            return "released t" + r.token();
        }
        if (result instanceof Result.NotHolder n) {
            return "not-holder current t" + n.currentToken();
        }
        if (result instanceof Result.FencedOut f) {
            return "fenced-out current t" + f.currentToken();
        }
        if (result instanceof Result.Written w) {
            return "written r" + w.revision() + " v" + w.version();
        }
        return result.toString();
    }
}
