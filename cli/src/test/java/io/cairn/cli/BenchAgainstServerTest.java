package io.cairn.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.cairn.common.NodeId;
import io.cairn.server.CairnServer;
import io.cairn.server.ClusterSpec;
import io.cairn.server.ServerConfig;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code cairn bench} against a real single-node server in this JVM. */
class BenchAgainstServerTest {
    @TempDir
    Path dir;

    private CairnServer server;
    private String endpoint;

    @BeforeEach
    void startServer() throws Exception {
        ServerConfig config = ServerConfig.of(NodeId.of(1), "127.0.0.1:0", dir.resolve("n1"),
                ClusterSpec.parse("n1=127.0.0.1:0")).withTicks(10, 5);
        server = CairnServer.start(config);
        endpoint = "127.0.0.1:" + server.port();
    }

    @AfterEach
    void stopServer() {
        server.close();
    }

    @Test
    void putPrintsOneJsonLineWithOps() {
        // Wait for the node to elect itself, so the one measured second measures writes.
        assertThat(CliRun.of("--endpoints", endpoint, "put", "ready", "yes").exitCode()).isZero();
        CliRun run = assertTimeoutPreemptively(Duration.ofSeconds(30), () -> CliRun.of("--endpoints", endpoint,
                "bench", "put", "--seconds", "1", "--warmup", "0", "--clients", "4", "--json"));
        assertThat(run.exitCode()).as(run.err()).isZero();
        assertThat(run.out().lines()).hasSize(1);
        JsonObject json = JsonParser.parseString(run.out()).getAsJsonObject();
        assertThat(json.get("workload").getAsString()).isEqualTo("put");
        assertThat(json.get("clients").getAsInt()).isEqualTo(4);
        assertThat(json.get("seconds").getAsInt()).isEqualTo(1);
        assertThat(json.get("ops").getAsLong()).isPositive();
        assertThat(json.get("ops_per_s").getAsDouble()).isPositive();
        assertThat(json.get("p50_ms").getAsDouble()).isPositive();
        assertThat(json.get("p999_ms").getAsDouble()).isGreaterThanOrEqualTo(json.get("p99_ms").getAsDouble());
        assertThat(json.get("errors").getAsLong()).isZero();
        assertThat(json.getAsJsonObject("errors_by_kind").keySet())
                .containsExactly("unavailable", "timeout", "cas_conflict", "txn_conflict", "other");
    }
}
