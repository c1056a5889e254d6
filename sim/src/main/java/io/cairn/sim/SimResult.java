package io.cairn.sim;

/**
 * The outcome of one seed.
 *
 * @param failure null when the run passed
 * @param healToQuiescenceMicros virtual time from healing until the cluster was quiet (-1 if never)
 */
public record SimResult(long seed, String failure, String digest, long events, long healToQuiescenceMicros,
                        int voters, long opsCompleted, long opsPending, Coverage coverage) {
    public boolean passed() {
        return failure == null;
    }

    public String summary() {
        return (passed() ? "PASS" : "FAIL") + " seed=" + seed + " voters=" + voters + " events=" + events
                + " ops=" + opsCompleted + " pending=" + opsPending
                + " quiescence=" + (healToQuiescenceMicros < 0 ? "-" : healToQuiescenceMicros / 1000 + "ms");
    }
}
