package io.cairn.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code cairn endpoint health} against a real single-node server and a port nobody serves. */
class EndpointCommandTest {
    @TempDir
    Path dir;

    private SingleNodeServer node;

    @BeforeEach
    void startServer() throws Exception {
        node = SingleNodeServer.start(dir);
    }

    @AfterEach
    void stopServer() {
        node.close();
    }

    @Test
    void aServingNodeIsHealthyAndAnAddressNobodyServesIsNot() {
        String endpoint = node.endpoint();
        CliRun ok = node.cli("endpoint", "health");
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
