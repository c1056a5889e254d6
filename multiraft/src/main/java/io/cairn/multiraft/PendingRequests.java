package io.cairn.multiraft;

import io.cairn.common.NodeId;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.PriorityQueue;
import java.util.TreeMap;
import java.util.function.Consumer;

/**
 * The client requests one replica holds while Raft works on them, and when each is answered:
 * once for the server's replicas and the simulator's. A write waits for the entry at the index
 * it was proposed at; a linearizable read waits for its ReadIndex confirmation, then for the
 * state machine to reach the confirmed index. Every request ends exactly once: answered by the
 * host when it is served, or failed through {@link Answers} with the reason below. No clock, no
 * thread: deadlines are numbers on the host's clock, and the host calls in on its own thread.
 *
 * @param <W> what a waiting write needs to be answered (a future, a client address)
 * @param <R> what a waiting read needs to be served and answered
 */
public final class PendingRequests<W, R> {
    /** Why a request was failed. Only {@link #NOT_LEADER} promises that a write did not happen. */
    public enum Failure {
        /** Another entry took the write's index (a leader change); it will never apply. */
        LOST,
        /** The write may or may not commit: leadership was lost, or a snapshot covers its index. */
        UNKNOWN,
        /** A read not yet confirmed when this replica stopped leading; safe to send elsewhere. */
        NOT_LEADER,
        /** The request's deadline passed. */
        TIMED_OUT
    }

    /** How the host fails requests. */
    public interface Answers<W, R> {
        void writeFailed(W write, Failure why);

        void readFailed(R read, Failure why);
    }

    private record Write<W>(long term, long deadline, W waiter) {}

    private record Read<R>(long requestedAt, long deadline, R waiter) {}

    private record Confirmed<R>(long index, long order, long requestedAt, long deadline, R waiter) {}

    /** What a read that may be stale by at most a bound does on this replica now. */
    public enum BoundedRead {
        /** The applied state is fresh enough: read it here. */
        SERVE_LOCAL,
        /** Fresh enough, but past half the bound: read it here and confirm an index in the background. */
        SERVE_LOCAL_AND_REFRESH,
        /** Not provably fresh enough: confirm an index with the leader first, like a linearizable read. */
        CONFIRM
    }

    private final Answers<W, R> answers;
    private final TreeMap<Long, Write<W>> writes = new TreeMap<>();
    private final TreeMap<Long, Read<R>> unconfirmed = new TreeMap<>();
    /** By index, then in confirmation order. */
    private final PriorityQueue<Confirmed<R>> confirmed = new PriorityQueue<>(
            Comparator.comparingLong((Confirmed<R> c) -> c.index()).thenComparingLong(Confirmed::order));
    private long confirmations;
    /**
     * The latest request time of a confirmed read served here: every write acknowledged before
     * it is in the applied state (the leader fixed the confirmed index after the read was
     * requested, and the applied index only grows), so the state is at most {@code now -
     * freshSince} stale. Held across role changes: it is a fact about the applied state alone.
     */
    private long freshSince = Long.MIN_VALUE;
    private boolean led;
    private NodeId leader;

    public PendingRequests(Answers<W, R> answers) {
        this.answers = answers;
    }

    /** A write proposed at {@code index} in {@code term}; one already waiting there lost its slot. */
    public void proposed(long index, long term, long deadline, W waiter) {
        Write<W> displaced = writes.put(index, new Write<>(term, deadline, waiter));
        if (displaced != null) {
            answers.writeFailed(displaced.waiter(), Failure.LOST);
        }
    }

    /**
     * The entry at {@code index}, of {@code term}, was applied: its write, if one waits here and
     * it is that very entry (Log Matching: same index and term), is handed to {@code written};
     * one from another term lost its slot. Writes below {@code index} still waiting were skipped
     * (their slots applied before they were recorded, or were installed by a snapshot): their
     * outcome is unknown.
     */
    public void applied(long index, long term, Consumer<W> written) {
        failWritesUpTo(index - 1, Failure.UNKNOWN);
        Write<W> w = writes.remove(index);
        if (w == null) {
            return;
        }
        if (w.term() == term) {
            written.accept(w.waiter());
        } else {
            answers.writeFailed(w.waiter(), Failure.LOST);
        }
    }

    /** A snapshot up to {@code index} was installed: the writes it covers may or may not be in it. */
    public void snapshotInstalled(long index) {
        failWritesUpTo(index, Failure.UNKNOWN);
    }

    private void failWritesUpTo(long index, Failure why) {
        while (!writes.isEmpty() && writes.firstKey() <= index) {
            answers.writeFailed(writes.pollFirstEntry().getValue().waiter(), why);
        }
    }

    /** A read, requested at {@code requestedAt}, waiting for the ReadIndex round of {@code context}. */
    public void readRequested(long context, long requestedAt, long deadline, R waiter) {
        unconfirmed.put(context, new Read<>(requestedAt, deadline, waiter));
    }

    /** The round of {@code context} confirmed {@code index}; the read is served once it is applied. */
    public void readConfirmed(long context, long index) {
        Read<R> r = unconfirmed.remove(context);
        if (r != null) {
            confirmed.add(new Confirmed<>(index, confirmations++, r.requestedAt(), r.deadline(), r.waiter()));
        }
    }

