package io.cairn.sim;

import static org.assertj.core.api.Assertions.assertThat;

import io.cairn.kv.state.Result;
import io.cairn.sim.kv.KvResult;
import io.cairn.sim.kv.LockOp;
import io.cairn.sim.kv.LockResult;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The lock checker on hand-written histories: each rule passes a legal one and catches its violation. */
class LockCheckTest {
    private static final String L = LockClient.LOCK;
    private static final String REG = LockClient.REGISTER;
    private static final long TTL = 300;

    private final List<HistoryOp> history = new ArrayList<>();
    private final long[] seqs = new long[8];

    private HistoryOp op(int client, LockOp op, long invokeMicros, long returnMicros, Result result) {
        HistoryOp h = new HistoryOp(client, ++seqs[client], op, invokeMicros, returnMicros,
                result == null ? null : new LockResult(result));
        history.add(h);
        return h;
    }

    private void lock(int client, long invoke, long ret, Result result) {
        op(client, LockOp.lock(L, REG, client, TTL), invoke, ret, result);
    }

    private long write(int client, long token, int n, boolean fenced, long invoke, long ret, Result result) {
        long value = LockOp.registerValue(client, token, n);
        op(client, LockOp.write(L, REG, token, value, fenced), invoke, ret, result);
        return value;
    }

    private void pendingWrite(int client, long token, int n, long invoke) {
        long value = LockOp.registerValue(client, token, n);
        history.add(new HistoryOp(client, ++seqs[client], LockOp.write(L, REG, token, value, true), invoke,
                HistoryOp.PENDING, null));
    }

    private void finalRead(Long value, long version) {
        history.add(new HistoryOp(7, 1, LockOp.read(L, REG), 50_000_000, 50_001_000,
                value == null ? KvResult.Read.ABSENT : new KvResult.Read(value, version)));
    }

    private String rule() {
        LockCheck.Violation v = LockCheck.violation(history);
        return v == null ? null : v.rule();
    }

    /** Client {@code client}'s session of generation {@code generation}, as {@link LockClient} numbers them. */
    private static long session(int client, int generation) {
        return ((long) client << 32) | generation;
    }

    /** A request for the lock through a session: it waits in line, and asking again reports where it stands. */
    private void ask(int client, int generation, long invoke, long ret, Result result) {
        op(client, LockOp.sessionLock(L, REG, client, session(client, generation), TTL), invoke, ret, result);
    }

    /** A session's release: withdraws the client's entry, held ({@code token}) or waiting (0). */
    private void leave(int client, int generation, long token, long invoke, long ret, Result result) {
        op(client, LockOp.sessionUnlock(L, REG, client, session(client, generation), token), invoke, ret, result);
    }

    private static Result queued(int position, long holder) {
        return new Result.LockQueued(position, holder);
    }

    private static Result granted(long token) {
        return new Result.LockGranted(token, 0);
    }

    /**
     * c3 holds t5. c1 is told it waits, first in line, at 10 ms; c2 first asks at 20 ms, second in
     * line. c3 releases; then {@code firstGranted} is granted t8 and releases it, and the other t12.
     */
    private void twoWaitersBehindAHolder(int firstGranted) {
        int other = firstGranted == 1 ? 2 : 1;
        ask(3, 1, 0, 5_000, granted(5));
        ask(1, 1, 6_000, 10_000, queued(1, 5));
        ask(2, 1, 20_000, 30_000, queued(2, 5));
        leave(3, 1, 5, 35_000, 38_000, new Result.Released(5));
        ask(firstGranted, 1, 40_000, 45_000, granted(8));
        leave(firstGranted, 1, 8, 46_000, 48_000, new Result.Released(8));
        ask(other, 1, 50_000, 55_000, granted(12));
    }

    @Test
    void aWaiterInLineBeforeAnotherFirstAskedIsGrantedFirst() {
        twoWaitersBehindAHolder(1);

        assertThat(LockCheck.violation(history)).isNull();
    }

