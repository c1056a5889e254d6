package io.cairn.kv.state;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executor;

/**
 * One replica's recent changes and the watchers of them. The Raft loop hands over each round's
 * events once they are applied ({@link #published}); a watcher registers from a revision
 * ({@link #watch}) and gets the retained history from there, then every later change, in
 * revision order, through its {@link Sink}, on {@code fanOut}'s thread (never the loop's),
 * which must run one task at a time. A watcher is told the revision through which its stream is
 * complete with every batch of events, and once a second ({@link #progress}) when quiet.
 *
 * <p>The history is bounded ({@code retainEvents}, {@code retainBytes}): it starts at {@link #oldestRevision()}, and
 * every change at or after that revision is in it. It is memory only: after a restart or a
 * snapshot install it starts at the replica's applied index + 1, and a watcher that asks for
 * less is told COMPACTED, with the oldest revision it could have. A watcher whose unsent events
 * exceed {@code pendingBytesMax} is cut off (with the revision to resume from) rather than let
 * the node's memory grow.
 *
 * <p>Thread-safe: the loop publishes, gRPC threads register and cancel, the fan-out thread sends.
 */
public final class WatchHub {
    /** Where a watcher's events go; called on the fan-out thread only, one call at a time per watcher. */
    public interface Sink {
        /**
         * {@code events} (maybe none) and the revision through which the watcher has now been
         * told everything. Returns false when the sink cannot take more now (the caller keeps
         * what was not sent for later).
         */
        boolean send(List<WatchEvent> events, long progressRevision);

        /** The watch ends: the watcher fell behind, or the replica went away. */
        void cancelled(String reason, long nextRevision, boolean tooSlow);
    }

    /** This replica does not serve watches now (it left its group's configuration). */
    public static final class NotServingException extends Exception {
        private static final long serialVersionUID = 1L;

        NotServingException(String reason) {
            super(reason);
        }
    }

    /** A start revision older than the retained history. */
    public static final class CompactedException extends Exception {
        private static final long serialVersionUID = 1L;
        public final long requested;
        public final long oldest;

        CompactedException(long requested, long oldest) {
            super("revision " + requested + " is compacted: the oldest this replica still has is " + oldest
                    + "; read the keys again and watch from that read's revision, or from " + oldest + " accepting the gap");
            this.requested = requested;
            this.oldest = oldest;
        }
    }

    /** A registered watcher; {@link #cancel} ends it. */
    public final class Watcher {
        private final KeyRange range;
        private final Sink sink;
        /** The first revision not yet sent. */
        private long next;
        private final ArrayDeque<WatchEvent> pending = new ArrayDeque<>();
        private long pendingBytes;
        private long progressSent;
        private boolean done;

        private Watcher(KeyRange range, Sink sink, long next) {
            this.range = range;
            this.sink = sink;
            this.next = next;
        }

        public void cancel() {
            synchronized (WatchHub.this) {
                done = true;
                watchers.remove(this);
            }
        }
    }

    private final Executor fanOut;
    private final WatchRetention retention;
    private final long pendingBytesMax;
    private final java.util.function.LongSupplier nanoTime;
    private long historyBytes;
    private final ArrayDeque<WatchEvent> history = new ArrayDeque<>();
    /** When each history event was published ({@code nanoTime}), for retention by age. */
    private final ArrayDeque<Long> historyTimes = new ArrayDeque<>();
    private final CopyOnWriteArrayList<Watcher> watchers = new CopyOnWriteArrayList<>();
    /** Every change at or after this revision is in the history. */
    private long oldest;
    /** The replica's applied index as last published. */
    private long applied;
    private boolean drainScheduled;
    /** Why this replica serves no watches now, or null when it does. */
    private String notServing;
    /** A progress notification is due for watchers that have nothing else to send. */
    private boolean progressDue;
    /** Whether the replica knew no leader at the last progress round, and since when (nanoTime). */
    private boolean leaderless;
    private long leaderlessSinceNanos;

    public WatchHub(long appliedIndex, Executor fanOut, WatchRetention retention, long pendingBytesMax,
             java.util.function.LongSupplier nanoTime) {
        if (pendingBytesMax < 1) {
            throw new IllegalArgumentException("the watcher buffer must be positive");
        }
        this.fanOut = fanOut;
        this.retention = retention;
        this.pendingBytesMax = pendingBytesMax;
        this.nanoTime = nanoTime;
        this.applied = appliedIndex;
        this.oldest = appliedIndex + 1;
    }

