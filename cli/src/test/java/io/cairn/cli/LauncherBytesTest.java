package io.cairn.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.jar.JarOutputStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Real processes through bin/cairn, with bytes no Java String can carry (argv bytes that are not
 * UTF-8), under a C locale and a UTF-8 one. bin/cairn runs from a copy whose build looks current,
 * with this test's classpath: it must not build (a test runs under the Maven lock it would take).
 */
class LauncherBytesTest {
    /** A root with bin/cairn, and cli/target as a build leaves it. */
    @TempDir
    static Path root;

    @TempDir
    Path dir;

    private SingleNodeServer server;

    @BeforeAll
    static void launcherWithThisClasspath() throws IOException {
        Path repo = Path.of("").toAbsolutePath();
        while (!Files.isRegularFile(repo.resolve("bin/cairn"))) {
            repo = repo.getParent();
        }
        Path script = root.resolve("bin/cairn");
        Files.createDirectories(script.getParent());
        Files.copy(repo.resolve("bin/cairn"), script);
        script.toFile().setExecutable(true);
        Files.writeString(root.resolve("pom.xml"), "");
        Path target = Files.createDirectories(root.resolve("cli/target"));
        // An empty jar: bin/cairn wants one; the classes come from the classpath file.
        new JarOutputStream(Files.newOutputStream(target.resolve("cairn-cli-test.jar"))).close();
        Files.writeString(target.resolve("classpath.txt"), System.getProperty("java.class.path") + "\n");
        Files.writeString(target.resolve("cairn-cli.built"), "");
        FileTime before = FileTime.from(Instant.now().minusSeconds(60));
        Files.setLastModifiedTime(script, before);
        Files.setLastModifiedTime(root.resolve("pom.xml"), before);
    }

    @BeforeEach
    void startServer() throws Exception {
        server = SingleNodeServer.start(dir);
        server.ok("put", "ready", "yes");
    }

    @AfterEach
    void stopServer() {
        server.close();
    }

    private record Result(int exitCode, byte[] out, String err) {
        String[] errLines() {
            return err.isEmpty() ? new String[0] : err.split("\\R");
        }
    }

    /**
     * bin/cairn with {@code args} after {@code printf %b}, so that {@code \xff} in them is the
     * byte 0xff; {@code locale} sets LC_ALL (null: LC_ALL unset and LANG=C.UTF-8).
     */
    private Result cairn(String locale, String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of("bash", "-c",
                "a=(); for x in \"$@\"; do a+=(\"$(printf '%b' \"$x\")\"); done; exec \"${a[@]}\"", "cairn",
                root.resolve("bin/cairn").toString()));
        if (!List.of(args).contains("--endpoints")) {
            command.addAll(List.of("--endpoints", server.endpoint()));
        }
        command.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(command);
        Map<String, String> env = pb.environment();
        env.remove("JAVA_OPTS");
        env.remove("LC_CTYPE");
        env.put("CAIRN_CDS", "0");
        if (locale == null) {
            env.remove("LC_ALL");
            env.put("LANG", "C.UTF-8");
        } else {
            env.put("LC_ALL", locale);
        }
        Path err = dir.resolve("stderr");
        pb.redirectError(err.toFile()).redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
        Process p = pb.start();
        byte[] out = p.getInputStream().readAllBytes();
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        return new Result(p.exitValue(), out, Files.readString(err, StandardCharsets.UTF_8));
    }

    @Test
    void bytesThatAreNotUtf8AreRefusedUnderEitherLocaleAndNothingIsSent() throws Exception {
        for (String locale : new String[] {"C", null}) {
            Result run = cairn(locale, "put", "u/c\\xff", "A");
            assertThat(run.exitCode()).as("LC_ALL=%s: %s", locale, run.err()).isEqualTo(CairnCli.EXIT_BAD_INPUT);
            assertThat(run.errLines()).hasSize(1);
            assertThat(run.err()).startsWith("cairn: KEY is not valid UTF-8").contains("--hex");
            assertThat(run.out()).isEmpty();
            assertThat(cairn(locale, "put", "k", "v\\xfe").err()).startsWith("cairn: VALUE is not valid UTF-8");
        }
        assertThat(server.ok("scan", "--keys-only").out()).isEqualTo("ready\n");
    }

    @Test
    void validUtf8ArrivesIntactEvenUnderTheCLocale() throws Exception {
        // Under LC_ALL=C, Java would decode these bytes as U+FFFD: bin/cairn runs it with UTF-8.
        Result run = cairn("C", "put", "caf\\xc3\\xa9", "cr\\xc3\\xa8me");
        assertThat(run.exitCode()).as(run.err()).isZero();
        assertThat(server.ok("get", "--hex", HexFormat.of().formatHex("café".getBytes(StandardCharsets.UTF_8))).out())
                .isEqualTo(HexFormat.of().formatHex("crème".getBytes(StandardCharsets.UTF_8)) + "\n");
        // Keys that differ only in bytes that are not UTF-8 stay two keys with --hex.
        assertThat(cairn("C", "put", "--hex", "752f63ff", "41").exitCode()).isZero();
        assertThat(cairn("C", "put", "--hex", "752f63fe", "42").exitCode()).isZero();
        Result scan = cairn("C", "scan", "--prefix", "u/c");
        assertThat(scan.out()).isEqualTo(new byte[] {'u', '/', 'c', (byte) 0xfe, '\t', 'B', '\n',
                'u', '/', 'c', (byte) 0xff, '\t', 'A', '\n'});
    }

    @Test
    void getWritesExactlyTheValueBytesWithoutANewlineOffATerminal() throws Exception {
        server.ok("put", "--hex", "62696e", "ff000a0d09");
        Result run = cairn(null, "get", "bin");
        assertThat(run.exitCode()).as(run.err()).isZero();
        assertThat(run.out()).isEqualTo(new byte[] {(byte) 0xff, 0, '\n', '\r', '\t'});
    }

    @Test
    void anUnknownHostAndAnOversizeFileAreOneLineWithoutStackTraces() throws Exception {
        Result unknown = cairn(null, "--endpoints", "nosuchhost.invalid:1", "--timeout", "500ms", "get", "k");
        assertThat(unknown.exitCode()).as(unknown.err()).isEqualTo(CairnCli.EXIT_UNAVAILABLE);
        assertThat(unknown.errLines()).as(unknown.err()).hasSize(1);
        assertThat(unknown.err()).startsWith("cairn: ").contains("nosuchhost.invalid:1");

        Path big = dir.resolve("big");
        Files.write(big, new byte[io.cairn.client.CairnClient.VALUE_BYTES_MAX_DEFAULT + 1]);
        Result oversize = cairn(null, "put", "k", "--file", big.toString());
        assertThat(oversize.exitCode()).isEqualTo(CairnCli.EXIT_BAD_INPUT);
        assertThat(oversize.errLines()).as(oversize.err()).hasSize(1);
        assertThat(oversize.err()).contains("over the limit 1048576");
    }
}
