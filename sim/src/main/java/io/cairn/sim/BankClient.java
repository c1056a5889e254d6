package io.cairn.sim;

import io.cairn.common.RandomSource;
import io.cairn.sim.kv.BankOp;
import io.cairn.sim.kv.BankResult;
import io.cairn.sim.kv.ClientOp;
import io.cairn.sim.kv.OpResult;
import java.util.ArrayList;
import java.util.List;

/**
 * The bank workload of one simulated client ({@code --workload bank}): over and over, either an
 * audit (every account read in one transaction) or a transfer, done as an optimistic
 * transaction in two steps: read two accounts, then write both new balances only if neither
 * changed since (the versions read are the transaction's comparisons). A transfer never takes an
 * account below zero. A conflict or an abandoned step starts over. {@link BankCheck} requires
 * every audit to see the opening total.
 */
final class BankClient implements WorkloadDriver {
    static final int ACCOUNTS = 4;
    /** The accounts share a hash tag: a sharded cluster keeps them in one shard. */
    static final List<String> NAMES = names();

    private final RandomSource random;
    private final long thinkMaxMicros;
    private final Coverage coverage;
    /** The transfer whose accounts were read and that is to be committed next; null between transfers. */
    private BankOp commit;
    private long amount;

    BankClient(RandomSource random, long thinkMaxMicros, Coverage coverage) {
        this.random = random;
        this.thinkMaxMicros = thinkMaxMicros;
        this.coverage = coverage;
    }

    private static List<String> names() {
        List<String> names = new ArrayList<>();
        for (int i = 0; i < ACCOUNTS; i++) {
            names.add("{bank}a" + i);
        }
        return List.copyOf(names);
    }

    @Override
    public ClientOp next() {
        if (commit != null) {
            return commit;
        }
        if (random.chance(0.25)) {
            return BankOp.audit(NAMES);
        }
        int from = random.nextInt(ACCOUNTS);
        int to = (from + 1 + random.nextInt(ACCOUNTS - 1)) % ACCOUNTS;
        amount = 1 + random.nextInt(60);
        return BankOp.read(List.of(NAMES.get(from), NAMES.get(to)));
    }

    @Override
    public long pauseMicros() {
        return commit != null ? 0 : random.nextLong(thinkMaxMicros + 1);
    }

    @Override
    public void onResult(ClientOp op, OpResult answer) {
        BankOp step = (BankOp) op;
        BankResult result = (BankResult) answer;
        switch (step.kind()) {
            case READ -> {
                List<Long> balances = result.balances();
                if (balances.get(0) >= amount) {
                    commit = BankOp.transfer(step.accounts(), result.versions(),
                            List.of(balances.get(0) - amount, balances.get(1) + amount));
                }
            }
            case TRANSFER -> {
                commit = null;
                coverage.add(result.done().succeeded() ? Coverage.Item.TXNS_COMMITTED
                        : Coverage.Item.TXNS_CONFLICTED);
            }
            case AUDIT -> coverage.add(Coverage.Item.AUDITS);
        }
    }

    @Override
    public void onAbandoned(ClientOp op) {
        commit = null;
    }
}
