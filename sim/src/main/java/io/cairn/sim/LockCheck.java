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
 *       seen (a grant at index T' ended T's for good), even when the newer holder never wrote.</li>
 *   <li><b>Lease expiry.</b> A fenced write sent at or after its grant's expiry, as the grant
 *       (or the holder's last extension) told it, must be refused: the leader stamps the entry
 *       with its time, which in the simulator is the virtual time, without skew, so the state
 *       machine's clock is past the expiry when it applies. A write whose client has a Lock of
 *       unknown outcome since (which may have extended the grant) is not judged, nor one under a
 *       session's grant, which has no expiry time (it ends with its session).</li>
 *   <li><b>Token monotonicity.</b> Every answer that names the lock's current grant (a grant, a
 *       busy answer, a release, NotHolder or FencedOut with a current token, a fenced write's own
 *       token) saw it at one moment of log order, where current grants only grow: if answer A
 *       came back before B was sent, token(A) &le; token(B). A token is granted to one owner only,
 *       so grants to different owners in real-time order have strictly growing tokens; nor can
 *       that owner be told its own token is another's (busy) or not the current one (NotHolder,
 *       FencedOut naming the very token it sent).</li>
 *   <li><b>Register.</b> The final read of the register (after healing) returns the value of the
 *       acknowledged write with the highest revision, at its version, or the value of a write
 *       whose outcome is unknown; never a refused write's, never an older acknowledged one's.</li>
 * </ol>
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
     */
    public record Step(int client, long seq, LockOp.Kind kind, long token, long value, boolean fenced,
                       long invokeMicros, long returnMicros, OpResult result, String label) {
        public static final long PENDING = HistoryOp.PENDING;

        public Step {
            if (kind == null || label == null || (returnMicros == PENDING) != (result == null)) {
                throw new IllegalArgumentException("a step has a kind and a label, and a result unless pending");
            }
        }

        /** The lock step {@code h} (whose op is a {@link LockOp}), as the rules see it. */
        static Step of(HistoryOp h) {
            LockOp op = (LockOp) h.op();
            return new Step(h.client(), h.seq(), op.kind(), op.token(), op.value(), op.fenced(), h.invokeMicros(),
                    h.returnMicros(), h.result(), op.toString());
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

    /** Throws {@link InvariantFailure} on the first rule the history breaks. */
    static void check(List<HistoryOp> history, long nowMicros) {
        Violation v = violation(history);
        if (v != null) {
            throw new InvariantFailure(v.rule(), nowMicros, v.detail());
        }
    }

    /** The first rule the lock steps of {@code history} break, or null. */
    static Violation violation(List<HistoryOp> history) {
        List<Step> steps = new ArrayList<>();
        for (HistoryOp h : history) {
            if (h.op() instanceof LockOp) {
                steps.add(Step.of(h));
            }
        }
        return violation(steps, 0);
    }

    /**
     * The first rule {@code history} breaks, or null. The lease-expiry rule judges only writes
     * sent at least {@code expiryMarginMicros} after their grant's expiry: 0 where the clients'
     * clock is the leaders' (the simulator), more than the largest offset between the clients'
     * clock and any leader's where they differ (real processes with shifted clocks).
     */
    public static Violation violation(List<Step> history, long expiryMarginMicros) {
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
            v = expiry(history, expiryMarginMicros);
        }
        if (v == null) {
            v = tokens(observations);
        }
        if (v == null) {
            v = contradictions(history, observations);
        }
        if (v == null) {
            v = register(finalReads, written, writesByValue);
        }
        return v;
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
