package io.cairn.server;

import com.google.protobuf.ByteString;
import io.cairn.api.proto.AcquireRequest;
import io.cairn.api.proto.AggregatePartRequest;
import io.cairn.api.proto.AggregateRequest;
import io.cairn.api.proto.AggregateGrpc;
import io.cairn.api.proto.AuthGrpc;
import io.cairn.api.proto.ClusterGrpc;
import io.cairn.api.proto.Compare;
import io.cairn.api.proto.CompareAndSetRequest;
import io.cairn.api.proto.DeleteRequest;
import io.cairn.api.proto.DescribeLockRequest;
import io.cairn.api.proto.ExpireRequest;
import io.cairn.api.proto.GetRequest;
import io.cairn.api.proto.KvGrpc;
import io.cairn.api.proto.LockGrpc;
import io.cairn.api.proto.MultiGetRequest;
import io.cairn.api.proto.Permission;
import io.cairn.api.proto.PutRequest;
import io.cairn.api.proto.ReleaseRequest;
import io.cairn.api.proto.ScanRequest;
import io.cairn.api.proto.TxnDecideRequest;
import io.cairn.api.proto.TxnForgetRequest;
import io.cairn.api.proto.TxnGrpc;
import io.cairn.api.proto.TxnOp;
import io.cairn.api.proto.TxnPrepareRequest;
import io.cairn.api.proto.TxnRequest;
import io.cairn.api.proto.TxnResolveRequest;
import io.cairn.api.proto.WatchGrpc;
import io.cairn.api.proto.WatchRequest;
import io.cairn.common.Bytes;
import io.cairn.kv.state.KeyRange;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * What each API method needs, in one table: the permissions a request asks for (derived from
 * the keys, ranges and lock names in it), or that the caller be an admin, a node, or merely
 * signed in. A method missing from the table is refused: a new method is closed until it is
 * given a rule here. A request that needs several permissions (a transaction, a multi-get) is
 * allowed only if it has all of them, so it is refused whole.
 */
final class AccessRules {
    /** Who may call a method, before its request is looked at. */
    enum Caller {
        /** no credentials needed (signing in) */
        ANYONE,
        /** any signed-in user; the request's keys are then checked */
        USER,
        /** a user with the admin permission */
        ADMIN,
        /** only another node of the cluster (a node certificate) */
        NODE
    }

    /** One permission a request needs: {@code kind} on a key, a lock name, or a range. */
    record Need(Permission.Kind kind, byte[] from, byte[] toExclusive, boolean range) {
        static Need key(Permission.Kind kind, ByteString key) {
            return new Need(kind, key.toByteArray(), null, false);
        }

        static Need range(Permission.Kind kind, KeyRange r) {
            return new Need(kind, r.fromInclusive().toArray(), r.toExclusive() == null ? new byte[0] : r.toExclusive().toArray(), true);
        }

        String describe() {
            String what = kind.name().toLowerCase(java.util.Locale.ROOT);
            if (!range) {
                return what + " on " + (kind == Permission.Kind.LOCK ? "lock " : "key ") + printable(from);
            }
            if (from.length == 0 && toExclusive.length == 0) {
                return what + " on every key";
            }
            return what + " on range [" + printable(from) + ", " + (toExclusive.length == 0 ? "end" : printable(toExclusive)) + ")";
        }

        private static String printable(byte[] b) {
            String s = Bytes.wrap(b).toString();
            return s.length() > 64 ? s.substring(0, 64) + "..." : s;
        }
    }

    @FunctionalInterface
    interface Needs {
        List<Need> of(Object request);
    }

    record Rule(Caller caller, Needs needs) {}

    private static final Map<String, Rule> RULES = new HashMap<>();

