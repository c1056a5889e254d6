package io.cairn.client;

import java.util.List;
import java.util.SortedMap;

/**
 * What an aggregation found.
 *
 * @param groups the answer per group as JSON (a number, null, an array or an object), in group
 *     order; one group named "" without a group-by
 * @param keys keys looked at
 * @param skipped keys whose value the aggregator could not use (not a number), or that lacked
 *     the group-by segment
 * @param partial some shards did not answer before the deadline: {@code missing} names them and
 *     their keys are not in the figures
 * @param missing the slot ranges left out, with why
 * @param consistentCut every answering shard was read at one consistent cut
 * @param attempts rounds it took to find the cut
 * @param shardsAnswered shards whose keys are in the figures
 * @param tookMillis time on the node that ran it
 * @param served per answering shard, the replica that read it
 */
public record AggregateResult(SortedMap<String, String> groups, long keys, long skipped, boolean partial,
                              List<Missing> missing, boolean consistentCut, int attempts, int shardsAnswered,
                              long tookMillis, List<Part> served) {
    /** A shard that did not answer: its slots {@code [firstSlot, endSlot)} and the reason. */
    public record Missing(int shard, int firstSlot, int endSlot, String reason) {}

    /** A shard's part: the node whose replica read it, the revision it was read at, and its keys. */
    public record Part(int shard, long nodeId, long revision, long keys) {
        static Part fromProto(io.cairn.api.proto.PartServed p) {
            return new Part(p.getShard(), p.getNodeId(), p.getRevision(), p.getKeys());
        }
    }

    public AggregateResult {
        groups = java.util.Collections.unmodifiableSortedMap(new java.util.TreeMap<>(groups));
        missing = List.copyOf(missing);
        served = List.copyOf(served);
    }

    /** The answer of a query without group-by, as JSON. */
    public String value() {
        return groups.getOrDefault("", "null");
    }

    static AggregateResult fromProto(io.cairn.api.proto.AggregateResponse r) {
        SortedMap<String, String> groups = new java.util.TreeMap<>();
        r.getGroupsList().forEach(g -> groups.put(g.getGroup(), g.getValueJson()));
        List<Missing> missing = r.getMissingList().stream()
                .map(m -> new Missing(m.getShard(), m.getFirstSlot(), m.getEndSlot(), m.getReason())).toList();
        return new AggregateResult(groups, r.getKeys(), r.getSkipped(), r.getPartial(), missing, r.getConsistentCut(),
                r.getAttempts(), r.getShardsAnswered(), r.getTookMs(),
                r.getServedList().stream().map(Part::fromProto).toList());
    }
}