    /** The negative control of the FIFO rule: the state machine cannot be made to break it, the history can. */
    @Test
    void aLaterWaiterGrantedFirstBreaksFifo() {
        twoWaitersBehindAHolder(2);

        LockCheck.Violation v = LockCheck.violation(history);
        assertThat(v.rule()).isEqualTo(LockCheck.FIFO);
        assertThat(v.detail()).startsWith("c1 was in line before c2 first asked, and neither gave up, yet c2 was"
                + " granted t8 before c1's t12");
    }

    @Test
    void waitersWhoseRequestsOverlapMayBeGrantedInEitherOrder() {
        ask(3, 1, 0, 5_000, granted(5));
        ask(1, 1, 6_000, 25_000, queued(2, 5)); // answered after c2 first asked: no order between them
        ask(2, 1, 20_000, 22_000, queued(1, 5));
        leave(3, 1, 5, 35_000, 38_000, new Result.Released(5));
        ask(2, 1, 40_000, 50_000, granted(8));
        leave(2, 1, 8, 55_000, 58_000, new Result.Released(8));
        ask(1, 1, 60_000, 70_000, granted(12));

        assertThat(LockCheck.violation(history)).isNull();
    }

    /**
     * c1's session ends while it waits (unbeknown to it: its keep-alives were lost), its entry
     * leaves the line and c2, behind it, is granted; c1 learns it on its next request and queues
     * again with a new session. Its later grant says nothing of its place in the first line.
     */
    @Test
    void aWaiterWhoseSessionEndedLostItsPlace() {
        ask(1, 1, 0, 10_000, queued(1, 5));
        ask(2, 1, 20_000, 30_000, queued(2, 5));
        ask(2, 1, 40_000, 50_000, granted(8));
        ask(1, 1, 60_000, 65_000, new Result.SessionEnded(session(1, 1)));
        ask(1, 2, 70_000, 75_000, queued(1, 8));
        leave(2, 1, 8, 80_000, 85_000, new Result.Released(8));
        ask(1, 2, 90_000, 95_000, granted(12));

        assertThat(LockCheck.violation(history)).isNull();
    }

    /**
     * c1 leaves the line; its release's answer says it had been granted t7 meanwhile. That grant
     * counts: c2, who first asked after c1 was in line, must come after it.
     */
    @Test
    void aGrantLearnedOnlyWhenLeavingTheLineIsJudged() {
        ask(1, 1, 0, 10_000, queued(1, 5));
        ask(2, 1, 20_000, 30_000, queued(2, 5));
        leave(1, 1, 0, 40_000, 45_000, new Result.Released(7));
        ask(2, 1, 50_000, 55_000, granted(9));
        assertThat(LockCheck.violation(history)).isNull();

        history.clear();
        java.util.Arrays.fill(seqs, 0);
        ask(1, 1, 0, 10_000, queued(1, 5));
        ask(2, 1, 20_000, 30_000, queued(2, 5));
        ask(2, 1, 32_000, 35_000, granted(9));
        leave(1, 1, 0, 40_000, 45_000, new Result.Released(11));
        assertThat(rule()).isEqualTo(LockCheck.FIFO);
    }

    /**
     * c2's release of t3 has an unknown outcome (given up during a fault) and had not applied:
     * the request it sends next finds its old grant, from before c1 queued behind it. Its wait
     * is not new, so it is not judged against c1's, whose token is larger.
     */
    @Test
    void aWaitAfterAReleaseOfUnknownOutcomeMayReportAnOldGrant() {
        ask(2, 1, 0, 2_000, granted(3));
        op(2, LockOp.sessionUnlock(L, REG, 2, session(2, 1), 3), 5_000, HistoryOp.PENDING, null);
        ask(1, 1, 10_000, 12_000, queued(1, 3));
        ask(2, 1, 20_000, 25_000, granted(3));
        leave(2, 1, 3, 30_000, 35_000, new Result.Released(3));
        ask(1, 1, 40_000, 45_000, granted(9));

        assertThat(LockCheck.violation(history)).isNull();
    }

    @Test
    void theWaiterNextInLineIsGrantedWhenItsHolderReleases() {
        ask(3, 1, 0, 5_000, granted(5));
        ask(1, 1, 6_000, 10_000, queued(1, 5));
        leave(3, 1, 5, 20_000, 25_000, new Result.Released(5));
        ask(1, 1, 30_000, 35_000, queued(1, 5));

        assertThat(rule()).isEqualTo(LockCheck.NEXT_IN_LINE);
    }