    /** Hands every confirmed read whose index is applied to {@code serve}, lowest index first. */
    public void serveConfirmed(long appliedIndex, Consumer<R> serve) {
        while (!confirmed.isEmpty() && confirmed.peek().index() <= appliedIndex) {
            Confirmed<R> c = confirmed.poll();
            freshSince = Math.max(freshSince, c.requestedAt());
            serve.accept(c.waiter());
        }
    }

    /**
     * Since when the applied state is known to hold every acknowledged write, on the host's
     * clock; {@link Long#MIN_VALUE} before any confirmed read was served here.
     */
    public long freshSince() {
        return freshSince;
    }

    /**
     * How a read allowed to be {@code bound} stale is served at {@code now}. It is served here
     * while the state is provably within the bound; past half the bound a confirmation is started
     * (unless reads already wait for one), so a steady stream of such reads rarely waits.
     */
    public BoundedRead boundedRead(long now, long bound) {
        return boundedRead(freshSince, now, bound, !unconfirmed.isEmpty() || !confirmed.isEmpty());
    }

    /** {@link #boundedRead(long, long)} for a host that reads {@code freshSince} from another thread. */
    public static BoundedRead boundedRead(long freshSince, long now, long bound, boolean confirming) {
        if (bound < 0) {
            throw new IllegalArgumentException("bound " + bound + " < 0");
        }
        if (freshSince == Long.MIN_VALUE || now - freshSince > bound) {
            return BoundedRead.CONFIRM;
        }
        return now - freshSince > bound / 2 && !confirming ? BoundedRead.SERVE_LOCAL_AND_REFRESH : BoundedRead.SERVE_LOCAL;
    }

    /**
     * The replica's role and known leader after each round of its host: a replica that stopped
     * leading releases its requests ({@link #steppedDown}), one whose leader changed its
     * unconfirmed reads ({@link #leaderChanged}).
     */
    public void observe(boolean leadsNow, NodeId leaderNow) {
        if (led && !leadsNow) {
            steppedDown();
        } else if (!Objects.equals(leaderNow, leader)) {
            leaderChanged();
        }
        led = leadsNow;
        leader = leaderNow;
    }

    /**
     * This replica stopped leading. Its waiting writes may still commit under the new leader:
     * they fail as {@link Failure#UNKNOWN}, and a client's retry with the same sequence is
     * applied once. Reads not yet confirmed fail as {@link Failure#NOT_LEADER}; confirmed reads
     * stay, their index was confirmed while this replica led.
     */
    public void steppedDown() {
        failWritesUpTo(Long.MAX_VALUE, Failure.UNKNOWN);
        leaderChanged();
    }

    /**
     * The leader this replica knows changed (or it lost track of it). A read not yet confirmed
     * asked the old leader, which will never answer it: it fails as {@link Failure#NOT_LEADER}
     * now rather than at its deadline, and its client asks again. Confirmed reads stay.
     */
    public void leaderChanged() {
        List<Read<R>> reads = new ArrayList<>(unconfirmed.values());
        unconfirmed.clear();
        reads.forEach(r -> answers.readFailed(r.waiter(), Failure.NOT_LEADER));
    }

    /** Fails every request whose deadline is before {@code now}. */
    public void expire(long now) {
        List<W> lateWrites = new ArrayList<>();
        writes.values().removeIf(w -> late(w.deadline(), now) && lateWrites.add(w.waiter()));
        lateWrites.forEach(w -> answers.writeFailed(w, Failure.TIMED_OUT));
        List<R> lateReads = new ArrayList<>();
        unconfirmed.values().removeIf(r -> late(r.deadline(), now) && lateReads.add(r.waiter()));
        confirmed.removeIf(c -> late(c.deadline(), now) && lateReads.add(c.waiter()));
        lateReads.forEach(r -> answers.readFailed(r, Failure.TIMED_OUT));
    }

    private static boolean late(long deadline, long now) {
        return now - deadline > 0;
    }

    /** Hands every waiting request to the host to fail with its own reason (it stops, or the replica moves away). */
    public void failAll(Consumer<W> failWrite, Consumer<R> failRead) {
        List<W> ws = new ArrayList<>();
        writes.values().forEach(w -> ws.add(w.waiter()));
        List<R> reads = new ArrayList<>();
        unconfirmed.values().forEach(r -> reads.add(r.waiter()));
        confirmed.forEach(c -> reads.add(c.waiter()));
        forget();
        ws.forEach(failWrite);
        reads.forEach(failRead);
    }

    /**
     * Drops everything without an answer (the process died with it). The freshness goes too: a
     * restarted replica's applied state starts again from what its disk kept.
     */
    public void forget() {
        freshSince = Long.MIN_VALUE;
        led = false;
        leader = null;
        writes.clear();
        unconfirmed.clear();
        confirmed.clear();
    }

    /** Requests waiting, of every kind. */
    public int size() {
        return writes.size() + unconfirmed.size() + confirmed.size();
    }

}
