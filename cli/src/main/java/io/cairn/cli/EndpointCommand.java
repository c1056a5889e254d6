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
            try (Access access = Access.of(root)) {
                for (String endpoint : root.endpoints) {
                    checks.add(check(endpoint, root.timeout.toMillis(), access));
                }
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

        /**
         * How the checks reach a node: TLS from the global options, and as their user (a login
         * made once, at the first endpoint that answers it, or the client certificate).
         */
        private static final class Access implements AutoCloseable {
            private final io.cairn.client.Tls tls;
            private final CairnCli root;
            private String token;

            private Access(io.cairn.client.Tls tls, CairnCli root) {
                this.tls = tls;
                this.root = root;
            }

            static Access of(CairnCli root) {
                io.cairn.client.Tls tls = root.cacert == null ? null
                        : io.cairn.client.Tls.load(new io.cairn.client.Tls.Files(root.cacert, root.cert, root.key),
                                io.cairn.client.Tls.RELOAD_EVERY_DEFAULT);
                return new Access(tls, root);
            }

            ManagedChannel channel(String endpoint) {
                return NettyChannelBuilder.forTarget(endpoint, io.cairn.client.Tls.channelCredentials(tls)).build();
            }

            KvGrpc.KvBlockingStub stub(ManagedChannel channel, long timeoutMillis) {
                KvGrpc.KvBlockingStub stub = KvGrpc.newBlockingStub(channel).withDeadlineAfter(timeoutMillis, TimeUnit.MILLISECONDS);
                if (root.user == null || root.user.isEmpty()) {
                    return stub;
                }
                if (token == null) {
                    token = io.cairn.api.proto.AuthGrpc.newBlockingStub(channel).withDeadlineAfter(timeoutMillis, TimeUnit.MILLISECONDS)
                            .login(io.cairn.api.proto.LoginRequest.newBuilder().setUser(root.user).setPassword(root.password()).build())
                            .getToken();
                }
                io.grpc.Metadata bearer = new io.grpc.Metadata();
                bearer.put(io.grpc.Metadata.Key.of("authorization", io.grpc.Metadata.ASCII_STRING_MARSHALLER), "Bearer " + token);
                return stub.withInterceptors(io.grpc.stub.MetadataUtils.newAttachHeadersInterceptor(bearer));
            }

            @Override
            public void close() {
                if (tls != null) {
                    tls.close();
                }
            }
        }

        private static Check check(String endpoint, long timeoutMillis, Access access) {
            ManagedChannel channel = access.channel(endpoint);
            long start = System.nanoTime();
            try {
                access.stub(channel, timeoutMillis)
                        .get(GetRequest.newBuilder().setKey(ByteString.copyFromUtf8("health"))
                                .setConsistency(Consistency.CONSISTENCY_LINEARIZABLE).build());
                return new Check(endpoint, true, (System.nanoTime() - start) / 1e6, "");
            } catch (StatusRuntimeException e) {
                if (e.getStatus().getCode() == io.grpc.Status.Code.PERMISSION_DENIED) {
                    // As etcd does: the node authenticated the caller and answered, though the user
                    // may not read "health" (grant read:health to test the read path too).
                    return new Check(endpoint, true, (System.nanoTime() - start) / 1e6,
                            "the user may not read key health: the node answered, its read path was not tried");
                }
                String why = e.getStatus().getCode() + (e.getStatus().getDescription() == null ? ""
                        : ": " + e.getStatus().getDescription());
                return new Check(endpoint, false, (System.nanoTime() - start) / 1e6, why);
            } finally {
                channel.shutdownNow();
            }
        }
    }
}
