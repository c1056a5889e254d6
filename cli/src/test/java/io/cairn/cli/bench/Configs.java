package io.cairn.cli.bench;

import io.cairn.client.Consistency;
import java.time.Duration;

/** Bench settings for tests: the CLI's defaults, but short. */
final class Configs {
    private Configs() {}

    static BenchConfig of(String workload, int clients, int seconds, long ratePerSecond) {
        return of(workload, clients, seconds, ratePerSecond, 10_000);
    }

    static BenchConfig of(String workload, int clients, int seconds, long ratePerSecond, long keys) {
        return new BenchConfig(Workload.parse(workload, null), clients, seconds, 0, 256, keys,
                KeyDistribution.Kind.UNIFORM, ratePerSecond, Consistency.LINEARIZABLE, 4, 10, 1, Duration.ofSeconds(5));
    }
}
