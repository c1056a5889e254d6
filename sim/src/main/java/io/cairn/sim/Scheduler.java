package io.cairn.sim;

import java.util.Comparator;
import java.util.PriorityQueue;

/**
 * A single-threaded discrete-event scheduler over virtual time in microseconds. Events run in
 * order of (time, insertion sequence), so two events at the same instant run in the order they
 * were scheduled: the run is a pure function of the order of calls, never of a hash or a clock.
 */
public final class Scheduler {
    /**
     * One scheduled event. {@code subject} and {@code peer} are the addresses it concerns (0 when
     * none); {@code payload} is folded into the digest by its toString(), so it must print
     * deterministically (records of values do).
     */
    public record Event(long timeMicros, long seq, EventKind kind, int subject, int peer,
                        Object payload, Runnable action) {
        @Override
        public String toString() {
            return String.format("%d.%06d %s %d %d %s", timeMicros / 1_000_000, timeMicros % 1_000_000,
                    kind, subject, peer, payload == null ? "" : payload);
        }
    }

    private static final Comparator<Event> ORDER =
            Comparator.comparingLong(Event::timeMicros).thenComparingLong(Event::seq);

    private final PriorityQueue<Event> queue = new PriorityQueue<>(1024, ORDER);
    private long nowMicros;
    private long nextSeq;

    public long nowMicros() {
        return nowMicros;
    }

    public int pending() {
        return queue.size();
    }

    /** Schedules an event at an absolute time, which must not be in the past. */
    public void at(long timeMicros, EventKind kind, int subject, int peer, Object payload, Runnable action) {
        if (timeMicros < nowMicros) {
            throw new IllegalArgumentException("event at " + timeMicros + " is before now " + nowMicros);
        }
        queue.add(new Event(timeMicros, nextSeq++, kind, subject, peer, payload, action));
    }

    /** Schedules an event {@code delayMicros} from now. */
    public void after(long delayMicros, EventKind kind, int subject, int peer, Object payload, Runnable action) {
        if (delayMicros < 0) {
            throw new IllegalArgumentException("negative delay " + delayMicros);
        }
        at(nowMicros + delayMicros, kind, subject, peer, payload, action);
    }

    /**
     * Removes the earliest event and advances the clock to it, without running it (the caller
     * folds it into the digest first). Returns null when nothing is scheduled.
     */
    public Event next() {
        Event event = queue.poll();
        if (event != null) {
            nowMicros = event.timeMicros();
        }
        return event;
    }

    /** Runs events until none is left or the next one is after {@code untilMicros}. Test helper. */
    public int runUntil(long untilMicros) {
        int ran = 0;
        while (!queue.isEmpty() && queue.peek().timeMicros() <= untilMicros) {
            next().action().run();
            ran++;
        }
        nowMicros = Math.max(nowMicros, untilMicros);
        return ran;
    }
}
