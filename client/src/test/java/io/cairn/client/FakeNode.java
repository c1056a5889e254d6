package io.cairn.client;

import com.google.protobuf.ByteString;
import io.cairn.api.proto.ClusterGrpc;
import io.cairn.api.proto.CompareAndSetRequest;
import io.cairn.api.proto.CompareAndSetResponse;
import io.cairn.api.proto.DeleteRequest;
import io.cairn.api.proto.DeleteResponse;
import io.cairn.api.proto.GetRequest;
import io.cairn.api.proto.GetResponse;
import io.cairn.api.proto.KeyValue;
import io.cairn.api.proto.KvGrpc;
import io.cairn.api.proto.NodeStatus;
import io.cairn.api.proto.PutRequest;
import io.cairn.api.proto.PutResponse;
import io.cairn.api.proto.ResponseHeader;
import io.cairn.api.proto.Role;
import io.cairn.api.proto.ScanRequest;
import io.cairn.api.proto.ScanResponse;
import io.cairn.api.proto.StatusRequest;
import io.cairn.api.proto.StatusResponse;
import io.cairn.common.NodeId;
import io.cairn.transport.grpc.GrpcErrors;
import io.grpc.Server;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

/**
 * A test double of a Cairn node for the client's routing and retry logic only: a real gRPC
 * server on 127.0.0.1:0 whose answers a test scripts (serve, NOT_LEADER with or without a hint,
 * a queue of errors, lost replies, silence), backed by a tiny store with the server's dedup
 * rule (last sequence per client id). It knows nothing of Raft.
 */
final class FakeNode implements AutoCloseable {
    /** A write as received: which request type, and its session. */
    record Received(String method, long clientId, long sequence) {}

    final long id;
    final Store store;
    final List<Received> received = new CopyOnWriteArrayList<>();
    /** Answered, in order, before serving (one per request). */
    final ConcurrentLinkedDeque<StatusRuntimeException> failNext = new ConcurrentLinkedDeque<>();
    /** Replies to drop after applying: the write happened, the client sees UNAVAILABLE. */
    final AtomicInteger loseRepliesAfterApply = new AtomicInteger();
    /** Non-null: answer NOT_LEADER with this address ("" for no hint). */
    volatile String notLeaderHint;
    /** Permits needed to serve a write; release to let writes through. */
    volatile Semaphore writeGate;
    /** Never answer (the call stays open). */
    volatile boolean silent;
    volatile Role role = Role.ROLE_LEADER;
    volatile long term = 1;
    /** What Status lists; defaults to this node alone. */
    volatile Supplier<List<NodeStatus>> statusNodes;
    private final Server server;

    FakeNode(long id, Store store) throws IOException {
        this.id = id;
        this.store = store;
        this.server = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
                .addService(new Kv())
                .addService(new Cluster())
                .build()
                .start();
    }

    String address() {
        return "127.0.0.1:" + server.getPort();
    }

    int port() {
        return server.getPort();
    }

    NodeStatus selfStatus() {
        return NodeStatus.newBuilder().setId(id).setAddress(address()).setRole(role).setTerm(term)
                .setCommitIndex(store.revision()).setAppliedIndex(store.revision()).build();
    }

    long requestsOf(String method) {
        return received.stream().filter(r -> r.method().equals(method)).count();
    }

    @Override
    public void close() throws InterruptedException {
        server.shutdownNow();
        server.awaitTermination(5, TimeUnit.SECONDS);
    }

    private ResponseHeader header() {
        return ResponseHeader.newBuilder().setNodeId(id).setTerm(term).setAppliedIndex(store.revision())
                .setServedBy(role).build();
    }

    /** A scripted answer, or null to serve. SILENT means: never answer. */
    private Object scripted() {
        if (silent) {
            return SILENT;
        }
        StatusRuntimeException next = failNext.poll();
        if (next != null) {
            return next;
        }
        String hint = notLeaderHint;
        if (hint != null) {
            return GrpcErrors.notLeader(hint.isEmpty() ? null : NodeId.of(99), hint.isEmpty() ? null : hint);
        }
        return null;
    }

