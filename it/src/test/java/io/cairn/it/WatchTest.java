package io.cairn.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.cairn.client.CairnClient;
import io.cairn.client.Watch;
import io.cairn.client.WatchEvent;
import io.cairn.client.WatchQuery;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** Watches against three in-process nodes and four shards: order, resumption, expiry, compaction. */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class WatchTest {
    @TempDir
    Path dir;

    /** Every event a watch reported, and the stream's end if it ended. */
    static final class Recorder implements Watch.Listener {
        final List<WatchEvent> events = new CopyOnWriteArrayList<>();
        final TreeMap<Integer, Long> progress = new TreeMap<>();
        volatile Throwable error;

        @Override
        public synchronized void onEvents(int shard, List<WatchEvent> batch, long progressRevision) {
            events.addAll(batch);
            progress.merge(shard, progressRevision, Math::max);
        }

        @Override
        public void onError(Throwable e) {
            error = e;
        }

        List<String> puts() {
            return events.stream().filter(e -> e.type() == WatchEvent.Type.PUT).map(e -> e.keyUtf8() + "=" + e.valueUtf8())
                    .toList();
        }

        /** Each shard's revisions strictly grow, across every batch and reconnect. */
        void assertEachShardInRevisionOrderWithoutRepeats() {
            TreeMap<Integer, Long> last = new TreeMap<>();
            for (WatchEvent e : events) {
                Long before = last.put(e.shard(), e.revision());
                // One Expire entry may remove several keys at one revision.
                assertThat(before == null || before < e.revision() || before == e.revision() && e.type() == WatchEvent.Type.EXPIRE)
                        .as("%s after revision %s", e, before).isTrue();
            }
        }
    }

    @Test
    void aPrefixWatchSeesEveryChangeOnEveryShardOnceAndResumesWhereItLeftOff() throws Exception {
        try (InProcessNodes nodes = new InProcessNodes(dir, 3, 4).startAll(); CairnClient client = nodes.client()) {
            client.put("other/x", "not watched");
            Recorder first = new Recorder();
            List<String> written = new ArrayList<>();
            Map<Integer, Long> resumeAt;
            try (Watch watch = client.watch(WatchQuery.prefix("w/"), first)) {
                for (int i = 0; i < 120; i++) {
                    client.put("w/" + i, "v" + i);
                    written.add("w/" + i + "=v" + i);
                }
                client.delete("w/7".getBytes(StandardCharsets.UTF_8));
                client.put("w/ttl".getBytes(StandardCharsets.UTF_8), "soon".getBytes(StandardCharsets.UTF_8),
                        Duration.ofMillis(300));
                Awaitility.await("every change reported").atMost(Duration.ofSeconds(30))
                        .until(() -> first.events.stream().anyMatch(e -> e.type() == WatchEvent.Type.EXPIRE));
                resumeAt = new TreeMap<>();
                for (int shard = 0; shard < 4; shard++) {
                    resumeAt.put(shard, watch.nextRevision(shard));
                }
            }
            assertThat(first.error).isNull();
            assertThat(first.puts()).containsAll(written).doesNotContain("other/x=not watched");
            assertThat(first.events).filteredOn(e -> e.type() == WatchEvent.Type.DELETE).extracting(WatchEvent::keyUtf8)
                    .containsExactly("w/7");
            assertThat(first.events.stream().map(WatchEvent::shard).distinct()).as("a prefix spans shards").hasSize(4);
            first.assertEachShardInRevisionOrderWithoutRepeats();

            // Changes made while nobody watched come back, and nothing before them does.
            TreeMap<Integer, Long> lastWritten = new TreeMap<>();
            resumeAt.forEach((shard, next) -> lastWritten.put(shard, next - 1));
            for (int i = 0; i < 30; i++) {
                byte[] key = ("w/later/" + i).getBytes(StandardCharsets.UTF_8);
                long revision = client.put(key, ("l" + i).getBytes(StandardCharsets.UTF_8)).modRevision();
                lastWritten.merge(client.shardOf(key), revision, Math::max);
            }
            Recorder second = new Recorder();
            try (Watch watch = client.watch(WatchQuery.prefix("w/").fromRevisions(resumeAt), second)) {
                // Complete through every later write on every shard: any stray event would have come by then.
                Awaitility.await("the missed changes").atMost(Duration.ofSeconds(30)).until(() -> {
                    synchronized (second) {
                        return lastWritten.entrySet().stream()
                                .allMatch(e -> second.progress.getOrDefault(e.getKey(), 0L) >= e.getValue());
                    }
                });
            }
            assertThat(second.puts()).hasSize(30).allMatch(p -> p.startsWith("w/later/"));
            second.assertEachShardInRevisionOrderWithoutRepeats();
        }
    }

    /**
     * A follower cut off from its group keeps serving what it has, and would hold its watchers
     * in silence until it rejoins; once it has known no leader for a while (3 s here), it sends
     * them on, and they resume at a replica that hears the leader, from where they were.
     */
    @Test
    void aWatcherOnAPartitionedFollowerResumesAtAReplicaThatHearsItsLeader() throws Exception {
        try (InProcessNodes nodes = new InProcessNodes(dir, 3, 1, c -> c, true).startAll();
             CairnClient writer = nodes.client()) {
            writer.put("p/0", "before");
            long leader = Awaitility.await("a leader").atMost(Duration.ofSeconds(30))
                    .until(() -> writer.clusterStatus().leaderId(), id -> id != 0);
            long cut = leader % 3 + 1;
            String cutAddress = nodes.spec.address(io.cairn.common.NodeId.of(cut));
            List<String> others = nodes.spec.addresses().values().stream().filter(a -> !a.equals(cutAddress)).toList();
            // The watcher knows the cut follower first, so its one stream opens there.
            List<String> endpoints = new ArrayList<>(List.of(cutAddress));
            endpoints.addAll(others);
            Recorder seen = new Recorder();
            try (CairnClient watching = CairnClient.builder().endpoints(endpoints).build();
                 Watch watch = watching.watch(WatchQuery.prefix("p/"), seen)) {
                writer.put("p/1", "while whole");
                Awaitility.await("a change before the cut").atMost(Duration.ofSeconds(30))
                        .until(() -> seen.puts().contains("p/1=while whole"));
                assertThat(watch.reconnects()).as("nothing broke yet").isZero();

                InProcessNodes.setFaults(cutAddress, io.cairn.api.proto.Faults.newBuilder().addAllBlockedAddresses(others).build());
                for (String other : others) {
                    InProcessNodes.setFaults(other, io.cairn.api.proto.Faults.newBuilder().addBlockedAddresses(cutAddress).build());
                }
                List<String> written = new ArrayList<>();
                for (int i = 2; i < 12; i++) {
                    writer.put("p/" + i, "during the cut");
                    written.add("p/" + i + "=during the cut");
                }
                Awaitility.await("the changes made during the cut, through another replica").atMost(Duration.ofSeconds(30))
                        .until(() -> seen.puts().containsAll(written));
                assertThat(watch.reconnects()).as("the stream moved").isPositive();
                assertThat(seen.error).isNull();
                seen.assertEachShardInRevisionOrderWithoutRepeats();
                assertThat(seen.puts()).as("each change once").doesNotHaveDuplicates();
            } finally {
                for (String a : nodes.spec.addresses().values()) {
                    InProcessNodes.setFaults(a, io.cairn.api.proto.Faults.getDefaultInstance());
                }
            }
        }
    }

    @Test
    void aRevisionNoReplicaKeepsAnyMoreIsCompactedNamingTheOldest() throws Exception {
        try (InProcessNodes nodes = new InProcessNodes(dir, 3, 1).startAll()) {
            try (CairnClient client = nodes.client()) {
                for (int i = 0; i < 20; i++) {
                    client.put("k" + i, "v");
                }
            }
            // Watch history is memory: after a restart the replicas keep only what comes next.
            for (int id = 1; id <= 3; id++) {
                nodes.stop(id);
            }
            for (int id = 1; id <= 3; id++) {
                nodes.start(id);
            }
            try (CairnClient client = nodes.client()) {
                client.put("after", "restart");
                assertThatThrownBy(() -> client.watch(WatchQuery.prefix("").fromRevision(0, 1), new Recorder()))
                        .isInstanceOfSatisfying(Watch.CompactedException.class, e -> {
                            assertThat(e.shard()).isZero();
                            assertThat(e.oldestRevision()).isGreaterThan(20);
                            assertThat(e.getMessage()).contains("compacted");
                        });
            }
        }
    }
}
