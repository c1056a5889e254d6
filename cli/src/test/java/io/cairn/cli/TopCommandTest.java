package io.cairn.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.cairn.common.NodeId;
import io.cairn.server.CairnServer;
import io.cairn.server.ClusterSpec;
import io.cairn.server.ServerConfig;
import java.nio.file.Path;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code cairn top --once} against a real node serving HTTP, and its reading of Prometheus text. */
class TopCommandTest {
    @TempDir
    Path dir;

    @Test
    void oneViewNamesTheNodeItsHttpAddressAndItsFigures() throws Exception {
        String http = "127.0.0.1:" + io.cairn.server.LocalPorts.free();
        ServerConfig config = ServerConfig.of(NodeId.of(1), "127.0.0.1:0", dir.resolve("n1"),
                ClusterSpec.parse("n1=127.0.0.1:0")).withTicks(10, 5).withHttpListen(http, false);
        try (CairnServer server = CairnServer.start(config)) {
            String endpoint = "127.0.0.1:" + server.port();
            CliRun put = CliRun.of("--endpoints", endpoint, "put", "k", "v");
            assertThat(put.exitCode()).as(put.err()).isZero();

            CliRun top = CliRun.of("--endpoints", endpoint, "top", "--once", "--json", "--interval", "300ms");
            assertThat(top.exitCode()).as(top.err()).isZero();
            assertThat(top.out()).startsWith("{\"nodes\":[{\"id\":\"n1\",\"address\":\"" + endpoint + "\",\"role\":\"leader\","
                    + "\"http\":\"" + http + "\",\"ready\":true,\"leads\":1.000,\"req_per_s\":");
            // The spec's own address (port 0) is listed too, as a member nobody reaches: only the first is judged.
            assertThat(top.out().substring(0, top.out().indexOf('}'))).matches(".*\"req_per_s\":\\d+\\.\\d{3},"
                    + "\"err_per_s\":0\\.000,\"p50_ms\":\\d+\\.\\d{3},\"p99_ms\":\\d+\\.\\d{3},\"heap_mb\":\\d+\\.\\d{3}");

            CliRun table = CliRun.of("--endpoints", endpoint, "top", "--once", "--interval", "200ms");
            assertThat(table.out()).startsWith("NODE  ADDRESS").contains("n1    " + endpoint).contains("leader");
            assertThat(CliRun.of("--endpoints", endpoint, "top", "--json").exitCode()).isEqualTo(CairnCli.EXIT_BAD_INPUT);
        }
    }

    /** Quantiles of cumulative buckets, interpolated as Prometheus does: a table of cases. */
    @Test
    void quantilesInterpolateWithinTheirBucket() {
        PromText text = PromText.parse("""
                # HELP x latency
                x_bucket{method="Get",le="0.001"} 50
                x_bucket{method="Get",le="0.01"} 90
                x_bucket{method="Get",le="+Inf"} 100
                x_bucket{method="Put",le="0.001"} 0
                x_bucket{method="Put",le="0.01"} 0
                x_bucket{method="Put",le="+Inf"} 0
                x_count{method="Get",code="OK"} 98
                x_count{method="Get",code="UNAVAILABLE"} 2
                """);
        TreeMap<Double, Double> buckets = text.buckets("x_bucket");
        assertThat(PromText.quantile(buckets, 0.5)).isEqualTo(0.001);
        assertThat(PromText.quantile(buckets, 0.25)).isEqualTo(0.0005);
        assertThat(PromText.quantile(buckets, 0.7)).isCloseTo(0.0055, org.assertj.core.data.Offset.offset(1e-9));
        assertThat(PromText.quantile(buckets, 0.99)).as("past the last finite bound").isEqualTo(0.01);
        assertThat(PromText.quantile(new TreeMap<>(), 0.5)).isNaN();
        assertThat(text.sum("x_count", l -> true)).isEqualTo(100);
        assertThat(text.sum("x_count", l -> !"OK".equals(l.get("code")))).isEqualTo(2);
    }
}
