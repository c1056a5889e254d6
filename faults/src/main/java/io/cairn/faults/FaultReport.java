package io.cairn.faults;

import io.cairn.sim.lin.CheckResult;
import java.time.Duration;
import java.util.List;

/**
 * What one scenario did and found. {@code unavailableMs} has one entry per fault: the time from
 * the fault to the first write sent after it that was acknowledged (-1: none was). {@code lock} is
 * the lock workload's counts and verdict ({@link LockReport#NONE} when it did not run). {@code secure}:
 * the run had TLS and authentication on (--secure).
 */
record FaultReport(String scenario, long seed, Duration duration, long attempted, long acknowledged,
                   long indeterminate, long failedReads, int historyOps, CheckResult.Verdict verdict,
                   String explanation, List<FaultRun.Event> events, List<Long> unavailableMs,
                   List<String> problems, LockReport lock, boolean secure) {

    boolean passed() {
        return verdict == CheckResult.Verdict.OK && problems.isEmpty() && lock.violation() == null;
    }

    /** Illegal histories found: 0 or 1 (the checker stops at the first illegal key). */
    int violations() {
        return verdict == CheckResult.Verdict.ILLEGAL ? 1 : 0;
    }

    /** Why the scenario failed, in one line. */
    String failure() {
        if (passed()) {
            return "";
        }
        List<String> why = new java.util.ArrayList<>();
        if (verdict != CheckResult.Verdict.OK) {
            why.add(explanation);
        }
        if (lock.violation() != null) {
            why.add("locks: " + lock.violation().rule() + " violated: " + lock.violation().detail());
        }
        why.addAll(problems);
        return String.join("; ", why);
    }

    long unavailableMaxMs() {
        return unavailableMs.stream().mapToLong(Long::longValue).max().orElse(0);
    }

    long unavailableMedianMs() {
        List<Long> sorted = unavailableMs.stream().sorted().toList();
        return sorted.isEmpty() ? 0 : sorted.get(sorted.size() / 2);
    }

    /** The register workload's columns, then the lock workload's (writes: fenced, or plain in the negative control). */
    static String header() {
        return String.format("%-19s %6s %5s %9s %9s %13s %11s %12s %14s %7s %6s %9s %8s %7s %10s  %s", "scenario", "seed",
                "faults", "attempted", "acked", "indeterminate", "violations", "unavail max", "unavail median",
                "grants", "busy", "writes ok", "refused", "paused", "lock viol", "verdict");
    }

    String row() {
        return String.format("%-19s %6d %6d %9d %9d %13d %11d %10d ms %11d ms %7d %6d %9d %8d %7d %10d  %s", scenario,
                seed, events.size(), attempted, acknowledged, indeterminate, violations(), unavailableMaxMs(),
                unavailableMedianMs(), lock.grants(), lock.busy(), lock.writesOk(), lock.writesRefused(),
                lock.pausesPastTtl(), lock.violations(), verdict + (lock.violation() == null ? ""
                        : " / locks: " + lock.violation().rule().toUpperCase(java.util.Locale.ROOT))
                        + (secure ? " (secure)" : ""));
    }

    String json() {
        return String.format("{\"scenario\":\"%s\",\"seed\":%d,\"seconds\":%d,\"faults\":%d,\"attempted\":%d,"
                        + "\"acknowledged\":%d,\"indeterminate\":%d,\"failed_reads\":%d,\"history_ops\":%d,"
                        + "\"violations\":%d,\"unavailable_max_ms\":%d,\"unavailable_median_ms\":%d,\"verdict\":\"%s\","
                        + "\"lock_clients\":%d,\"lock_fenced\":%b,\"lock_steps\":%d,\"lock_grants\":%d,"
                        + "\"lock_extensions\":%d,\"lock_busy\":%d,\"lock_writes_ok\":%d,\"lock_writes_refused\":%d,"
                        + "\"lock_taken_over\":%d,\"lock_pauses_past_ttl\":%d,\"lock_unknown\":%d,"
                        + "\"lock_expiry_margin_ms\":%d,\"lock_violations\":%d,\"lock_rule\":%s,"
                        + "\"lock_session_grants\":%d,\"lock_sessions_lost\":%d,\"lock_process_stops\":%d,"
                        + "\"lock_losses_noticed\":%d,\"lock_writes_released\":%d,\"secure\":%b,\"passed\":%b}",
                scenario, seed, duration.toSeconds(), events.size(), attempted, acknowledged, indeterminate, failedReads,
                historyOps, violations(), unavailableMaxMs(), unavailableMedianMs(), verdict, lock.clients(),
                lock.fenced(), lock.steps(), lock.grants(), lock.extensions(), lock.busy(), lock.writesOk(),
                lock.writesRefused(), lock.takenOver(), lock.pausesPastTtl(), lock.unknown(), lock.expiryMarginMs(),
                lock.violations(), lock.violation() == null ? "null" : "\"" + lock.violation().rule() + "\"",
                lock.waitedGrants(), lock.sessionsLost(), lock.processStops(), lock.lossesNoticed(), lock.writesReleased(),
                secure, passed());
    }
}
