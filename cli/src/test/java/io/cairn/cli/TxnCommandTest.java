package io.cairn.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.cairn.client.Compare;
import io.cairn.client.TxnOp;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code cairn txn}: its script, and runs against a real single-node server in this JVM. */
class TxnCommandTest {
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

    private CliRun txn(String script, String... flags) {
        String[] all = new String[flags.length + 3];
        all[0] = "--timeout";
        all[1] = "5s";
        all[2] = "txn";
        System.arraycopy(flags, 0, all, 3, flags.length);
        return node.cliWithStdin(script.getBytes(StandardCharsets.UTF_8), all);
    }

    @Test
    void createsOnceThenRunsTheElsePartAndExitsOne() {
        String script = """
                # create the order once
                version("{o}stock") = 0

                put {o}stock 5
                put {o}log "created by me"
                get {o}log

                get {o}stock
                get {o}missing
                """;
        CliRun first = txn(script);
        assertThat(first.exitCode()).as(first.err()).isZero();
        assertThat(first.out()).matches("SUCCESS\nrevision \\d+\nOK\nOK\n\\{o}log\tcreated by me\n");

        CliRun second = txn(script);
        assertThat(second.exitCode()).isEqualTo(CairnCli.EXIT_NEGATIVE);
        assertThat(second.out()).startsWith("FAILURE: version({o}stock) EQUAL 0 did not hold\n")
                .endsWith("{o}stock\t5\n(absent) {o}missing\n");

        CliRun json = txn(script, "--json");
        assertThat(json.out()).matches("\\{\"succeeded\":false,\"failed_compare\":0,\"revision\":\\d+,\"results\":\\["
                + "\\{\"op\":\"get\",\"kv\":\\{\"key\":\"\\{o}stock\",\"value\":\"5\",\"version\":1,"
                + "\"create_revision\":\\d+,\"mod_revision\":\\d+}},\\{\"op\":\"get\",\"kv\":null}]}\n");
    }

    @Test
    void withoutComparesTheScriptStartsWithABlankLine() {
        CliRun run = txn("\nput a 1\ndel b\n");
        assertThat(run.exitCode()).as(run.err()).isZero();
        assertThat(run.out()).endsWith("OK\nabsent\n");
    }

    @Test
    void aBadScriptNamesItsLineAndSendsNothing() {
        CliRun bad = txn("version(a) = 0\n\nput a 1\nfrobnicate a\n");
        assertThat(bad.exitCode()).isEqualTo(CairnCli.EXIT_BAD_INPUT);
        assertThat(bad.err()).contains("line 4: unknown operation frobnicate");
        CliRun after = node.cli("get", "a");
        assertThat(after.exitCode()).as("nothing was written").isEqualTo(CairnCli.EXIT_NEGATIVE);

        assertThat(txn("").err()).contains("the txn script is empty");
        assertThat(txn("mod(a) = -1\n").err()).contains("line 1: mod compares with a number >= 0");
    }

    /** The script's grammar as a table: each line and what it parses to. */
    @Test
    void scriptLinesParseToComparesAndOperations() {
        TxnScript s = TxnScript.parse("""
                version(a) = 0
                create("b c") != 3
                mod(d) < 9
                value(e) > "x\\"y"
                lock(L) = 42

                put k v
                del "k 2"

                get k
                """, (what, token) -> token.getBytes(StandardCharsets.UTF_8));
        assertThat(s.compares).hasToString(
                "[version(a) EQUAL 0, create_revision(b c) NOT_EQUAL 3, mod_revision(d) LESS 9,"
                        + " value(e) GREATER \"x\"y\", lock_token(L) EQUAL 42]");
        assertThat(s.success).hasSize(2);
        assertThat(s.success.get(0)).isInstanceOfSatisfying(TxnOp.Put.class,
                p -> assertThat(new String(p.value(), StandardCharsets.UTF_8)).isEqualTo("v"));
        assertThat(new String(s.success.get(1).key(), StandardCharsets.UTF_8)).isEqualTo("k 2");
        assertThat(s.failure).singleElement().isInstanceOf(TxnOp.Get.class);
        assertThat(s.compares.get(4).target()).isEqualTo(Compare.Target.LOCK_TOKEN);

        assertThatThrownBy(() -> TxnScript.parse("version(a) = 0\n\nput a\n", (w, t) -> t.getBytes()))
                .hasMessage("line 3: missing VALUE");
        assertThatThrownBy(() -> TxnScript.parse("put a 1\n", (w, t) -> t.getBytes()))
                .hasMessageContaining("starts with a blank line");
        assertThatThrownBy(() -> TxnScript.parse("version(\"a) = 0\n", (w, t) -> t.getBytes()))
                .hasMessageContaining("not closed");
        assertThatThrownBy(() -> TxnScript.parse("a(b) = 1\n\n\nget a\n\nget b\n\nget c\n", (w, t) -> t.getBytes()))
                .hasMessageContaining("unknown compare a");
    }
}
