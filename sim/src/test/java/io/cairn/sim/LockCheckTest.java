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