    static {
        user(KvGrpc.getPutMethod().getFullMethodName(), r -> List.of(Need.key(Permission.Kind.WRITE, ((PutRequest) r).getKey())));
        user(KvGrpc.getDeleteMethod().getFullMethodName(), r -> List.of(Need.key(Permission.Kind.WRITE, ((DeleteRequest) r).getKey())));
        user(KvGrpc.getCompareAndSetMethod().getFullMethodName(),
                r -> List.of(Need.key(Permission.Kind.WRITE, ((CompareAndSetRequest) r).getKey())));
        user(KvGrpc.getExpireMethod().getFullMethodName(), r -> List.of(Need.key(Permission.Kind.WRITE, ((ExpireRequest) r).getKey())));
        user(KvGrpc.getGetMethod().getFullMethodName(), r -> List.of(Need.key(Permission.Kind.READ, ((GetRequest) r).getKey())));
        user(KvGrpc.getMultiGetMethod().getFullMethodName(),
                r -> ((MultiGetRequest) r).getKeysList().stream().map(k -> Need.key(Permission.Kind.READ, k)).toList());
        user(KvGrpc.getScanMethod().getFullMethodName(), r -> List.of(Need.range(Permission.Kind.READ, scanRange((ScanRequest) r))));
        user(KvGrpc.getTxnMethod().getFullMethodName(), r -> {
            TxnRequest t = (TxnRequest) r;
            List<Need> needs = new ArrayList<>();
            t.getCompareList().forEach(c -> needs.add(compareNeed(c)));
            t.getSuccessList().forEach(op -> needs.add(opNeed(op)));
            t.getFailureList().forEach(op -> needs.add(opNeed(op)));
            return needs;
        });
        user(WatchGrpc.getWatchMethod().getFullMethodName(),
                r -> List.of(Need.range(Permission.Kind.READ, WatchService.rangeOf((WatchRequest) r))));
        user(AggregateGrpc.getRunMethod().getFullMethodName(), r -> List.of(aggregateNeed((AggregateRequest) r)));
        user(AggregateGrpc.getRunWithProgressMethod().getFullMethodName(), r -> List.of(aggregateNeed((AggregateRequest) r)));
        user(AggregateGrpc.getPartMethod().getFullMethodName(), r -> List.of(aggregateNeed(((AggregatePartRequest) r).getQuery())));
        user(TxnGrpc.getPrepareMethod().getFullMethodName(), r -> {
            TxnPrepareRequest p = (TxnPrepareRequest) r;
            List<Need> needs = new ArrayList<>();
            needs.add(Need.key(Permission.Kind.WRITE, p.getPrimaryKey()));
            p.getCompareList().forEach(c -> needs.add(compareNeed(c)));
            p.getWriteList().forEach(op -> needs.add(opNeed(op)));
            return needs;
        });
        user(TxnGrpc.getDecideMethod().getFullMethodName(),
                r -> List.of(Need.key(Permission.Kind.WRITE, ((TxnDecideRequest) r).getPrimaryKey())));
        user(TxnGrpc.getResolveMethod().getFullMethodName(),
                r -> ((TxnResolveRequest) r).getKeysList().stream().map(k -> Need.key(Permission.Kind.WRITE, k)).toList());
        user(TxnGrpc.getForgetMethod().getFullMethodName(),
                r -> List.of(Need.key(Permission.Kind.WRITE, ((TxnForgetRequest) r).getPrimaryKey())));
        user(LockGrpc.getAcquireMethod().getFullMethodName(), r -> List.of(Need.key(Permission.Kind.LOCK, ((AcquireRequest) r).getName())));
        user(LockGrpc.getReleaseMethod().getFullMethodName(), r -> List.of(Need.key(Permission.Kind.LOCK, ((ReleaseRequest) r).getName())));
        user(LockGrpc.getDescribeMethod().getFullMethodName(),
                r -> List.of(Need.key(Permission.Kind.LOCK, ((DescribeLockRequest) r).getName())));
        user(LockGrpc.getAwaitGrantMethod().getFullMethodName(),
                r -> List.of(Need.key(Permission.Kind.LOCK, ((io.cairn.api.proto.WaitRequest) r).getName())));
        user(LockGrpc.getEndSessionMethod().getFullMethodName(),
                r -> List.of(Need.key(Permission.Kind.LOCK, ((io.cairn.api.proto.EndSessionRequest) r).getName())));
        // Listing shows every lock of a shard from the first name on: lock permission on all of them.
        user(LockGrpc.getListMethod().getFullMethodName(), r -> List.of(Need.range(Permission.Kind.LOCK,
                new KeyRange(Bytes.wrap(((io.cairn.api.proto.ListLocksRequest) r).getFromName().toByteArray()), null))));
        user(LockGrpc.getProclaimMethod().getFullMethodName(),
                r -> List.of(Need.key(Permission.Kind.LOCK, ((io.cairn.api.proto.ProclaimRequest) r).getName())));
        user(LockGrpc.getObserveMethod().getFullMethodName(),
                r -> List.of(Need.key(Permission.Kind.LOCK, ((io.cairn.api.proto.ObserveRequest) r).getName())));
        // A keep-alive names random session ids and only delays their end: any signed-in user.
        user(LockGrpc.getKeepAliveMethod().getFullMethodName(), r -> List.of());
        user(ClusterGrpc.getStatusMethod().getFullMethodName(), r -> List.of());
        user(ClusterGrpc.getShardsMethod().getFullMethodName(), r -> List.of());
        user(ClusterGrpc.getMembersMethod().getFullMethodName(), r -> List.of());
        user(AuthGrpc.getWhoAmIMethod().getFullMethodName(), r -> List.of());
        only(ClusterGrpc.getAddNodeMethod().getFullMethodName(), Caller.ADMIN);
        only(ClusterGrpc.getRemoveNodeMethod().getFullMethodName(), Caller.ADMIN);
        only(ClusterGrpc.getReplaceNodeMethod().getFullMethodName(), Caller.ADMIN);
        only(ClusterGrpc.getTransferLeaderMethod().getFullMethodName(), Caller.ADMIN);
        only(AuthGrpc.getChangeMethod().getFullMethodName(), Caller.ADMIN);
        only(AuthGrpc.getListMethod().getFullMethodName(), Caller.ADMIN);
        only(ClusterGrpc.getHeartbeatMethod().getFullMethodName(), Caller.NODE);
        only(ClusterGrpc.getCheckJoinMethod().getFullMethodName(), Caller.NODE);
        only(AuthGrpc.getFetchMethod().getFullMethodName(), Caller.NODE);
        only(AuthGrpc.getRefreshMethod().getFullMethodName(), Caller.NODE);
        only(io.cairn.api.proto.RaftTransportGrpc.getStreamMethod().getFullMethodName(), Caller.NODE);
        only(AuthGrpc.getLoginMethod().getFullMethodName(), Caller.ANYONE);
    }

