package io.cairn.server;

import io.cairn.api.proto.DeleteResponse;
import io.cairn.api.proto.GetResponse;
import io.cairn.api.proto.PutResponse;
import io.cairn.api.proto.TxnOpResult;
import io.cairn.api.proto.TxnResponse;
import io.cairn.client.CairnClient;
import io.cairn.client.CairnUnavailableException;
import io.cairn.client.Compare;
import io.cairn.client.Txn;
import io.cairn.client.TxnOp;
import io.cairn.client.TxnResult;
import io.cairn.client.TransactionConflictException;
import io.cairn.common.NodeId;
import io.cairn.kv.state.Command;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;

/**
 * A gRPC caller's Txn whose keys span shards, run by the Java client's coordinator on this node:
 * the compared keys are read in an optimistic transaction, the branch chosen, and the commit
 * is a two-phase commit across the shards, all again after a conflict (docs/transactions.md).
 * Unlike a one-shard Txn it is not exactly-once across the caller's retries: a retry after a
 * lost answer runs it again. The client is made on first use and closed with the node.
 */
final class CrossShardTxns implements AutoCloseable {
    private final PeerChannels channels;
    private final ClusterMap map;
    private final ServerConfig config;
    private CairnClient client;
    private boolean closed;

    CrossShardTxns(ClusterMap map, ServerConfig config, PeerChannels channels) {
        this.channels = channels;
        this.map = map;
        this.config = config;
    }

    /**
     * The coordinator blocks (reads, rounds, pauses between attempts), so it runs on a thread of
     * its own, never on the gRPC thread that took the request: that thread may be the one that
     * must read the answers.
     */
    private final java.util.concurrent.ExecutorService threads = java.util.concurrent.Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "cairn-cross-shard-txn");
        t.setDaemon(true);
        return t;
    });

    CompletableFuture<TxnResponse> run(Command.Txn txn) {
        return CompletableFuture.supplyAsync(() -> {
            Txn builder = client().txn();
            txn.compares().forEach(c -> builder.when(toClient(c)));
            txn.success().forEach(op -> builder.then(toClient(op)));
            txn.failure().forEach(op -> builder.orElse(toClient(op)));
            return builder.commit();
        }, threads).handle((r, err) -> {
            if (err == null) {
                return toResponse(r);
            }
            Throwable cause = err instanceof CompletionException && err.getCause() != null ? err.getCause() : err;
            io.grpc.Status status = cause instanceof TransactionConflictException
                    ? io.grpc.Status.ABORTED
                    : cause instanceof IllegalArgumentException ? io.grpc.Status.INVALID_ARGUMENT
                    : cause instanceof CairnUnavailableException || cause instanceof IllegalStateException
                    ? io.grpc.Status.UNAVAILABLE : io.grpc.Status.INTERNAL;
            throw status.withDescription(cause.getMessage()).asRuntimeException();
        });
    }

    private synchronized CairnClient client() {
        if (closed) {
            throw new IllegalStateException("the node is stopping");
        }
        if (client == null) {
            client = channels.clusterClient(map, Duration.ofMillis(config.requestTimeoutMillis()));
        }
        return client;
    }

    private static Compare toClient(io.cairn.kv.state.Compare c) {
        Compare.Relation relation = Compare.Relation.valueOf(c.relation().name());
        Compare.Target target = Compare.Target.valueOf(c.target().name());
        return new Compare(c.key().toArray(), target, relation, c.number(), c.value() == null ? null : c.value().toArray());
    }

    private static TxnOp toClient(io.cairn.kv.state.TxnOp op) {
        if (op instanceof Command.Put put) {
            return new TxnOp.Put(put.key().toArray(), put.value().toArray(), Duration.ofMillis(put.ttlMillis()));
        }
        if (op instanceof Command.Delete delete) {
            return new TxnOp.Delete(delete.key().toArray());
        }
        return new TxnOp.Get(op.key().toArray());
    }

    private static TxnResponse toResponse(TxnResult r) {
        TxnResponse.Builder b = TxnResponse.newBuilder().setSucceeded(r.succeeded()).setFailedCompare(r.failedCompare())
                .setRevision(r.revision());
        for (TxnResult.OpResult op : r.results()) {
            TxnOpResult.Builder one = TxnOpResult.newBuilder();
            if (op instanceof TxnResult.Written w) {
                one.setPut(PutResponse.newBuilder().setModRevision(w.modRevision()).setVersion(w.version()));
            } else if (op instanceof TxnResult.Deleted d) {
                one.setDelete(DeleteResponse.newBuilder().setDeleted(d.existed()));
            } else if (op instanceof TxnResult.Read read) {
                GetResponse.Builder get = GetResponse.newBuilder();
                read.kv().ifPresent(kv -> get.setKv(io.cairn.api.proto.KeyValue.newBuilder()
                        .setKey(com.google.protobuf.ByteString.copyFrom(kv.key()))
                        .setValue(com.google.protobuf.ByteString.copyFrom(kv.value()))
                        .setCreateRevision(kv.createRevision()).setModRevision(kv.modRevision())
                        .setVersion(kv.version()).setExpiresAtMs(kv.expiresAtMillis())));
                one.setGet(get);
            }
            b.addResults(one);
        }
        return b.build();
    }

    @Override
    public synchronized void close() {
        closed = true;
        threads.shutdownNow();
        if (client != null) {
            client.close();
        }
    }
}
