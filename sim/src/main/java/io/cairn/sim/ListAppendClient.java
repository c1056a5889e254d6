package io.cairn.sim;

import io.cairn.common.RandomSource;
import io.cairn.sim.elle.ListTxn;
import io.cairn.sim.kv.BankResult;
import io.cairn.sim.kv.ClientOp;
import io.cairn.sim.kv.ListOp;
import io.cairn.sim.kv.OpResult;
import java.util.ArrayList;
import java.util.List;

/**
 * Elle's list-append workload for one simulated client ({@code --workload list-append}): each
 * transaction reads or appends a unique value to 1 to 3 of {@link #KEYS} lists, done optimistically
 * in two steps: read the lists (one {@code Txn} of gets), then commit the appends only if none of
 * the lists read has changed. The commit step carries the transaction's micro-operations, so
 * {@code ListAppendCheck} judges the whole history from the clients' records.
 */
final class ListAppendClient implements WorkloadDriver {
    static final List<String> KEYS = List.of("{la}a", "{la}b", "{la}c", "{la}d");

    private final int id;
    private final RandomSource random;
    private final long thinkMaxMicros;
    private final Coverage coverage;
    /** The micro-operations planned for the transaction in progress; reads get their lists once read. */
    private List<ListTxn.Mop> planned;
    private ListOp commit;
    private long counter;

    ListAppendClient(int id, RandomSource random, long thinkMaxMicros, Coverage coverage) {
        this.id = id;
        this.random = random;
        this.thinkMaxMicros = thinkMaxMicros;
        this.coverage = coverage;
    }

    @Override
    public ClientOp next() {
        if (commit != null) {
            return commit;
        }
        List<String> keys = new ArrayList<>(KEYS);
        planned = new ArrayList<>();
        List<String> touched = new ArrayList<>();
        for (int n = 1 + random.nextInt(3); n > 0; n--) {
            String key = keys.remove(random.nextInt(keys.size()));
            touched.add(key);
            // A value no other client or transaction appends: the client's id, then its counter.
            planned.add(random.chance(0.5) ? ListTxn.Mop.append(key, (long) id << 32 | ++counter)
                    : ListTxn.Mop.read(key, List.of()));
        }
        return ListOp.read(touched);
    }

    @Override
    public long pauseMicros() {
        return commit != null ? 0 : random.nextLong(thinkMaxMicros + 1);
    }

    @Override
    public void onResult(ClientOp op, OpResult answer) {
        ListOp step = (ListOp) op;
        BankResult result = (BankResult) answer;
        if (!step.commit()) {
            List<ListTxn.Mop> mops = new ArrayList<>();
            List<Long> versions = new ArrayList<>();
            for (int i = 0; i < step.keys().size(); i++) {
                var read = result.reads().get(i);
                List<Long> list = read.found().map(kv -> ListOp.decode(kv.value())).orElse(List.of());
                versions.add(read.found().map(io.cairn.kv.state.KeyValue::version).orElse(0L));
                ListTxn.Mop m = planned.get(i);
                // An append reads its list first (it writes the list with the value added), and
                // the commit checks that read like any other.
                mops.add(ListTxn.Mop.read(m.key(), list));
                if (m.append()) {
                    mops.add(m);
                }
            }
            commit = ListOp.commit(step.keys(), versions, mops);
            return;
        }
        commit = null;
        coverage.add(result.done().succeeded() ? Coverage.Item.TXNS_COMMITTED : Coverage.Item.TXNS_CONFLICTED);
    }

    @Override
    public void onAbandoned(ClientOp op) {
        commit = null;
    }
}
