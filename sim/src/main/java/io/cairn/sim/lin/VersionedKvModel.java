package io.cairn.sim.lin;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A map from string keys to {@code long} values where every key has a version, with the
 * semantics of kv-state ({@code io.cairn.kv.state.KvStateMachine}) without TTLs: a write moves a
 * present key from version n to n + 1 and creates an absent one at version 1; a delete makes the
 * key absent, version 0, so a later write starts again at 1; a compare-and-set swaps exactly when
 * the key's version is the expected one (0 meaning absent). Every output is checked: the version
 * a write reports, the version a failed compare-and-set saw, whether a delete found the key, and
 * both the value and the version a get saw.
 *
 * <p>Why versions and not values, as {@link KvModel} has: a compare-and-set on a version is not
 * a compare-and-set on the value last seen at that version. A delete resets versions, so after
 * put(a) at v1, delete, put(b) at v1, a compare-and-set expecting v1 (seen with a) swaps b. The
 * history must say what the store was asked, so the model must count versions.
 *
 * <p>Operations on different keys never affect each other: the history is partitioned by key
 * and a partition's state is the key's {@link VersionedValue}.
 */
public final class VersionedKvModel implements Model<VersionedValue, VersionedKvInput, VersionedKvOutput> {
    @Override
    public VersionedValue initialState() {
        return VersionedValue.ABSENT;
    }

    @Override
    public VersionedValue step(VersionedValue state, VersionedKvInput input, VersionedKvOutput output) {
        VersionedValue after = stepPending(state, input);
        return output.equals(expectedOutput(state, input)) ? after : null;
    }

    @Override
    public VersionedValue stepPending(VersionedValue state, VersionedKvInput input) {
        if (input instanceof VersionedKvInput.Put put) {
            return VersionedValue.of(put.value(), state.version() + 1);
        }
        if (input instanceof VersionedKvInput.Cas cas) {
            return cas.expectedVersion() == state.version()
                    ? VersionedValue.of(cas.newValue(), state.version() + 1) : state;
        }
        if (input instanceof VersionedKvInput.Delete) {
            return VersionedValue.ABSENT;
        }
        return state;
    }

    /** The one output the specification allows for {@code input} taking effect in {@code state}. */
    private static VersionedKvOutput expectedOutput(VersionedValue state, VersionedKvInput input) {
        if (input instanceof VersionedKvInput.Put) {
            return new VersionedKvOutput.Written(state.version() + 1);
        }
        if (input instanceof VersionedKvInput.Cas cas) {
            return cas.expectedVersion() == state.version()
                    ? new VersionedKvOutput.Written(state.version() + 1)
                    : new VersionedKvOutput.CasFailed(state.version());
        }
        if (input instanceof VersionedKvInput.Delete) {
            return new VersionedKvOutput.Deleted(state.isPresent());
        }
        return new VersionedKvOutput.Read(state);
    }

    /**
     * One partition per key, in the order keys first appear in {@code history}. Rejects an
     * operation whose output is not of a kind its input answers with (a get answered
     * {@code Written}, say): that is a bug in whoever recorded the history.
     */
    @Override
    public List<Partition<VersionedKvInput, VersionedKvOutput>> partition(
            List<Operation<VersionedKvInput, VersionedKvOutput>> history) {
        // LinkedHashMap: iteration follows first appearance, never the hash order of the keys.
        Map<String, List<Operation<VersionedKvInput, VersionedKvOutput>>> byKey = new LinkedHashMap<>();
        for (Operation<VersionedKvInput, VersionedKvOutput> operation : history) {
            requireMatchingOutput(operation);
            byKey.computeIfAbsent(operation.input().key(), key -> new ArrayList<>()).add(operation);
        }
        List<Partition<VersionedKvInput, VersionedKvOutput>> partitions = new ArrayList<>(byKey.size());
        byKey.forEach((key, operations) -> partitions.add(new Partition<>(key, operations)));
        return partitions;
    }

    private static void requireMatchingOutput(Operation<VersionedKvInput, VersionedKvOutput> operation) {
        if (operation.isPending()) {
            return;
        }
        VersionedKvInput input = operation.input();
        VersionedKvOutput output = operation.output();
        boolean matches;
        if (input instanceof VersionedKvInput.Put) {
            matches = output instanceof VersionedKvOutput.Written;
        } else if (input instanceof VersionedKvInput.Cas) {
            matches = output instanceof VersionedKvOutput.Written || output instanceof VersionedKvOutput.CasFailed;
        } else if (input instanceof VersionedKvInput.Delete) {
            matches = output instanceof VersionedKvOutput.Deleted;
        } else {
            matches = output instanceof VersionedKvOutput.Read;
        }
        if (!matches) {
            throw new IllegalArgumentException("output does not answer its input: " + operation);
        }
    }

    @Override
    public String toString() {
        return "VersionedKvModel";
    }
}
