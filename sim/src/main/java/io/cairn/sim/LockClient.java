package io.cairn.sim;

import io.cairn.common.RandomSource;
import io.cairn.kv.state.Result;
import io.cairn.sim.kv.ClientOp;
import io.cairn.sim.kv.LockOp;
import io.cairn.sim.kv.LockResult;
import io.cairn.sim.kv.OpResult;

/**
 * The lock workload of one simulated client ({@code --workload lock}), driven by its
 * {@link SimClient}, whose requests cross the same faulty network, sessions and retries as the
 * key-value workload's. Over and over: take the lock {@link #LOCK} (backing off while it is
 * busy); holding token T, write the shared register {@link #REGISTER} 1 to 3 times, each write
 * {@code Fenced(LOCK, T, Put(REGISTER, (client, T, n)))}; now and then extend the lock (the same
 * owner keeps its token), and now and then pause for longer than the TTL before a write, so a
 * holder wakes up after its grant expired and perhaps after another client took the lock; then
 * release it by token (NotHolder if it expired), or, in half the turns, let the last write release
 * it in its own entry (the client's {@code putAndUnlock}). A refused write (FencedOut), a lost
 * extension, or a releasing write of unknown outcome ends the turn with the release. An operation abandoned in the fault phase leaves the client
 * unsure; it carries on as if the step had failed (a retried Lock extends a grant it did not
 * learn of and keeps its token).
 *
 * <p>With sessions ({@code --workload session-lock}) the lock is held by the client's session
 * instead of by a TTL: the request waits in line (asked again now and then, which reports where
 * it stands, until granted or, after a while, withdrawn), an extension is such a request made
 * while holding, and the simulation sends the session's keep-alives to every node every quarter
 * TTL, except while the client pauses: a paused holder's session ends at the shard leader and
 * the next in line is granted. A request answered that the session ended starts a new session.
 *
 * <p>Once the run heals, a client finishes the turn it is in instead of stopping halfway: a waiter
 * keeps asking until granted or until it leaves the line, a holder writes and releases (without
 * pausing past its TTL any more: that pause is a fault, and faults have stopped), and a client
 * that may still have an entry it did not learn the fate of (its last request's outcome is
 * unknown) asks again; then it stops. So at the end of a run no entry of it is left in the lock,
 * which {@link LockCheck}'s liveness rule checks.
 *
 * <p>The negative control ({@code --unsafe-unfenced-locks}) sends the same writes as plain puts,
 * so a paused holder overwrites a newer holder's writes and {@link LockCheck} must say so.
 */
final class LockClient implements WorkloadDriver {
    /** The lock and the register share a hash tag: in a sharded cluster they live in one shard. */
    static final String LOCK = "{L}lock";
    static final String REGISTER = "{L}reg";

    /**
     * The workload's knobs, drawn from the seed after {@link SimParams} in lock runs only (so a
     * key-value run's seeds keep their meaning). The TTL is a few election timeouts (100-200 ms).
     */
    record Params(long ttlMillis, double pauseProbability, double keepAliveProbability, long thinkMaxMicros,
                  boolean fenced) {
        static Params derive(RandomSource random, long thinkMaxMicros, boolean fenced) {
            return new Params(200 + random.nextLong(401), 0.15 + random.nextDouble() * 0.35,
                    0.05 + random.nextDouble() * 0.2, thinkMaxMicros, fenced);
        }

        @Override
        public String toString() {
            return String.format(java.util.Locale.ROOT, "lock workload ttl=%dms pause=%.2f keepAlive=%.2f %s",
                    ttlMillis, pauseProbability, keepAliveProbability, fenced ? "fenced" : "UNFENCED");
        }
    }

    private enum Step { ACQUIRE, EXTEND, WRITE, RELEASE }

    /** How many times a session's waiting request is asked again before the client leaves the line. */
    static final int WAIT_POLLS_MAX = 30;

    private final int id;
    private final RandomSource random;
    private final Params params;
    private final Coverage coverage;
    /** Virtual time, for a session client's pauses; null without sessions. */
    private final java.util.function.LongSupplier nowMicros;
    /** The session's generation: a new one after the cluster ended the last. */
    private long generation = 1;
    /** Answers that put the client in line in the wait it is in; 0 when not waiting. */
    private int polls;
    /** Healing began: finish this turn, then stop. */
    private boolean windingDown;
    /**
     * Whether the lock may hold an entry of this client that it has not let go of: from its first
     * request for the lock until a release is answered (or the session ended, or a busy answer
     * said it holds nothing).
     */
    private boolean mayHoldEntry;
    /** Until when a paused session client sends no keep-alive. */
    private long frozenUntilMicros;
    private Step step = Step.ACQUIRE;
    /** The token of the grant this client believes it holds; 0 before its first. */
    private long token;
    private int writesLeft;
    /** This turn's last write releases the grant (fenced runs only: only a fenced write can). */
    private boolean releaseWithWrite;
    private long writeCounter;
    private long pauseMicros;
    /** The next write comes after a pause longer than the TTL. */
    private boolean afterLongPause;

