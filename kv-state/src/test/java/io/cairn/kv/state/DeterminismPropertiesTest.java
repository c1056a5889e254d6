package io.cairn.kv.state;

import io.cairn.common.Seeded;
import static org.assertj.core.api.Assertions.assertThat;

import io.cairn.common.Bytes;
import io.cairn.consensus.LogEntry;
import io.cairn.kv.engine.KvPair;
import io.cairn.kv.engine.MemoryKvEngine;
import io.cairn.common.RandomSource;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/**
 * Replicas that apply the same log must end byte-for-byte equal, however the host cut the log
 * into apply batches; and what they compute must agree with the plain {@link ReferenceModel}.
 */
class DeterminismPropertiesTest {
    /** Small limits and bounds so that random workloads hit them. */
    private static final KvStateMachine.Options OPTIONS =
            new KvStateMachine.Options(new Limits(6, 12, 100), 1_000, 3);

    /** One random step, turned into a log entry by {@link #build}; fields are interpreted per kind. */
    record Action(int kind, int key, int client, int sequenceMode, int deltaMillis, int ttlMillis, int version) {
        static Action generate(RandomSource random) {
            return new Action(
                    random.nextInt(100),
                    random.nextInt(KEYS.size()),
                    random.nextInt(7),                  // client; 0 = no session
                    random.nextInt(10),                 // sequence: 0-6 next, 7-8 retry, 9 older
                    -400 + random.nextInt(1_301),       // leader clock step
                    random.nextInt(2_001),              // ttl
                    random.nextInt(5));
        }
    }

    /** Workloads long enough that sessions, retries, TTLs and limits all come into play. */
    private static List<Action> workload(RandomSource random) {
        return Seeded.list(random, 5, 150, Action::generate);
    }

    /** Batch sizes, used in turn; none means one entry per batch. */
    private static List<Integer> batchSizes(RandomSource random) {
        return Seeded.list(random, 0, 40, r -> Seeded.between(r, 1, 12));
    }

    record Cut(List<Action> actions, List<Integer> cuts) {
        static Cut generate(RandomSource random) {
            return new Cut(workload(random), batchSizes(random));
        }

        List<Cut> smaller() {
            List<Cut> out = new ArrayList<>();
            Seeded.removals(actions, 5).forEach(fewer -> out.add(new Cut(fewer, cuts)));
            smallerCuts(cuts).forEach(fewer -> out.add(new Cut(actions, fewer)));
            return out;
        }
    }

    record CutAndRead(List<Action> actions, List<Integer> cuts, int readDelayMillis) {
        static CutAndRead generate(RandomSource random) {
            return new CutAndRead(workload(random), batchSizes(random), Seeded.between(random, 0, 4_000));
        }

        List<CutAndRead> smaller() {
            List<CutAndRead> out = new ArrayList<>();
            Seeded.removals(actions, 5).forEach(fewer -> out.add(new CutAndRead(fewer, cuts, readDelayMillis)));
            smallerCuts(cuts).forEach(fewer -> out.add(new CutAndRead(actions, fewer, readDelayMillis)));
            Seeded.towards(0, readDelayMillis).forEach(delay -> out.add(new CutAndRead(actions, cuts, delay)));
            return out;
        }
    }

    record Restart(List<Action> actions, int restartAfter) {
        static Restart generate(RandomSource random) {
            return new Restart(workload(random), Seeded.between(random, 0, 200));
        }

        List<Restart> smaller() {
            List<Restart> out = new ArrayList<>();
            Seeded.removals(actions, 5).forEach(fewer -> out.add(new Restart(fewer, restartAfter)));
            Seeded.towards(0, restartAfter).forEach(after -> out.add(new Restart(actions, after)));
            return out;
        }
    }

    private static List<List<Integer>> smallerCuts(List<Integer> cuts) {
        List<List<Integer>> out = new ArrayList<>(Seeded.removals(cuts, 0));
        for (int i = 0; i < cuts.size(); i++) {
            for (int size : Seeded.towards(1, cuts.get(i))) {
                List<Integer> lower = new ArrayList<>(cuts);
                lower.set(i, size);
                out.add(lower);
            }
        }
        return out;
    }

    @Test
    void replicasThatCutTheLogDifferentlyEndIdentical() {
        Seeded.forAll(400, Cut::generate, Cut::smaller, input -> {
            List<LogEntry> log = build(input.actions());
            MemoryKvEngine oneByOne = new MemoryKvEngine();
            MemoryKvEngine batched = new MemoryKvEngine();

            List<Result> resultsOneByOne = applyInBatches(new KvStateMachine(oneByOne, OPTIONS), log, List.of());
            List<Result> resultsBatched = applyInBatches(new KvStateMachine(batched, OPTIONS), log, input.cuts());

            assertThat(resultsBatched).isEqualTo(resultsOneByOne);
            assertThat(dump(batched)).isEqualTo(dump(oneByOne));
            new KvStateMachine(batched, OPTIONS).checkConsistency();
        });
    }

