package io.cairn.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.cairn.api.proto.Faults;
import io.cairn.client.CairnClient;
import io.cairn.common.NodeId;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A node's HTTP side on a real 3-node, 2-shard cluster: {@code /metrics} counts and times the
 * requests it served and reports every replica's Raft state; {@code /ready} turns 503 on a node
 * cut off from its peers, naming the shards without a leader, and 200 again once healed.
 */
class MetricsTest {
    @TempDir
    Path dir;

    private InProcessNodes nodes;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @AfterEach
    void stop() {
        if (nodes != null) {
            nodes.close();
        }
    }

    private HttpResponse<String> get(int node, String path) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + nodes.httpPort(node) + path))
                .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
    }

    /** The sum over nodes of the samples of {@code name} whose labels contain every one of {@code labels}. */
    private double sum(String name, String... labels) throws Exception {
        double total = 0;
        for (int node = 1; node <= 3; node++) {
            for (String line : get(node, "/metrics").body().split("\n")) {
                if (!line.startsWith(name + "{") && !line.startsWith(name + " ")) {
                    continue;
                }
                boolean all = true;
                for (String label : labels) {
                    all &= line.contains(label);
                }
                if (all) {
                    total += Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
                }
            }
        }
        return total;
    }

    @Test
    void countersMoveUnderLoadAndReadyFollowsIsolation() throws Exception {
        nodes = new InProcessNodes(dir, 3, 2,
                c -> c.withHttpListen("127.0.0.1:" + io.cairn.server.LocalPorts.free(), false), true).startAll();
        Awaitility.await("every node ready").atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(100))
                .until(() -> get(1, "/ready").statusCode() == 200 && get(2, "/ready").statusCode() == 200
                        && get(3, "/ready").statusCode() == 200);
        assertThat(get(2, "/health").body()).isEqualTo("ok\n");

        double putsBefore = sum("cairn_requests_seconds_count", "method=\"Put\"", "code=\"OK\"");
        try (CairnClient client = nodes.client()) {
            for (int i = 0; i < 200; i++) {
                client.put("metrics/" + i, "v" + i);
            }
            client.get("metrics/1");
            client.get("metrics/2", io.cairn.client.Consistency.EVENTUAL);
        }
        assertThat(sum("cairn_requests_seconds_count", "method=\"Put\"", "code=\"OK\"") - putsBefore)
                .as("puts counted by the nodes that served them").isGreaterThanOrEqualTo(200);
        assertThat(sum("cairn_requests_seconds_bucket", "method=\"Put\"", "le=\"+Inf\""))
                .as("the latency histogram filled").isGreaterThanOrEqualTo(200);
        assertThat(sum("cairn_requests_seconds_count", "method=\"Get\"", "consistency=\"linearizable\"")).isPositive();
        assertThat(sum("cairn_requests_seconds_count", "method=\"Put\"", "consistency=\"none\"")).isGreaterThanOrEqualTo(200);
        Awaitility.await("one leader per group: 2 shards and the metadata group").atMost(Duration.ofSeconds(30))
                .pollInterval(Duration.ofMillis(100)).until(() -> sum("cairn_raft_leader") == 3);
        assertThat(sum("cairn_raft_applied_index")).isPositive();
        assertThat(get(1, "/metrics").body()).contains("jvm_memory_used_bytes").contains("cairn_shard_size_bytes")
                .contains("cairn_rocksdb_estimate_num_keys").contains("cairn_watchers{shard=");
        assertThat(sum("cairn_wal_fsync_seconds_count")).as("every node timed its fdatasyncs").isPositive();
        assertThat(sum("cairn_wal_fsync_seconds_bucket", "le=\"+Inf\"")).as("the fsync histogram filled").isPositive();
        assertThat(sum("cairn_wal_records_total")).isGreaterThanOrEqualTo(200);
        assertThat(sum("cairn_raft_append_entries_count")).as("leaders' append batches").isPositive();
        assertThat(sum("cairn_requests_seconds_count", "method=\"Get\"", "consistency=\"eventual\"")).isEqualTo(1);
        assertThat(sum("cairn_raft_leader_changes_seen_total")).as("each replica saw its first leader").isGreaterThanOrEqualTo(9);
        assertThat(sum("cairn_shard_under_replicated")).isZero();

        // The dashboard's data: any node answers for the whole cluster.
        JsonObject cluster = JsonParser.parseString(get(2, "/api/cluster").body()).getAsJsonObject();
        assertThat(cluster.get("served_by").getAsString()).isEqualTo("n2");
        assertThat(cluster.getAsJsonArray("shards")).hasSize(3);
        assertThat(cluster.getAsJsonArray("members")).hasSize(3).allSatisfy(m -> {
            assertThat(m.getAsJsonObject().get("reachable").getAsBoolean()).isTrue();
            assertThat(m.getAsJsonObject().getAsJsonArray("replicas")).hasSize(3);
        });
        assertThat(cluster.getAsJsonArray("events").toString()).contains("became leader of shard 0");
        assertThat(get(1, "/dashboard/").body()).contains("<svg id=\"ring\"");
        assertThat(get(1, "/dashboard/no-such-file.js").statusCode()).isEqualTo(404);

        // Cut n3 off: its replicas lose their leader within an election timeout.
        String a1 = nodes.spec.address(NodeId.of(1));
        String a2 = nodes.spec.address(NodeId.of(2));
        String a3 = nodes.spec.address(NodeId.of(3));
        InProcessNodes.setFaults(a3, Faults.newBuilder().addBlockedAddresses(a1).addBlockedAddresses(a2).build());
        InProcessNodes.setFaults(a1, Faults.newBuilder().addBlockedAddresses(a3).build());
        InProcessNodes.setFaults(a2, Faults.newBuilder().addBlockedAddresses(a3).build());
        Awaitility.await("n3 not ready").atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(100))
                .until(() -> get(3, "/ready").statusCode() == 503);
        assertThat(get(3, "/ready").body()).startsWith("not ready: no leader known for");
        Awaitility.await("the majority side serves").atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(100))
                .until(() -> get(1, "/ready").statusCode() == 200);

        for (String address : List.of(a1, a2, a3)) {
            InProcessNodes.setFaults(address, Faults.getDefaultInstance());
        }
        Awaitility.await("n3 ready again").atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(100))
                .until(() -> get(3, "/ready").statusCode() == 200);
    }
}