    LockClient(int id, RandomSource random, Params params, Coverage coverage) {
        this(id, random, params, coverage, null);
    }

    /** With {@code nowMicros}, a client holding the lock through a session. */
    LockClient(int id, RandomSource random, Params params, Coverage coverage, java.util.function.LongSupplier nowMicros) {
        this.id = id;
        this.random = random;
        this.params = params;
        this.coverage = coverage;
        this.nowMicros = nowMicros;
    }

    boolean sessions() {
        return nowMicros != null;
    }

    long sessionId() {
        return ((long) id << 32) | generation;
    }

    long sessionTtlMillis() {
        return params.ttlMillis();
    }

    /** The session to keep alive now; 0 while the client pauses (a frozen process sends nothing). */
    long keepaliveSession(long now) {
        return now < frozenUntilMicros ? 0 : sessionId();
    }

    /** The next step to send; null once healing began and the turn is over. */
    @Override
    public ClientOp next() {
        if (finished()) {
            return null;
        }
        if (step == Step.ACQUIRE || step == Step.EXTEND) {
            mayHoldEntry = true;
        }
        return switch (step) {
            case ACQUIRE, EXTEND -> sessions() ? LockOp.sessionLock(LOCK, REGISTER, id, sessionId(), params.ttlMillis())
                    : LockOp.lock(LOCK, REGISTER, id, params.ttlMillis());
            case WRITE -> {
                if (afterLongPause) {
                    coverage.add(Coverage.Item.PAUSES_PAST_TTL);
                }
                long value = LockOp.registerValue(id, token, ++writeCounter);
                yield releasing() ? LockOp.writeAndRelease(LOCK, REGISTER, sessions() ? sessionId() : 0, token, value)
                        : LockOp.write(LOCK, REGISTER, token, value, params.fenced());
            }
            case RELEASE -> sessions() ? LockOp.sessionUnlock(LOCK, REGISTER, id, sessionId(), token)
                    : LockOp.unlock(LOCK, REGISTER, token);
        };
    }

    /** How long to wait before the next step, decided by the last answer. */
    @Override
    public long pauseMicros() {
        return pauseMicros;
    }

    @Override
    public void onResult(ClientOp op, OpResult answer) {
        Result result = ((LockResult) answer).result();
        pauseMicros = think();
        if (result instanceof Result.SessionEnded) {
            coverage.add(Coverage.Item.SESSIONS_LOST);
            generation++;
            token = 0;
            polls = 0;
            mayHoldEntry = false;
            step = Step.ACQUIRE;
            return;
        }
        switch (step) {
            case ACQUIRE -> {
                if (result instanceof Result.LockQueued) {
                    coverage.add(Coverage.Item.LOCK_QUEUED);
                    pauseMicros = 1_000 + random.nextLong(20_000);
                    if (++polls >= WAIT_POLLS_MAX) {
                        coverage.add(Coverage.Item.WAITS_ABANDONED);
                        token = 0;
                        step = Step.RELEASE;
                    }
                } else if (result instanceof Result.LockGranted granted) {
                    polls = 0;
                    coverage.add(Coverage.Item.LOCK_GRANTS);
                    hold(granted.token());
                } else {
                    // Busy: another holds it, and a TTL owner asking again would have extended its own.
                    mayHoldEntry = false;
                    coverage.add(Coverage.Item.LOCK_BUSY);
                    pauseMicros = 1_000 + random.nextLong(params.ttlMillis() * 1_000 / 2);
                }
            }
            case EXTEND -> {
                if (result instanceof Result.LockGranted granted) {
                    // The same token: extended. Another: the grant had expired and this is a new one.
                    coverage.add(granted.token() == token ? Coverage.Item.LOCK_EXTENSIONS : Coverage.Item.LOCK_GRANTS);
                    hold(granted.token());
                } else {
                    coverage.add(Coverage.Item.LOCK_BUSY);
                    step = Step.RELEASE;
                }
            }
            case WRITE -> {
                boolean paused = afterLongPause;
                afterLongPause = false;
                if (result instanceof Result.FencedOut out) {
                    coverage.add(Coverage.Item.FENCED_WRITES_REFUSED);
                    if (paused && out.currentToken() > token) {
                        coverage.add(Coverage.Item.STALE_WRITES_REFUSED);
                    }
                    step = Step.RELEASE;
                } else if (((LockOp) op).release() && !(result instanceof Result.Written)) {
                    // Not applied, so not released either (this workload's writes are not stopped
                    // by intents nor its locks shared, but say so rather than assume it).
                    step = Step.RELEASE;
                } else if (((LockOp) op).release()) {
                    // The entry that applied the write released the grant: the turn is over.
                    coverage.add(Coverage.Item.FENCED_WRITES_OK);
                    coverage.add(Coverage.Item.WRITES_RELEASED);
                    polls = 0;
                    mayHoldEntry = false;
                    step = Step.ACQUIRE;
                } else {
                    coverage.add(params.fenced() ? Coverage.Item.FENCED_WRITES_OK : Coverage.Item.UNFENCED_WRITES_OK);
                    afterWrite();
                }
            }
            case RELEASE -> {
                coverage.add(result instanceof Result.Released ? Coverage.Item.UNLOCKS_RELEASED
                        : Coverage.Item.UNLOCKS_NOT_HOLDER);
                // Whatever ended the turn, the next wait gets its own WAIT_POLLS_MAX asks.
                polls = 0;
                mayHoldEntry = false;
                step = Step.ACQUIRE;
            }
        }
    }

