package io.cairn.sim;

import io.cairn.sim.kv.KvOp;
import io.cairn.sim.kv.KvResult;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Keys with a TTL, judged by what clients were told: no read returns a value whose deadline had
 * surely passed when the read began. A put acknowledged at R with TTL T was stamped by its leader
 * no later than R, so its deadline is at most R + T; a read invoked after that (for a BOUNDED read,
 * its bound earlier, stretched by the clock-rate bound) must not see the value. That also means an
 * expired value never comes back, after a failover or a snapshot included. Simulated nodes judge
 * expiry by their wall clocks, which are true time unless the run skews them ({@link ClockSkew}):
 * the bound here is the millisecond rounding of leader stamps, plus twice the largest skew when
 * there is one (a leader's stamp may be that far ahead of true time, the reading node's clock
 * that far behind).
 */
final class TtlCheck {
    private static final long ROUNDING_MICROS = 1_000;

    private TtlCheck() {}

    static void check(List<HistoryOp> history, long nowMicros, long skewMarginMicros) {
        Map<Long, HistoryOp> acknowledgedPuts = new HashMap<>();
        for (HistoryOp h : history) {
            if (h.op() instanceof KvOp op && KvOp.isTtlKey(op.key()) && op.kind() == KvOp.Kind.PUT && !h.isPending()) {
                acknowledgedPuts.put(op.value(), h);
            }
        }
        for (HistoryOp h : history) {
            if (!(h.op() instanceof KvOp op) || !KvOp.isTtlKey(op.key()) || op.kind() != KvOp.Kind.GET || h.isPending()) {
                continue;
            }
            Long seen = h.result() instanceof KvResult.Read r ? r.value() : null;
            HistoryOp put = seen == null ? null : acknowledgedPuts.get(seen);
            if (put == null) {
                continue; // absent, or a put whose outcome its client never learned
            }
            KvOp written = (KvOp) put.op();
            long deadlineAtMost = put.returnMicros() + written.ttlMillis() * 1_000 + ROUNDING_MICROS + skewMarginMicros;
            long invoked = h.invokeMicros();
            if (op.bounded()) {
                invoked -= op.staleMicrosMax() * 1_000_000 / (1_000_000 - SimParams.CLOCK_DRIFT_PPM_BOUND) + 1;
            }
            if (invoked > deadlineAtMost) {
                throw new InvariantFailure("TTL", nowMicros, h + " returned " + seen + ", written by " + put
                        + " whose deadline passed by " + InvariantFailure.formatTime(deadlineAtMost)
                        + ", before the read began");
            }
        }
    }
}
