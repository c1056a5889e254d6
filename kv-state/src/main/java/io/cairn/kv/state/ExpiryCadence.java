package io.cairn.kv.state;

/**
 * When a shard leader looks for due keys, locks and sessions ({@link KvStateMachine#nextExpiryMillis}):
 * at its first chance, then once a second, and again at once after an {@link Command.Expire}
 * that left more due than it removed, so a burst drains at one batch per tick. The server's
 * replicas and the simulator's run this one rule. Time is a monotonic clock in milliseconds, so
 * a wall clock set back cannot hold expiry up.
 */
public final class ExpiryCadence {
    /** How often an idle leader looks: the seeks are cheap, a thousand groups' every tick are not. */
    public static final long INTERVAL_MILLIS = 1_000;

    private boolean looked;
    private long lastLookMillis;

    /** Whether to look now ({@code nowMillis} on a monotonic clock); if so, the interval restarts. */
    public boolean lookNow(long nowMillis) {
        if (looked && nowMillis - lastLookMillis < INTERVAL_MILLIS) {
            return false;
        }
        looked = true;
        lastLookMillis = nowMillis;
        return true;
    }

    /** Told each applied result: an Expire that left more due makes the next call look. */
    public void applied(Result result) {
        if (result instanceof Result.Expired expired && expired.more()) {
            looked = false;
        }
    }
}
