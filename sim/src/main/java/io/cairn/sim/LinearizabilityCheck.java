package io.cairn.sim;

import io.cairn.sim.kv.KvOp;
import io.cairn.sim.kv.KvResult;
import io.cairn.sim.lin.CheckResult;
import io.cairn.sim.lin.KvInput;
import io.cairn.sim.lin.KvModel;
import io.cairn.sim.lin.KvOutput;
import io.cairn.sim.lin.KvValue;
import io.cairn.sim.lin.LinearizabilityChecker;
import io.cairn.sim.lin.Operation;
import java.util.ArrayList;
import java.util.List;

/**
 * Hands a run's client history to the linearizability checker with the KV model. The budget is
 * the checker's deterministic step budget, so the verdict is part of the seed's replay.
 */
final class LinearizabilityCheck {
    private LinearizabilityCheck() {}

    /** Returns null when the history is linearizable, else why not. */
    static String violation(List<HistoryOp> history) {
        List<Operation<KvInput, KvOutput>> ops = new ArrayList<>(history.size());
        for (HistoryOp op : history) {
            ops.add(toOperation(op));
        }
        CheckResult<KvInput, KvOutput> result = LinearizabilityChecker.check(new KvModel(), ops);
        if (result instanceof CheckResult.Illegal<KvInput, KvOutput> illegal) {
            return "history of " + ops.size() + " operations is not linearizable: " + illegal.explanation();
        }
        if (result instanceof CheckResult.Unknown<KvInput, KvOutput> unknown) {
            return "checker gave up on partition " + unknown.partition() + ": " + unknown.reason();
        }
        return null;
    }

    static Operation<KvInput, KvOutput> toOperation(HistoryOp op) {
        KvInput input = toInput(op.op());
        if (op.isPending()) {
            return Operation.pending(op.client(), input, op.invokeMicros());
        }
        return Operation.completed(op.client(), input, toOutput(op.op(), op.result()), op.invokeMicros(),
                op.returnMicros());
    }

    private static KvInput toInput(KvOp op) {
        return switch (op.kind()) {
            case PUT -> new KvInput.Put(op.key(), op.value());
            case GET -> new KvInput.Get(op.key());
            case CAS -> new KvInput.Cas(op.key(), value(op.expected()), op.value());
            case DELETE -> new KvInput.Delete(op.key());
        };
    }

    private static KvOutput toOutput(KvOp op, KvResult result) {
        return switch (op.kind()) {
            case PUT, DELETE -> KvOutput.OK;
            case GET -> new KvOutput.Read(value(result.value()));
            case CAS -> new KvOutput.Swapped(result.ok());
        };
    }

    private static KvValue value(Long v) {
        return v == null ? KvValue.ABSENT : KvValue.of(v);
    }
}