    public synchronized long oldestRevision() {
        return oldest;
    }

    public synchronized long appliedRevision() {
        return applied;
    }

    /**
     * Whether a key of {@code range} changed (put, delete or expiry) in a revision after
     * {@code revision} up to {@code upTo}: TRUE or FALSE from the retained history, or null when
     * it cannot be told (the history starts later, or has not reached {@code upTo}).
     */
    public synchronized Boolean changedSince(KeyRange range, long revision, long upTo) {
        if (revision + 1 < oldest || applied < upTo) {
            return null;
        }
        java.util.Iterator<WatchEvent> newestFirst = history.descendingIterator();
        while (newestFirst.hasNext()) {
            WatchEvent e = newestFirst.next();
            if (e.revision() <= revision) {
                break;
            }
            if (range.contains(e.key())) {
                return Boolean.TRUE;
            }
        }
        return Boolean.FALSE;
    }

    public int watcherCount() {
        return watchers.size();
    }

    /**
     * Registers a watcher of {@code range} from {@code startRevision} (0: from the next change).
     * The history from there is queued for it at once.
     */
    public synchronized Watcher watch(KeyRange range, long startRevision, Sink sink) throws CompactedException,
            NotServingException {
        if (notServing != null) {
            throw new NotServingException(notServing);
        }
        long start = startRevision == 0 ? applied + 1 : startRevision;
        if (start < oldest) {
            throw new CompactedException(start, oldest);
        }
        Watcher w = new Watcher(range, sink, start);
        for (WatchEvent e : history) {
            if (e.revision() >= start && range.contains(e.key())) {
                w.pending.add(e);
                w.pendingBytes += e.sizeBytes();
            }
        }
        watchers.add(w);
        scheduleDrain();
        return w;
    }

    /** Loop thread, after a round's engine write: its events (maybe none) and the new applied index. */
    public synchronized void published(List<WatchEvent> events, long appliedIndex) {
        long now = nanoTime.getAsLong();
        for (WatchEvent e : events) {
            history.addLast(e);
            historyTimes.addLast(now);
            historyBytes += e.sizeBytes();
        }
        applied = Math.max(applied, appliedIndex);
        trim(now);
        for (Watcher w : watchers) {
            for (WatchEvent e : events) {
                if (e.revision() >= w.next && w.range.contains(e.key())) {
                    w.pending.add(e);
                    w.pendingBytes += e.sizeBytes();
                }
            }
        }
        scheduleDrain();
    }

    /**
     * Loop thread: the replica jumped to {@code appliedIndex} by a snapshot, so the changes before
     * it are unknown here. Watchers behind it are cancelled with the revision they resume from
     * (elsewhere, or they are told COMPACTED); the others go on.
     */
    public synchronized void snapshotInstalled(long appliedIndex) {
        history.clear();
        historyTimes.clear();
        historyBytes = 0;
        applied = appliedIndex;
        oldest = appliedIndex + 1;
        for (Watcher w : watchers) {
            if (w.next <= appliedIndex) {
                end(w, "the replica installed a snapshot past revision " + w.next, false);
            }
        }
    }

    /**
     * Loop thread: whether this replica serves watchers. Not while it is out of its group's
     * configuration: it applies nothing more, so its watchers would wait in silence; they are
     * sent elsewhere, and new ones are refused until it is a member again.
     */
        public synchronized void serving(boolean serving, String why) {
        if (serving) {
            notServing = null;
        } else if (notServing == null) {
            notServing = why;
            close(why);
        }
    }

    /** The replica is going away (dropped or stopping): every watcher resumes elsewhere. */
    public synchronized void close(String why) {
        for (Watcher w : watchers) {
            end(w, why, false);
        }
    }

    /**
     * Any thread, about once a second: every watcher that was not told the applied revision
     * yet is told it, so a quiet watcher knows how far its stream is complete.
     */
    public synchronized void progress() {
        trim(nanoTime.getAsLong());
        progressDue = true;
        scheduleDrain();
    }

