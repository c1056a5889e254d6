package io.cairn.sim;

import io.cairn.kv.state.Result;
import io.cairn.sim.kv.KvResult;
import io.cairn.sim.kv.LockOp;
import io.cairn.sim.kv.LockResult;
import io.cairn.sim.kv.OpResult;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Checks the lock workload's history ({@link LockClient}) from what clients were told, without
 * the state machine's grant rules: only from the contract that a grant's fencing token is the log
 * index of the entry that granted it, that a fenced write applies only while its token is the
 * lock's grant, and that entries take effect between their invocation and their answer, in log
 * order. The rules, in the order they are checked:
 *
 * <ol>
 *   <li><b>Fencing safety.</b> The acknowledged register writes, in revision order (the order
 *       the register took them), carry non-decreasing tokens: a write of an older grant applied
 *       after a newer grant's write is a stale holder overwriting the new one. Their revisions are
 *       distinct and their versions grow with them (the register is only ever put).</li>
 *   <li><b>Mutual exclusion.</b> An acknowledged write under token T at revision R had T as the
 *       lock's grant when it applied: T &lt; R, and no grant T' with T &lt; T' &lt; R was ever
 *       seen (a grant at index T' ended T's for good), even when the newer holder never wrote;
 *       nor was T released before R by an acknowledged write that released its lock (a
 *       put-and-unlock under T at a revision below R).</li>
 *   <li><b>Lease expiry.</b> A fenced write sent at or after its grant's expiry, as the grant
 *       (or the holder's last extension) told it, must be refused: the leader stamps the entry
 *       with its wall clock and the state machine's clock is the latest stamp it applied, so it
 *       is past the expiry when the write applies, unless the leader's clock lags the clients'.
 *       Hence a margin: only writes sent at least the largest skew between the clients' clock and
 *       any node's after the expiry are judged (the simulator's {@link ClockSkew}, the fault
 *       suite's clock offsets). A write whose client has a Lock of unknown outcome since (which
 *       may have extended the grant) is not judged, nor one under a session's grant, which has no
 *       expiry time (it ends with its session).</li>
 *   <li><b>Token monotonicity.</b> Every answer that names the lock's current grant (a grant, a
 *       busy answer, a release, NotHolder or FencedOut with a current token, a fenced write's own
 *       token) saw it at one moment of log order, where current grants only grow: if answer A
 *       came back before B was sent, token(A) &le; token(B). A token is granted to one owner only,
 *       so grants to different owners in real-time order have strictly growing tokens; nor can
 *       that owner be told its own token is another's (busy) or not the current one (NotHolder,
 *       FencedOut naming the very token it sent).</li>
 *   <li><b>FIFO among waiters</b> (requests through a session, which wait in line). A client's
 *       consecutive requests through one session, up to the first grant or the answer that the
 *       session ended, are one <i>wait</i>, and concern one entry of the lock: a request adds the
 *       entry or reports it as it stands, and the entry leaves only by the client's release (a
 *       later step) or the end of its session, after which the session never queues again. If
 *       an answer showing A's entry in the lock (queued, or granted) came back before B's first
 *       request of its wait was sent, A's entry was in the lock, in log order, before B's was
 *       appended at the end of the line; holders come first and waiters are granted in order,
 *       one at a time (these locks have one permit, entries of weight one, no lock delay), so A
 *       was granted before B: token(A) &lt; token(B). The rule is weakened as far as the history
 *       cannot prove that, and no further:
 *       <ul>
 *         <li>both tokens must be known: the grant answered within the wait, or reported by the
 *             release right after it ({@code Released(t)}: a grant the client left the line
 *             without having learned of). A wait that ended with its session, with a release that
 *             found the entry waiting or gone, or unanswered, is not judged: its entry may have
 *             left before any grant (a session ended unbeknown to its client), and what it does
 *             next is a new wait behind everyone;</li>
 *         <li>B's entry must be new: B's wait starts in a session its client never used before,
 *             or right after an answered release of that session (Released or NotHolder, or a
 *             write releasing its grant, acknowledged) or an answer that the session ended. After a release of unknown outcome the "new" wait may
 *             report the old entry, granted long before A queued;</li>
 *         <li>A's wait need not be new (an older entry was only further ahead), and requests of
 *             unknown outcome within a wait do not matter (they add the entry or report it). A
 *             request given up applies before its client's next step or never: kv-state answers
 *             a sequence older than one it applied as stale;</li>
 *         <li>order comes from real time only: A's answer came back before B's request was
 *             sent. Concurrent ones may be granted either way.</li>
 *       </ul></li>
 *   <li><b>Next in line</b> (the same waits). A waiter told it is first in line (position 1)
 *       behind grant h is granted in the entry that releases h: once an answer {@code Released(h)}
 *       (or an acknowledged write under h that released it) came back, a later request of the same wait is answered granted or that the session ended,
 *       never queued again. Nor is anyone told it is first in line while nobody holds the lock.
 *       This is liveness in log order, at any time, under any fault.</li>
 *   <li><b>Register.</b> The final read of the register (after healing) returns the value of the
 *       acknowledged write with the highest revision, at its version, or the value of a write
 *       whose outcome is unknown; never a refused write's, never an older acknowledged one's.</li>
 * </ol>
 *
 * <p>After a simulated run, once it healed and quiesced, {@link #endOfRun} judges <b>lock
 * liveness</b>: every wait in the history ended (granted, left, or its session ended) after at
 * most {@link LockClient#WAIT_POLLS_MAX} answers that queued it (the withdraw bound), and the lock
 * as the leader holds it, read after every client finished its turn, has no session's holder or
 * waiter left: a waiter still in line then was not granted when the lock came free, a holder left
 * was not released (TTL grants are left to lapse). (That every client finishes its turn within the run's liveness bound is checked
 * while the run quiesces, under the same rule's name.)
 *
 * <p>The rules read a neutral record of each step, {@link Step}: the simulator makes them from
 * its {@link HistoryOp}s ({@link #violation(List)}), the real-process fault suite from what its
 * clients were told ({@link #violation(List, long)}).
 */
public final class LockCheck {
    public static final String FENCING = "Fencing safety";
    public static final String MUTUAL_EXCLUSION = "Mutual exclusion";
    public static final String EXPIRY = "Lease expiry";
    public static final String TOKENS = "Token monotonicity";
    public static final String REGISTER = "Lock register";
    public static final String FIFO = "FIFO among waiters";
    public static final String NEXT_IN_LINE = "Next in line";
    public static final String LIVENESS = "Lock liveness";

    /** A broken rule and why. */
    public record Violation(String rule, String detail) {}

    /**
     * One step of the lock workload as the rules see it, whoever recorded it.
     *
     * @param client       the client that made it (a final READ's client does not matter)
     * @param seq          the step's place among its client's steps: they are judged in this order
     * @param kind         LOCK (take or extend), UNLOCK (release by token), WRITE (the register,
     *                     under the token believed held), READ (the register, after healing)
     * @param token        the token released (UNLOCK) or believed held (WRITE); 0 otherwise
     * @param value        the value a WRITE stores (unique per write); 0 otherwise
     * @param fenced       whether a WRITE went fenced by {@code token} (false only in negative controls)
     * @param invokeMicros when it was sent, in µs on a clock whose ms are comparable with the
     *                     leader's expiry times (the lease-expiry rule compares them)
     * @param returnMicros when its answer came back, {@link #PENDING} when the outcome is unknown
     * @param result       kv-state's answer as a {@link LockResult} (LOCK, UNLOCK, WRITE), or a
     *                     {@link io.cairn.sim.kv.KvResult.Read} (READ); null when pending
     * @param label        how the step prints in a violation's detail
     * @param session      for a LOCK or UNLOCK through a session, the session (its LOCK waits in
     *                     line; its UNLOCK withdraws the client's entry), and for a releasing WRITE
     *                     the session holding its grant; 0 otherwise. Only steps with a session are
     *                     judged for FIFO and who is next in line
     * @param release      a fenced WRITE that releases its grant {@code token} in its own entry
     */
    public record Step(int client, long seq, LockOp.Kind kind, long token, long value, boolean fenced,
                       long invokeMicros, long returnMicros, OpResult result, String label, long session,
                       boolean release) {
        public static final long PENDING = HistoryOp.PENDING;

        public Step {
            if (kind == null || label == null || (returnMicros == PENDING) != (result == null)) {
                throw new IllegalArgumentException("a step has a kind and a label, and a result unless pending");
            }
            if (release && (kind != LockOp.Kind.WRITE || !fenced)) {
                throw new IllegalArgumentException("only a fenced write releases its lock: " + label);
            }
        }

        /** A step without a session (a TTL lock's, a write, the final read). */
        public Step(int client, long seq, LockOp.Kind kind, long token, long value, boolean fenced,
                    long invokeMicros, long returnMicros, OpResult result, String label) {
            this(client, seq, kind, token, value, fenced, invokeMicros, returnMicros, result, label, 0, false);
        }

        /** The lock step {@code h} (whose op is a {@link LockOp}), as the rules see it. */
        static Step of(HistoryOp h) {
            LockOp op = (LockOp) h.op();
            long session = op.kind() == LockOp.Kind.LOCK || op.kind() == LockOp.Kind.UNLOCK || op.release()
                    ? op.sessionId() : 0;
            return new Step(h.client(), h.seq(), op.kind(), op.token(), op.value(), op.fenced(), h.invokeMicros(),
                    h.returnMicros(), h.result(), op.toString(), session, op.release());
        }

        /** An acknowledged write that released its grant in its own entry. */
        boolean releasedByWrite() {
            return release && answer() instanceof Result.Written;
        }

        /** kv-state's answer, or null when pending or not a lock step's. */
        Result answer() {
            return result instanceof LockResult r ? r.result() : null;
        }

        public boolean isPending() {
            return returnMicros == PENDING;
        }

        /** As {@link HistoryOp#toString()} prints it. */
        @Override
        public String toString() {
            return "c" + client + "#" + seq + " " + label + " [" + invokeMicros + ", "
                    + (isPending() ? "pending" : returnMicros + "] -> " + result);
        }
    }

    /** An answer that named the lock's current grant, {@code token}, at some moment of the operation. */
    private record Observation(long token, boolean grant, Step op) {}

    /** An acknowledged register write. */
    private record Write(Step op, long token, long revision, long version) {}

    private static final int CONTEXT = 4;

    private LockCheck() {}

    /**
     * What a simulated run knows of the lock once it healed and every lock client finished its
     * turn, besides the history, for {@link #endOfRun}.
     *
     * @param healMicros     when the faults stopped
     * @param waitAnswersMax how many answers may queue one wait before its client leaves the line
     * @param entriesLeft    the lock's holders and waiters as the leader holds them at the end
     */
    record End(long healMicros, int waitAnswersMax, List<io.cairn.kv.state.LockState.Entry> entriesLeft) {}

    /** How much the rules found to judge, for a run's coverage. */
    static final class Tally {
        /** Waits whose grant was compared with the grant of an earlier waiter. */
        long fifoJudged;
        /** Requests of a waiter that was next in line, sent after its holder's release was answered. */
        long nextInLineJudged;
        /** Waits in line that ended (granted, left, or with their session) after healing. */
        long waitsEndedAfterHealing;
    }

    /**
     * Throws {@link InvariantFailure} on the first rule the history breaks, then on lock liveness
     * at the end of the run; adds what was judged to {@code coverage}.
     */
    static void check(List<HistoryOp> history, long nowMicros, long expiryMarginMicros, End end, Coverage coverage) {
        List<Step> steps = stepsOf(history);
        Tally tally = new Tally();
        Violation v = violation(steps, expiryMarginMicros, tally);
        if (v == null && end != null) {
            v = endOfRun(steps, end, tally);
        }
        if (v != null) {
            throw new InvariantFailure(v.rule(), nowMicros, v.detail());
        }
        add(coverage, Coverage.Item.FIFO_JUDGED, tally.fifoJudged);
        add(coverage, Coverage.Item.NEXT_IN_LINE_JUDGED, tally.nextInLineJudged);
        add(coverage, Coverage.Item.WAITS_ENDED_AFTER_HEALING, tally.waitsEndedAfterHealing);
    }

    private static void add(Coverage coverage, Coverage.Item item, long n) {
        for (long i = 0; i < n; i++) {
            coverage.add(item);
        }
    }

    /** The first rule the lock steps of {@code history} break, or null. */
    static Violation violation(List<HistoryOp> history) {
        return violation(stepsOf(history), 0);
    }

    private static List<Step> stepsOf(List<HistoryOp> history) {
        List<Step> steps = new ArrayList<>();
        for (HistoryOp h : history) {
            if (h.op() instanceof LockOp) {
                steps.add(Step.of(h));
            }
        }
        return steps;
    }

    /**
     * The first rule {@code history} breaks, or null. The lease-expiry rule judges only writes
     * sent at least {@code expiryMarginMicros} after their grant's expiry: the largest offset
     * between the clients' clock and any leader's (0 where they share one clock).
     */
    public static Violation violation(List<Step> history, long expiryMarginMicros) {
        return violation(history, expiryMarginMicros, new Tally());
    }

    private static Violation violation(List<Step> history, long expiryMarginMicros, Tally tally) {
        if (expiryMarginMicros < 0) {
            throw new IllegalArgumentException("the expiry margin is not negative: " + expiryMarginMicros);
        }
        List<Write> written = new ArrayList<>();
        List<Observation> observations = new ArrayList<>();
        TreeMap<Long, Step> writesByValue = new TreeMap<>();
        List<Step> finalReads = new ArrayList<>();
        for (Step h : history) {
            if (h.kind() == LockOp.Kind.READ) {
                if (!h.isPending()) {
                    finalReads.add(h);
                }
                continue;
            }
            if (h.kind() == LockOp.Kind.WRITE) {
                writesByValue.put(h.value(), h);
            }
            if (h.isPending()) {
                continue;
            }
            Result r = ((LockResult) h.result()).result();
            if (r instanceof Result.LockGranted g) {
                observations.add(new Observation(g.token(), true, h));
            } else if (r instanceof Result.LockBusy b && b.token() > 0) {
                observations.add(new Observation(b.token(), false, h));
            } else if (r instanceof Result.LockQueued q && q.holderToken() > 0) {
                observations.add(new Observation(q.holderToken(), false, h));
            } else if (r instanceof Result.Released released && released.token() > 0) {
                observations.add(new Observation(released.token(), false, h));
            } else if (r instanceof Result.NotHolder n && n.currentToken() > 0) {
                observations.add(new Observation(n.currentToken(), false, h));
            } else if (r instanceof Result.FencedOut f && f.currentToken() > 0) {
                observations.add(new Observation(f.currentToken(), false, h));
            } else if (r instanceof Result.Written w) {
                written.add(new Write(h, h.token(), w.revision(), w.version()));
                if (h.fenced()) {
                    observations.add(new Observation(h.token(), false, h));
                }
            }
        }
        written.sort(Comparator.comparingLong(Write::revision));
        Violation v = fencing(written);
        if (v == null) {
            v = mutualExclusion(written, observations);
        }
        if (v == null) {
            v = writesAfterRelease(written);
        }
        if (v == null) {
            v = expiry(history, expiryMarginMicros);
        }
        if (v == null) {
            v = tokens(observations);
        }
        if (v == null) {
            v = contradictions(history, observations);
        }
        List<Wait> waits = v == null ? waits(history) : List.of();
        if (v == null) {
            v = fifo(waits, tally);
        }
        if (v == null) {
            v = nextInLine(history, waits, tally);
        }
        if (v == null) {
            v = register(finalReads, written, writesByValue);
        }
        return v;
    }

    /**
     * One wait: a client's consecutive requests for the lock through one session, up to the first
     * grant or the answer that the session ended. They concern one entry of the lock.
     */
    private static final class Wait {
        final int client;
        final long session;
        final List<Step> asks = new ArrayList<>();
        /** The entry cannot be older than the first request (see the FIFO rule). */
        final boolean fresh;
        /** The entry's grant, if some answer told it; 0 otherwise. */
        long token;
        /** The answer that told the grant. */
        Step grantedBy;
        /** When the first answer showing the entry in the lock (queued or granted) came back. */
        long shownAtMicros = Step.PENDING;
        Step shownBy;
        /** How it ended: granted, left the line (the release's answer), or with its session; null: not known to. */
        Step endedBy;
        /** The client's step after the wait's last request, or null: the client did nothing more. */
        Step next;

        Wait(int client, long session, boolean fresh) {
            this.client = client;
            this.session = session;
            this.fresh = fresh;
        }

        Step first() {
            return asks.get(0);
        }

        void shown(Step by) {
            if (by.returnMicros() < shownAtMicros) {
                shownAtMicros = by.returnMicros();
                shownBy = by;
            }
        }

        int queuedAnswers() {
            int n = 0;
            for (Step s : asks) {
                n += s.answer() instanceof Result.LockQueued ? 1 : 0;
            }
            return n;
        }
    }

    /** Every client's waits, client by client, each client's in its order. */
    private static List<Wait> waits(List<Step> history) {
        TreeMap<Integer, List<Step>> byClient = new TreeMap<>();
        for (Step h : history) {
            if (h.kind() != LockOp.Kind.READ) {
                byClient.computeIfAbsent(h.client(), c -> new ArrayList<>()).add(h);
            }
        }
        List<Wait> waits = new ArrayList<>();
        for (List<Step> ops : byClient.values()) {
            ops.sort(Comparator.comparingLong(Step::seq));
            TreeSet<Long> sessionsUsed = new TreeSet<>();
            Wait open = null;
            Step before = null;
            for (Step h : ops) {
                Result r = h.answer();
                if (h.kind() == LockOp.Kind.LOCK && h.session() != 0) {
                    if (open == null || open.session != h.session()) {
                        if (open != null) {
                            open.next = h;
                        }
                        open = new Wait(h.client(), h.session(), fresh(h.session(), before, sessionsUsed));
                        waits.add(open);
                    }
                    open.asks.add(h);
                    if (r instanceof Result.LockQueued) {
                        open.shown(h);
                    } else if (r instanceof Result.LockGranted g) {
                        open.shown(h);
                        open.token = g.token();
                        open.grantedBy = h;
                        open.endedBy = h;
                        open = null;
                    } else if (r instanceof Result.SessionEnded) {
                        open.endedBy = h;
                        open = null;
                    }
                } else if (open != null) {
                    // The step after a wait ends it: a release of the session withdraws the entry
                    // (and tells its grant, if it had one the client had not learned of).
                    open.next = h;
                    if (h.kind() == LockOp.Kind.UNLOCK && h.session() == open.session && r != null) {
                        open.endedBy = h;
                        if (r instanceof Result.Released released && released.token() > 0) {
                            open.shown(h);
                            open.token = released.token();
                            open.grantedBy = h;
                        }
                    }
                    open = null;
                }
                if (h.session() != 0) {
                    sessionsUsed.add(h.session());
                }
                before = h;
            }
        }
        return waits;
    }

    /**
     * Whether a wait in {@code session} that starts after {@code before} has a new entry: the
     * client never used the session, or its step just before let go of any entry of it for sure.
     */
    private static boolean fresh(long session, Step before, TreeSet<Long> sessionsUsed) {
        if (!sessionsUsed.contains(session)) {
            return true;
        }
        if (before == null || before.session() != session) {
            return false;
        }
        Result r = before.answer();
        return before.kind() == LockOp.Kind.UNLOCK && (r instanceof Result.Released || r instanceof Result.NotHolder)
                || before.kind() == LockOp.Kind.LOCK && r instanceof Result.SessionEnded
                || before.releasedByWrite();
    }

    private static Violation fifo(List<Wait> waits, Tally tally) {
        for (Wait b : waits) {
            if (!b.fresh || b.token == 0) {
                continue;
            }
            long firstAsked = b.first().invokeMicros();
            Wait before = null;
            for (Wait a : waits) {
                if (a.client == b.client || a.token == 0 || a.shownAtMicros >= firstAsked) {
                    continue;
                }
                if (before == null || a.token > before.token) {
                    before = a;
                }
            }
            if (before == null) {
                continue;
            }
            tally.fifoJudged++;
            if (before.token > b.token) {
                return new Violation(FIFO, "c" + before.client + " was in line before c" + b.client
                        + " first asked, and neither gave up, yet c" + b.client + " was granted t" + b.token
                        + " before c" + before.client + "'s t" + before.token + ": c" + before.client + "'s entry shown by "
                        + before.shownBy + ", granted as " + before.grantedBy + "; c" + b.client + " first asked in "
                        + b.first() + ", granted as " + b.grantedBy);
            }
        }
        return null;
    }

    private static Violation nextInLine(List<Step> history, List<Wait> waits, Tally tally) {
        TreeMap<Long, Step> releasedFirst = new TreeMap<>();
        for (Step h : history) {
            long released = h.answer() instanceof Result.Released r ? r.token() : h.releasedByWrite() ? h.token() : 0;
            if (released > 0) {
                Step earlier = releasedFirst.get(released);
                if (earlier == null || h.returnMicros() < earlier.returnMicros()) {
                    releasedFirst.put(released, h);
                }
            }
        }
        for (Wait w : waits) {
            for (int i = 0; i < w.asks.size(); i++) {
                Step q = w.asks.get(i);
                if (!(q.answer() instanceof Result.LockQueued queued) || queued.position() != 1) {
                    continue;
                }
                if (queued.holderToken() == 0) {
                    return new Violation(NEXT_IN_LINE, "c" + q.client() + " was told it is first in line while"
                            + " nobody holds the lock: " + q);
                }
                Step release = releasedFirst.get(queued.holderToken());
                if (release == null) {
                    continue;
                }
                for (int j = i + 1; j < w.asks.size(); j++) {
                    Step later = w.asks.get(j);
                    if (later.invokeMicros() <= release.returnMicros() || later.isPending()) {
                        continue;
                    }
                    tally.nextInLineJudged++;
                    if (later.answer() instanceof Result.LockQueued) {
                        return new Violation(NEXT_IN_LINE, "c" + q.client() + " was first in line behind t"
                                + queued.holderToken() + " (" + q + "), t" + queued.holderToken() + " was released ("
                                + release + "), and yet c" + q.client() + " was still queued afterwards: " + later);
                    }
                    break;
                }
            }
        }
        return null;
    }

    /**
     * Lock liveness at the end of a simulated run: every wait ended after at most
     * {@code waitAnswersMax} answers that queued it, and nothing is left in the lock once every
     * client finished its turn.
     */
    static Violation endOfRun(List<Step> history, End end, Tally tally) {
        for (Wait w : waits(history)) {
            int queued = w.queuedAnswers();
            if (queued == 0) {
                continue;
            }
            if (queued > end.waitAnswersMax()) {
                return new Violation(LIVENESS, "c" + w.client + " stayed in line for " + queued + " answers, beyond the "
                        + end.waitAnswersMax() + " after which a waiter leaves: from " + w.first() + " to "
                        + w.asks.get(w.asks.size() - 1));
            }
            if (w.endedBy == null && w.next == null) {
                return new Violation(LIVENESS, "c" + w.client + " was still in line at the end of the run, neither"
                        + " granted nor gone: its last request " + w.asks.get(w.asks.size() - 1));
            }
            if (w.endedBy != null && w.endedBy.returnMicros() >= end.healMicros()) {
                tally.waitsEndedAfterHealing++;
            }
        }
        // A TTL grant lapses on its own (one an extension of unknown outcome took may outlive its
        // client's turn by up to its TTL); a session's entry stays until released or its session ends.
        List<io.cairn.kv.state.LockState.Entry> left = end.entriesLeft().stream().filter(e -> e.sessionId() != 0).toList();
        if (left.isEmpty()) {
            return null;
        }
        StringBuilder entries = new StringBuilder();
        boolean held = false;
        for (io.cairn.kv.state.LockState.Entry e : left) {
            held |= e.token() != 0;
            entries.append(entries.length() == 0 ? "" : ", ").append("c")
                    .append(io.cairn.sim.kv.KvOp.decodeValue(e.owner())).append(" s")
                    .append(Long.toHexString(e.sessionId())).append(e.token() == 0 ? " waiting" : " holding t" + e.token());
        }
        return new Violation(LIVENESS, (held ? "the lock is still held" : "a waiter was not granted when the lock came free")
                + " after every client finished its turn (released what it held, or left the line): " + entries);
    }

    private static Violation fencing(List<Write> written) {
        for (int i = 1; i < written.size(); i++) {
            Write prev = written.get(i - 1);
            Write w = written.get(i);
            if (w.revision() == prev.revision() || w.version() <= prev.version()) {
                return new Violation(FENCING, "the register's acknowledged writes do not follow each other: "
                        + prev.op() + " then " + w.op() + "; writes by revision: " + around(written, i));
            }
            if (w.token() < prev.token()) {
                int first = i - 1;
                while (first > 0 && written.get(first - 1).token() > w.token()) {
                    first--;
                }
                Write newer = written.get(first);
                return new Violation(FENCING, "c" + w.op().client() + " wrote the register under token "
                        + w.token() + " at revision " + w.revision() + ", after c" + newer.op().client()
                        + " had written it under the newer token " + newer.token() + " at revision "
                        + newer.revision() + ": a stale holder's write landed after a newer holder's ("
                        + w.op() + " after " + newer.op() + "); writes by revision: " + around(written, i));
            }
        }
        return null;
    }

    private static Violation mutualExclusion(List<Write> written, List<Observation> observations) {
        TreeMap<Long, Observation> byToken = new TreeMap<>();
        for (Observation o : observations) {
            byToken.putIfAbsent(o.token(), o);
        }
        for (Write w : written) {
            if (w.token() >= w.revision()) {
                return new Violation(MUTUAL_EXCLUSION, "a write under token " + w.token() + " applied at revision "
                        + w.revision() + ", not after the grant's own log index: " + w.op());
            }
            Map.Entry<Long, Observation> newer = byToken.higherEntry(w.token());
            if (newer != null && newer.getKey() < w.revision()) {
                return new Violation(MUTUAL_EXCLUSION, "c" + w.op().client() + " wrote the register under token "
                        + w.token() + " at revision " + w.revision() + ", but grant " + newer.getKey()
                        + " (log index " + newer.getKey() + ", between the two) had ended that grant: "
                        + w.op() + "; the newer grant seen by " + newer.getValue().op());
            }
        }
        return null;
    }

    /** A write under token T applied after an acknowledged write under T had released T's grant. */
    private static Violation writesAfterRelease(List<Write> written) {
        TreeMap<Long, Write> releasedBy = new TreeMap<>();
        for (Write w : written) {
            if (w.op().release()) {
                releasedBy.merge(w.token(), w, (a, b) -> a.revision() <= b.revision() ? a : b);
            }
        }
        for (Write w : written) {
            Write release = releasedBy.get(w.token());
            if (release != null && w.revision() > release.revision()) {
                return new Violation(MUTUAL_EXCLUSION, "c" + w.op().client() + " wrote the register under token "
                        + w.token() + " at revision " + w.revision() + ", after " + release.op()
                        + " had released that grant at revision " + release.revision() + ": " + w.op());
            }
        }
        return null;
    }

    private static Violation expiry(List<Step> history, long marginMicros) {
        TreeMap<Integer, List<Step>> byClient = new TreeMap<>();
        for (Step h : history) {
            byClient.computeIfAbsent(h.client(), c -> new ArrayList<>()).add(h);
        }
        for (List<Step> ops : byClient.values()) {
            ops.sort(Comparator.comparingLong(Step::seq));
            long token = 0;
            long expiresAtMillis = 0;
            boolean unknownLock = false;
            for (Step h : ops) {
                if (h.kind() == LockOp.Kind.LOCK) {
                    if (h.isPending()) {
                        unknownLock = true;
                    } else if (((LockResult) h.result()).result() instanceof Result.LockGranted g) {
                        // A later answered Lock makes any earlier one of this client stale for good.
                        unknownLock = false;
                        // A session's grant (expiry 0) lasts until its session ends: no time to judge by.
                        long grantExpiry = g.expiresAtMillis() == 0 ? Long.MAX_VALUE / 2_000 : g.expiresAtMillis();
                        expiresAtMillis = g.token() == token ? Math.max(expiresAtMillis, grantExpiry) : grantExpiry;
                        token = g.token();
                    } else {
                        unknownLock = false;
                    }
                    continue;
                }
                if (h.kind() != LockOp.Kind.WRITE || !h.fenced() || h.isPending() || unknownLock
                        || h.token() != token || h.invokeMicros() - expiresAtMillis * 1_000 < marginMicros) {
                    continue;
                }
                if (((LockResult) h.result()).result() instanceof Result.Written) {
                    return new Violation(EXPIRY, "c" + h.client() + "'s write under token " + token
                            + " was sent at " + InvariantFailure.formatTime(h.invokeMicros()) + ", at or after its"
                            + " grant expired (" + expiresAtMillis + " ms leader time"
                            + (marginMicros == 0 ? "" : ", judged with a margin of " + marginMicros / 1_000 + " ms")
                            + "), and was applied: " + h);
                }
            }
        }
        return null;
    }

    /** An owner told that its own token is held by another, or that the token it sent is not current. */
    private static Violation contradictions(List<Step> history, List<Observation> observations) {
        TreeMap<Long, Integer> ownerOfToken = new TreeMap<>();
        for (Observation o : observations) {
            if (o.grant()) {
                ownerOfToken.put(o.token(), o.op().client());
            }
        }
        for (Step h : history) {
            if (h.isPending() || h.kind() == LockOp.Kind.READ) {
                continue;
            }
            Result r = ((LockResult) h.result()).result();
            if (r instanceof Result.LockBusy b && ownerOfToken.getOrDefault(b.token(), -1) == h.client()) {
                return new Violation(TOKENS, "c" + h.client() + " was told its own grant " + b.token()
                        + " is another owner's: " + h);
            }
            long current = r instanceof Result.NotHolder n ? n.currentToken()
                    : r instanceof Result.FencedOut f ? f.currentToken() : -1;
            if (h.token() > 0 && current == h.token()) {
                return new Violation(TOKENS, "c" + h.client() + " was refused token " + h.token()
                        + " by an answer naming it the current grant: " + h);
            }
        }
        return null;
    }

    private static Violation tokens(List<Observation> observations) {
        TreeMap<Long, Observation> grantOfToken = new TreeMap<>();
        for (Observation o : observations) {
            if (!o.grant()) {
                continue;
            }
            Observation earlier = grantOfToken.putIfAbsent(o.token(), o);
            if (earlier != null && earlier.op().client() != o.op().client()) {
                return new Violation(TOKENS, "token " + o.token() + " was granted to two owners: "
                        + earlier.op() + " and " + o.op());
            }
        }
        List<Observation> byReturn = new ArrayList<>(observations);
        byReturn.sort(Comparator.comparingLong((Observation o) -> o.op().returnMicros()));
        int n = byReturn.size();
        long[] returns = new long[n];
        int[] maxUpTo = new int[n];
        for (int i = 0; i < n; i++) {
            returns[i] = byReturn.get(i).op().returnMicros();
            maxUpTo[i] = i > 0 && byReturn.get(maxUpTo[i - 1]).token() >= byReturn.get(i).token() ? maxUpTo[i - 1] : i;
        }
        for (Observation b : observations) {
            int before = countBelow(returns, b.op().invokeMicros());
            if (before == 0) {
                continue;
            }
            Observation a = byReturn.get(maxUpTo[before - 1]);
            if (a.token() > b.token()) {
                return new Violation(TOKENS, "the lock's grant went back from token " + a.token() + " to "
                        + b.token() + ": " + a.op() + " was answered before " + b.op() + " was sent");
            }
        }
        return null;
    }

    private static Violation register(List<Step> finalReads, List<Write> written,
                                      TreeMap<Long, Step> writesByValue) {
        long unknown = writesByValue.values().stream().filter(Step::isPending).count();
        Write last = written.isEmpty() ? null : written.get(written.size() - 1);
        for (Step read : finalReads) {
            KvResult.Read seen = (KvResult.Read) read.result();
            if (seen.value() == null) {
                if (last != null) {
                    return new Violation(REGISTER, "the register is absent at the end, but " + written.size()
                            + " writes were acknowledged, the last " + last.op());
                }
                continue;
            }
            if (seen.version() < written.size() || seen.version() > written.size() + unknown) {
                return new Violation(REGISTER, "the register is at version " + seen.version() + " at the end, but "
                        + written.size() + " writes were acknowledged and " + unknown + " have unknown outcomes");
            }
            Step source = writesByValue.get(seen.value());
            if (source == null) {
                return new Violation(REGISTER, read + " returned a value no client wrote");
            }
            if (source.isPending()) {
                continue;
            }
            Result r = ((LockResult) source.result()).result();
            if (!(r instanceof Result.Written w)) {
                return new Violation(REGISTER, read + " returned the value of a refused write: " + source);
            }
            if (w.revision() != last.revision() || seen.version() != last.version()) {
                return new Violation(REGISTER, read + " returned the value of " + source + ", but the last"
                        + " acknowledged write was " + last.op());
            }
        }
        return null;
    }

    /** How many of the sorted {@code values} are below {@code bound}. */
    private static int countBelow(long[] values, long bound) {
        int lo = 0;
        int hi = values.length;
        while (lo < hi) {
            int mid = (lo + hi) >>> 1;
            if (values[mid] < bound) {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        return lo;
    }

    private static String around(List<Write> written, int index) {
        StringBuilder sb = new StringBuilder();
        for (int i = Math.max(0, index - CONTEXT); i <= Math.min(written.size() - 1, index + 1); i++) {
            Write w = written.get(i);
            sb.append(sb.length() == 0 ? "" : ", ").append("r").append(w.revision()).append(" c")
                    .append(w.op().client()).append(" t").append(w.token()).append(i == index ? " <-" : "");
        }
        return sb.toString();
    }
}
