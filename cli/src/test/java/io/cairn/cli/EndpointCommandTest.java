package io.cairn.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.cairn.common.NodeId;
import io.cairn.server.CairnServer;
import io.cairn.server.ClusterSpec;
import io.cairn.server.ServerConfig;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code cairn endpoint health} against a real single-node server and a port nobody serves. */
class EndpointCommandTest {
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
    void aServingNodeIsHealthyAndAnAddressNobodyServesIsNot() {
        CliRun ok = CliRun.of("--endpoints", endpoint, "endpoint", "health");
        assertThat(ok.exitCode()).as(ok.err()).isZero();
        assertThat(ok.out()).matches(endpoint.replace(".", "\\.") + " is healthy: a linearizable read through it"
                + " took \\d+\\.\\d ms\n");

        String dead = "127.0.0.1:" + io.cairn.server.LocalPorts.free();
        CliRun mixed = CliRun.of("--endpoints", endpoint + "," + dead, "--timeout", "1s", "endpoint", "health", "--json");
        assertThat(mixed.exitCode()).isEqualTo(CairnCli.EXIT_NEGATIVE);
        assertThat(mixed.out()).startsWith("[{\"endpoint\":\"" + endpoint + "\",\"health\":true,\"took_ms\":")
                .contains("{\"endpoint\":\"" + dead + "\",\"health\":false,").contains("\"error\":\"UNAVAILABLE");
    }
}