    @Test
    void theWaiterNextInLineMayHaveLostItsSessionOrAskedBeforeTheReleaseWasAnswered() {
        ask(3, 1, 0, 5_000, granted(5));
        ask(1, 1, 6_000, 10_000, queued(1, 5));
        ask(1, 1, 15_000, 26_000, queued(1, 5)); // sent before the release's answer came back
        leave(3, 1, 5, 20_000, 25_000, new Result.Released(5));
        ask(1, 1, 30_000, 35_000, new Result.SessionEnded(session(1, 1)));

        assertThat(LockCheck.violation(history)).isNull();
    }

    /** A session's fenced write of the register under {@code token} that releases the grant in its entry. */
    private void writeAndRelease(int client, int generation, long token, int n, long invoke, long ret, Result result) {
        op(client, LockOp.writeAndRelease(L, REG, session(client, generation), token,
                LockOp.registerValue(client, token, n)), invoke, ret, result);
    }

    /** An acknowledged write that released its grant is a release: the next in line must be granted after it. */
    @Test
    void theWaiterNextInLineIsGrantedWhenItsHoldersWriteReleasesTheLock() {
        ask(3, 1, 0, 5_000, granted(5));
        ask(1, 1, 6_000, 10_000, queued(1, 5));
        writeAndRelease(3, 1, 5, 1, 20_000, 25_000, new Result.Written(7, 1));
        ask(1, 1, 30_000, 35_000, granted(7));
        assertThat(LockCheck.violation(history)).isNull();

        history.clear();
        java.util.Arrays.fill(seqs, 0);
        ask(3, 1, 0, 5_000, granted(5));
        ask(1, 1, 6_000, 10_000, queued(1, 5));
        writeAndRelease(3, 1, 5, 1, 20_000, 25_000, new Result.Written(7, 1));
        ask(1, 1, 30_000, 35_000, queued(1, 5));
        assertThat(rule()).isEqualTo(LockCheck.NEXT_IN_LINE);
    }

    /**
     * c1's write released t5; its next wait in the same session is new, so it is judged for FIFO
     * against c2, who was in line before it asked again. A releasing write refused under its own
     * token breaks the token rule, as any fenced write's refusal would; one whose outcome is
     * unknown is not counted as a release, so the grant after it is the old one, not a new wait.
     */
    @Test
    void aWaitAfterAWriteThatReleasedTheLockIsNew() {
        ask(1, 1, 0, 5_000, granted(5));
        ask(2, 1, 6_000, 10_000, queued(1, 5));
        writeAndRelease(1, 1, 5, 1, 20_000, 25_000, new Result.Written(7, 1));
        ask(1, 1, 30_000, 35_000, granted(7)); // jumped ahead of c2, who waited since before
        ask(2, 1, 40_000, 45_000, granted(9));
        assertThat(rule()).isEqualTo(LockCheck.FIFO);

        history.clear();
        java.util.Arrays.fill(seqs, 0);
        ask(1, 1, 0, 5_000, granted(5));
        ask(2, 1, 6_000, 10_000, queued(1, 5));
        writeAndRelease(1, 1, 5, 1, 20_000, 25_000, new Result.FencedOut(5)); // names the token it refused
        ask(1, 1, 30_000, 35_000, granted(5));
        assertThat(rule()).isEqualTo(LockCheck.TOKENS); // refused naming its own token

        history.clear();
        java.util.Arrays.fill(seqs, 0);
        ask(1, 1, 0, 5_000, granted(5));
        op(1, LockOp.writeAndRelease(L, REG, session(1, 1), 5, LockOp.registerValue(1, 5, 1)), 20_000,
                HistoryOp.PENDING, null);
        ask(2, 1, 22_000, 24_000, queued(1, 5));
        ask(1, 1, 30_000, 35_000, granted(5)); // the write had not applied: the old grant, not a new wait
        assertThat(LockCheck.violation(history)).isNull();
    }

