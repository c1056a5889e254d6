package io.cairn.sim;

import io.cairn.aggregate.CutRule;
import io.cairn.common.RandomSource;
import io.cairn.placement.ShardMap;
import io.cairn.sim.kv.AggOp;
import io.cairn.sim.kv.AggResult;
import io.cairn.sim.kv.ClientOp;
import io.cairn.sim.kv.KvOp;
import io.cairn.sim.kv.OpResult;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The aggregation workload ({@code --workload aggregate}): one counter key per shard, a writer
 * that raises them one after another in shard order (round r sets shard 0's counter to r, then
 * shard 1's, ...; each write acknowledged before the next starts, and one whose outcome is
 * unknown written again), and auditors that aggregate the counters over every shard as a node
 * does: a PART per shard (each a linearizable read through the shipped aggregator), then a CHECK
 * per shard ({@code CutCheck}), and {@code CutRule} decides whether the reads were at one cut.
 *
 * <p>At every instant the counters form a wave: non-increasing in shard order, the first at most
 * one above the last. So must every cut: {@link #check} fails a run where a round called a cut
 * saw anything else. A round read without its checks (the {@code UNCUT_AGGREGATES} sabotage,
 * the negative control) can straddle the writer and see shard 1 ahead of shard 0.
 */
final class AggregateWorkload {
    static final String PREFIX = "agg/";

    private AggregateWorkload() {}

    /** Counter i in shard i. */
    static List<String> counters(int shards) {
        ShardMap map = ShardMap.of(shards);
        List<String> names = new ArrayList<>();
        for (int n = 0; names.size() < shards; n++) {
            String name = PREFIX + n;
            if (map.shardOfKey(name.getBytes(StandardCharsets.UTF_8)) == names.size()) {
                names.add(name);
            }
        }
        return List.copyOf(names);
    }

    /** Raises the counters in shard order, one acknowledged write at a time. */
    static final class Writer implements WorkloadDriver {
        private final List<String> counters;
        private final RandomSource random;
        private final long thinkMaxMicros;
        private long round = 1;
        private int next;

        Writer(List<String> counters, RandomSource random, long thinkMaxMicros) {
            this.counters = counters;
            this.random = random;
            this.thinkMaxMicros = thinkMaxMicros;
        }

        @Override
        public ClientOp next() {
            return KvOp.put(counters.get(next), round);
        }

        @Override
        public long pauseMicros() {
            // As fast as acknowledgements come: a round of parts spans writes of several shards.
            return 0;
        }

        @Override
        public void onResult(ClientOp op, OpResult answer) {
            next++;
            if (next == counters.size()) {
                next = 0;
                round++;
            }
        }

        @Override
        public void onAbandoned(ClientOp op) {
            // Written again with a newer sequence of the same session: a late copy of this attempt
            // is then refused as stale by the shard, so the wave cannot be overtaken.
        }
    }

    /** Aggregates the counters over every shard, then checks every shard, round after round. */
    static final class Auditor implements WorkloadDriver {
        private final List<String> counters;
        private final RandomSource random;
        private final long thinkMaxMicros;
        private final boolean skipChecks;
        private final Coverage coverage;
        private final long[] revisions;
        private int step;

        Auditor(List<String> counters, RandomSource random, long thinkMaxMicros, boolean skipChecks, Coverage coverage) {
            this.counters = counters;
            this.random = random;
            this.thinkMaxMicros = thinkMaxMicros;
            this.skipChecks = skipChecks;
            this.coverage = coverage;
            this.revisions = new long[counters.size()];
        }

        @Override
        public ClientOp next() {
            int shards = counters.size();
            return step < shards ? AggOp.part(counters.get(step), PREFIX)
                    : AggOp.check(counters.get(step - shards), PREFIX, revisions[step - shards]);
        }

        @Override
        public long pauseMicros() {
            // Pauses between the parts too, so a round spans the writer's progress (what the
            // check must catch), as a fold of a large shard does on a node.
            return random.nextLong(thinkMaxMicros + 1);
        }

        @Override
        public void onResult(ClientOp op, OpResult answer) {
            int shards = counters.size();
            if (step < shards) {
                revisions[step] = ((AggResult) answer).revision();
            }
            step++;
            if (step == (skipChecks ? shards : 2 * shards)) {
                step = 0;
                coverage.add(Coverage.Item.AUDITS);
            }
        }

        @Override
        public void onAbandoned(ClientOp op) {
            step = 0;
        }
    }

    /**
     * Every round an auditor completed and that {@link CutRule} calls a cut (or every round of
     * parts, when the checks were skipped) saw a wave.
     */
    static void check(List<HistoryOp> history, int shards, boolean checksSkipped, long nowMicros) {
        Map<Integer, List<HistoryOp>> byClient = new TreeMap<>();
        for (HistoryOp h : history) {
            if (h.op() instanceof AggOp) {
                byClient.computeIfAbsent(h.client(), c -> new ArrayList<>()).add(h);
            }
        }
        int roundLength = checksSkipped ? shards : 2 * shards;
        String first = counters(shards).get(0);
        for (List<HistoryOp> ops : byClient.values()) {
            ops.sort(java.util.Comparator.comparingLong(HistoryOp::seq));
            List<HistoryOp> round = new ArrayList<>();
            for (HistoryOp h : ops) {
                AggOp op = (AggOp) h.op();
                boolean startsRound = op.kind() == AggOp.Kind.PART && op.key().equals(first);
                if (startsRound || h.isPending()) {
                    round.clear();
                }
                if (h.isPending()) {
                    continue;
                }
                round.add(h);
                if (round.size() == roundLength) {
                    checkRound(round, shards, checksSkipped, nowMicros);
                    round.clear();
                }
            }
        }
    }

    private static void checkRound(List<HistoryOp> round, int shards, boolean checksSkipped, long nowMicros) {
        List<CutRule.Read> reads = new ArrayList<>();
        Map<String, CutRule.Check> checks = new TreeMap<>();
        long[] values = new long[shards];
        for (int i = 0; i < shards; i++) {
            AggResult part = (AggResult) round.get(i).result();
            values[i] = part.sum();
            reads.add(new CutRule.Read("shard " + i, part.writeIntents()));
            if (!checksSkipped) {
                AggResult check = (AggResult) round.get(shards + i).result();
                checks.put("shard " + i, new CutRule.Check(check.changed(), null));
            }
        }
        boolean cut = checksSkipped || CutRule.atCut(reads, checks) == null;
        if (!cut) {
            return;
        }
        for (int i = 0; i + 1 < shards; i++) {
            if (values[i] < values[i + 1] || values[0] - values[shards - 1] > 1) {
                throw new InvariantFailure("Aggregate", nowMicros, "a round taken as one cut saw the counters "
                        + java.util.Arrays.toString(values) + ", which no state of the cluster held (the writer raises"
                        + " them in shard order): " + round);
            }
        }
    }
}
