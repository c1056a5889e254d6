package io.cairn.kv.state;

import java.util.List;

/**
 * What a node does when a command is stopped by another transaction's intent
 * ({@link Result.Locked}, which changed nothing and left the session's sequence unused). The
 * server and the simulator both follow it.
 *
 * <p>An intent older than the transaction timeout is pushed: its transaction is aborted in its
 * record (the primary key's shard) unless it was decided already ({@link #pushDecision}), then
 * the intent is resolved as the record says ({@link #pushResolve}), and the command is tried
 * again. A younger intent makes a prepare conflict at once (the coordinator aborts and may start
 * over), and any other write wait until the intent is gone or its caller's deadline is near.
 */
public final class IntentMeeting {
    private IntentMeeting() {}

    public enum Action {
        /** End the stale intent's transaction (decide abort unless decided, resolve), then try again. */
        PUSH,
        /** Answer a conflict naming the key and the holder. */
        CONFLICT,
        /** Try again once the intent is gone. */
        WAIT
    }

    /**
     * @param prepare whether the stopped command is a transaction's prepare
     * @param nowMillis the deciding node's wall clock
     * @param callerGaveUp whether the caller's deadline is (nearly) reached
     */
    public static Action action(Result.Locked locked, boolean prepare, long nowMillis, long txnTimeoutMillis,
                                boolean callerGaveUp) {
        if (nowMillis - locked.preparedAtMillis() >= txnTimeoutMillis) {
            return Action.PUSH;
        }
        if (prepare || callerGaveUp) {
            return Action.CONFLICT;
        }
        return Action.WAIT;
    }

    /** The push's first step, in the shard of {@code locked.primaryKey()}: abort, unless decided. */
    public static Command.Decide pushDecision(Result.Locked locked) {
        return Command.Decide.of(locked.txnId(), false, locked.primaryKey(), List.of());
    }

    /** The push's second step, in the intent's shard, once the record answered {@code committed}. */
    public static Command.Resolve pushResolve(Result.Locked locked, boolean committed) {
        return new Command.Resolve(locked.txnId(), committed, List.of(locked.key()));
    }
}
