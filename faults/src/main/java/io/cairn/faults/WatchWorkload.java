package io.cairn.faults;

import io.cairn.client.CairnClient;
import io.cairn.client.CairnException;
import io.cairn.client.Watch;
import io.cairn.client.WatchEvent;
import io.cairn.client.WatchQuery;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

/**
 * A watcher under the scenario's faults: one writer puts unique keys under {@code watch/} while
 * a watcher follows the prefix. At the end every acknowledged write must have been reported
 * exactly once, each shard's changes in revision order, and nothing that was not written (a
 * write of unknown outcome may be reported, once); the watch must not have ended by itself.
 */
final class WatchWorkload {
    private static final String PREFIX = "watch/";

    private final SecureSetup security;
    private final List<String> endpoints;
    private final Duration requestTimeout;
    private final List<WatchEvent> events = new CopyOnWriteArrayList<>();
    private final List<String> acknowledged = new ArrayList<>();
    private final Set<String> unknown = new HashSet<>();
    private volatile Throwable ended;
    private volatile boolean running;
    private Thread writerThread;
    private CairnClient watcher;
    private Watch watch;

    WatchWorkload(SecureSetup security, List<String> endpoints, Duration requestTimeout) {
        this.security = security;
        this.endpoints = List.copyOf(endpoints);
        this.requestTimeout = requestTimeout;
    }

    void start() {
        watcher = security.client(endpoints).requestTimeout(Duration.ofSeconds(30)).build();
        watch = watcher.watch(WatchQuery.prefix(PREFIX), new Watch.Listener() {
            @Override
            public void onEvents(int shard, List<WatchEvent> batch, long progressRevision) {
                events.addAll(batch);
            }

            @Override
            public void onError(Throwable error) {
                ended = error;
            }
        });
        running = true;
        writerThread = new Thread(this::write, "fault-watch-writer");
        writerThread.start();
    }

    private void write() {
        try (CairnClient writer = security.client(endpoints).requestTimeout(requestTimeout).build()) {
            for (long n = 0; running; n++) {
                String kv = PREFIX + n + "=v" + n;
                try {
                    writer.put(PREFIX + n, "v" + n);
                    synchronized (this) {
                        acknowledged.add(kv);
                    }
                } catch (CairnException e) {
                    synchronized (this) {
                        unknown.add(kv);
                    }
                }
            }
        }
    }

    void signalStop() {
        running = false;
    }

    /**
     * After the cluster healed: waits (up to {@code timeout}) for the last acknowledged write to be
     * reported, closes the watch and returns what went wrong (empty when nothing did).
     */
    List<String> check(Duration timeout) throws InterruptedException {
        running = false;
        writerThread.join(TimeUnit.MINUTES.toMillis(1));
        List<String> acked;
        Set<String> maybe;
        synchronized (this) {
            acked = List.copyOf(acknowledged);
            maybe = Set.copyOf(unknown);
        }
        List<String> problems = new ArrayList<>();
        long deadline = System.nanoTime() + timeout.toNanos();
        String last = acked.isEmpty() ? null : acked.get(acked.size() - 1);
        while (last != null && !puts().contains(last) && ended == null && System.nanoTime() < deadline) {
            TimeUnit.MILLISECONDS.sleep(50); // polling what the watcher got, with a deadline
        }
        watch.close();
        watcher.close();
        if (ended != null) {
            problems.add("the watch ended by itself: " + ended);
        }
        List<String> puts = puts();
        Set<String> once = new HashSet<>();
        for (String p : puts) {
            if (!once.add(p)) {
                problems.add("watch reported " + p + " twice");
            }
        }
        for (String a : acked) {
            if (!once.contains(a)) {
                problems.add("watch never reported the acknowledged write " + a);
            }
        }
        for (String p : once) {
            if (!acked.contains(p) && !maybe.contains(p)) {
                problems.add("watch reported " + p + ", which was never written");
            }
        }
        TreeMap<Integer, Long> lastRevision = new TreeMap<>();
        for (WatchEvent e : events) {
            Long before = lastRevision.put(e.shard(), e.revision());
            if (before != null && before >= e.revision()) {
                problems.add("watch reported shard " + e.shard() + " revision " + e.revision() + " after " + before);
            }
        }
        return problems.size() > 20 ? List.copyOf(problems.subList(0, 20)) : problems;
    }

    private List<String> puts() {
        return events.stream().filter(e -> e.type() == WatchEvent.Type.PUT).map(e -> e.keyUtf8() + "=" + e.valueUtf8())
                .toList();
    }

    /** Acknowledged writes and events seen, for the report. */
    String summary() {
        return acknowledged.size() + " writes acknowledged, " + events.size() + " events, " + watch.reconnects()
                + " reconnects";
    }
}