    /** A write under a grant applied after that grant's own releasing write is a second holder's view. */
    @Test
    void aWriteUnderAGrantItsReleasingWriteEndedBreaksMutualExclusion() {
        ask(1, 1, 0, 5_000, granted(5));
        writeAndRelease(1, 1, 5, 1, 10_000, 15_000, new Result.Written(7, 1));
        write(1, 5, 2, true, 20_000, 25_000, new Result.Written(9, 2));

        LockCheck.Violation v = LockCheck.violation(history);
        assertThat(v.rule()).isEqualTo(LockCheck.MUTUAL_EXCLUSION);
        assertThat(v.detail()).contains("had released that grant at revision 7");
    }

    @Test
    void nobodyIsFirstInLineWhileNobodyHoldsTheLock() {
        ask(1, 1, 0, 10_000, queued(1, 0));

        assertThat(rule()).isEqualTo(LockCheck.NEXT_IN_LINE);
    }

    private LockCheck.Violation endOfRun(List<io.cairn.kv.state.LockState.Entry> left) {
        List<LockCheck.Step> steps = history.stream().map(LockCheck.Step::of).toList();
        return LockCheck.endOfRun(steps, new LockCheck.End(40_000, 3, left), new LockCheck.Tally());
    }

    @Test
    void atTheEndEveryWaitEndedAndNothingIsLeftInTheLock() {
        ask(1, 1, 0, 10_000, queued(1, 5));
        ask(1, 1, 20_000, 30_000, queued(1, 5));
        ask(1, 1, 50_000, 60_000, granted(8));
        leave(1, 1, 8, 70_000, 80_000, new Result.Released(8));
        ask(2, 1, 0, 10_000, queued(2, 5));
        leave(2, 1, 0, 50_000, 60_000, new Result.Released(0));
        assertThat(endOfRun(List.of())).isNull();

        io.cairn.kv.state.LockState.Entry waiting = new io.cairn.kv.state.LockState.Entry(
                io.cairn.sim.kv.KvOp.encodeValue(2), session(2, 1), 1, 0, 0, io.cairn.common.Bytes.EMPTY);
        LockCheck.Violation left = endOfRun(List.of(waiting));
        assertThat(left.rule()).isEqualTo(LockCheck.LIVENESS);
        assertThat(left.detail()).startsWith("a waiter was not granted when the lock came free").contains("c2 s200000001 waiting");
    }

    @Test
    void aWaiterStillInLineOrPastTheWithdrawBoundAtTheEndBreaksLiveness() {
        ask(1, 1, 0, 10_000, queued(1, 5));
        ask(1, 1, 20_000, 30_000, queued(1, 5));
        assertThat(endOfRun(List.of()).detail()).startsWith("c1 was still in line at the end of the run");

        ask(1, 1, 40_000, 50_000, queued(1, 5));
        ask(1, 1, 60_000, 70_000, queued(1, 5));
        leave(1, 1, 0, 80_000, 90_000, new Result.Released(0));
        assertThat(endOfRun(List.of()).detail()).startsWith("c1 stayed in line for 4 answers, beyond the 3");
    }

    @Test
    void aCleanHandoverPasses() {
        lock(1, 0, 10_000, new Result.LockGranted(1, 300));
        write(1, 1, 1, true, 20_000, 30_000, new Result.Written(2, 1));
        op(1, LockOp.unlock(L, REG, 1), 40_000, 50_000, new Result.Released(1));
        lock(2, 5_000, 8_000, new Result.LockBusy(1, 300));
        lock(2, 60_000, 70_000, new Result.LockGranted(4, 370));
        long last = write(2, 4, 1, true, 80_000, 90_000, new Result.Written(5, 2));
        finalRead(last, 2);

        assertThat(LockCheck.violation(history)).isNull();
    }

    @Test
    void aStaleHoldersWriteAfterANewerHoldersWriteBreaksFencingSafety() {
        lock(1, 0, 10_000, new Result.LockGranted(1, 300));
        lock(2, 400_000, 410_000, new Result.LockGranted(3, 710));
        write(2, 3, 1, false, 420_000, 430_000, new Result.Written(4, 1));
        write(1, 1, 1, false, 440_000, 450_000, new Result.Written(5, 2)); // woke from a pause, unfenced

        assertThat(rule()).isEqualTo(LockCheck.FENCING);
        assertThat(LockCheck.violation(history).detail())
                .contains("c1 wrote the register under token 1 at revision 5, after c2 had written it under the newer token 3");
    }

