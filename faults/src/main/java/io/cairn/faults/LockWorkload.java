package io.cairn.faults;

import io.cairn.client.CairnClient;
import io.cairn.client.CairnException;
import io.cairn.client.Fence;
import io.cairn.client.KeyValue;
import io.cairn.client.LockAttempt;
import io.cairn.client.StaleTokenException;
import io.cairn.client.WriteResult;
import io.cairn.kv.state.Result;
import io.cairn.sim.LockCheck;
import io.cairn.sim.kv.KvResult;
import io.cairn.sim.kv.LockOp;
import io.cairn.sim.kv.LockResult;
import io.cairn.sim.kv.OpResult;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The lock workload of a scenario, beside the register workload ({@link Workload}): the
 * simulator's lock clients ({@code io.cairn.sim.LockClient}) on real processes, judged by the
 * simulator's own {@link LockCheck} from what the clients were told.
 *
 * <p>Each client, a thread with its own {@link CairnClient} (so its own lock owner), does over
 * and over: take {@link #LOCK} with a TTL of {@link #TTL} (backing off while it is busy); holding
 * token T, write the register {@link #REGISTER} 1 to 3 times, each a put fenced by T of a value
 * unique to (client, T, write); before a write, now and then extend the lock first (the same
 * owner keeps its token), and now and then pause for 1 to 2.5 × the TTL, a holder frozen past its
 * lease that wakes up perhaps after another client took the lock; then release it by token. A
 * refused write or a lost extension ends the turn with the release. A step whose outcome the
 * client did not learn ({@link io.cairn.client.CairnUnavailableException} or any other failure
 * than a refusal) is recorded with an unknown outcome; the client carries on as if it failed.
 *
 * <p>Every second client holds the lock through a session instead ({@link SessionHolder}): it waits
 * in line (pushed by the server) rather than backing off, its session is kept alive by the
 * client's keep-alive streams, every other turn its last write releases the lock in the same
 * entry ({@code SessionLock.putAndUnlock}), and its pause past the TTL is a process cut off from the cluster:
 * its client is closed without ending the session, so the keep-alives stop and the shard leader
 * ends the session and grants the next in line; the write it sends afterwards, under the old token
 * through a new client, must be refused. TTL holders and session holders share one lock, so the
 * queue serves both kinds.
 *
 * <p>Every third client that is not a session holder is a process of its own
 * ({@link LockHolderProcess}, the session holder's steps without pauses of its own): when it is
 * granted the lock, the suite now and then freezes it with SIGSTOP for 1 to 2.5 × the TTL, then
 * SIGCONT. Its keep-alive threads freeze with it, the shard leader ends its session and grants the
 * next in line, and the frozen holder wakes up in the middle of its turn and writes under the old
 * token: the write must be refused. Its steps come back on its stdout and are judged with the rest.
 *
 * <p>The negative control ({@code --unsafe-unfenced-locks}) sends the same writes as plain puts:
 * a paused holder's write then lands after a newer holder's, and the checker must say so.
 *
 * <p>Times are µs on this JVM's monotonic clock, anchored once to its wall clock, so their ms
 * compare with the nodes' (the same machine's wall clock, unless a clock fault shifts a node's).
 */
final class LockWorkload {
    /** The lock and the register share a hash tag, as fenced writes require. */
    static final String LOCK = "{fl}lock";
    static final String REGISTER = "{fl}reg";
    /** A few election timeouts (0.5-1 s here), so a lease can outlive a leader change or not. */
    static final Duration TTL = Duration.ofMillis(1_500);
    static final double PAUSE_PROBABILITY = 0.3;
    static final double KEEP_ALIVE_PROBABILITY = 0.15;
    private static final int THINK_MAX_MS = 20;
    /** The client id of the final read (lock clients are 1, 2, ...). */
    private static final int AUDITOR = 0;
    private static final byte[] LOCK_BYTES = LOCK.getBytes(StandardCharsets.UTF_8);
    private static final byte[] REGISTER_BYTES = REGISTER.getBytes(StandardCharsets.UTF_8);

    /** Counts over the whole run. */
    final AtomicLong grants = new AtomicLong();
    final AtomicLong extensions = new AtomicLong();
    final AtomicLong busy = new AtomicLong();
    final AtomicLong writesOk = new AtomicLong();
    /** Fenced writes refused: their token was no longer the lock's grant. */
    final AtomicLong writesRefused = new AtomicLong();
    /** Refused writes after a pause past the TTL whose refusal named a newer grant: another client had taken over. */
    final AtomicLong takenOver = new AtomicLong();
    final AtomicLong pausesPastTtl = new AtomicLong();
    final AtomicLong released = new AtomicLong();
    /** Session holders only: fenced writes that released the lock in their own entry, applied. */
    final AtomicLong writesReleased = new AtomicLong();
    final AtomicLong notHolder = new AtomicLong();
    /** Steps whose outcome the client did not learn. */
    final AtomicLong unknown = new AtomicLong();
    /** Session holders only: waits in line that ended in a grant, and sessions the cluster ended. */
    final AtomicLong waitedGrants = new AtomicLong();
    final AtomicLong sessionsLost = new AtomicLong();
    /** Process holders only: SIGSTOPs past the TTL while holding, and losses their client's listener reported. */
    final AtomicLong processStops = new AtomicLong();
    final AtomicLong lossesNoticed = new AtomicLong();

    private final List<Recorded> history = Collections.synchronizedList(new ArrayList<>());
    /** Failures that are not the cluster's answer (a bug of this workload, say): they fail the run. */
    private final List<String> problems = Collections.synchronizedList(new ArrayList<>());
    private final AtomicBoolean running = new AtomicBoolean(true);
    private final CountDownLatch stopped = new CountDownLatch(1);
    private final List<Thread> threads = new ArrayList<>();
    /** The process holders' processes, so a stop can close their stdin (which stops them). */
    private final List<Process> processes = Collections.synchronizedList(new ArrayList<>());
    private final SecureSetup security;
    /** Where a process holder's stderr goes: lock-client-N.log. */
    private final java.nio.file.Path dir;
    private final List<String> endpoints;
    private final Duration requestTimeout;
    private final boolean fenced;
    private final long anchorNanos;
    private final long anchorMicros;

    LockWorkload(SecureSetup security, List<String> endpoints, Duration requestTimeout, boolean fenced,
                 java.nio.file.Path dir) {
        this.security = security;
        this.dir = dir;
        this.endpoints = List.copyOf(endpoints);
        this.requestTimeout = requestTimeout;
        this.fenced = fenced;
        Instant now = Instant.now();
        this.anchorNanos = System.nanoTime();
        this.anchorMicros = now.getEpochSecond() * 1_000_000 + now.getNano() / 1_000;
    }

    boolean fenced() {
        return fenced;
    }

    void start(int clients, long seed) {
        for (int c = 1; c <= clients; c++) {
            SplittableRandom random = new SplittableRandom(seed * 1_000 + 500 + c);
            Runnable holder = c % 2 == 0 ? new SessionHolder(c, random)::run
                    : c % 3 == 0 ? new ProcessHolder(c, random)::run : new Holder(c, random)::run;
            Thread t = new Thread(holder, "fault-lock-client-" + c);
            t.setDaemon(true);
            threads.add(t);
            t.start();
        }
    }

    /** Tells the clients to stop: a paused one wakes up and stops without its write. */
    void signalStop() {
        running.set(false);
        stopped.countDown();
        synchronized (processes) {
            for (Process p : processes) {
                try {
                    p.getOutputStream().close();
                } catch (java.io.IOException e) {
                    // it has exited already
                }
            }
        }
    }

    /** Stops the clients and waits for them; false if one is still running (its step stays unknown). */
    boolean stop() throws InterruptedException {
        signalStop();
        boolean all = true;
        for (Thread t : threads) {
            t.join(requestTimeout.toMillis() * 3);
            all &= !t.isAlive();
        }
        return all;
    }

    /** After healing: one linearizable read of the register, the checker's register rule. */
    void finalRead(CairnClient client) {
        Recorded r = begin(AUDITOR, 1, LockOp.Kind.READ, 0, 0, false, LockOp.read(LOCK, REGISTER).toString());
        Optional<KeyValue> kv = client.get(REGISTER);
        r.complete(kv.map(v -> new KvResult.Read(Long.parseLong(v.valueUtf8()), v.version()))
                .orElse(KvResult.Read.ABSENT), nowMicros());
    }

    /** Every step so far; one not answered (yet) is pending. */
    List<LockCheck.Step> history() {
        synchronized (history) {
            return history.stream().map(Recorded::toStep).toList();
        }
    }

    List<String> problems() {
        synchronized (problems) {
            return List.copyOf(problems);
        }
    }

    private long nowMicros() {
        return micros(System.nanoTime());
    }

    /** A {@link System#nanoTime()} of this process or of a process holder (one CLOCK_MONOTONIC on Linux) in µs. */
    private long micros(long nanoTime) {
        return anchorMicros + (nanoTime - anchorNanos) / 1_000;
    }

    private Recorded begin(int client, long seq, LockOp.Kind kind, long token, long value, boolean fencedWrite,
                           String label) {
        return begin(client, seq, kind, token, value, fencedWrite, false, label);
    }

    private Recorded begin(int client, long seq, LockOp.Kind kind, long token, long value, boolean fencedWrite,
                           boolean release, String label) {
        Recorded r = new Recorded(client, seq, kind, token, value, fencedWrite, release, label, nowMicros());
        history.add(r);
        return r;
    }

    /** A step as it is being made: pending until its answer comes back. */
    private static final class Recorded {
        private final int client;
        private final long seq;
        private final LockOp.Kind kind;
        private final long token;
        private final long value;
        private final boolean fenced;
        private final boolean release;
        private final String label;
        private final long invokeMicros;
        private long returnMicros = LockCheck.Step.PENDING;
        private OpResult result;

        Recorded(int client, long seq, LockOp.Kind kind, long token, long value, boolean fenced, boolean release,
                 String label, long invokeMicros) {
            this.client = client;
            this.seq = seq;
            this.kind = kind;
            this.token = token;
            this.value = value;
            this.fenced = fenced;
            this.release = release;
            this.label = label;
            this.invokeMicros = invokeMicros;
        }

        synchronized void complete(OpResult answer, long at) {
            result = answer;
            returnMicros = at;
        }

        synchronized LockCheck.Step toStep() {
            // No session: the suite's waits are one blocking request each, not judged for FIFO.
            return new LockCheck.Step(client, seq, kind, token, value, fenced, invokeMicros, returnMicros, result, label,
                    0, release);
        }
    }

    private enum Next { ACQUIRE, EXTEND, WRITE, RELEASE }

    /** How a register write ended: applied, refused by the fence, or unknown. */
    private enum Written { OK, REFUSED, UNKNOWN }

    /**
     * Client {@code client}'s write number {@code counter} of the register under {@code token}
     * (fenced unless in the negative control), recorded as step {@code seq} and counted.
     */
    private Written writeRegister(CairnClient through, int client, long seq, long token, long counter, boolean afterPause) {
        long value = LockOp.registerValue(client, token, counter);
        Recorded r = begin(client, seq, LockOp.Kind.WRITE, token, value, fenced,
                LockOp.write(LOCK, REGISTER, token, value, fenced).toString());
        byte[] bytes = Long.toString(value).getBytes(StandardCharsets.UTF_8);
        try {
            WriteResult w = fenced ? through.put(REGISTER_BYTES, bytes, new Fence(LOCK_BYTES, token))
                    : through.put(REGISTER_BYTES, bytes);
            r.complete(new LockResult(new Result.Written(w.modRevision(), w.version())), nowMicros());
            writesOk.incrementAndGet();
            return Written.OK;
        } catch (StaleTokenException e) {
            r.complete(new LockResult(new Result.FencedOut(e.currentToken())), nowMicros());
            writesRefused.incrementAndGet();
            if (afterPause && e.currentToken() > token) {
                takenOver.incrementAndGet();
            }
            return Written.REFUSED;
        } catch (CairnException e) {
            unknown.incrementAndGet();
            return Written.UNKNOWN;
        }
    }

    /** One lock client: the state machine of the simulator's LockClient, on a thread. */
    private final class Holder {
        private final int id;
        private final SplittableRandom random;
        private Next next = Next.ACQUIRE;
        private long seq;
        /** The token of the grant this client believes it holds; 0 before its first. */
        private long token;
        private int writesLeft;
        private long writeCounter;
        private long waitMillis;
        /** The next write comes after a pause longer than the TTL. */
        private boolean afterLongPause;

        Holder(int id, SplittableRandom random) {
            this.id = id;
            this.random = random;
        }

        void run() {
            try (CairnClient cairn = security.client(endpoints).requestTimeout(requestTimeout).build()) {
                while (running.get()) {
                    // The client's own pace; a pause past the TTL is a holder frozen past its lease.
                    if (waitMillis > 0 && stopped.await(waitMillis, TimeUnit.MILLISECONDS)) {
                        break;
                    }
                    waitMillis = random.nextInt(THINK_MAX_MS + 1);
                    switch (next) {
                        case ACQUIRE, EXTEND -> lock(cairn);
                        case WRITE -> write(cairn);
                        case RELEASE -> release(cairn);
                    }
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } catch (RuntimeException e) {
                problems.add("lock client " + id + " failed: " + e);
            }
        }

        private void lock(CairnClient cairn) {
            Recorded r = begin(id, ++seq, LockOp.Kind.LOCK, 0, 0, false,
                    LockOp.lock(LOCK, REGISTER, id, TTL.toMillis()).toString());
            LockAttempt attempt;
            try {
                attempt = cairn.tryLock(LOCK, TTL);
            } catch (CairnException e) {
                abandoned();
                return;
            }
            Result result = attempt.acquired() ? new Result.LockGranted(attempt.token(), attempt.expiresAtMillis())
                    : new Result.LockBusy(attempt.token(), attempt.expiresAtMillis());
            r.complete(new LockResult(result), nowMicros());
            if (attempt.acquired()) {
                // The same token: extended. Another: the grant had expired and this is a new one.
                (next == Next.EXTEND && attempt.token() == token ? extensions : grants).incrementAndGet();
                hold(attempt.token());
            } else {
                busy.incrementAndGet();
                if (next == Next.ACQUIRE) {
                    waitMillis = 1 + random.nextLong(TTL.toMillis() / 2);
                } else {
                    next = Next.RELEASE;
                }
            }
        }

        private void write(CairnClient cairn) {
            boolean paused = afterLongPause;
            afterLongPause = false;
            if (paused) {
                pausesPastTtl.incrementAndGet();
            }
            Written outcome = writeRegister(cairn, id, ++seq, token, ++writeCounter, paused);
            if (outcome == Written.REFUSED) {
                next = Next.RELEASE;
            } else {
                afterWrite();
            }
        }

        private void release(CairnClient cairn) {
            Recorded r = begin(id, ++seq, LockOp.Kind.UNLOCK, token, 0, false,
                    LockOp.unlock(LOCK, REGISTER, token).toString());
            try {
                cairn.unlock(LOCK, token);
                r.complete(new LockResult(new Result.Released(token)), nowMicros());
                released.incrementAndGet();
            } catch (StaleTokenException e) {
                r.complete(new LockResult(new Result.NotHolder(e.currentToken())), nowMicros());
                notHolder.incrementAndGet();
            } catch (CairnException e) {
                unknown.incrementAndGet();
            }
            next = Next.ACQUIRE;
        }

        /** A Lock of unknown outcome: try again (ACQUIRE), or give the grant up (EXTEND). */
        private void abandoned() {
            unknown.incrementAndGet();
            if (next == Next.EXTEND) {
                next = Next.RELEASE;
            }
        }

        private void hold(long grantedToken) {
            if (next == Next.ACQUIRE) {
                writesLeft = 1 + random.nextInt(3);
            }
            token = grantedToken;
            next = Next.WRITE;
            planWrite();
        }

        private void afterWrite() {
            if (--writesLeft <= 0) {
                next = Next.RELEASE;
            } else {
                planWrite();
            }
        }

        /** Before a write: sometimes a pause past the TTL (the dangerous case), sometimes a keep-alive first. */
        private void planWrite() {
            if (random.nextDouble() < PAUSE_PROBABILITY) {
                long ttl = TTL.toMillis();
                waitMillis = ttl + 1 + random.nextLong(ttl * 3 / 2);
                afterLongPause = true;
            } else if (random.nextDouble() < KEEP_ALIVE_PROBABILITY) {
                next = Next.EXTEND;
            }
        }
    }

    /**
     * A lock client holding the lock through a session: the same steps as {@link Holder}, but it
     * waits in line for the lock, needs no extension, and pauses by being cut off.
     */
    private final class SessionHolder {
        private final int id;
        private final SplittableRandom random;
        private long seq;
        private long writeCounter;
        private long turns;
        private CairnClient client;
        private io.cairn.client.LockSession session;
        private io.cairn.client.SessionLock handle;

        SessionHolder(int id, SplittableRandom random) {
            this.id = id;
            this.random = random;
        }

        void run() {
            try {
                while (running.get()) {
                    if (stopped.await(random.nextInt(THINK_MAX_MS + 1), TimeUnit.MILLISECONDS)) {
                        break;
                    }
                    turn();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } catch (RuntimeException e) {
                problems.add("session lock client " + id + " failed: " + e);
            } finally {
                drop(true);
            }
        }

        /** Takes the lock (waiting in line), writes 1-3 times under it, maybe after being cut off, then releases it. */
        private void turn() throws InterruptedException {
            if (session == null) {
                client = security.client(endpoints).requestTimeout(requestTimeout).build();
                try {
                    session = client.openSession(TTL);
                } catch (CairnException e) {
                    drop(true);
                    return;
                }
                handle = session.lock(LOCK);
            }
            long token = lock();
            if (token == 0) {
                return;
            }
            int writes = 1 + random.nextInt(3);
            // Every other turn, so every scenario has some; that write is never the one after a cut-off.
            boolean releaseWithWrite = fenced && ++turns % 2 == 0;
            for (int w = 0; w < writes && running.get(); w++) {
                if (releaseWithWrite && w == writes - 1) {
                    writeAndRelease(token);
                    return;
                }
                boolean cutOff = random.nextDouble() < PAUSE_PROBABILITY;
                if (cutOff) {
                    // Cut off from the cluster past the TTL: keep-alives stop, the session is not ended.
                    drop(false);
                    long ttl = TTL.toMillis();
                    if (stopped.await(ttl + 1 + random.nextLong(ttl * 3 / 2), TimeUnit.MILLISECONDS)) {
                        return;
                    }
                    pausesPastTtl.incrementAndGet();
                    try (CairnClient late = security.client(endpoints).requestTimeout(requestTimeout).build()) {
                        write(late, token, true);
                    }
                    return; // the next turn opens a new session
                }
                if (!write(client, token, false)) {
                    break;
                }
            }
            release(token);
        }

        /** The grant's token, or 0 when not granted within a TTL (the place in line is given up) or unknown. */
        private long lock() throws InterruptedException {
            Recorded r = begin(id, ++seq, LockOp.Kind.LOCK, 0, 0, false,
                    LockOp.sessionLock(LOCK, REGISTER, id, session.id(), TTL.toMillis()).toString());
            try {
                java.util.OptionalLong token = handle.tryLock(TTL);
                if (token.isEmpty()) {
                    busy.incrementAndGet();
                    r.complete(new LockResult(new Result.LockQueued(1, 0)), nowMicros());
                    return 0;
                }
                grants.incrementAndGet();
                waitedGrants.incrementAndGet();
                r.complete(new LockResult(new Result.LockGranted(token.getAsLong(), 0)), nowMicros());
                return token.getAsLong();
            } catch (io.cairn.client.SessionLostException e) {
                sessionsLost.incrementAndGet();
                r.complete(new LockResult(new Result.SessionEnded(e.sessionId())), nowMicros());
                drop(true);
                return 0;
            } catch (CairnException e) {
                unknown.incrementAndGet();
                drop(true);
                return 0;
            }
        }

        /** One fenced write; false when it was refused or its outcome is unknown. */
        private boolean write(CairnClient through, long token, boolean afterPause) {
            return writeRegister(through, id, ++seq, token, ++writeCounter, afterPause) == Written.OK;
        }

        /**
         * The turn's last write, which releases the lock in its own entry. Whatever happens, the
         * handle holds nothing after it: on a refusal or an unknown outcome the client released
         * the lock itself (a release not recorded: the next wait is then not judged as new).
         */
        private void writeAndRelease(long token) {
            long value = LockOp.registerValue(id, token, ++writeCounter);
            Recorded r = begin(id, ++seq, LockOp.Kind.WRITE, token, value, true, true,
                    LockOp.writeAndRelease(LOCK, REGISTER, session.id(), token, value).toString());
            try {
                WriteResult w = handle.putAndUnlock(REGISTER_BYTES, Long.toString(value).getBytes(StandardCharsets.UTF_8));
                r.complete(new LockResult(new Result.Written(w.modRevision(), w.version())), nowMicros());
                writesOk.incrementAndGet();
                writesReleased.incrementAndGet();
            } catch (StaleTokenException e) {
                r.complete(new LockResult(new Result.FencedOut(e.currentToken())), nowMicros());
                writesRefused.incrementAndGet();
            } catch (io.cairn.client.SessionLostException e) {
                // The session was known lost before anything was sent: nothing was written.
                sessionsLost.incrementAndGet();
                r.complete(new LockResult(new Result.FencedOut(0)), nowMicros());
                drop(true);
            } catch (CairnException e) {
                unknown.incrementAndGet();
                drop(true);
            }
        }

        private void release(long token) {
            Recorded r = begin(id, ++seq, LockOp.Kind.UNLOCK, token, 0, false,
                    LockOp.sessionUnlock(LOCK, REGISTER, id, session.id(), token).toString());
            try {
                handle.unlock();
                r.complete(new LockResult(new Result.Released(token)), nowMicros());
                released.incrementAndGet();
            } catch (StaleTokenException e) {
                r.complete(new LockResult(new Result.NotHolder(e.currentToken())), nowMicros());
                notHolder.incrementAndGet();
            } catch (io.cairn.client.SessionLostException e) {
                sessionsLost.incrementAndGet();
                r.complete(new LockResult(new Result.NotHolder(0)), nowMicros());
                drop(true);
            } catch (CairnException e) {
                unknown.incrementAndGet();
                drop(true);
            }
        }

        /** Forgets the session: closed (its locks released) when {@code end}, else left for the cluster to end. */
        private void drop(boolean end) {
            if (session != null && end) {
                session.close();
            }
            if (client != null) {
                client.close();
            }
            session = null;
            handle = null;
            client = null;
        }
    }

    /**
     * A lock client in a process of its own ({@link LockHolderProcess}): this thread starts it,
     * records the steps it reports, and when it is granted the lock, now and then freezes it
     * (SIGSTOP) for 1 to 2.5 × the TTL before letting it go on (SIGCONT).
     */
    private final class ProcessHolder {
        private final int id;
        private final SplittableRandom random;
        private final java.util.Map<Long, Recorded> open = new java.util.HashMap<>();
        /** Writes (by step) the process sent first after a freeze past the TTL. */
        private final java.util.Set<Long> afterFreeze = new java.util.HashSet<>();
        /** The next write the process reports comes after a freeze past the TTL. */
        private boolean afterStop;

        ProcessHolder(int id, SplittableRandom random) {
            this.id = id;
            this.random = random;
        }

        void run() {
            List<String> cmd = new ArrayList<>(List.of(
                    java.nio.file.Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                    "-Xmx128m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
                    "-cp", System.getProperty("java.class.path")));
            cmd.addAll(LockHolderProcess.arguments(endpoints, id, random.nextLong(), TTL, requestTimeout, fenced,
                    security.clientTlsArgs()));
            Process p;
            try {
                p = new ProcessBuilder(cmd).redirectError(dir.resolve("lock-client-" + id + ".log").toFile()).start();
            } catch (java.io.IOException e) {
                problems.add("lock client " + id + ": cannot start its process: " + e);
                return;
            }
            processes.add(p);
            if (!running.get()) {
                signalStop(); // stopped before it was listed: close its stdin now
            }
            try (var lines = new java.io.BufferedReader(new java.io.InputStreamReader(p.getInputStream(),
                    java.nio.charset.StandardCharsets.UTF_8))) {
                for (String line; (line = lines.readLine()) != null; ) {
                    // Its first grant always, so every scenario has one: a run may see few grants.
                    if (onLine(line) && running.get() && (processStops.get() == 0 || random.nextDouble() < PAUSE_PROBABILITY)) {
                        freeze(p);
                    }
                }
            } catch (java.io.IOException e) {
                problems.add("lock client " + id + ": its output broke: " + e);
            } catch (RuntimeException e) {
                problems.add("lock client " + id + ": " + e);
            } finally {
                stopProcess(p);
            }
        }

        /** SIGSTOP past the TTL, then SIGCONT; a stop of the workload ends the freeze early. */
        private void freeze(Process p) {
            long ttl = TTL.toMillis();
            Nodes.signal(p, "STOP");
            try {
                stopped.await(ttl + 1 + random.nextLong(ttl * 3 / 2), TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } finally {
                Nodes.signal(p, "CONT");
            }
            processStops.incrementAndGet();
            afterStop = true;
        }

        private void stopProcess(Process p) {
            try {
                p.getOutputStream().close();
                if (!p.waitFor(requestTimeout.toMillis() * 3, TimeUnit.MILLISECONDS)) {
                    problems.add("lock client " + id + "'s process did not stop");
                    p.destroyForcibly();
                }
            } catch (java.io.IOException e) {
                // already gone
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                p.destroyForcibly();
            }
        }

        /** Records one line of the process; true when it says the lock was just granted. */
        private boolean onLine(String line) {
            String[] f = line.split(" ", 8);
            switch (f[0]) {
                case "B" -> {
                    long seq = Long.parseLong(f[1]);
                    LockOp.Kind kind = LockOp.Kind.valueOf(f[2]);
                    if (kind == LockOp.Kind.WRITE && afterStop) {
                        afterStop = false;
                        pausesPastTtl.incrementAndGet();
                        afterFreeze.add(seq);
                    }
                    Recorded r = new Recorded(id, seq, kind, Long.parseLong(f[3]), Long.parseLong(f[4]), Boolean.parseBoolean(f[5]),
                            false, f[7], micros(Long.parseLong(f[6])));
                    history.add(r);
                    open.put(seq, r);
                }
                case "E" -> {
                    long seq = Long.parseLong(f[1]);
                    Recorded r = open.remove(seq);
                    Result result = switch (f[3]) {
                        case "G" -> new Result.LockGranted(Long.parseLong(f[4]), 0);
                        case "Q" -> new Result.LockQueued(1, 0);
                        case "S" -> new Result.SessionEnded(Long.parseLong(f[4]));
                        case "W" -> new Result.Written(Long.parseLong(f[4]), Long.parseLong(f[5]));
                        case "F" -> new Result.FencedOut(Long.parseLong(f[4]));
                        case "R" -> new Result.Released(Long.parseLong(f[4]));
                        case "N" -> new Result.NotHolder(Long.parseLong(f[4]));
                        default -> throw new IllegalStateException("an answer it cannot have: " + line);
                    };
                    r.complete(new LockResult(result), micros(Long.parseLong(f[2])));
                    count(result, r.token, afterFreeze.remove(seq));
                    return result instanceof Result.LockGranted;
                }
                case "U" -> {
                    open.remove(Long.parseLong(f[1]));
                    afterFreeze.remove(Long.parseLong(f[1]));
                    unknown.incrementAndGet();
                }
                case "L" -> lossesNoticed.incrementAndGet();
                case "X" -> problems.add("lock client " + id + " (process) failed: " + line.substring(2));
                default -> {
                    // the JVM's own output, not a step
                }
            }
            return false;
        }

        private void count(Result result, long token, boolean afterFreezing) {
            if (result instanceof Result.LockGranted) {
                grants.incrementAndGet();
                waitedGrants.incrementAndGet();
            } else if (result instanceof Result.LockQueued) {
                busy.incrementAndGet();
            } else if (result instanceof Result.SessionEnded) {
                sessionsLost.incrementAndGet();
            } else if (result instanceof Result.Written) {
                writesOk.incrementAndGet();
            } else if (result instanceof Result.FencedOut f) {
                writesRefused.incrementAndGet();
                if (afterFreezing && f.currentToken() > token) {
                    takenOver.incrementAndGet();
                }
            } else if (result instanceof Result.Released) {
                released.incrementAndGet();
            } else if (result instanceof Result.NotHolder) {
                notHolder.incrementAndGet();
            }
        }
    }
}
