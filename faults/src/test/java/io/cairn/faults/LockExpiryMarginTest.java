package io.cairn.faults;

import static org.assertj.core.api.Assertions.assertThat;

import io.cairn.kv.state.Result;
import io.cairn.sim.LockCheck;
import io.cairn.sim.kv.LockOp;
import io.cairn.sim.kv.LockResult;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The lease-expiry rule as the fault suite applies it: on the machine's one wall clock with a
 * small slack, and with a margin past the largest injected clock offset in scenarios that shift
 * the nodes' clocks (a leader 30 s behind keeps a lease 30 s longer in the clients' time).
 */
class LockExpiryMarginTest {
    private static final long EXPIRES_AT_MS = 1_000_000;

    private static LockCheck.Step step(long seq, LockOp.Kind kind, long invokeMicros, Result result) {
        return new LockCheck.Step(1, seq, kind, 5, kind == LockOp.Kind.WRITE ? 42 : 0, true, invokeMicros,
                invokeMicros + 1_000, new LockResult(result), kind + "#" + seq);
    }

    /** A grant until EXPIRES_AT_MS, then a fenced write sent {@code lateMs} after it that was applied. */
    private static List<LockCheck.Step> writeApplied(long lateMs) {
        return List.of(step(1, LockOp.Kind.LOCK, (EXPIRES_AT_MS - 1_500) * 1_000, new Result.LockGranted(5, EXPIRES_AT_MS)),
                step(2, LockOp.Kind.WRITE, (EXPIRES_AT_MS + lateMs) * 1_000, new Result.Written(7, 1)));
    }

    @Test
    void theMarginCoversTheClockFaultOnlyWhereItIsInjected() {
        assertThat(FaultRun.expiryMarginMs(List.of(FaultKind.PAUSE))).isEqualTo(FaultRun.EXPIRY_SLACK_MS);
        assertThat(FaultRun.expiryMarginMs(List.of(FaultKind.values())))
                .isGreaterThan(FaultRun.CLOCK_OFFSET_MAX_MS);
        assertThat(FaultRun.expiryMarginMs(List.of(FaultKind.CLOCK))).isGreaterThan(FaultRun.CLOCK_OFFSET_MAX_MS);
    }

    @Test
    void aWriteAppliedWellAfterItsExpiryIsCaughtWithoutAClockFault() {
        long margin = FaultRun.expiryMarginMs(List.of(FaultKind.KILL)) * 1_000;

        assertThat(LockCheck.violation(writeApplied(50), margin)).isNull();
        LockCheck.Violation v = LockCheck.violation(writeApplied(500), margin);
        assertThat(v).isNotNull();
        assertThat(v.rule()).isEqualTo(LockCheck.EXPIRY);
        assertThat(v.detail()).contains("judged with a margin of 100 ms");
    }

    @Test
    void underClockFaultsOnlyWritesLaterThanTheLargestOffsetAreJudged() {
        long margin = FaultRun.expiryMarginMs(List.of(FaultKind.CLOCK)) * 1_000;

        assertThat(LockCheck.violation(writeApplied(20_000), margin)).isNull();
        assertThat(LockCheck.violation(writeApplied(31_000), margin)).extracting(LockCheck.Violation::rule)
                .isEqualTo(LockCheck.EXPIRY);
    }
}
