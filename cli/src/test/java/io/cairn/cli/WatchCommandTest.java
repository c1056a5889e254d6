package io.cairn.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code cairn watch} against a real single-node server in this JVM. */
class WatchCommandTest {
    @TempDir
    Path dir;

    @Test
    void printsEachChangeOnceFromARevisionAsTextOrJson() throws Exception {
        try (SingleNodeServer server = SingleNodeServer.start(dir)) {
            server.ok("put", "cfg/a", "1");
            server.ok("put", "cfg/b", "2");
            server.ok("put", "other", "x");
            server.ok("del", "cfg/a");

            CliRun history = server.ok("watch", "cfg/", "--from-revision", "1", "--count", "3");
            String[] lines = history.out().split("\n");
            assertThat(lines).hasSize(3);
            assertThat(lines[0]).startsWith("PUT\tcfg/a\t1\t0:");
            assertThat(lines[1]).startsWith("PUT\tcfg/b\t2\t0:");
            assertThat(lines[2]).startsWith("DELETE\tcfg/a\t\t0:");

            CliRun json = server.ok("watch", "cfg/b", "--key", "--from-revision", "1", "--count", "1", "--json");
            assertThat(json.out()).startsWith("{\"type\":\"put\",\"shard\":0,\"revision\":").contains("\"key\":\"cfg/b\"")
                    .contains("\"value\":\"2\"").endsWith(",\"version\":1}\n");

            // From now: only what comes after the watch started.
            CompletableFuture<CliRun> live = CompletableFuture.supplyAsync(() -> server.cli("watch", "cfg/", "--count", "1"));
            org.awaitility.Awaitility.await("the live watch started").atMost(Duration.ofSeconds(20))
                    .pollInterval(Duration.ofMillis(100)).until(() -> {
                        server.ok("put", "cfg/c", "3");
                        return live.isDone();
                    });
            CliRun run = live.get(10, TimeUnit.SECONDS);
            assertThat(run.exitCode()).isZero();
            assertThat(run.out()).startsWith("PUT\tcfg/c\t3\t0:");
        }
    }

    @Test
    void aBareRevisionForAPrefixOfOneShardWorksAndBadRevisionsAreRefused() throws Exception {
        try (SingleNodeServer server = SingleNodeServer.start(dir)) {
            CliRun bad = server.cli("watch", "p/", "--from-revision", "x");
            assertThat(bad.exitCode()).isEqualTo(CairnCli.EXIT_BAD_INPUT);
            assertThat(bad.err()).contains("SHARD:REV");
            assertThat(server.cli("watch", "p/", "--from-revision", "0").exitCode()).isEqualTo(CairnCli.EXIT_BAD_INPUT);
        }
    }
}
