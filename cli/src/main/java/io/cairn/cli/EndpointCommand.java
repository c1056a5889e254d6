package io.cairn.cli;

import com.google.protobuf.ByteString;
import io.cairn.api.proto.Consistency;
import io.cairn.api.proto.GetRequest;
import io.cairn.api.proto.KvGrpc;
import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "endpoint", mixinStandardHelpOptions = true, description = "Commands about each endpoint on its own.",
        subcommands = {EndpointCommand.HealthCommand.class})
final class EndpointCommand implements Runnable {
    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "a subcommand is required: health");
    }

    @Command(name = "health", mixinStandardHelpOptions = true,
            description = {"Reads the key \"health\" linearizably through each endpoint on its own (the node forwards",
                    "to the shard's leader, which confirms it still leads a quorum), within --timeout, as etcdctl's",
                    "endpoint health does. Prints one line per endpoint:",
                    "  127.0.0.1:7401 is healthy: a linearizable read through it took 1.9 ms",
                    "  127.0.0.1:7402 is unhealthy: UNAVAILABLE: ...",
                    "--json prints one array: [{\"endpoint\":\"127.0.0.1:7401\",\"health\":true,\"took_ms\":1.9,"
                            + "\"error\":\"\"}]. Exits 0 when every endpoint is healthy, else 1."})
    static final class HealthCommand implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Option(names = "--json", description = "Print one JSON array.")
        boolean json;

        record Check(String endpoint, boolean healthy, double tookMillis, String error) {}

        @Override
        public Integer call() {
            CairnCli root = CairnCli.root(spec);
            if (!root.verbose) {
                CairnCli.quietGrpcLogs();
            }
            List<Check> checks = new ArrayList<>();
            for (String endpoint : root.endpoints) {
                checks.add(check(endpoint, root.timeout.toMillis()));
            }
            PrintWriter out = spec.commandLine().getOut();
            if (json) {
                StringBuilder sb = new StringBuilder("[");
                for (Check c : checks) {
                    sb.append(sb.length() == 1 ? "" : ",").append("{\"endpoint\":\"").append(c.endpoint())
                            .append("\",\"health\":").append(c.healthy()).append(",\"took_ms\":")
                            .append(String.format(Locale.ROOT, "%.1f", c.tookMillis())).append(",\"error\":")
                            .append(KvJson.quote(c.error())).append('}');
                }
                out.println(sb.append(']'));
            } else {
                for (Check c : checks) {
                    out.println(c.healthy()
                            ? String.format(Locale.ROOT, "%s is healthy: a linearizable read through it took %.1f ms",
                                    c.endpoint(), c.tookMillis())
                            : c.endpoint() + " is unhealthy: " + c.error());
                }
            }
            out.flush();
            return checks.stream().allMatch(Check::healthy) ? CairnCli.EXIT_OK : CairnCli.EXIT_NEGATIVE;
        }

        private static Check check(String endpoint, long timeoutMillis) {
            ManagedChannel channel = NettyChannelBuilder.forTarget(endpoint).usePlaintext().build();
            long start = System.nanoTime();
            try {
                KvGrpc.newBlockingStub(channel).withDeadlineAfter(timeoutMillis, TimeUnit.MILLISECONDS)
                        .get(GetRequest.newBuilder().setKey(ByteString.copyFromUtf8("health"))
                                .setConsistency(Consistency.CONSISTENCY_LINEARIZABLE).build());
                return new Check(endpoint, true, (System.nanoTime() - start) / 1e6, "");
            } catch (StatusRuntimeException e) {
                String why = e.getStatus().getCode() + (e.getStatus().getDescription() == null ? ""
                        : ": " + e.getStatus().getDescription());
                return new Check(endpoint, false, (System.nanoTime() - start) / 1e6, why);
            } finally {
                channel.shutdownNow();
            }
        }
    }
}
