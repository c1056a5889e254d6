package io.cairn.faults;

import io.cairn.sim.lin.CheckResult;
import java.time.Duration;
import java.util.List;

/**
 * What one scenario did and found. {@code unavailableMs} has one entry per fault: the time from
 * the fault to the first write sent after it that was acknowledged (-1: none was).
 */
record FaultReport(String scenario, long seed, Duration duration, long attempted, long acknowledged,
                   long indeterminate, long failedReads, int historyOps, CheckResult.Verdict verdict,
                   String explanation, List<FaultRun.Event> events, List<Long> unavailableMs,
                   List<String> problems) {

    boolean passed() {
        return verdict == CheckResult.Verdict.OK && problems.isEmpty();
    }

    /** Illegal histories found: 0 or 1 (the checker stops at the first illegal key). */
    int violations() {
        return verdict == CheckResult.Verdict.ILLEGAL ? 1 : 0;
    }

    /** Why the scenario failed, in one line. */
    String failure() {
        return passed() ? "" : verdict != CheckResult.Verdict.OK ? explanation : String.join("; ", problems);
    }

    long unavailableMaxMs() {
        return unavailableMs.stream().mapToLong(Long::longValue).max().orElse(0);
    }

    long unavailableMedianMs() {
        List<Long> sorted = unavailableMs.stream().sorted().toList();
        return sorted.isEmpty() ? 0 : sorted.get(sorted.size() / 2);
    }

    static String header() {
        return String.format("%-19s %6s %5s %9s %9s %13s %11s %12s %14s  %s", "scenario", "seed", "faults", "attempted",
                "acked", "indeterminate", "violations", "unavail max", "unavail median", "verdict");
    }

    String row() {
        return String.format("%-19s %6d %6d %9d %9d %13d %11d %10d ms %11d ms  %s", scenario, seed, events.size(),
                attempted, acknowledged, indeterminate, violations(), unavailableMaxMs(), unavailableMedianMs(), verdict);
    }

    String json() {
        return String.format("{\"scenario\":\"%s\",\"seed\":%d,\"seconds\":%d,\"faults\":%d,\"attempted\":%d,"
                        + "\"acknowledged\":%d,\"indeterminate\":%d,\"failed_reads\":%d,\"history_ops\":%d,"
                        + "\"violations\":%d,\"unavailable_max_ms\":%d,\"unavailable_median_ms\":%d,\"verdict\":\"%s\","
                        + "\"passed\":%b}",
                scenario, seed, duration.toSeconds(), events.size(), attempted, acknowledged, indeterminate, failedReads,
                historyOps, violations(), unavailableMaxMs(), unavailableMedianMs(), verdict, passed());
    }
}
