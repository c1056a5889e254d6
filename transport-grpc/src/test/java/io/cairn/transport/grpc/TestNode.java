package io.cairn.transport.grpc;

import io.cairn.common.GroupId;
import io.cairn.common.NodeId;
import io.cairn.raft.RaftMessage;
import io.grpc.Server;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.netty.shaded.io.netty.channel.ChannelOption;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

/** A gRPC server on 127.0.0.1 with a RaftTransportService that records what it receives. */
final class TestNode implements AutoCloseable {
    record Received(GroupId group, RaftMessage message) {}

    final NodeId id;
    final RaftTransportService service;
    final ConcurrentLinkedQueue<Received> received = new ConcurrentLinkedQueue<>();
    private final Server server;

    private TestNode(NodeId id, int port, Executor executor, Runnable beforeEachDelivery) {
        this.id = id;
        this.service = new RaftTransportService(id, (group, message) -> {
            beforeEachDelivery.run();
            received.add(new Received(group, message));
        });
        NettyServerBuilder builder = RaftTransportService.configure(
                        NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", port)))
                // Restarting on the same port must work while old connections sit in TIME_WAIT.
                .withOption(ChannelOption.SO_REUSEADDR, true)
                .addService(service);
        if (executor == null) {
            builder.directExecutor();
        } else {
            builder.executor(executor);
        }
        try {
            this.server = builder.build().start();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Port 0 picks a free port. */
    static TestNode start(NodeId id, int port) {
        return new TestNode(id, port, null, () -> { });
    }

    /** The inbox runs {@code beforeEachDelivery} (which may block) on {@code executor}. */
    static TestNode start(NodeId id, int port, Executor executor, Runnable beforeEachDelivery) {
        return new TestNode(id, port, executor, beforeEachDelivery);
    }

    int port() {
        return server.getPort();
    }

    String address() {
        return "127.0.0.1:" + port();
    }

    /** The messages received from {@code from}, in arrival order. */
    List<Received> from(NodeId from) {
        return received.stream().filter(r -> r.message().from().equals(from)).collect(Collectors.toList());
    }

    boolean isTerminated() {
        return server.isTerminated();
    }

    /** Stops at once, cutting open streams, and waits until the port is released. */
    @Override
    public void close() {
        server.shutdownNow();
        try {
            if (!server.awaitTermination(5, TimeUnit.SECONDS)) {
                throw new AssertionError("server of " + id + " did not stop");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted while stopping the server of " + id, e);
        }
    }

    /** Stops gracefully: waits for the peers' streams to end. */
    boolean shutdownGracefully(long timeoutMs) throws InterruptedException {
        server.shutdown();
        return server.awaitTermination(timeoutMs, TimeUnit.MILLISECONDS);
    }
}
