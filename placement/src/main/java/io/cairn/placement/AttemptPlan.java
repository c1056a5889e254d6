package io.cairn.placement;

import io.cairn.common.RandomSource;
import java.util.List;
import java.util.TreeSet;

/**
 * Where each attempt of one client request goes, and how long the client pauses before it: the
 * rule of the Java client's retries ({@code io.cairn.client.Retrier}), without clock, threads or
 * I/O, so that the simulator's clients run the same rule on virtual time.
 *
 * <p>Each attempt goes to one address:
 * <ol>
 *   <li>the first address the caller chose, for the first attempt only (a replica the client's
 *       read balancing picked), if any;</li>
 *   <li>the leader hint of the previous attempt's redirect, if it named another address;</li>
 *   <li>otherwise the client's leader guess for the group, unless that address failed in this
 *       round;</li>
 *   <li>otherwise the next configured address, in rotation, that has not failed in this round;
 *       when all have, the round starts again.</li>
 * </ol>
 * A hint is followed at once the first {@value #REDIRECTS_WITHOUT_PAUSE} times in a row, then
 * after a back-off, so stale hints cannot make two nodes bounce a request at full speed. Every
 * other retryable failure is followed by a back-off that doubles per failure in a row, with
 * "equal jitter" ({@link Backoff}).
 *
 * <p>Not thread-safe: one request's attempts run one after another.
 */
public final class AttemptPlan {
    public static final int REDIRECTS_WITHOUT_PAUSE = 2;

    /** What the client believes about the leader of the request's group; shared by its requests. */
    public interface LeaderGuess {
        /** The address that last answered as leader, or null. */
        String get();

        void is(String address);

        /** {@code address} is not the leader: forget it, unless a newer guess replaced it. */
        void isNot(String address);
    }

    /**
     * A pause in [cap/2, cap], where cap doubles per failure in a row from {@code initialMillis}
     * up to {@code maxMillis}.
     */
    public record Backoff(long initialMillis, long maxMillis) {
        public Backoff {
            if (initialMillis < 1 || maxMillis < initialMillis) {
                throw new IllegalArgumentException("need 1 ms <= backoff initial <= max: " + initialMillis + ", " + maxMillis);
            }
        }

        public long millis(int failuresInRow, RandomSource random) {
            int shift = Math.min(failuresInRow, 30);
            long cap = Math.min(maxMillis, initialMillis << shift);
            long half = cap / 2;
            return half + random.nextLong(cap - half + 1);
        }
    }

    private final List<String> configured;
    private final LeaderGuess leader;
    private final Backoff backoff;
    private final RandomSource random;
    /** Addresses that failed since the walk over the configured ones last started again. */
    private final TreeSet<String> failedThisRound = new TreeSet<>();
    private int rotation;
    private String first;
    private String hint;
    private int failuresInRow;
    private int redirectsInRow;

    /**
     * @param configured the addresses the client was given, at least one
     * @param rotationStart where this request starts its walk over them (spreads clients' load)
     * @param first where the first attempt goes, or null for the usual order
     */
    public AttemptPlan(List<String> configured, int rotationStart, LeaderGuess leader, Backoff backoff,
                       RandomSource random, String first) {
        if (configured.isEmpty()) {
            throw new IllegalArgumentException("no address to try");
        }
        this.configured = List.copyOf(configured);
        this.rotation = rotationStart;
        this.leader = leader;
        this.backoff = backoff;
        this.random = random;
        this.first = first;
    }

    /** The address of the next attempt. */
    public String next() {
        if (first != null) {
            String f = first;
            first = null;
            return f;
        }
        if (hint != null) {
            String h = hint;
            hint = null;
            return h;
        }
        String guess = leader.get();
        if (guess != null && !failedThisRound.contains(guess)) {
            return guess;
        }
        for (int i = 0; i < configured.size(); i++) {
            String a = configured.get(Math.floorMod(rotation++, configured.size()));
            if (!failedThisRound.contains(a)) {
                return a;
            }
        }
        // Every address failed this round: start the walk again.
        failedThisRound.clear();
        return configured.get(Math.floorMod(rotation++, configured.size()));
    }

    /**
     * The attempt at {@code from} was redirected: the node is not the leader (or holds no
     * replica), and names {@code target} (null: it knows none).
     *
     * @return how long to pause before the next attempt, in milliseconds
     */
    public long redirected(String from, String target) {
        if (target == null || target.equals(from)) {
            return failed(from);
        }
        failedThisRound.add(from);
        leader.isNot(from);
        leader.is(target);
        hint = target;
        redirectsInRow++;
        return redirectsInRow <= REDIRECTS_WITHOUT_PAUSE ? 0 : backoff.millis(failuresInRow++, random);
    }

    /**
     * The attempt at {@code from} failed in a way another node, or the same one later, may not
     * (unavailable, timed out, overloaded, no leader known).
     *
     * @return how long to pause before the next attempt, in milliseconds
     */
    public long failed(String from) {
        failedThisRound.add(from);
        leader.isNot(from);
        return backoff.millis(failuresInRow++, random);
    }
}
