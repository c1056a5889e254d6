package io.cairn.server;

import io.cairn.api.proto.FaultControlGrpc;
import io.cairn.api.proto.Faults;
import io.cairn.common.Clock;
import io.cairn.wal.FileIo;
import io.cairn.wal.NioFileIo;
import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.ClientInterceptor;
import io.grpc.ClientInterceptors;
import io.grpc.ForwardingClientCall;
import io.grpc.MethodDescriptor;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * The faults a node started with {@code --fault-injection} lets the real-process fault suite
 * switch on and off at run time: a partition (messages to some peers dropped), a wall-clock
 * offset, a slow or full disk under the WAL, and one unsafe rule for the suite's negative
 * control. A node started without the flag uses {@link #NONE}, which has no state and no cost
 * beyond one volatile read per peer message.
 *
 * <p>Every fault acts on what this node does, never on what it receives: a symmetric partition
 * is two nodes each blocking the other, a one-way partition one of them. This keeps the one
 * rule in one place (the sender) and makes every message loss look like the network's.
 */
final class FaultInjection {
    /** No faults, ever: what production nodes run with. */
    static final FaultInjection NONE = new FaultInjection(false);

    private final boolean enabled;
    private volatile Faults faults = Faults.getDefaultInstance();
    private volatile Set<String> blocked = Set.of();

    private FaultInjection(boolean enabled) {
        this.enabled = enabled;
    }

    static FaultInjection enabled() {
        return new FaultInjection(true);
    }

    boolean isEnabled() {
        return enabled;
    }

    /** Whether this node may send to the peer at {@code address}. */
    boolean reachable(String address) {
        return blocked.isEmpty() || !blocked.contains(address);
    }

    boolean unsafeLocalReads() {
        return enabled && faults.getUnsafeLocalReads();
    }

    boolean unsafeUncheckedTxns() {
        return enabled && faults.getUnsafeUncheckedTxns();
    }

    boolean unsafeUncutAggregates() {
        return enabled && faults.getUnsafeUncutAggregates();
    }

    Faults current() {
        return faults;
    }

    void set(Faults next) {
        if (!enabled) {
            throw new IllegalStateException("fault injection is off on this node");
        }
        if (next.getFsyncDelayMs() < 0 || next.getFsyncDelayMs() > 60_000) {
            throw new IllegalArgumentException("fsync_delay_ms must be in [0, 60000]: " + next.getFsyncDelayMs());
        }
        blocked = Set.copyOf(next.getBlockedAddressesList());
        faults = next;
    }

    /** The machine's clock with the injected wall-clock offset; monotonic time is untouched. */
    Clock clock() {
        if (!enabled) {
            return Clock.SYSTEM;
        }
        return new Clock() {
            @Override
            public long nanoTime() {
                return System.nanoTime();
            }

            @Override
            public long epochMillis() {
                return System.currentTimeMillis() + faults.getClockOffsetMs();
            }
        };
    }

    /** The file operations under the WAL: the real ones, slowed or failing as injected. */
    FileIo fileIo() {
        NioFileIo real = new NioFileIo();
        return enabled ? new io.cairn.wal.BeforeSyncFileIo(
                new io.cairn.wal.FullDiskFileIo(real, () -> faults.getDiskFull(), "injected"), this::slowDown) : real;
    }

    /**
     * A channel to a peer whose outgoing messages are dropped while the peer is blocked: a
     * unary call then waits for its deadline, as it would across a cut network.
     */
    Channel peerChannel(Channel channel, String address) {
        if (!enabled) {
            return channel;
        }
        return ClientInterceptors.intercept(channel, new ClientInterceptor() {
            @Override
            public <Q, R> ClientCall<Q, R> interceptCall(MethodDescriptor<Q, R> method, CallOptions options, Channel next) {
                return new ForwardingClientCall.SimpleForwardingClientCall<>(next.newCall(method, options)) {
                    @Override
                    public void sendMessage(Q message) {
                        if (reachable(address)) {
                            super.sendMessage(message);
                        }
                    }
                };
            }
        });
    }

    /** The gRPC service the fault suite drives. */
    FaultControlGrpc.FaultControlImplBase service() {
        return new FaultControlGrpc.FaultControlImplBase() {
            @Override
            public void set(Faults request, StreamObserver<Faults> out) {
                try {
                    FaultInjection.this.set(request);
                } catch (IllegalArgumentException e) {
                    out.onError(io.grpc.Status.INVALID_ARGUMENT.withDescription(e.getMessage()).asRuntimeException());
                    return;
                }
                System.getLogger(FaultInjection.class.getName()).log(System.Logger.Level.WARNING,
                        "injected faults now: " + request.toString().replace('\n', ' ').trim());
                out.onNext(faults);
                out.onCompleted();
            }
        };
    }

    private void slowDown() throws IOException {
        long delayMs = faults.getFsyncDelayMs();
        if (delayMs > 0) {
            try {
                // A slow disk is time spent inside fsync; the WAL thread really waits.
                TimeUnit.MILLISECONDS.sleep(delayMs);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted during an injected slow fsync", e);
            }
        }
    }
}