    /**
     * The host's progress round, about once a second: {@link #progress()}, after sending every
     * watcher elsewhere ({@link #close}) when the replica has known no leader of its group
     * ({@code leaderKnown} false at every round) for more than {@code leaderlessNanosMax}. A
     * replica cut off from its group (a partitioned follower) may fall behind without knowing;
     * its watchers resume at another replica from where they are. It keeps taking watchers, so
     * while a group has no leader anywhere a watcher moves about once a round, not in a storm.
     * Returns how many watchers were sent on.
     */
    public synchronized int progress(boolean leaderKnown, long leaderlessNanosMax) {
        long now = nanoTime.getAsLong();
        int sentOn = 0;
        if (leaderKnown) {
            leaderless = false;
        } else if (!leaderless) {
            leaderless = true;
            leaderlessSinceNanos = now;
        } else if (now - leaderlessSinceNanos > leaderlessNanosMax && !watchers.isEmpty()) {
            sentOn = watchers.size();
            close("this replica has known no leader of its shard for "
                    + java.util.concurrent.TimeUnit.NANOSECONDS.toMillis(now - leaderlessSinceNanos)
                    + " ms; resume at another replica");
        }
        progress();
        return sentOn;
    }

    /** The least time without a leader after which a replica sends its watchers elsewhere. */
    public static final long LEADERLESS_NANOS_MIN = 3_000_000_000L;

    /**
     * How long a replica may know no leader before its watchers go elsewhere, for a group whose
     * election timeouts are drawn from [electionTicks, 2 × electionTicks) ticks: three of the
     * longest, so an election (which a loaded machine may stretch to a few timeouts) rarely moves
     * anybody, and at least {@link #LEADERLESS_NANOS_MIN}.
     */
    public static long leaderlessNanosMax(int electionTicks, long tickNanos) {
        return Math.max(LEADERLESS_NANOS_MIN, 3 * 2L * electionTicks * tickNanos);
    }

    /** Drops the oldest changes beyond the retention's count, bytes or age; a revision leaves whole. */
    private void trim(long now) {
        long ageNanos = java.util.concurrent.TimeUnit.MILLISECONDS.toNanos(retention.ageMillis());
        while (!history.isEmpty() && (history.size() > retention.events() || historyBytes > retention.bytes()
                || (ageNanos > 0 && now - historyTimes.peekFirst() > ageNanos))) {
            // An Expire entry emits many events at one revision: they go together.
            long gone = history.peekFirst().revision();
            while (!history.isEmpty() && history.peekFirst().revision() == gone) {
                historyBytes -= history.removeFirst().sizeBytes();
                historyTimes.removeFirst();
            }
            oldest = gone + 1;
        }
    }

    /** Any thread: a watcher's stream can take more (gRPC's on-ready). */
    public synchronized void wake() {
        scheduleDrain();
    }

    private void scheduleDrain() {
        if (!drainScheduled && !watchers.isEmpty()) {
            drainScheduled = true;
            fanOut.execute(this::drain);
        }
    }

    /** Fan-out thread: sends each watcher what it has pending, or cuts off one too far behind. */
    private void drain() {
        List<Runnable> sends = new ArrayList<>();
        synchronized (this) {
            drainScheduled = false;
            boolean progressNow = progressDue;
            progressDue = false;
            for (Watcher w : watchers) {
                if (w.pendingBytes > pendingBytesMax) {
                    end(w, "the watcher fell " + w.pendingBytes + " bytes behind (limit " + pendingBytesMax + ")", true);
                    continue;
                }
                if (w.pending.isEmpty() && (!progressNow || w.progressSent >= applied)) {
                    continue;
                }
                List<WatchEvent> batch = new ArrayList<>(w.pending);
                long progress = applied;
                sends.add(() -> deliver(w, batch, progress));
            }
        }
        sends.forEach(Runnable::run);
    }

    private void deliver(Watcher w, List<WatchEvent> batch, long progress) {
        if (!w.sink.send(batch, progress)) {
            return; // the stream is full: what is pending stays and goes with the next drain
        }
        synchronized (this) {
            for (int i = 0; i < batch.size(); i++) {
                WatchEvent e = w.pending.removeFirst();
                w.pendingBytes -= e.sizeBytes();
            }
            w.next = Math.max(w.next, progress + 1);
            w.progressSent = Math.max(w.progressSent, progress);
            if (!w.pending.isEmpty()) {
                scheduleDrain();
            }
        }
    }

    private void end(Watcher w, String reason, boolean tooSlow) {
        if (w.done) {
            return;
        }
        w.done = true;
        watchers.remove(w);
        long resumeAt = w.pending.isEmpty() ? w.next : w.pending.peekFirst().revision();
        fanOut.execute(() -> w.sink.cancelled(reason, resumeAt, tooSlow));
    }

    /** For tests: the events retained, oldest first. */
    public synchronized List<WatchEvent> history() {
        return List.copyOf(history);
    }
}