    private AccessRules() {}

    private static void user(String method, Needs needs) {
        RULES.put(method, new Rule(Caller.USER, needs));
    }

    private static void only(String method, Caller caller) {
        RULES.put(method, new Rule(caller, r -> List.of()));
    }

    /** The rule of {@code fullMethodName}; null: no rule, so nobody but a node may call it. */
    static Rule ruleOf(String fullMethodName) {
        return RULES.get(fullMethodName);
    }

    /** The first thing {@code user} lacks for {@code needs} in {@code state}, or null when it has all. */
    static Need firstMissing(AuthState state, String user, List<Need> needs) {
        for (Need n : needs) {
            boolean ok = n.range()
                    ? state.allowsRange(user, n.kind(), n.from(), n.toExclusive())
                    : state.allows(user, n.kind(), n.from());
            if (!ok) {
                return n;
            }
        }
        return null;
    }

    /** The write session (exactly-once client id) a request writes in; 0 for none. */
    static long clientIdOf(Object request) {
        if (request instanceof PutRequest r) {
            return r.getClientId();
        } else if (request instanceof DeleteRequest r) {
            return r.getClientId();
        } else if (request instanceof CompareAndSetRequest r) {
            return r.getClientId();
        } else if (request instanceof ExpireRequest r) {
            return r.getClientId();
        } else if (request instanceof TxnRequest r) {
            return r.getClientId();
        } else if (request instanceof TxnPrepareRequest r) {
            return r.getClientId();
        } else if (request instanceof TxnDecideRequest r) {
            return r.getClientId();
        } else if (request instanceof TxnResolveRequest r) {
            return r.getClientId();
        } else if (request instanceof TxnForgetRequest r) {
            return r.getClientId();
        } else if (request instanceof AcquireRequest r) {
            return r.getClientId();
        } else if (request instanceof ReleaseRequest r) {
            return r.getClientId();
        }
        return 0;
    }

    private static KeyRange scanRange(ScanRequest req) {
        return switch (req.getRangeCase()) {
            case PREFIX -> KeyRange.prefix(Bytes.wrap(req.getPrefix().toByteArray()));
            case KEY_RANGE -> new KeyRange(Bytes.wrap(req.getKeyRange().getStart().toByteArray()),
                    req.getKeyRange().getEnd().isEmpty() ? null : Bytes.wrap(req.getKeyRange().getEnd().toByteArray()));
            case RANGE_NOT_SET -> KeyRange.all();
        };
    }

    private static Need aggregateNeed(AggregateRequest q) {
        KeyRange range = switch (q.getRangeCase()) {
            case PREFIX -> KeyRange.prefix(Bytes.wrap(q.getPrefix().toByteArray()));
            case KEY_RANGE -> new KeyRange(Bytes.wrap(q.getKeyRange().getStart().toByteArray()),
                    q.getKeyRange().getEnd().isEmpty() ? null : Bytes.wrap(q.getKeyRange().getEnd().toByteArray()));
            case RANGE_NOT_SET -> KeyRange.all();
        };
        return Need.range(Permission.Kind.READ, range);
    }

    /** A compare reads its key; one on a lock's token reads the lock. */
    private static Need compareNeed(Compare c) {
        return c.getTarget() == Compare.Target.LOCK_TOKEN
                ? Need.key(Permission.Kind.LOCK, c.getKey())
                : Need.key(Permission.Kind.READ, c.getKey());
    }

    private static Need opNeed(TxnOp op) {
        return switch (op.getOpCase()) {
            case PUT -> Need.key(Permission.Kind.WRITE, op.getPut().getKey());
            case DELETE -> Need.key(Permission.Kind.WRITE, op.getDelete().getKey());
            case GET -> Need.key(Permission.Kind.READ, op.getGet().getKey());
            // An empty op is refused by the handler as bad input; it touches nothing.
            case OP_NOT_SET -> Need.key(Permission.Kind.READ, ByteString.EMPTY);
        };
    }
}
