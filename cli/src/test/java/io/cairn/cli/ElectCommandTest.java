package io.cairn.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.cairn.common.NodeId;
import io.cairn.server.CairnServer;
import io.cairn.server.ClusterSpec;
import io.cairn.server.ServerConfig;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code cairn elect} against a real single-node server in this JVM. */
class ElectCommandTest {
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

    private CliRun cli(String... args) {
        String[] all = new String[args.length + 4];
        all[0] = "--endpoints";
        all[1] = endpoint;
        all[2] = "--timeout";
        all[3] = "2s";
        System.arraycopy(args, 0, all, 4, args.length);
        return CliRun.of(all);
    }

    @Test
    void aCandidateIsElectedAListenerSeesItAndLosingTheClusterEndsTheLeadership() throws Exception {
        CompletableFuture<CliRun> leader = CompletableFuture.supplyAsync(() -> cli("elect", "svc", "10.0.0.1:80", "--ttl", "1s"));
        // The first line a listener prints is the leader at that moment: none, until the campaign won.
        CliRun listened = org.awaitility.Awaitility.await("a listener sees the leader")
                .atMost(java.time.Duration.ofSeconds(20)).pollInterval(java.time.Duration.ofMillis(100))
                .until(() -> cli("elect", "svc", "--listen", "--count", "1", "--json"), r -> r.out().contains("\"leader\":true"));

        assertThat(listened.exitCode()).as(listened.err()).isZero();
        assertThat(listened.out().trim()).matches("\\{\"name\":\"svc\",\"leader\":true,\"token\":[1-9][0-9]*,\"value\":\"10.0.0.1:80\"}");

        server.close(); // the leader can no longer prove its session alive
        CliRun led = leader.get(30, TimeUnit.SECONDS);
        assertThat(led.exitCode()).isEqualTo(CairnCli.EXIT_NEGATIVE);
        assertThat(led.out()).startsWith("svc: elected 10.0.0.1:80 token=");
        assertThat(led.err()).contains("no longer the leader of svc");
    }

    @Test
    void badInputIsRefused() {
        assertThat(cli("elect", "svc").exitCode()).isEqualTo(CairnCli.EXIT_BAD_INPUT);
        assertThat(cli("elect", "svc", "v", "--listen").exitCode()).isEqualTo(CairnCli.EXIT_BAD_INPUT);
        assertThat(cli("elect", "svc", "v", "--count", "2").exitCode()).isEqualTo(CairnCli.EXIT_BAD_INPUT);
    }
}
