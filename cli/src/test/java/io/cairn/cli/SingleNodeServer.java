package io.cairn.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.cairn.common.NodeId;
import io.cairn.server.CairnServer;
import io.cairn.server.ClusterSpec;
import io.cairn.server.ServerConfig;
import java.nio.file.Path;

/** A real single-node server in this JVM on a loopback port, and CLI runs against it. */
final class SingleNodeServer implements AutoCloseable {
    private final CairnServer server;
    private final String endpoint;

    private SingleNodeServer(CairnServer server) {
        this.server = server;
        this.endpoint = "127.0.0.1:" + server.port();
    }

    /** Starts node n1 with its data under {@code dir}/n1 (fast ticks: it elects itself quickly). */
    static SingleNodeServer start(Path dir) throws Exception {
        ServerConfig config = ServerConfig.of(NodeId.of(1), "127.0.0.1:0", dir.resolve("n1"),
                ClusterSpec.parse("n1=127.0.0.1:0")).withTicks(10, 5);
        return new SingleNodeServer(CairnServer.start(config));
    }

    String endpoint() {
        return endpoint;
    }

    /** {@code cairn --endpoints ENDPOINT args...} */
    CliRun cli(String... args) {
        return CliRun.of(withEndpoint(args));
    }

    CliRun cliWithStdin(byte[] stdin, String... args) {
        return CliRun.withStdin(stdin, withEndpoint(args));
    }

    CliRun cliOnTerminal(byte[] stdin, String... args) {
        return CliRun.onTerminal(stdin, withEndpoint(args));
    }

    /** A run that must exit 0. */
    CliRun ok(String... args) {
        CliRun run = cli(args);
        assertThat(run.exitCode()).as("%s: %s", String.join(" ", args), run.err()).isZero();
        return run;
    }

    String[] withEndpoint(String... args) {
        String[] all = new String[args.length + 2];
        all[0] = "--endpoints";
        all[1] = endpoint;
        System.arraycopy(args, 0, all, 2, args.length);
        return all;
    }

    @Override
    public void close() {
        server.close();
    }
}
