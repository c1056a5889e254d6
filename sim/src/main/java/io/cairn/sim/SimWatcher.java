package io.cairn.sim;

import io.cairn.common.RandomSource;
import io.cairn.kv.state.KeyRange;
import io.cairn.kv.state.WatchEvent;
import io.cairn.kv.state.WatchHub;
import java.util.ArrayList;
import java.util.List;
import java.util.function.IntFunction;

/**
 * A watcher of every key, as the Java client's {@code Watch} keeps one stream of a shard: open at
 * some node's real {@link WatchHub}, and when the stream ends (the node crashed, a snapshot
 * passed it, the replica left the group) re-opened at another node from the next revision it
 * lacks. A start revision a node no longer retains (COMPACTED) is tried at other nodes, then the
 * watcher starts a new segment from now, as a client that reads again would. What each segment
 * received is checked against the changes every node applied ({@link #check}).
 */
final class SimWatcher {
    /** One unbroken run of the watch: from {@code start}, complete through {@code through}. */
    static final class Segment {
        final long start;
        long through;
        final List<WatchEvent> events = new ArrayList<>();

        Segment(long start) {
            this.start = start;
            this.through = start - 1;
        }
    }

    private static final long RECONNECT_MICROS_MAX = 200_000;
    private static final int COMPACTED_TRIES = 4;

    private final int id;
    private final int address;
    private final Scheduler scheduler;
    private final RandomSource random;
    private final IntFunction<SimNode> nodes;
    private final int maxNodeId;
    private final boolean resumeGap;
    private final List<Segment> segments = new ArrayList<>();
    private Segment current;
    /** The next revision this watcher lacks; 0 before its first segment starts. */
    private long next;
    private WatchHub.Watcher handle;
    private int compactedInRow;
    private long reconnects;

    SimWatcher(int id, int address, Scheduler scheduler, RandomSource random, IntFunction<SimNode> nodes, int maxNodeId,
               boolean resumeGap) {
        this.resumeGap = resumeGap;
        this.id = id;
        this.address = address;
        this.scheduler = scheduler;
        this.random = random;
        this.nodes = nodes;
        this.maxNodeId = maxNodeId;
    }

    void start(long delayMicros) {
        scheduler.after(delayMicros, EventKind.WATCH, address, 0, null, this::open);
    }

    private void open() {
        int target = 1 + random.nextInt(maxNodeId);
        SimNode node = nodes.apply(target);
        if (node == null || !node.isUp()) {
            reconnectLater();
            return;
        }
        long start = next == 0 ? node.watchStartNow() : resumeGap ? next + 1 : next;
        Segment opening = current == null || next == 0 ? new Segment(start) : current;
        try {
            handle = node.watch(KeyRange.all(), start, new WatchHub.Sink() {
                @Override
                public boolean send(List<WatchEvent> events, long progressRevision) {
                    received(opening, events, progressRevision);
                    return true;
                }

                @Override
                public void cancelled(String reason, long nextRevision, boolean tooSlow) {
                    handle = null;
                    reconnectLater();
                }
            });
        } catch (WatchHub.CompactedException e) {
            if (++compactedInRow >= COMPACTED_TRIES) {
                // Every node tried lacks the history: a client reads again and watches from now.
                compactedInRow = 0;
                next = 0;
            }
            reconnectLater();
            return;
        } catch (WatchHub.NotServingException e) {
            reconnectLater();
            return;
        }
        compactedInRow = 0;
        if (opening != current) {
            segments.add(opening);
            current = opening;
            next = start;
        }
    }

    private void received(Segment segment, List<WatchEvent> events, long progressRevision) {
        if (segment != current) {
            return; // a stream of a segment this watcher already left
        }
        for (WatchEvent e : events) {
            // An Expire entry's several events share one revision and arrive in one batch.
            if (e.revision() >= next) {
                segment.events.add(e);
            }
        }
        long last = events.isEmpty() ? 0 : events.get(events.size() - 1).revision();
        next = Math.max(next, Math.max(last, progressRevision) + 1);
        segment.through = next - 1;
    }

    private void reconnectLater() {
        reconnects++;
        scheduler.after(1 + random.nextLong(RECONNECT_MICROS_MAX), EventKind.WATCH, address, 0, null, this::open);
    }

    long reconnects() {
        return reconnects;
    }

    List<Segment> segments() {
        return segments;
    }

    int id() {
        return id;
    }
}
