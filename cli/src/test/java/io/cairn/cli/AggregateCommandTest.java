package io.cairn.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code cairn aggregate} against a real single-node server: answers, tables, JSON and refusals. */
class AggregateCommandTest {
    @TempDir
    Path dir;

    private SingleNodeServer node;

    @BeforeEach
    void startServer() throws Exception {
        node = SingleNodeServer.start(dir);
        for (String[] kv : new String[][] {{"orders/eu/1", "5"}, {"orders/eu/2", "7"}, {"orders/us/1", "1"},
                {"orders/us/note", "n/a"}}) {
            assertThat(node.cli("put", kv[0], kv[1]).exitCode()).isZero();
        }
    }

    @AfterEach
    void stopServer() {
        node.close();
    }

    @Test
    void sumsGroupsAndSaysWhatItSkipped() {
        CliRun sum = node.cli("aggregate", "sum", "orders/");
        assertThat(sum.exitCode()).as(sum.err()).isZero();
        assertThat(sum.out()).startsWith("13\n4 keys, 1 skipped; 1 shard at one consistent cut");

        CliRun byRegion = node.cli("aggregate", "max", "orders/", "--group-by", "2");
        assertThat(byRegion.out()).startsWith("GROUP  VALUE\neu     7\nus     1\n");

        CliRun json = node.cli("aggregate", "count", "orders/eu/", "--json", "--consistency", "eventual");
        assertThat(json.out()).startsWith("{\"aggregator\":\"count\",\"groups\":{\"\":2},\"keys\":2,\"skipped\":0,"
                + "\"partial\":false,\"missing\":[],\"consistent_cut\":false,\"attempts\":1,\"shards\":1,");
        assertThat(json.out()).contains("\"served\":[{\"shard\":0,\"node\":\"n1\",");
    }

    @Test
    void badInputIsRefusedWithExitTwoAndNothingRuns() {
        CliRun unknown = node.cli("aggregate", "median", "orders/");
        assertThat(unknown.exitCode()).isEqualTo(CairnCli.EXIT_BAD_INPUT);
        assertThat(unknown.err()).contains("unknown aggregator 'median'").contains("sum");
        CliRun badK = node.cli("aggregate", "topk", "orders/", "--k", "0");
        assertThat(badK.exitCode()).isEqualTo(CairnCli.EXIT_BAD_INPUT);
        assertThat(badK.err()).contains("k must be an integer from 1 to 1000");
        assertThat(node.cli("aggregate", "sum", "--spread", "sideways").exitCode()).isEqualTo(CairnCli.EXIT_BAD_INPUT);
        assertThat(node.cli("aggregate", "sum", "--consistency", "lease").exitCode()).isEqualTo(CairnCli.EXIT_BAD_INPUT);
    }
}
