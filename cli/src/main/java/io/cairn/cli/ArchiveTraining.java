package io.cairn.cli;

import com.google.protobuf.Any;
import com.google.protobuf.ByteString;
import io.cairn.api.proto.ClusterGrpc;
import io.cairn.api.proto.DeleteRequest;
import io.cairn.api.proto.DeleteResponse;
import io.cairn.api.proto.ErrorDetail;
import io.cairn.api.proto.GetRequest;
import io.cairn.api.proto.GetResponse;
import io.cairn.api.proto.KeyValue;
import io.cairn.api.proto.KvGrpc;
import io.cairn.api.proto.NodeStatus;
import io.cairn.api.proto.NotLeader;
import io.cairn.api.proto.PutRequest;
import io.cairn.api.proto.PutResponse;
import io.cairn.api.proto.ResponseHeader;
import io.cairn.api.proto.Role;
import io.cairn.api.proto.StatusRequest;
import io.cairn.api.proto.StatusResponse;
import io.grpc.Server;
import io.grpc.Status;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.protobuf.StatusProto;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.io.Writer;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import picocli.CommandLine;

/**
 * The training run behind {@code bin/cairn}'s class-data-sharing archive: {@code bin/cairn} runs
 * this once per build under {@code -XX:ArchiveClassesAtExit}, and short commands then start with
 * the classes it loaded already parsed, verified and laid out in memory.
 *
 * <p>It runs the usual short commands in one JVM, their output discarded: help, a get (found and
 * absent), put (first redirected: NOT_LEADER with a hint, as a follower answers), del and cluster
 * status against a stand-in node on a loopback port (so the classes of a whole request and its
 * response are loaded), a get of a dead address (the unreachable path) and bad input. The stand-in is a bare gRPC service, not a Cairn node: it
 * answers the requests these commands send, and nothing else.
 */
final class ArchiveTraining {
    private ArchiveTraining() {}

    public static void main(String[] args) throws Exception {
        // A command that answered otherwise only loaded fewer classes: say so, still archive.
        train().forEach(System.err::println);
        SharedEventLoops.shutDown();
        // The archive is written as the JVM exits.
        System.exit(0);
    }

    /** Runs the commands; returns a line for each that did not exit as expected (none: all did). */
    static List<String> train() throws IOException, InterruptedException {
        StandInKv kv = new StandInKv();
        StandInCluster cluster = new StandInCluster();
        Server node = NettyServerBuilder.forAddress(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))
                .addService(kv)
                .addService(cluster)
                .build()
                .start();
        String endpoint = "127.0.0.1:" + node.getPort();
        kv.address = endpoint;
        cluster.address = endpoint;
        String dead = deadAddress();
        List<String> unexpected = new ArrayList<>();
        try {
            run(unexpected, CairnCli.EXIT_OK, "--help");
            run(unexpected, CairnCli.EXIT_OK, "get", "--help");
            run(unexpected, CairnCli.EXIT_OK, "--endpoints", endpoint, "get", "k");
            run(unexpected, CairnCli.EXIT_NEGATIVE, "--endpoints", endpoint, "get", "absent");
            run(unexpected, CairnCli.EXIT_OK, "--endpoints", endpoint, "get", "--hex", "6b");
            run(unexpected, CairnCli.EXIT_OK, "--endpoints", endpoint, "get", "k", "--json");
            run(unexpected, CairnCli.EXIT_OK, "--endpoints", endpoint, "put", "k", "v");
            run(unexpected, CairnCli.EXIT_OK, "--endpoints", endpoint, "del", "k");
            run(unexpected, CairnCli.EXIT_OK, "--endpoints", endpoint, "cluster", "status");
            run(unexpected, CairnCli.EXIT_OK, "--endpoints", endpoint, "cluster", "status", "--json");
            run(unexpected, CairnCli.EXIT_UNAVAILABLE, "--endpoints", dead, "--timeout", "300ms", "get", "k");
            run(unexpected, CairnCli.EXIT_BAD_INPUT, "get", "");
        } finally {
            node.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        }
        return unexpected;
    }

    private static void run(List<String> unexpected, int expectedExit, String... args) {
        CommandLine cli = CairnCli.commandLine(args);
        StringWriter err = new StringWriter();
        cli.setOut(new PrintWriter(Writer.nullWriter()));
        ((CairnCli) cli.getCommand()).stdio = new Stdio(OutputStream.nullOutputStream(), InputStream.nullInputStream(),
                false, Stdio.argvCharset());
        cli.setErr(new PrintWriter(err, true));
        int exit = cli.execute(args);
        if (exit != expectedExit) {
            unexpected.add("training: cairn " + String.join(" ", args) + " exited " + exit + ", not " + expectedExit
                    + ": " + err.toString().trim());
        }
    }

    /** An address where nothing listens: a port just freed. */
    private static String deadAddress() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return "127.0.0.1:" + s.getLocalPort();
        }
    }

    private static ResponseHeader header() {
        return ResponseHeader.newBuilder().setNodeId(1).setGroupId(1).setTerm(1).setAppliedIndex(2)
                .setServedBy(Role.ROLE_LEADER).setShardCount(1).build();
    }

    private static final class StandInKv extends KvGrpc.KvImplBase {
        /** The stand-in's own address, known once it listens. */
        volatile String address = "";
        /** The first put is told to go to the leader (here again), as a put sent to a follower is. */
        private final AtomicBoolean redirected = new AtomicBoolean();

        @Override
        public void get(GetRequest request, StreamObserver<GetResponse> response) {
            GetResponse.Builder r = GetResponse.newBuilder().setHeader(header());
            if (request.getKey().toStringUtf8().equals("k")) {
                r.setKv(KeyValue.newBuilder().setKey(request.getKey()).setValue(ByteString.copyFromUtf8("v"))
                        .setCreateRevision(2).setModRevision(2).setVersion(1));
            }
            response.onNext(r.build());
            response.onCompleted();
        }

        @Override
        public void put(PutRequest request, StreamObserver<PutResponse> response) {
            if (redirected.compareAndSet(false, true)) {
                ErrorDetail notLeader = ErrorDetail.newBuilder()
                        .setNotLeader(NotLeader.newBuilder().setLeaderId(1).setLeaderAddress(address)).build();
                response.onError(StatusProto.toStatusRuntimeException(com.google.rpc.Status.newBuilder()
                        .setCode(Status.Code.UNAVAILABLE.value()).setMessage("not the leader")
                        .addDetails(Any.pack(notLeader)).build()));
                return;
            }
            response.onNext(PutResponse.newBuilder().setHeader(header()).setModRevision(3).setVersion(2).build());
            response.onCompleted();
        }

        @Override
        public void delete(DeleteRequest request, StreamObserver<DeleteResponse> response) {
            response.onNext(DeleteResponse.newBuilder().setHeader(header()).setDeleted(true).build());
            response.onCompleted();
        }
    }

    private static final class StandInCluster extends ClusterGrpc.ClusterImplBase {
        /** The stand-in's own address, known once it listens. */
        volatile String address = "";

        @Override
        public void status(StatusRequest request, StreamObserver<StatusResponse> response) {
            response.onNext(StatusResponse.newBuilder().setLeader(1).setTerm(1)
                    .addNodes(NodeStatus.newBuilder().setId(1).setAddress(address).setRole(Role.ROLE_LEADER).setTerm(1)
                            .setCommitIndex(2).setAppliedIndex(2))
                    .build());
            response.onCompleted();
        }
    }
}
