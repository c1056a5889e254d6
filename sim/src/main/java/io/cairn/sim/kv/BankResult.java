package io.cairn.sim.kv;

import io.cairn.kv.state.KeyValue;
import io.cairn.kv.state.Result;
import java.util.ArrayList;
import java.util.List;

/**
 * kv-state's answer to a transaction step (the bank's, the list-append workload's): which branch
 * ran, and what its gets saw.
 */
public record BankResult(Result.TxnDone done) implements OpResult {
    public BankResult {
        if (done == null) {
            throw new IllegalArgumentException("done is required");
        }
    }

    /** The balances read, in account order; an absent account holds {@link BankOp#OPENING}. */
    public List<Long> balances() {
        List<Long> out = new ArrayList<>();
        for (Result r : done.results()) {
            if (r instanceof Result.Read read) {
                out.add(read.found().map(kv -> KvOp.decodeValue(kv.value())).orElse(BankOp.OPENING));
            }
        }
        return out;
    }

    /** What each get of the step saw, in order. */
    public List<Result.Read> reads() {
        List<Result.Read> out = new ArrayList<>();
        for (Result r : done.results()) {
            if (r instanceof Result.Read read) {
                out.add(read);
            }
        }
        return out;
    }

    /** The versions read, in account order (0: absent). */
    public List<Long> versions() {
        List<Long> out = new ArrayList<>();
        for (Result r : done.results()) {
            if (r instanceof Result.Read read) {
                out.add(read.found().map(KeyValue::version).orElse(0L));
            }
        }
        return out;
    }

    @Override
    public String toString() {
        if (!done.succeeded()) {
            return "conflict on compare " + done.failedCompare();
        }
        List<String> seen = new ArrayList<>();
        for (Result.Read read : reads()) {
            // The bank's balances are 8-byte numbers; the list-append workload's lists are text.
            seen.add(read.found().map(kv -> kv.value().size() == Long.BYTES
                    ? Long.toString(KvOp.decodeValue(kv.value())) : "[" + kv.value().toUtf8() + "]").orElse("absent"));
        }
        return seen.isEmpty() ? "committed r" + done.revision() : "read " + seen;
    }
}
