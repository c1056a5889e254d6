package io.cairn.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import io.cairn.client.ClusterStatus;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Parsing, validation and exit codes; nothing here needs a running cluster. */
class CairnCliTest {
    /** An address where nothing listens: a port just freed. */
    private static String deadAddress() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return "127.0.0.1:" + s.getLocalPort();
        }
    }

    private static void assertBadInput(CliRun run, String messagePart) {
        assertThat(run.exitCode()).as(run.err()).isEqualTo(CairnCli.EXIT_BAD_INPUT);
        assertThat(run.out()).isEmpty();
        assertThat(run.errLines()).hasSize(1);
        assertThat(run.err()).startsWith("cairn: ").contains(messagePart);
    }

    @Test
    void emptyKeyIsRefusedBeforeAnythingIsSent() throws IOException {
        // The endpoint is dead: had the CLI sent anything, it would exit 3 after the timeout.
        String dead = deadAddress();
        assertBadInput(CliRun.of("--endpoints", dead, "put", "", "v"), "key must not be empty");
        assertBadInput(CliRun.of("--endpoints", dead, "get", ""), "key must not be empty");
        assertBadInput(CliRun.of("--endpoints", dead, "del", ""), "key must not be empty");
    }

    @Test
    void emptyOrOversizedValuesAndKeysAreBadInput() throws IOException {
        String dead = deadAddress();
        assertBadInput(CliRun.of("--endpoints", dead, "put", "k", ""), "value must not be empty");
        assertBadInput(CliRun.of("--endpoints", dead, "put", "k".repeat(4097), "v"),
                "key is 4097 bytes, over the limit 4096");
        assertBadInput(CliRun.of("--endpoints", dead, "cas", "k", "0", ""), "value must not be empty");
        assertBadInput(CliRun.of("--endpoints", dead, "cas", "k", "-1", "v"), "must not be negative");
    }

    @Test
    void usageErrorsAreOneLine() {
        assertBadInput(CliRun.of("put", "k"), "Missing required parameter");
        assertBadInput(CliRun.of("get", "k", "--bogus"), "Unknown option");
        assertBadInput(CliRun.of("--timeout", "soon", "get", "k"), "is not a duration");
        assertBadInput(CliRun.of("get", "k", "--consistency", "strong"), "--consistency");
        assertBadInput(CliRun.of("scan", "--prefix", "a", "--from", "b"), "either --prefix or --from/--to");
        assertBadInput(CliRun.of("scan", "--from", "b", "--to", "a"), "start is after its end");
        assertBadInput(CliRun.of(), "a command is required");
    }

    @Test
    void badNodeIdIsBadInput(@TempDir Path dir) {
        assertBadInput(CliRun.of("server", "--node-id", "x1", "--listen", "127.0.0.1:0",
                "--data-dir", dir.toString()), "node name 'x1' must be n<number>");
        assertBadInput(CliRun.of("server", "--node-id", "n0", "--listen", "127.0.0.1:0",
                "--data-dir", dir.toString()), "node name 'n0'");
    }

    @Test
    void badListenAddressOrClusterIsBadInput(@TempDir Path dir) {
        assertBadInput(CliRun.of("server", "--node-id", "n1", "--listen", "localhost",
                "--data-dir", dir.toString()), "must be host:port");
        assertBadInput(CliRun.of("server", "--node-id", "n4", "--listen", "127.0.0.1:0", "--data-dir", dir.toString(),
                "--initial-cluster", "n1=127.0.0.1:7401,n2=127.0.0.1:7402"), "is not in --initial-cluster");
        assertBadInput(CliRun.of("server", "--node-id", "n1", "--listen", "127.0.0.1:0", "--data-dir", dir.toString(),
                "--election-ticks", "1"), "electionTicks >= 3");
    }

    @Test
    void aPortInUseStopsTheServerWithExitTwo(@TempDir Path dir) throws IOException {
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            String address = "127.0.0.1:" + taken.getLocalPort();
            CliRun run = assertTimeoutPreemptively(Duration.ofSeconds(20), () -> CliRun.of("server",
                    "--node-id", "n1", "--listen", address, "--data-dir", dir.resolve("n1").toString()));
            assertBadInput(run, "n1 cannot start");
            assertThat(run.err()).contains(address);
        }
    }

    @Test
    void unreachableEndpointsExitThreeNamingThem() throws IOException {
        String a = deadAddress();
        String b = deadAddress();
        CliRun run = CliRun.of("--endpoints", a + "," + b, "--timeout", "2s", "get", "k");
        assertThat(run.exitCode()).isEqualTo(CairnCli.EXIT_UNAVAILABLE);
        assertThat(run.out()).isEmpty();
        assertThat(run.errLines()).hasSize(1);
        assertThat(run.err()).contains(a).contains(b).contains("last error");
    }

    @Test
    void globalOptionsWorkAfterTheCommandToo() throws IOException {
        String a = deadAddress();
        CliRun run = CliRun.of("put", "k", "v", "--timeout", "200ms", "--endpoints", a);
        assertThat(run.exitCode()).isEqualTo(CairnCli.EXIT_UNAVAILABLE);
        assertThat(run.err()).contains(a).contains("within 200 ms");
        CliRun status = CliRun.of("cluster", "status", "--json", "--timeout", "200ms", "--endpoints", a);
        assertThat(status.exitCode()).isEqualTo(CairnCli.EXIT_UNAVAILABLE);
        assertThat(status.err()).contains(a);
    }

    @Test
    void aZeroTtlIsRefusedRatherThanTakenAsNever() {
        CliRun run = CliRun.of("put", "k", "v", "--ttl", "0s", "--endpoints", "127.0.0.1:1");
        assertThat(run.exitCode()).isEqualTo(CairnCli.EXIT_BAD_INPUT);
        assertThat(run.errLines()).singleElement().asString().contains("--ttl must be positive");
    }

    @Test
    void durationsReadCommonUnits() {
        DurationConverter c = new DurationConverter();
        assertThat(c.convert("500ms")).isEqualTo(Duration.ofMillis(500));
        assertThat(c.convert("10s")).isEqualTo(Duration.ofSeconds(10));
        assertThatThrownBy(() -> c.convert("10")).as("a bare number: seconds or milliseconds?")
                .hasMessageContaining("no unit").hasMessageContaining("10s");
        assertThat(c.convert("2m")).isEqualTo(Duration.ofMinutes(2));
        assertThat(c.convert("PT1.5S")).isEqualTo(Duration.ofMillis(1500));
    }

    @Test
    void statusJsonHasTheDocumentedShape() {
        ClusterStatus status = new ClusterStatus(1, 5, List.of(
                new ClusterStatus.Member(1, "127.0.0.1:7401", ClusterStatus.Role.LEADER, 5, 120, 120, Optional.empty()),
                new ClusterStatus.Member(2, "127.0.0.1:7402", ClusterStatus.Role.UNREACHABLE, 0, 0, 0,
                        Optional.of("UNAVAILABLE: io exception"))));
        assertThat(ClusterCommand.toJson(status)).isEqualTo("{\"leader\":\"n1\",\"term\":5,\"nodes\":["
                + "{\"id\":\"n1\",\"address\":\"127.0.0.1:7401\",\"role\":\"leader\",\"term\":5,"
                + "\"commit_index\":120,\"applied_index\":120},"
                + "{\"id\":\"n2\",\"address\":\"127.0.0.1:7402\",\"role\":\"unreachable\",\"term\":0,"
                + "\"commit_index\":0,\"applied_index\":0}]}");
        assertThat(ClusterCommand.toTable(status)).startsWith("leader n1, term 5\nID")
                .contains("unreachable").contains("UNAVAILABLE: io exception");
        assertThat(KvJson.quote("a\"b\\c\u0001")).isEqualTo("\"a\\\"b\\\\c\\u0001\"");
    }

    @Test
    void devRefusesAPortInUse(@TempDir Path dir) throws IOException {
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            int port = taken.getLocalPort();
            CliRun run = CliRun.of("dev", "--nodes", "1", "--base-port", String.valueOf(port),
                    "--data-dir", dir.toString());
            assertBadInput(run, "port " + port + " (for n1) is in use");
        }
    }
}
