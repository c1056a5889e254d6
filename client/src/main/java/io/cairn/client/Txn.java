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
 * holds, the {@link #then} operations run, else the {@link #orElse} ones, atomically. When every
 * key hashes to one shard (give them the same {@code {tag}}) it is one Raft entry there, and
 * exactly-once: a retry after a lost answer returns the first outcome. Keys of several shards run
 * as a {@link Transaction}: the compared keys are read, the branch chosen here, and the commit
 * checks that nothing read changed, else it all runs again (up to
 * {@link CairnClient#TRANSACTION_ATTEMPTS_DEFAULT} times); there a lock-token comparison is
 * refused, and written keys' revisions and versions are not reported (0).
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
        if (!oneShard(first)) {
            for (Compare c : compares) {
                if (c.target() == Compare.Target.LOCK_TOKEN) {
                    throw new IllegalArgumentException("a lock-token comparison needs every key of the transaction"
                            + " in the lock's shard: give them the same {tag}");
                }
            }
            return CompletableFuture.supplyAsync(this::acrossShards, ACROSS_SHARDS);
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

    /** Cross-shard commits block a thread: each gets one of these, as many as run at once. */
    private static final java.util.concurrent.ExecutorService ACROSS_SHARDS =
            java.util.concurrent.Executors.newCachedThreadPool(r -> {
                Thread t = new Thread(r, "cairn-txn");
                t.setDaemon(true);
                return t;
            });

    private boolean oneShard(byte[] first) {
        int shard = client.shardOf(first);
        for (Compare c : compares) {
            if (client.shardOf(c.key()) != shard) {
                return false;
            }
        }
        for (List<TxnOp> branch : List.of(success, failure)) {
            for (TxnOp op : branch) {
                if (client.shardOf(op.key()) != shard) {
                    return false;
                }
            }
        }
        return true;
    }

    /** The comparisons and the branch they choose, in one optimistic transaction, again on a conflict. */
    private TxnResult acrossShards() {
        return client.inTransaction(tx -> {
            int failed = -1;
            for (int i = 0; i < compares.size() && failed < 0; i++) {
                if (!compares.get(i).holds(tx.get(compares.get(i).key()).orElse(null))) {
                    failed = i;
                }
            }
            List<TxnResult.OpResult> results = new ArrayList<>();
            for (TxnOp op : failed < 0 ? success : failure) {
                if (op instanceof TxnOp.Put p) {
                    tx.put(p.key(), p.value(), p.ttl());
                    results.add(new TxnResult.Written(0, 0));
                } else if (op instanceof TxnOp.Delete d) {
                    results.add(new TxnResult.Deleted(tx.get(d.key()).isPresent()));
                    tx.delete(d.key());
                } else if (op instanceof TxnOp.Get g) {
                    results.add(new TxnResult.Read(tx.get(g.key())));
                }
            }
            return new TxnResult(failed < 0, failed, results, 0, 0);
        });
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