    /** The step's outcome is unknown; carry on as if it failed. */
    @Override
    public void onAbandoned(ClientOp op) {
        pauseMicros = think();
        switch (step) {
            case ACQUIRE -> { }
            case EXTEND -> step = Step.RELEASE;
            case WRITE -> {
                afterLongPause = false;
                afterWrite();
            }
            case RELEASE -> {
                polls = 0;
                step = Step.ACQUIRE;
            }
        }
    }

    private void hold(long grantedToken) {
        polls = 0;
        if (step == Step.ACQUIRE) {
            writesLeft = 1 + random.nextInt(3);
            releaseWithWrite = params.fenced() && random.chance(0.5);
        }
        token = grantedToken;
        step = Step.WRITE;
        planWrite();
    }

    /** The write about to go is this turn's last, and releases the grant. */
    private boolean releasing() {
        return releaseWithWrite && writesLeft == 1;
    }

    private void afterWrite() {
        if (--writesLeft <= 0) {
            step = Step.RELEASE;
        } else {
            planWrite();
        }
    }

    /**
     * Healing began: finish the turn. The client no longer pauses past its TTL, and stops once it
     * is neither holding nor waiting, nor unsure whether it holds an entry.
     */
    @Override
    public void healing() {
        windingDown = true;
    }

    /** After healing: the turn is over and nothing of this client can be left in the lock. */
    @Override
    public boolean finished() {
        return windingDown && step == Step.ACQUIRE && polls == 0 && !mayHoldEntry;
    }

    /** What the client is doing, for a run that does not quiesce. */
    @Override
    public String toString() {
        return switch (step) {
            case ACQUIRE -> polls > 0 ? "waits in line for " + LOCK + " after " + polls + " answers queued (it leaves after "
                    + WAIT_POLLS_MAX + ")" : mayHoldEntry ? "may hold an entry of " + LOCK + " and asks again" : "is idle";
            case EXTEND -> "extends its grant t" + token;
            case WRITE -> "holds t" + token + " and writes " + REGISTER;
            case RELEASE -> token == 0 ? "leaves the line" : "releases t" + token;
        } + (sessions() ? " (session " + Long.toHexString(sessionId()) + ")" : "");
    }

    /** Before a write: sometimes a pause past the TTL (the dangerous case), sometimes a keep-alive first. */
    private void planWrite() {
        if (!windingDown && random.chance(params.pauseProbability())) {
            long ttlMicros = params.ttlMillis() * 1_000;
            pauseMicros = ttlMicros + 1_000 + random.nextLong(ttlMicros * 3 / 2);
            afterLongPause = true;
            if (sessions()) {
                frozenUntilMicros = nowMicros.getAsLong() + pauseMicros;
            }
        } else if (random.chance(params.keepAliveProbability())) {
            step = Step.EXTEND;
        }
    }

    private long think() {
        return random.nextLong(params.thinkMaxMicros() + 1);
    }
}
