package io.cairn.client;

import com.google.protobuf.ByteString;
import io.cairn.api.proto.KvGrpc;
import io.cairn.api.proto.TxnRequest;
import io.cairn.api.proto.TxnResponse;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * etcd's mini-transaction, built by {@link CairnClient#txn()}: if every {@link #when} comparison
 * holds, the {@link #then} operations run, else the {@link #orElse} ones, atomically in one Raft
 * entry. Every key must hash to one shard (give them the same {@code {tag}}). The commit is
 * exactly-once: a retry after a lost answer returns the first outcome.
 *
 * <pre>{@code
 * TxnResult r = client.txn()
 *         .when(Compare.version("stock", Compare.Relation.EQUAL, 7))
 *         .then(TxnOp.put("stock", "41"), TxnOp.put("order/9", "paid"))
 *         .orElse(TxnOp.get("stock"))
 *         .commit();
 * }</pre>
 */
public final class Txn {
    /** As the servers enforce: at most this many comparisons, and this many operations per branch. */
    public static final int OPS_MAX = 128;

    private final CairnClient client;
    private final List<Compare> compares = new ArrayList<>();
    private final List<TxnOp> success = new ArrayList<>();
    private final List<TxnOp> failure = new ArrayList<>();

    Txn(CairnClient client) {
        this.client = client;
    }

    public Txn when(Compare... conditions) {
        compares.addAll(Arrays.asList(conditions));
        return this;
    }

    public Txn then(TxnOp... ops) {
        success.addAll(Arrays.asList(ops));
        return this;
    }

    public Txn orElse(TxnOp... ops) {
        failure.addAll(Arrays.asList(ops));
        return this;
    }

    public CompletableFuture<TxnResult> commitAsync() {
        byte[] first = null;
        for (Compare c : compares) {
            first = first == null ? c.key() : first;
        }
        for (TxnOp op : success) {
            first = first == null ? op.key() : first;
        }
        for (TxnOp op : failure) {
            first = first == null ? op.key() : first;
        }
        if (first == null) {
            throw new IllegalArgumentException("a transaction needs at least one key");
        }
        if (compares.size() > OPS_MAX || success.size() > OPS_MAX || failure.size() > OPS_MAX) {
            throw new IllegalArgumentException("a transaction has at most " + OPS_MAX
                    + " comparisons and " + OPS_MAX + " operations per branch");
        }
        TxnRequest.Builder request = TxnRequest.newBuilder();
        compares.forEach(c -> request.addCompare(c.toProto()));
        success.forEach(op -> request.addSuccess(toProto(op)));
        failure.forEach(op -> request.addFailure(toProto(op)));
        return client.transact(first, request).thenApply(Txn::toResult);
    }

    public TxnResult commit() {
        return CairnClient.join(commitAsync());
    }

    private static TxnResult toResult(TxnResponse r) {
        List<TxnResult.OpResult> results = new ArrayList<>(r.getResultsCount());
        for (io.cairn.api.proto.TxnOpResult op : r.getResultsList()) {
            switch (op.getResultCase()) {
                case PUT -> results.add(new TxnResult.Written(op.getPut().getModRevision(), op.getPut().getVersion()));
                case DELETE -> results.add(new TxnResult.Deleted(op.getDelete().getDeleted()));
                case GET -> results.add(new TxnResult.Read(op.getGet().hasKv()
                        ? Optional.of(CairnClient.toKeyValue(op.getGet().getKv(), r.getHeader()))
                        : Optional.empty()));
                default -> throw new IllegalStateException("unknown transaction op result " + op.getResultCase());
            }
        }
        return new TxnResult(r.getSucceeded(), r.getFailedCompare(), results, r.getRevision(), r.getHeader().getNodeId());
    }

    static io.cairn.api.proto.TxnOp toProto(TxnOp op) {
        var b = io.cairn.api.proto.TxnOp.newBuilder();
        if (op instanceof TxnOp.Put p) {
            long ttlMillis = p.ttl().toMillis();
            b.setPut(io.cairn.api.proto.TxnPut.newBuilder().setKey(ByteString.copyFrom(p.key()))
                    .setValue(ByteString.copyFrom(p.value()))
                    .setTtlMs(ttlMillis == 0 && !p.ttl().isZero() ? 1 : ttlMillis));
        } else if (op instanceof TxnOp.Delete d) {
            b.setDelete(io.cairn.api.proto.TxnDelete.newBuilder().setKey(ByteString.copyFrom(d.key())));
        } else if (op instanceof TxnOp.Get g) {
            b.setGet(io.cairn.api.proto.TxnGet.newBuilder().setKey(ByteString.copyFrom(g.key())));
        }
        return b.build();
    }
}
