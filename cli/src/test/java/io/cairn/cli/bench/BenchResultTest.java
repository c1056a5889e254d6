package io.cairn.cli.bench;

import static org.assertj.core.api.Assertions.assertThat;

import io.cairn.client.Consistency;
import java.time.Duration;
import java.util.Map;
import org.HdrHistogram.Histogram;
import org.junit.jupiter.api.Test;

class BenchResultTest {
    @Test
    void theJsonLineHasTheDocumentedFieldsFirstThenTheExtras() {
        BenchConfig config = new BenchConfig(Workload.parse("put", null), 32, 10, 2, 256, 10_000,
                KeyDistribution.Kind.UNIFORM, 0, Consistency.LINEARIZABLE, 4, 10, 1, Duration.ofSeconds(5));
        BenchResult result = new BenchResult(config, 123_456,
                new BenchResult.Latency(1_200, 2_000, 3_400, 5_600, 9_999),
                Map.of(ErrorKind.UNAVAILABLE, 2L, ErrorKind.TIMEOUT, 1L));
        assertThat(result.toJsonLine()).isEqualTo("{\"workload\":\"put\",\"clients\":32,\"seconds\":10,"
                + "\"ops\":123456,\"ops_per_s\":12345.6,\"p50_ms\":1.200,\"p99_ms\":3.400,\"p999_ms\":5.600,"
                + "\"errors\":3,\"errors_by_kind\":{\"unavailable\":2,\"timeout\":1,\"cas_conflict\":0,\"txn_conflict\":0,\"other\":0},"
                + "\"max_ms\":9.999,\"rate\":0,\"value_size\":256,\"keys\":10000,\"key_dist\":\"uniform\",\"seed\":1}");
    }

    @Test
    void readsNameTheirConsistencyAndMixedItsReadRatio() {
        BenchConfig config = new BenchConfig(Workload.parse("mixed-b", null), 4, 1, 0, 100, 50,
                KeyDistribution.Kind.ZIPFIAN, 1_000, Consistency.EVENTUAL, 4, 10, 9, Duration.ofSeconds(5));
        String json = new BenchResult(config, 7, new BenchResult.Latency(1, 2, 3, 4, 5), Map.of()).toJsonLine();
        assertThat(json).startsWith("{\"workload\":\"mixed-b\",\"clients\":4,\"seconds\":1,\"ops\":7,\"ops_per_s\":7.0,")
                .contains("\"p50_ms\":0.001,", "\"rate\":1000,", "\"key_dist\":\"zipfian\",",
                        "\"consistency\":\"eventual\",", "\"read_ratio\":0.95,")
                .endsWith(",\"seed\":9}");
    }

    @Test
    void casConflictsAreCountedApartFromErrors() {
        BenchResult result = new BenchResult(Configs.of("cas", 8, 1, 0), 10, new BenchResult.Latency(1, 1, 1, 1, 1),
                Map.of(ErrorKind.CAS_CONFLICT, 90L, ErrorKind.OTHER, 1L));
        assertThat(result.errors()).isEqualTo(1);
        assertThat(result.toJsonLine()).contains("\"errors\":1,",
                "\"errors_by_kind\":{\"unavailable\":0,\"timeout\":0,\"cas_conflict\":90,\"txn_conflict\":0,\"other\":1}", "\"keys\":4,");
        assertThat(result.toTable()).contains("conflicts    90 ");
    }

    @Test
    void withoutASuccessThePercentilesAreNull() {
        BenchResult result = new BenchResult(Configs.of("get", 1, 2, 0), 0, BenchResult.Latency.of(new Histogram(3)),
                Map.of(ErrorKind.UNAVAILABLE, 5L));
        assertThat(result.toJsonLine()).contains("\"ops\":0,\"ops_per_s\":0.0,\"p50_ms\":null,\"p99_ms\":null,"
                + "\"p999_ms\":null,\"errors\":5,");
        assertThat(result.toTable()).contains("nothing succeeded");
    }

    @Test
    void latencyPercentilesComeFromTheHistogram() {
        Histogram micros = new Histogram(1, BenchRunner.LATENCY_MICROS_MAX, BenchRunner.LATENCY_DIGITS);
        for (int i = 1; i <= 1_000; i++) {
            micros.recordValue(i);
        }
        BenchResult.Latency latency = BenchResult.Latency.of(micros);
        assertThat(latency).isEqualTo(new BenchResult.Latency(500, 900, 990, 999, 1_000));
        String table = new BenchResult(Configs.of("put", 32, 10, 0), 1_000, latency, Map.of()).toTable();
        assertThat(table).contains("p50 0.500  p90 0.900  p99 0.990  p99.9 0.999  max 1.000")
                .contains("(100.0 ops/s)").contains("closed loop, 32 requests in flight");
    }
}
