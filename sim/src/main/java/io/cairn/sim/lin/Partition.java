package io.cairn.sim.lin;

import java.util.List;
import java.util.Objects;

/**
 * A sub-history the checker can decide on its own, such as every operation on one key of a map.
 *
 * @param label      names the partition in results, e.g. the key
 * @param operations the operations of the partition, in any order
 */
public record Partition<I, O>(String label, List<Operation<I, O>> operations) {
    public Partition {
        Objects.requireNonNull(label, "label");
        operations = List.copyOf(operations);
    }
}