    @Test
    void aStaleHoldersWriteAfterANewerGrantBreaksMutualExclusionEvenIfTheNewHolderNeverWrote() {
        lock(1, 0, 10_000, new Result.LockGranted(1, 300));
        lock(2, 400_000, 410_000, new Result.LockGranted(3, 710));
        write(1, 1, 1, false, 440_000, 450_000, new Result.Written(5, 1));

        assertThat(rule()).isEqualTo(LockCheck.MUTUAL_EXCLUSION);
    }

    @Test
    void aFencedWriteSentAfterItsGrantExpiredMustHaveBeenRefused() {
        lock(1, 0, 10_000, new Result.LockGranted(1, 300));
        write(1, 1, 1, true, 300_000, 310_000, new Result.Written(2, 1));

        assertThat(rule()).isEqualTo(LockCheck.EXPIRY);
    }

    @Test
    void anExtensionMovesTheExpiryAndALockOfUnknownOutcomeSuspendsTheJudgement() {
        lock(1, 0, 10_000, new Result.LockGranted(1, 300));
        lock(1, 200_000, 210_000, new Result.LockGranted(1, 500));
        write(1, 1, 1, true, 400_000, 410_000, new Result.Written(3, 1));
        op(1, LockOp.lock(L, REG, 1, TTL), 420_000, HistoryOp.PENDING, null); // may have extended to 720
        write(1, 1, 2, true, 600_000, 610_000, new Result.Written(5, 2));

        assertThat(LockCheck.violation(history)).isNull();
    }

    @Test
    void aGrantCannotGoBackInRealTime() {
        lock(1, 0, 10_000, new Result.LockGranted(5, 300));
        lock(2, 20_000, 30_000, new Result.LockBusy(3, 300));

        assertThat(rule()).isEqualTo(LockCheck.TOKENS);
    }

    @Test
    void concurrentAnswersMayNameTokensInEitherOrder() {
        lock(1, 0, 30_000, new Result.LockGranted(5, 300));
        lock(2, 10_000, 40_000, new Result.LockBusy(3, 300));

        assertThat(LockCheck.violation(history)).isNull();
    }

    @Test
    void oneTokenIsNeverGrantedToTwoOwners() {
        lock(1, 0, 30_000, new Result.LockGranted(5, 300));
        lock(2, 10_000, 40_000, new Result.LockGranted(5, 310));

        assertThat(rule()).isEqualTo(LockCheck.TOKENS);
    }

    @Test
    void anOwnerIsNeverToldItsOwnGrantIsBusy() {
        lock(1, 0, 10_000, new Result.LockGranted(5, 300));
        lock(1, 20_000, 30_000, new Result.LockBusy(5, 300));

        assertThat(rule()).isEqualTo(LockCheck.TOKENS);
    }

    @Test
    void theFinalReadMustNotSeeARefusedWrite() {
        lock(1, 0, 10_000, new Result.LockGranted(1, 300));
        lock(2, 400_000, 410_000, new Result.LockGranted(3, 710));
        long refused = write(1, 1, 1, true, 440_000, 450_000, new Result.FencedOut(3));
        finalRead(refused, 1);

        assertThat(rule()).isEqualTo(LockCheck.REGISTER);
    }

    @Test
    void theFinalReadMustSeeTheLastAcknowledgedWriteOrOneOfUnknownOutcome() {
        lock(1, 0, 10_000, new Result.LockGranted(1, 300));
        long first = write(1, 1, 1, true, 20_000, 30_000, new Result.Written(2, 1));
        long second = write(1, 1, 2, true, 40_000, 50_000, new Result.Written(3, 2));
        pendingWrite(1, 1, 3, 60_000);
        long unknown = LockOp.registerValue(1, 1, 3);

        finalRead(second, 2);
        assertThat(LockCheck.violation(history)).isNull();
        history.remove(history.size() - 1);

        finalRead(unknown, 3);
        assertThat(LockCheck.violation(history)).isNull();
        history.remove(history.size() - 1);

        finalRead(first, 1);
        assertThat(rule()).isEqualTo(LockCheck.REGISTER);
    }
}
