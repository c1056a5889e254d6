package io.cairn.sim.lin;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A map from string keys to {@code long} values with put, get, compare-and-set and delete (see
 * {@link KvInput}). Operations on different keys never affect each other, so the history is
 * partitioned by key and the state of a partition is just the key's {@link KvValue}.
 *
 * <p>Pending operations: a put or delete takes its effect; a compare-and-set succeeds exactly
 * when the key holds its expected value at the instant it takes effect, and fails (changing
 * nothing) otherwise; a get changes nothing.
 */
public final class KvModel implements Model<KvValue, KvInput, KvOutput> {
    @Override
    public KvValue initialState() {
        return KvValue.ABSENT;
    }

    @Override
    public KvValue step(KvValue state, KvInput input, KvOutput output) {
        if (input instanceof KvInput.Get) {
            return ((KvOutput.Read) output).value().equals(state) ? state : null;
        }
        if (input instanceof KvInput.Cas cas) {
            boolean matches = cas.expected().equals(state);
            boolean succeeded = ((KvOutput.Swapped) output).succeeded();
            if (succeeded != matches) {
                return null;
            }
            return succeeded ? KvValue.of(cas.newValue()) : state;
        }
        // Puts and deletes cannot fail; their only output, OK, was checked by partition().
        return stepPending(state, input);
    }

    @Override
    public KvValue stepPending(KvValue state, KvInput input) {
        if (input instanceof KvInput.Put put) {
            return KvValue.of(put.value());
        }
        if (input instanceof KvInput.Delete) {
            return KvValue.ABSENT;
        }
        if (input instanceof KvInput.Cas cas) {
            return cas.expected().equals(state) ? KvValue.of(cas.newValue()) : state;
        }
        return state;
    }

    /**
     * One partition per key, in the order keys first appear in {@code history}. Rejects an
     * operation whose output is not of the kind its input answers with (a get answered
     * {@link KvOutput#OK}, say): that is a bug in whoever recorded the history.
     */
    @Override
    public List<Partition<KvInput, KvOutput>> partition(List<Operation<KvInput, KvOutput>> history) {
        // LinkedHashMap: iteration follows first appearance, never the hash order of the keys.
        Map<String, List<Operation<KvInput, KvOutput>>> byKey = new LinkedHashMap<>();
        for (Operation<KvInput, KvOutput> operation : history) {
            requireMatchingOutput(operation);
            byKey.computeIfAbsent(operation.input().key(), key -> new ArrayList<>()).add(operation);
        }
        List<Partition<KvInput, KvOutput>> partitions = new ArrayList<>(byKey.size());
        byKey.forEach((key, operations) -> partitions.add(new Partition<>(key, operations)));
        return partitions;
    }

    private static void requireMatchingOutput(Operation<KvInput, KvOutput> operation) {
        if (operation.isPending()) {
            return;
        }
        KvInput input = operation.input();
        KvOutput output = operation.output();
        boolean matches;
        if (input instanceof KvInput.Get) {
            matches = output instanceof KvOutput.Read;
        } else if (input instanceof KvInput.Cas) {
            matches = output instanceof KvOutput.Swapped;
        } else {
            matches = output instanceof KvOutput.Ok;
        }
        if (!matches) {
            throw new IllegalArgumentException("output does not answer its input: " + operation);
        }
    }

    @Override
    public String toString() {
        return "KvModel";
    }
}