    @Test
    void theStateMachineAgreesWithTheReferenceModel() {
        Seeded.forAll(400, CutAndRead::generate, CutAndRead::smaller, input -> {
            List<LogEntry> log = build(input.actions());
            KvStateMachine sm = new KvStateMachine(new MemoryKvEngine(), OPTIONS);
            ReferenceModel model = new ReferenceModel(OPTIONS);

            List<Result> actual = applyInBatches(sm, log, input.cuts());
            List<Result> expected = log.stream().map(model::apply).toList();

            assertThat(actual).isEqualTo(expected);
            assertThat(sm.clockMillis()).isEqualTo(model.clockMillis());
            long readAt = model.clockMillis() + input.readDelayMillis();
            assertThat(scanAll(sm, readAt)).isEqualTo(model.liveAt(readAt));
            for (int k = 0; k < KEYS.size(); k++) {
                assertThat(sm.get(KEYS.get(k), readAt)).isEqualTo(model.get(KEYS.get(k), readAt));
            }
            sm.checkConsistency();
        });
    }

    @Test
    void aRestartBetweenBatchesChangesNothing() {
        Seeded.forAll(150, Restart::generate, Restart::smaller, input -> {
            List<LogEntry> log = build(input.actions());
            int split = Math.min(input.restartAfter(), log.size());
            MemoryKvEngine straight = new MemoryKvEngine();
            applyInBatches(new KvStateMachine(straight, OPTIONS), log, List.of());

            MemoryKvEngine restarted = new MemoryKvEngine();
            applyInBatches(new KvStateMachine(restarted, OPTIONS), log.subList(0, split), List.of(5));
            KvStateMachine second = new KvStateMachine(restarted, OPTIONS);
            assertThat(second.appliedIndex()).isEqualTo(split);
            applyInBatches(second, log.subList(split, log.size()), List.of(7));

            assertThat(dump(restarted)).isEqualTo(dump(straight));
        });
    }

    // ---- workload ----

    private static final List<Bytes> KEYS = List.of(
            Bytes.utf8("a"), Bytes.utf8("ab"), Bytes.utf8("b"), Bytes.utf8("ba"), Bytes.utf8("c"),
            Bytes.wrap(new byte[] {(byte) 0xFF}), Bytes.utf8("too-long-key"));

    /** Interprets actions deterministically into a log, tracking each client's sequence. */
    static List<LogEntry> build(List<Action> actions) {
        TestLog log = new TestLog();
        long[] sequences = new long[7];
        long nowMillis = 1_000;
        List<LogEntry> entries = new ArrayList<>();
        for (Action a : actions) {
            nowMillis = Math.max(0, nowMillis + a.deltaMillis());
            if (a.kind() < 5) {
                entries.add(log.noop());
                continue;
            }
            if (a.kind() < 7) {
                entries.add(log.raw(Bytes.wrap(new byte[] {1, (byte) a.key(), 2})));
                continue;
            }
            Command command = command(a, nowMillis);
            if (a.client() == 0) {
                entries.add(log.entry(nowMillis, command));
                continue;
            }
            long clientId = a.client() == 6 ? -42L : a.client();  // a negative id orders after positive ones
            int c = a.client();
            long sequence;
            if (a.sequenceMode() < 7 || sequences[c] == 0) {
                sequence = ++sequences[c];
            } else if (a.sequenceMode() < 9) {
                sequence = sequences[c];
            } else {
                sequence = Math.max(1, sequences[c] - 1);
            }
            entries.add(log.entry(clientId, sequence, nowMillis, command));
        }
        return entries;
    }

    private static Command command(Action a, long nowMillis) {
        Bytes key = KEYS.get(a.key());
        Bytes value = Bytes.utf8("v".repeat(1 + a.ttlMillis() % 14));  // sometimes over the value limit
        long ttl = a.ttlMillis() % 3 == 0 ? 0 : a.ttlMillis();
        if (a.kind() < 45) {
            return new Command.Put(key, value, ttl);
        }
        if (a.kind() < 65) {
            return new Command.Delete(key);
        }
        if (a.kind() < 82) {
            return new Command.CompareAndSet(key, a.version(), value, ttl);
        }
        if (a.kind() < 88) {
            return new Command.SetTtl(key, ttl);
        }
        return new Command.Expire(nowMillis);
    }

    private static List<Result> applyInBatches(KvStateMachine sm, List<LogEntry> log, List<Integer> cuts) {
        List<Result> results = new ArrayList<>();
        int from = 0;
        int cut = 0;
        while (from < log.size()) {
            int size = cuts.isEmpty() ? 1 : cuts.get(cut++ % cuts.size());
            int to = Math.min(log.size(), from + size);
            results.addAll(sm.apply(log.subList(from, to)));
            // A leader looks for the next deadline between rounds, which moves the index floors.
            sm.nextExpiryMillis();
            sm.checkConsistency();
            from = to;
        }
        return results;
    }

    private static List<KeyValue> scanAll(KvStateMachine sm, long nowMillis) {
        List<KeyValue> out = new ArrayList<>();
        KeyRange range = KeyRange.all();
        for (int page = 0; page < 100; page++) {
            ScanPage p = sm.scan(range, 2, nowMillis);
            out.addAll(p.entries());
            if (p.isLast()) {
                return out;
            }
            range = range.resumeAt(p.nextKey().orElseThrow());
        }
        throw new AssertionError("scan did not end");
    }

    static TreeMap<String, String> dump(MemoryKvEngine engine) {
        TreeMap<String, String> out = new TreeMap<>();
        HexFormat hex = HexFormat.of();
        for (KvPair pair : engine.scan(new byte[0], null, Integer.MAX_VALUE)) {
            out.put(hex.formatHex(pair.key()), hex.formatHex(pair.value()));
        }
        return out;
    }
}
