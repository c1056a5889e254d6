package io.cairn.sim;

import io.cairn.common.RandomSource;

/**
 * The simulated network between numbered addresses (nodes and clients). Each message is
 * independently dropped, delayed by a random amount (which reorders messages), sometimes held
 * back much longer (a latency spike, so stale messages arrive late), and sometimes duplicated.
 * Links can be cut one direction at a time: a symmetric partition cuts both. Messages are
 * delivered by reference; they are immutable records.
 *
 * <p>A message's fate is decided when it is sent: a partition that starts while it is in flight
 * does not stop it, as with packets already on the wire.
 */
public final class Network {
    /** Where delivered messages go. */
    public interface Receiver {
        void receive(int from, int to, Object message);
    }

    private final Scheduler scheduler;
    private final RandomSource random;
    private final Receiver receiver;
    /** blocked[from][to]: the link from → to is cut. */
    private final boolean[][] blocked;
    private double dropProbability;
    private double duplicateProbability;
    private double spikeProbability;
    private long minDelayMicros = 1_000;
    private long maxDelayMicros = 1_000;
    private long spikeMaxMicros;
    private long sentCount;
    private long droppedCount;

    public Network(int addressCount, Scheduler scheduler, RandomSource random, Receiver receiver) {
        this.scheduler = scheduler;
        this.random = random;
        this.receiver = receiver;
        this.blocked = new boolean[addressCount][addressCount];
    }

    public void setDropProbability(double dropProbability) {
        this.dropProbability = dropProbability;
    }

    public void setDuplicateProbability(double duplicateProbability) {
        this.duplicateProbability = duplicateProbability;
    }

    /** Every message takes [minDelayMicros, maxDelayMicros]; with spikeProbability, up to spikeMaxMicros more. */
    public void setDelays(long minDelayMicros, long maxDelayMicros, double spikeProbability, long spikeMaxMicros) {
        if (minDelayMicros < 0 || maxDelayMicros < minDelayMicros || spikeMaxMicros < 0) {
            throw new IllegalArgumentException("bad delay range [" + minDelayMicros + ", " + maxDelayMicros + "]");
        }
        this.minDelayMicros = minDelayMicros;
        this.maxDelayMicros = maxDelayMicros;
        this.spikeProbability = spikeProbability;
        this.spikeMaxMicros = spikeMaxMicros;
    }

    /** Cuts the link from → to; the reverse direction is untouched. */
    public void block(int from, int to) {
        blocked[from][to] = true;
    }

    public boolean isBlocked(int from, int to) {
        return blocked[from][to];
    }

    /** Restores every link. */
    public void healAll() {
        for (boolean[] row : blocked) {
            java.util.Arrays.fill(row, false);
        }
    }

    public long sentCount() {
        return sentCount;
    }

    public long droppedCount() {
        return droppedCount;
    }

    public void send(int from, int to, Object message) {
        sentCount++;
        if (blocked[from][to] || random.chance(dropProbability)) {
            droppedCount++;
            return;
        }
        scheduleDelivery(from, to, message);
        if (random.chance(duplicateProbability)) {
            scheduleDelivery(from, to, message);
        }
    }

    private void scheduleDelivery(int from, int to, Object message) {
        long delay = minDelayMicros + random.nextLong(maxDelayMicros - minDelayMicros + 1);
        if (spikeMaxMicros > 0 && random.chance(spikeProbability)) {
            delay += random.nextLong(spikeMaxMicros + 1);
        }
        scheduler.after(delay, EventKind.DELIVER, to, from, message, () -> receiver.receive(from, to, message));
    }
}
