package io.cairn.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The CLI's commands against a real single-node server in this JVM. */
class CliAgainstServerTest {
    @TempDir
    Path dir;

    private SingleNodeServer server;
    private String endpoint;

    @BeforeEach
    void startServer() throws Exception {
        server = SingleNodeServer.start(dir);
        endpoint = server.endpoint();
    }

    @AfterEach
    void stopServer() {
        server.close();
    }

    private CliRun cli(String... args) {
        return server.cli(args);
    }

    private CliRun ok(String... args) {
        return server.ok(args);
    }

    @Test
    void putGetCasDelAndScan() {
        // The first request may wait for the node to elect itself; the client retries until then.
        assertThat(ok("put", "hello", "world").out()).startsWith("OK version=1 ");
        // The value's bytes alone: a newline follows on a terminal only.
        assertThat(ok("get", "hello").out()).isEqualTo("world");
        assertThat(ok("get", "hello", "--consistency", "eventual").out()).isEqualTo("world");
        assertThat(ok("get", "hello", "--consistency", "lease").out()).isEqualTo("world");
        assertThat(ok("get", "hello", "--consistency", "bounded:500ms", "--json").out())
                .contains("\"value\":\"world\"", "\"served_by\":\"n1\"").containsPattern("\"staleness_ms_max\":[0-9]+}");
        CliRun noUnit = cli("get", "hello", "--consistency", "bounded:500");
        assertThat(noUnit.exitCode()).isEqualTo(CairnCli.EXIT_BAD_INPUT);
        assertThat(noUnit.err()).contains("bounded:500ms");

        assertThat(ok("cas", "hello", "1", "there").out()).isEqualTo("2\n");
        CliRun mismatch = cli("cas", "hello", "1", "again");
        assertThat(mismatch.exitCode()).isEqualTo(CairnCli.EXIT_NEGATIVE);
        assertThat(mismatch.out()).isEmpty();
        assertThat(mismatch.err()).contains("expected 1, current 2");
        assertThat(ok("cas", "fresh", "0", "new").out()).isEqualTo("1\n");

        for (String k : new String[] {"a/1", "a/2", "a/3", "b/1"}) {
            ok("put", k, "v-" + k);
        }
        assertThat(ok("scan", "--prefix", "a/").out()).isEqualTo("a/1\tv-a/1\na/2\tv-a/2\na/3\tv-a/3\n");
        assertThat(ok("scan", "--prefix", "a/", "--limit", "2").out()).isEqualTo("a/1\tv-a/1\na/2\tv-a/2\n");
        assertThat(ok("scan", "--from", "a/2", "--to", "b/1").out()).isEqualTo("a/2\tv-a/2\na/3\tv-a/3\n");
        assertThat(ok("scan").out().lines()).hasSize(6);

        assertThat(ok("del", "hello").out()).isEqualTo("1\n");
        assertThat(ok("del", "hello").out()).isEqualTo("0\n");
        CliRun missing = cli("get", "hello");
        assertThat(missing.exitCode()).isEqualTo(CairnCli.EXIT_NEGATIVE);
        assertThat(missing.out()).isEmpty();
        assertThat(missing.err()).isEqualTo("key not found: hello\n");
    }

    @Test
    void expirePersistAndTtlChangeAndReportAKeysTimeLeft() {
        ok("put", "t", "v");
        assertThat(ok("ttl", "t").out()).isEqualTo("none\n");
        assertThat(ok("expire", "t", "30s").out()).isEqualTo("1\n");
        assertThat(ok("ttl", "t").out()).matches("(29\\.[0-9]{3}|30\\.000)s\n");
        assertThat(ok("ttl", "t", "--json").out()).matches("\\{\"ttl_ms\":[0-9]+,\"expires_at_ms\":[0-9]+}\n");
        assertThat(ok("get", "t").out()).as("the value stays").isEqualTo("v");
        assertThat(ok("persist", "t").out()).isEqualTo("1\n");
        assertThat(ok("ttl", "t", "--json").out()).isEqualTo("{\"ttl_ms\":null,\"expires_at_ms\":null}\n");

        CliRun absent = cli("expire", "nothing", "10s");
        assertThat(absent.exitCode()).isEqualTo(CairnCli.EXIT_NEGATIVE);
        assertThat(absent.out()).isEqualTo("0\n");
        assertThat(absent.err()).contains("key not found");
        assertThat(cli("ttl", "nothing").exitCode()).isEqualTo(CairnCli.EXIT_NEGATIVE);
        for (String bad : new String[] {"0s", "10", "-5s"}) {
            CliRun run = cli("expire", "t", bad);
            assertThat(run.exitCode()).as(bad).isEqualTo(CairnCli.EXIT_BAD_INPUT);
            assertThat(run.err().lines()).hasSize(1);
        }
        assertThat(ok("ttl", "t").out()).as("bad input changed nothing").isEqualTo("none\n");
    }

    @Test
    void aDataDirOfAnotherNodeIsRefusedWithExitTwo() {
        server.close();
        CliRun run = assertTimeoutPreemptively(Duration.ofSeconds(20), () -> CliRun.of("server",
                "--node-id", "n2", "--listen", "127.0.0.1:0", "--data-dir", dir.resolve("n1").toString(),
                "--initial-cluster", "n1=127.0.0.1:0,n2=127.0.0.1:0"));
        assertThat(run.exitCode()).as(run.err()).isEqualTo(CairnCli.EXIT_BAD_INPUT);
        assertThat(run.err().split("\\R")).hasSize(1);
        assertThat(run.err()).startsWith("cairn: n2 cannot start: ").contains(dir.resolve("n1").toString());
    }

    @Test
    void clusterStatusReportsTheSingleLeader() {
        ok("put", "k", "v");
        String json = ok("cluster", "status", "--json").out().trim();
        assertThat(json).startsWith("{\"leader\":\"n1\",\"term\":")
                .contains("\"id\":\"n1\"", "\"role\":\"leader\"", "\"address\":\"" + endpoint + "\"");
        assertThat(json.lines()).hasSize(1);
        assertThat(ok("cluster", "status").out()).startsWith("leader n1, term ").contains("leader");
    }
}
