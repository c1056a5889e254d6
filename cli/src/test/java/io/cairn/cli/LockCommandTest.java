package io.cairn.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.cairn.common.NodeId;
import io.cairn.server.CairnServer;
import io.cairn.server.ClusterSpec;
import io.cairn.server.ServerConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code cairn lock NAME -- COMMAND} against a real single-node server in this JVM. */
class LockCommandTest {
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
    void runsTheCommandWithTheTokenAndExitsWithItsStatusThenReleases() throws Exception {
        Path seen = dir.resolve("seen");
        CliRun run = cli("lock", "job", "--", "sh", "-c", "echo \"$CAIRN_LOCK_NAME $CAIRN_LOCK_TOKEN\" > " + seen + "; exit 7");

        assertThat(run.exitCode()).as(run.err()).isEqualTo(7);
        assertThat(Files.readString(seen).trim()).matches("job [1-9][0-9]*");
        assertThat(run.err()).contains("holding lock job with token");
        CliRun show = cli("lock", "show", "job", "--json");
        assertThat(show.exitCode()).as("released: free").isEqualTo(CairnCli.EXIT_NEGATIVE);
        assertThat(show.out().trim()).isEqualTo("{\"name\":\"job\",\"held\":false}");
    }

    @Test
    void aBusyLockWaitsAtMostWaitThenExitsOneWithoutRunningTheCommand() throws Exception {
        Path started = dir.resolve("started");
        CompletableFuture<CliRun> holder = CompletableFuture.supplyAsync(
                () -> cli("lock", "busy", "--", "sh", "-c", "touch " + started + "; sleep 3"));
        Awaitility.await("the holder's command started").atMost(Duration.ofSeconds(20)).until(() -> Files.exists(started));

        Path ran = dir.resolve("ran");
        CliRun second = cli("lock", "busy", "--wait", "300ms", "--", "touch", ran.toString());

        assertThat(second.exitCode()).isEqualTo(CairnCli.EXIT_NEGATIVE);
        assertThat(second.err()).contains("lock busy is held by another owner");
        assertThat(ran).doesNotExist();
        CliRun show = cli("lock", "show", "busy");
        assertThat(show.exitCode()).isZero();
        assertThat(show.out()).startsWith("busy held token=");
        assertThat(holder.get(30, TimeUnit.SECONDS).exitCode()).isZero();
    }

    @Test
    void aWaiterGetsTheLockWhenTheHolderFinishesAndListShowsBothMeanwhile() throws Exception {
        Path started = dir.resolve("started");
        Path go = dir.resolve("go");
        CompletableFuture<CliRun> holder = CompletableFuture.supplyAsync(() -> cli("lock", "line", "--", "sh", "-c",
                "touch " + started + "; while [ ! -e " + go + " ]; do sleep 0.05; done"));
        Awaitility.await("the holder's command started").atMost(Duration.ofSeconds(20)).until(() -> Files.exists(started));
        Path ran = dir.resolve("ran");
        CompletableFuture<CliRun> waiter = CompletableFuture.supplyAsync(
                () -> cli("lock", "line", "--wait", "30s", "--", "touch", ran.toString()));
        Awaitility.await("the second one waits in line").atMost(Duration.ofSeconds(20))
                .until(() -> cli("lock", "list", "--json").out().contains("\"waiters\":[{"));

        CliRun list = cli("lock", "list");
        assertThat(list.out()).contains("line held token=").contains("exclusive").contains("waiter #1");
        Files.createFile(go);

        assertThat(holder.get(30, TimeUnit.SECONDS).exitCode()).isZero();
        assertThat(waiter.get(30, TimeUnit.SECONDS).exitCode()).isZero();
        assertThat(ran).exists();
        assertThat(cli("lock", "list", "--json").out().trim()).isEqualTo("[]");
    }

    @Test
    void aHolderThatCannotExtendItsLockStopsTheCommandAndExitsOne() throws Exception {
        Path started = dir.resolve("started");
        CompletableFuture<CliRun> holder = CompletableFuture.supplyAsync(
                () -> cli("lock", "lost", "--ttl", "1s", "--", "sh", "-c", "touch " + started + "; sleep 60"));
        Awaitility.await("the holder's command started").atMost(Duration.ofSeconds(20)).until(() -> Files.exists(started));

        server.close(); // the cluster goes away: no extension can succeed

        CliRun run = holder.get(30, TimeUnit.SECONDS);
        assertThat(run.exitCode()).isEqualTo(CairnCli.EXIT_NEGATIVE);
        assertThat(run.err()).contains("lost lock lost");
    }

    @Test
    void badInputIsRefusedBeforeAnythingIsSent() {
        assertThat(cli("lock", "x").exitCode()).isEqualTo(CairnCli.EXIT_BAD_INPUT);
        assertThat(cli("lock", "x", "--ttl", "10ms", "--", "true").exitCode()).isEqualTo(CairnCli.EXIT_BAD_INPUT);
        assertThat(cli("lock", "", "--", "true").exitCode()).isEqualTo(CairnCli.EXIT_BAD_INPUT);
        assertThat(cli("lock", "x", "--read", "--write", "--", "true").exitCode()).isEqualTo(CairnCli.EXIT_BAD_INPUT);
        assertThat(cli("lock", "x", "--permits", "0", "--", "true").exitCode()).isEqualTo(CairnCli.EXIT_BAD_INPUT);
    }
}
