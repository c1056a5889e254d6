package io.cairn.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.util.List;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** main builds the command line with only the subcommand it runs; it must run args as the full one does. */
class LazyCommandsTest {
    private static String deadAddress() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return "127.0.0.1:" + s.getLocalPort();
        }
    }

    @Test
    void theCommandIsTheFirstWordAfterTheGlobalOptions() {
        assertThat(CairnCli.commandNamed(new String[] {"get", "k"})).isEqualTo("get");
        assertThat(CairnCli.commandNamed(new String[] {"--endpoints", "a:1,b:2", "--timeout", "1s", "--verbose",
                "put", "k", "v"})).isEqualTo("put");
        assertThat(CairnCli.commandNamed(new String[] {"--endpoints=a:1", "--timeout=1s", "cluster", "status"}))
                .isEqualTo("cluster");
        // The value of an option is not a command, even when it is spelt like one.
        assertThat(CairnCli.commandNamed(new String[] {"--timeout", "get", "k"})).isNull();
        assertThat(CairnCli.commandNamed(new String[] {})).isNull();
        assertThat(CairnCli.commandNamed(new String[] {"--help"})).isNull();
        assertThat(CairnCli.commandNamed(new String[] {"--bogus", "get", "k"})).isNull();
        assertThat(CairnCli.commandNamed(new String[] {"gett", "k"})).isNull();
        assertThat(CairnCli.commandNamed(new String[] {"help", "get"})).isNull();
        assertThat(CairnCli.commandNamed(new String[] {"--endpoints"})).isNull();
    }

    @Test
    void everyCommandIsMadeUnderItsOwnName() {
        for (String name : CairnCli.COMMANDS) {
            Command command = CairnCli.newCommand(name).getClass().getAnnotation(Command.class);
            assertThat(command.name()).as(name).isEqualTo(name);
        }
        assertThat(CairnCli.commandLine().getSubcommands().keySet()).containsExactlyElementsOf(CairnCli.COMMANDS);
        assertThat(CairnCli.commandLine(new String[] {"get", "k"}).getSubcommands().keySet()).containsExactly("get");
    }

    @Test
    void argsRunAsOnTheFullCommandLine() throws IOException {
        String dead = deadAddress();
        List<String[]> cases = List.of(
                new String[] {},
                new String[] {"--help"},
                new String[] {"--version"},
                new String[] {"help", "get"},
                new String[] {"get", "--help"},
                new String[] {"--endpoints", dead, "get", "-h"},
                new String[] {"get"},
                new String[] {"get", ""},
                new String[] {"get", "k", "--bogus"},
                new String[] {"get", "k", "--consistency", "strong"},
                new String[] {"--timeout", "soon", "get", "k"},
                new String[] {"--timeout", "get", "k"},
                new String[] {"gett", "k"},
                new String[] {"--verbose", "put", "k"},
                new String[] {"put", "k", "", "--endpoints", dead},
                new String[] {"del", "--help"},
                new String[] {"cas", "k", "-1", "v"},
                new String[] {"scan", "--prefix", "a", "--from", "b"},
                new String[] {"cluster"},
                new String[] {"cluster", "--help"},
                new String[] {"cluster", "status", "--help"},
                new String[] {"cluster", "nodes"},
                new String[] {"lock", "--help"},
                new String[] {"bench", "--help"},
                new String[] {"server", "--help"},
                new String[] {"dev", "--help"});
        for (String[] args : cases) {
            CliRun full = CliRun.of(CairnCli.commandLine(), args);
            CliRun lazy = CliRun.of(args);
            assertThat(lazy).as(String.join(" ", args)).isEqualTo(full);
        }
        // The same failure; its message carries timings, so only the exit code is compared.
        String[] unreachable = {"--endpoints=" + dead, "--timeout=200ms", "get", "k"};
        assertThat(CliRun.of(unreachable).exitCode()).isEqualTo(CairnCli.EXIT_UNAVAILABLE)
                .isEqualTo(CliRun.of(CairnCli.commandLine(), unreachable).exitCode());
    }

    @Test
    void settingsReachTheSubcommands() {
        CommandLine lazy = CairnCli.commandLine(new String[] {"get", "k"});
        assertThat(lazy.getSubcommands().get("get").isCaseInsensitiveEnumValuesAllowed()).isTrue();
        assertThat(CliRun.of("get", "--consistency", "EVENTUAL", "").err()).contains("key must not be empty");
    }
}
