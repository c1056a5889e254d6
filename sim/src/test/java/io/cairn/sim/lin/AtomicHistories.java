package io.cairn.sim.lin;

import io.cairn.common.SeededRandom;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Builds histories that are linearizable by construction: every operation gets a linearization
 * point inside its [call, return] interval, and outputs come from applying the operations to a
 * real map in the order of those points. Some operations are made pending: of those, half took
 * effect at their point and half never did.
 */
final class AtomicHistories {
    /** Clients wait up to this long between a return and their next call. */
    private static final int THINK_TIME_MAX = 3;

    private AtomicHistories() {}

    record Shape(int operations, int keys, int clients, int durationMax, double pendingChance) {}

    /** A linearizable history of the given shape; the same seed gives the same history. */
    static List<Operation<KvInput, KvOutput>> generate(long seed, Shape shape) {
        SeededRandom random = new SeededRandom(seed);
        List<Slot> slots = slots(random, shape);
        List<Slot> byPoint = new ArrayList<>(slots);
        byPoint.sort(Comparator.comparingLong(Slot::point).thenComparingInt(Slot::sequence));

        // HashMap is fine here: it is only looked up, never iterated.
        Map<String, KvValue> store = new HashMap<>();
        long[] nextValue = {0};
        List<Operation<KvInput, KvOutput>> operations = new ArrayList<>(slots.size());
        for (int i = 0; i < slots.size(); i++) {
            operations.add(null);
        }
        for (Slot slot : byPoint) {
            String key = "k" + random.nextInt(shape.keys());
            KvValue current = store.getOrDefault(key, KvValue.ABSENT);
            KvInput input = randomInput(random, key, current, nextValue);
            boolean pending = random.chance(shape.pendingChance());
            boolean tookEffect = !pending || random.chance(0.5);
            KvOutput output = apply(store, input, current, tookEffect);
            operations.set(slot.sequence(), pending
                    ? Operation.pending(slot.client(), input, slot.call())
                    : Operation.completed(slot.client(), input, output, slot.call(), slot.ret()));
        }
        return operations;
    }

    /** Replaces one completed get's output, chosen by {@code seed}, with a value no one wrote. */
    static List<Operation<KvInput, KvOutput>> withImpossibleRead(
            List<Operation<KvInput, KvOutput>> history, long seed, int[] mutatedIndex) {
        List<Integer> gets = new ArrayList<>();
        for (int i = 0; i < history.size(); i++) {
            Operation<KvInput, KvOutput> operation = history.get(i);
            if (operation.input() instanceof KvInput.Get && !operation.isPending()) {
                gets.add(i);
            }
        }
        if (gets.isEmpty()) {
            return null;
        }
        SeededRandom random = new SeededRandom(seed);
        int index = gets.get(random.nextInt(gets.size()));
        Operation<KvInput, KvOutput> original = history.get(index);
        // Generated values are never negative, so a negative one was never written.
        KvOutput impossible = new KvOutput.Read(KvValue.of(-1 - random.nextInt(1000)));
        List<Operation<KvInput, KvOutput>> mutated = new ArrayList<>(history);
        mutated.set(index, Operation.completed(
                original.clientId(), original.input(), impossible, original.callTime(), original.returnTime()));
        mutatedIndex[0] = index;
        return mutated;
    }

    /** Each client runs its operations one after another; the point lies inside the interval. */
    private static List<Slot> slots(SeededRandom random, Shape shape) {
        long[] clientTime = new long[shape.clients()];
        List<Slot> slots = new ArrayList<>(shape.operations());
        for (int sequence = 0; sequence < shape.operations(); sequence++) {
            int client = random.nextInt(shape.clients());
            long call = clientTime[client] + random.nextInt(THINK_TIME_MAX + 1);
            long duration = random.nextInt(shape.durationMax() + 1);
            long ret = call + duration;
            long point = call + random.nextLong(duration + 1);
            clientTime[client] = ret;
            slots.add(new Slot(sequence, client, call, point, ret));
        }
        return slots;
    }

    private static KvInput randomInput(SeededRandom random, String key, KvValue current, long[] nextValue) {
        int kind = random.nextInt(100);
        if (kind < 35) {
            return new KvInput.Put(key, nextValue[0]++);
        }
        if (kind < 70) {
            return new KvInput.Get(key);
        }
        if (kind < 90) {
            // Mostly the current value, so that many compare-and-sets succeed.
            KvValue expected = random.chance(0.6) ? current
                    : random.chance(0.5) ? KvValue.ABSENT : KvValue.of(random.nextLong(nextValue[0] + 1));
            return new KvInput.Cas(key, expected, nextValue[0]++);
        }
        return new KvInput.Delete(key);
    }

    private static KvOutput apply(Map<String, KvValue> store, KvInput input, KvValue current, boolean tookEffect) {
        KvValue after = new KvModel().stepPending(current, input);
        if (tookEffect) {
            store.put(input.key(), after);
        }
        if (input instanceof KvInput.Get) {
            return new KvOutput.Read(current);
        }
        if (input instanceof KvInput.Cas cas) {
            return new KvOutput.Swapped(cas.expected().equals(current));
        }
        return KvOutput.OK;
    }

    private record Slot(int sequence, int client, long call, long point, long ret) {}
}
