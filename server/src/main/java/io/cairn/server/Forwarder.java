package io.cairn.server;

import io.cairn.transport.grpc.Forwarding;
import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientInterceptors;
import io.grpc.Deadline;
import io.grpc.ManagedChannel;
import io.grpc.MethodDescriptor;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.StreamObserver;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * Sends a client request this node cannot serve to the node that can, marked as forwarded so it
 * is never forwarded again, within the original request's deadline (or
 * {@link #DEFAULT_DEADLINE_MILLIS} when it had none). One channel per peer address, and one
 * timer thread for calls that wait for a shard to elect a leader.
 */
final class Forwarder implements AutoCloseable {
    static final long DEFAULT_DEADLINE_MILLIS = 10_000;

    private final ConcurrentHashMap<String, ManagedChannel> channels = new ConcurrentHashMap<>();
    private final java.util.concurrent.ScheduledExecutorService timer =
            java.util.concurrent.Executors.newSingleThreadScheduledExecutor(r -> {
                Thread t = new Thread(r, "forwarder-timer");
                t.setDaemon(true);
                return t;
            });
    private final ConcurrentHashMap<String, Channel> marked = new ConcurrentHashMap<>();
    private final FaultInjection faults;
    private volatile boolean closed;

    private final PeerChannels peers;

    Forwarder(FaultInjection faults, PeerChannels peers) {
        this.faults = faults;
        this.peers = peers;
    }

    /** Calls {@code method} at {@code address}; the future fails with the peer's own status. */
    <Q, R> CompletableFuture<R> call(MethodDescriptor<Q, R> method, Q request, String address, Deadline deadline) {
        CompletableFuture<R> result = new CompletableFuture<>();
        if (closed) {
            result.completeExceptionally(io.grpc.Status.UNAVAILABLE.withDescription("node is stopping").asRuntimeException());
            return result;
        }
        Deadline d = deadline != null ? deadline : Deadline.after(DEFAULT_DEADLINE_MILLIS, TimeUnit.MILLISECONDS);
        ClientCalls.asyncUnaryCall(channel(address).newCall(method, CallOptions.DEFAULT.withDeadline(d)), request,
                new StreamObserver<>() {
                    private R response;

                    @Override
                    public void onNext(R value) {
                        response = value;
                    }

                    @Override
                    public void onError(Throwable t) {
                        result.completeExceptionally(t);
                    }

                    @Override
                    public void onCompleted() {
                        result.complete(response);
                    }
                });
        return result;
    }

    /** Forwards and relays the answer, or the peer's error, to {@code out}. */
    <Q, R> void relay(MethodDescriptor<Q, R> method, Q request, String address, Deadline deadline, StreamObserver<R> out) {
        call(method, request, address, deadline).whenComplete((r, e) -> {
            if (e == null) {
                out.onNext(r);
                out.onCompleted();
            } else {
                out.onError(e);
            }
        });
    }

    /** The timer of delayed calls; others may schedule short tasks on it. */
    java.util.concurrent.ScheduledExecutorService timer() {
        return timer;
    }

    /** Runs {@code task} after {@code delayMillis} (a call waiting for its shard to elect a leader). */
    void later(Runnable task, long delayMillis) {
        if (!closed) {
            timer.schedule(task, delayMillis, TimeUnit.MILLISECONDS);
        }
    }

    private Channel channel(String address) {
        return marked.computeIfAbsent(address, a -> ClientInterceptors.intercept(faults.peerChannel(
                channels.computeIfAbsent(a, peers::open), a), Forwarding.markForwarded()));
    }

    @Override
    public void close() {
        closed = true;
        timer.shutdownNow();
        channels.values().forEach(ManagedChannel::shutdownNow);
    }
}