    private static final Object SILENT = new Object();

    private boolean gateOpens() {
        Semaphore gate = writeGate;
        if (gate == null) {
            return true;
        }
        try {
            return gate.tryAcquire(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /**
     * Serves one write: records it, and counts it in flight for its session from arrival until
     * its answer is decided (before the answer leaves, so the client's next write cannot race
     * the count).
     */
    @SuppressWarnings("unchecked")
    private <B> void write(String method, long clientId, long sequence, StreamObserver<?> out,
                           Supplier<Object> execute, java.util.function.Function<B, Object> finish) {
        received.add(new Received(method, clientId, sequence));
        Object answer;
        store.enter(clientId);
        try {
            answer = scripted();
            if (answer == null) {
                answer = gateOpens() ? store.write(clientId, sequence, execute) : GrpcErrors.unavailable("gate shut");
                if (!(answer instanceof StatusRuntimeException)) {
                    answer = finish.apply((B) answer);
                    if (loseRepliesAfterApply.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
                        answer = GrpcErrors.unavailable("reply lost");
                    }
                }
            }
        } finally {
            store.exit(clientId);
        }
        send(out, answer);
    }

    @SuppressWarnings("unchecked")
    private static void send(StreamObserver<?> out, Object answer) {
        if (answer == SILENT) {
            return;
        }
        if (answer instanceof StatusRuntimeException e) {
            out.onError(e);
            return;
        }
        StreamObserver<Object> o = (StreamObserver<Object>) out;
        o.onNext(answer);
        o.onCompleted();
    }

    private final class Kv extends KvGrpc.KvImplBase {
        @Override
        public void put(PutRequest r, StreamObserver<PutResponse> out) {
            write("put", r.getClientId(), r.getSequence(), out, () -> {
                long[] rv = store.put(r.getKey(), r.getValue());
                return PutResponse.newBuilder().setModRevision(rv[0]).setVersion(rv[1]);
            }, (PutResponse.Builder b) -> b.clone().setHeader(header()).build());
        }

        @Override
        public void delete(DeleteRequest r, StreamObserver<DeleteResponse> out) {
            write("delete", r.getClientId(), r.getSequence(), out,
                    () -> DeleteResponse.newBuilder().setDeleted(store.delete(r.getKey())),
                    (DeleteResponse.Builder b) -> b.clone().setHeader(header()).build());
        }

        @Override
        public void compareAndSet(CompareAndSetRequest r, StreamObserver<CompareAndSetResponse> out) {
            write("cas", r.getClientId(), r.getSequence(), out, () -> {
                long current = store.version(r.getKey());
                if (current != r.getExpectedVersion()) {
                    return GrpcErrors.preconditionFailed(current);
                }
                long[] rv = store.put(r.getKey(), r.getValue());
                return CompareAndSetResponse.newBuilder().setModRevision(rv[0]).setVersion(rv[1]);
            }, (CompareAndSetResponse.Builder b) -> b.clone().setHeader(header()).build());
        }

        @Override
        public void get(GetRequest r, StreamObserver<GetResponse> out) {
            received.add(new Received("get", 0, 0));
            Object answer = scripted();
            if (answer == null) {
                GetResponse.Builder b = GetResponse.newBuilder().setHeader(header());
                KeyValue kv = store.get(r.getKey());
                if (kv != null) {
                    b.setKv(kv);
                }
                answer = b.build();
            }
            send(out, answer);
        }

        @Override
        public void scan(ScanRequest r, StreamObserver<ScanResponse> out) {
            received.add(new Received("scan", 0, 0));
            Object answer = scripted();
            send(out, answer == null ? store.scan(r).setHeader(header()).build() : answer);
        }
    }

    private final class Cluster extends ClusterGrpc.ClusterImplBase {
        @Override
        public void status(StatusRequest r, StreamObserver<StatusResponse> out) {
            received.add(new Received("status", 0, 0));
            if (silent) {
                return;
            }
            Supplier<List<NodeStatus>> nodes = statusNodes;
            StatusResponse.Builder b = StatusResponse.newBuilder().setTerm(term)
                    .addAllNodes(nodes == null ? List.of(selfStatus()) : nodes.get());
            if (role == Role.ROLE_LEADER) {
                b.setLeader(id);
            }
            out.onNext(b.build());
            out.onCompleted();
        }
    }

    /** Keys with versions, and the server's exactly-once rule: the last sequence per client id. */
    static final class Store {
        private record Entry(ByteString value, long createRevision, long modRevision, long version) {}

        private record Session(long lastSequence, Object result) {}

        private final TreeMap<String, Entry> data = new TreeMap<>();
        private final Map<Long, Session> sessions = new TreeMap<>();
        private final Map<Long, Integer> inFlight = new TreeMap<>();
        private long revision;
        private int applied;
        private int staleSeen;
        private int overlapSeen;

        synchronized long revision() {
            return revision;
        }

        /** Writes actually executed (dedup hits excluded). */
        synchronized int applied() {
            return applied;
        }

        /** Requests below their session's last sequence. */
        synchronized int staleSeen() {
            return staleSeen;
        }

        /** Times a session had two writes executing at once. */
        synchronized int overlapSeen() {
            return overlapSeen;
        }

        synchronized void enter(long clientId) {
            if (inFlight.merge(clientId, 1, Integer::sum) > 1) {
                overlapSeen++;
            }
        }

        synchronized void exit(long clientId) {
            inFlight.merge(clientId, -1, Integer::sum);
        }

        /** Executes unless the session's last sequence says it is a repeat (stored result) or stale. */
        synchronized Object write(long clientId, long sequence, Supplier<Object> execute) {
            Session s = sessions.get(clientId);
            if (s != null && sequence < s.lastSequence()) {
                staleSeen++;
                return GrpcErrors.unavailable("stale sequence");
            }
            if (s != null && sequence == s.lastSequence()) {
                return s.result();
            }
            applied++;
            Object result = execute.get();
            sessions.put(clientId, new Session(sequence, result));
            return result;
        }

        synchronized long[] put(ByteString key, ByteString value) {
            revision++;
            Entry old = data.get(key.toStringUtf8());
            Entry e = old == null ? new Entry(value, revision, revision, 1)
                    : new Entry(value, old.createRevision(), revision, old.version() + 1);
            data.put(key.toStringUtf8(), e);
            return new long[] {revision, e.version()};
        }

        synchronized boolean delete(ByteString key) {
            revision++;
            return data.remove(key.toStringUtf8()) != null;
        }

        synchronized long version(ByteString key) {
            Entry e = data.get(key.toStringUtf8());
            return e == null ? 0 : e.version();
        }

        synchronized KeyValue get(ByteString key) {
            Entry e = data.get(key.toStringUtf8());
            return e == null ? null : toKv(key.toStringUtf8(), e);
        }

        /** Pages of at most {@code limit} (default 2); the token is the last key returned. */
        synchronized ScanResponse.Builder scan(ScanRequest r) {
            int limit = r.getLimit() == 0 ? 2 : r.getLimit();
            String after = r.getPageToken().toStringUtf8();
            String prefix = r.hasPrefix() ? r.getPrefix().toStringUtf8() : "";
            List<KeyValue> page = new ArrayList<>();
            ScanResponse.Builder b = ScanResponse.newBuilder();
            for (Map.Entry<String, Entry> e : data.tailMap(after, false).entrySet()) {
                if (!e.getKey().startsWith(prefix)) {
                    continue;
                }
                if (page.size() == limit) {
                    b.setNextPageToken(ByteString.copyFromUtf8(page.get(page.size() - 1).getKey().toStringUtf8()));
                    break;
                }
                page.add(toKv(e.getKey(), e.getValue()));
            }
            return b.addAllKvs(page);
        }

        private static KeyValue toKv(String key, Entry e) {
            return KeyValue.newBuilder().setKey(ByteString.copyFromUtf8(key)).setValue(e.value())
                    .setCreateRevision(e.createRevision()).setModRevision(e.modRevision())
                    .setVersion(e.version()).build();
        }
    }
}
