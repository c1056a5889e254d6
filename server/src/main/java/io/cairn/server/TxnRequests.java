package io.cairn.server;

import io.cairn.api.proto.TxnOp;
import io.cairn.api.proto.TxnRequest;
import io.cairn.common.Bytes;
import io.cairn.kv.state.Command;
import io.cairn.kv.state.Compare;
import java.util.ArrayList;
import java.util.List;

/** A Txn request's wire form as the state machine's {@link Command.Txn}. */
final class TxnRequests {
    private TxnRequests() {}

    /** Throws IllegalArgumentException, naming the field, for a compare or op that means nothing. */
    static Command.Txn toCommand(TxnRequest req) {
        List<Compare> compares = new ArrayList<>(req.getCompareCount());
        for (int i = 0; i < req.getCompareCount(); i++) {
            compares.add(compare(req.getCompare(i), i));
        }
        return new Command.Txn(compares, ops(req.getSuccessList(), "success"), ops(req.getFailureList(), "failure"));
    }

    private static Compare compare(io.cairn.api.proto.Compare c, int index) {
        Bytes key = Bytes.wrap(c.getKey().toByteArray());
        Compare.Relation relation = switch (c.getRelation()) {
            case EQUAL -> Compare.Relation.EQUAL;
            case NOT_EQUAL -> Compare.Relation.NOT_EQUAL;
            case LESS -> Compare.Relation.LESS;
            case GREATER -> Compare.Relation.GREATER;
            case UNRECOGNIZED -> throw new IllegalArgumentException("compare " + index + ": unknown relation");
        };
        Compare.Target target = switch (c.getTarget()) {
            case VERSION -> Compare.Target.VERSION;
            case CREATE_REVISION -> Compare.Target.CREATE_REVISION;
            case MOD_REVISION -> Compare.Target.MOD_REVISION;
            case VALUE -> Compare.Target.VALUE;
            case LOCK_TOKEN -> Compare.Target.LOCK_TOKEN;
            case UNRECOGNIZED -> throw new IllegalArgumentException("compare " + index + ": unknown target");
        };
        if (target == Compare.Target.VALUE) {
            if (c.getNumber() != 0) {
                throw new IllegalArgumentException("compare " + index + ": a VALUE compare takes value, not number");
            }
            return Compare.value(key, relation, Bytes.wrap(c.getValue().toByteArray()));
        }
        if (!c.getValue().isEmpty()) {
            throw new IllegalArgumentException("compare " + index + ": a " + target + " compare takes number, not value");
        }
        if (c.getNumber() < 0) {
            throw new IllegalArgumentException("compare " + index + ": number " + Long.toUnsignedString(c.getNumber())
                    + " is out of range");
        }
        return Compare.of(key, target, relation, c.getNumber());
    }

    private static List<io.cairn.kv.state.TxnOp> ops(List<TxnOp> ops, String branch) {
        List<io.cairn.kv.state.TxnOp> out = new ArrayList<>(ops.size());
        for (int i = 0; i < ops.size(); i++) {
            TxnOp op = ops.get(i);
            out.add(switch (op.getOpCase()) {
                case PUT -> new Command.Put(Bytes.wrap(op.getPut().getKey().toByteArray()),
                        Bytes.wrap(op.getPut().getValue().toByteArray()), op.getPut().getTtlMs());
                case DELETE -> new Command.Delete(Bytes.wrap(op.getDelete().getKey().toByteArray()));
                case GET -> new io.cairn.kv.state.TxnOp.Get(Bytes.wrap(op.getGet().getKey().toByteArray()));
                case OP_NOT_SET -> throw new IllegalArgumentException(branch + " op " + i + " is empty");
            });
        }
        return out;
    }
}
