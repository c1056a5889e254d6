package io.cairn.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.cairn.client.CairnClient;
import io.cairn.client.CairnException;
import io.cairn.client.Watch;
import io.cairn.client.WatchQuery;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.awaitility.Awaitility;

/**
 * A writer of unique keys under a prefix and a watcher of that prefix, on their own clients:
 * at the end every acknowledged write must have been reported exactly once, each shard's events
 * in revision order, and nothing that was not written; a write whose outcome the writer never
 * learnt may be reported, once.
 */
final class WatchedWrites implements AutoCloseable {
    private final String prefix;
    private final CairnClient writer;
    private final CairnClient watcher;
    private final WatchTest.Recorder seen = new WatchTest.Recorder();
    private final Watch watch;
    private final List<String> acknowledged = new ArrayList<>();
    private final Set<String> unknown = new HashSet<>();
    private int next;
    private volatile boolean running;
    private Thread thread;

    WatchedWrites(List<String> endpoints, String prefix) {
        this.prefix = prefix;
        this.writer = CairnClient.builder().endpoints(endpoints).requestTimeout(Duration.ofSeconds(10)).build();
        this.watcher = CairnClient.builder().endpoints(endpoints).requestTimeout(Duration.ofSeconds(30)).build();
        this.watch = watcher.watch(WatchQuery.prefix(prefix), seen);
    }

    /** Writes {@code count} new keys now, one after the other. */
    synchronized void write(int count) {
        for (int i = 0; i < count; i++) {
            String key = prefix + next;
            String value = "v" + next++;
            try {
                writer.put(key, value);
                acknowledged.add(key + "=" + value);
            } catch (CairnException e) {
                unknown.add(key + "=" + value);
            }
        }
    }

    /** Keeps writing on a thread of its own until {@link #check}. */
    void startWriting() {
        running = true;
        thread = new Thread(() -> {
            while (running) {
                write(1);
            }
        }, "watched-writes");
        thread.start();
    }

    /** Stops writing, waits for the last acknowledged write to be reported, and checks; returns a summary. */
    String check(Duration timeout) throws InterruptedException {
        running = false;
        if (thread != null) {
            thread.join();
        }
        List<String> acked;
        synchronized (this) {
            acked = List.copyOf(acknowledged);
        }
        assertThat(acked).as("acknowledged writes").isNotEmpty();
        String last = acked.get(acked.size() - 1);
        Awaitility.await("the last acknowledged write reported").atMost(timeout)
                .until(() -> seen.puts().contains(last) || seen.error != null);
        assertThat(seen.error).as("the watch never ended by itself").isNull();
        List<String> puts = seen.puts();
        assertThat(puts).as("no change reported twice").doesNotHaveDuplicates();
        assertThat(puts).as("every acknowledged write reported").containsAll(acked);
        assertThat(puts).as("nothing that was not written").allMatch(p -> acked.contains(p) || unknown.contains(p));
        seen.assertEachShardInRevisionOrderWithoutRepeats();
        return String.format("%d writes acknowledged, %d of unknown outcome, %d reported, %d reconnects",
                acked.size(), unknown.size(), puts.size(), watch.reconnects());
    }

    long reconnects() {
        return watch.reconnects();
    }

    @Override
    public void close() {
        running = false;
        watch.close();
        writer.close();
        watcher.close();
    }
}
