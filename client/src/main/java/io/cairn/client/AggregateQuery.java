package io.cairn.client;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.TreeMap;

/**
 * An aggregation over a key prefix or range, run on every shard next to its data and merged by
 * the node asked (docs/aggregation.md). Start with {@link #of}, narrow with the {@code with}
 * methods; immutable.
 *
 * <pre>{@code
 * AggregateResult r = client.aggregate(AggregateQuery.of("sum").withPrefix("orders/").groupBy(2));
 * r.groups().forEach((region, total) -> ...);
 * }</pre>
 *
 * @param aggregator count, sum, min, max, avg, topk, distinct, histogram, or one the servers have installed
 * @param params the aggregator's parameters (encoding, k, buckets, precision)
 * @param from the first key (inclusive), or the prefix
 * @param toExclusive the end of a range; null for a prefix or the end of the keyspace
 * @param prefix whether {@code from} is a prefix
 * @param groupBySegment the '/'-separated key segment to group by, 1-based; 0 for one group
 * @param consistency LINEARIZABLE: one consistent cut of all shards; BOUNDED or EVENTUAL: each
 *     shard as one of its replicas has it
 * @param deadline bound on the whole run; shards not done by then are reported missing
 * @param spread which replica of each shard does its work: null for the asked node's own replica
 *     when it has one (else the leader); LEADER, ROUND_ROBIN, RANDOM or WEIGHTED otherwise
 * @param replicaWeights WEIGHTED: weight per node id ("n2"); unlisted nodes weigh 1, 0 never
 */
public record AggregateQuery(String aggregator, Map<String, String> params, byte[] from, byte[] toExclusive,
                             boolean prefix, int groupBySegment, Consistency consistency, Duration deadline,
                             ReadBalancing spread, Map<String, Integer> replicaWeights) {
    public static final Duration DEADLINE_DEFAULT = Duration.ofSeconds(30);

    public AggregateQuery {
        if (aggregator == null || aggregator.isEmpty()) {
            throw new IllegalArgumentException("name an aggregator");
        }
        params = Map.copyOf(params);
        replicaWeights = Map.copyOf(replicaWeights);
        if (spread == ReadBalancing.LEAST_OUTSTANDING || spread == ReadBalancing.KEY_HASH) {
            throw new IllegalArgumentException("aggregations spread by leader, round-robin, random or weighted, not " + spread);
        }
        from = from.clone();
        toExclusive = toExclusive == null ? null : toExclusive.clone();
        if (groupBySegment < 0) {
            throw new IllegalArgumentException("the group-by segment is 1-based, or 0 for none: " + groupBySegment);
        }
        if (deadline.isNegative() || deadline.isZero() || deadline.toMinutes() > 10) {
            throw new IllegalArgumentException("the deadline must be positive and at most 10 minutes: " + deadline);
        }
    }

    /** {@code aggregator} over every key, linearizable, 30 s deadline. */
    public static AggregateQuery of(String aggregator) {
        return new AggregateQuery(aggregator, Map.of(), new byte[0], null, true, 0, Consistency.LINEARIZABLE,
                DEADLINE_DEFAULT, null, Map.of());
    }

    public AggregateQuery withPrefix(String prefix) {
        return new AggregateQuery(aggregator, params, prefix.getBytes(StandardCharsets.UTF_8), null, true,
                groupBySegment, consistency, deadline, spread, replicaWeights);
    }

    /** Keys from {@code fromInclusive} up to {@code toExclusive} (null: to the end). */
    public AggregateQuery withRange(byte[] fromInclusive, byte[] toExclusive) {
        return new AggregateQuery(aggregator, params, fromInclusive, toExclusive, false, groupBySegment, consistency,
                deadline, spread, replicaWeights);
    }

    public AggregateQuery withParam(String name, String value) {
        Map<String, String> more = new TreeMap<>(params);
        more.put(name, value);
        return new AggregateQuery(aggregator, more, from, toExclusive, prefix, groupBySegment, consistency, deadline, spread, replicaWeights);
    }

    public AggregateQuery groupBy(int segment) {
        return new AggregateQuery(aggregator, params, from, toExclusive, prefix, segment, consistency, deadline, spread,
                replicaWeights);
    }

    public AggregateQuery withConsistency(Consistency level) {
        if (level.level() == Consistency.Level.LEASE) {
            throw new IllegalArgumentException("aggregations run at LINEARIZABLE (one cut), BOUNDED or EVENTUAL");
        }
        return new AggregateQuery(aggregator, params, from, toExclusive, prefix, groupBySegment, level, deadline, spread,
                replicaWeights);
    }

    public AggregateQuery withDeadline(Duration d) {
        return new AggregateQuery(aggregator, params, from, toExclusive, prefix, groupBySegment, consistency, d, spread,
                replicaWeights);
    }

    /**
     * Which replica of each shard does its work: LEADER, ROUND_ROBIN or RANDOM over its replicas,
     * or WEIGHTED by {@code weights} (node id to weight).
     */
    public AggregateQuery withSpread(ReadBalancing policy, Map<String, Integer> weights) {
        return new AggregateQuery(aggregator, params, from, toExclusive, prefix, groupBySegment, consistency, deadline,
                policy, weights);
    }

    io.cairn.api.proto.AggregateRequest toProto() {
        io.cairn.api.proto.AggregateRequest.Builder b = io.cairn.api.proto.AggregateRequest.newBuilder()
                .setAggregator(aggregator).putAllParams(params).setGroupBySegment(groupBySegment)
                .setConsistency(consistency.toProto()).setMaxStalenessMs(consistency.maxStalenessMillis())
                .setDeadlineMs(deadline.toMillis());
        if (spread != null) {
            b.setSpread(switch (spread) {
                case LEADER -> io.cairn.api.proto.AggregateSpread.AGGREGATE_SPREAD_LEADER;
                case ROUND_ROBIN -> io.cairn.api.proto.AggregateSpread.AGGREGATE_SPREAD_ROUND_ROBIN;
                case RANDOM -> io.cairn.api.proto.AggregateSpread.AGGREGATE_SPREAD_RANDOM;
                default -> io.cairn.api.proto.AggregateSpread.AGGREGATE_SPREAD_WEIGHTED;
            });
        }
        replicaWeights.forEach((node, weight) -> {
            if (weight < 0) {
                throw new IllegalArgumentException("a replica weight is 0 or more: " + node + "=" + weight);
            }
            b.putReplicaWeights(node, weight);
        });
        if (prefix) {
            b.setPrefix(com.google.protobuf.ByteString.copyFrom(from));
        } else {
            io.cairn.api.proto.KeyRange.Builder r = io.cairn.api.proto.KeyRange.newBuilder()
                    .setStart(com.google.protobuf.ByteString.copyFrom(from));
            if (toExclusive != null) {
                r.setEnd(com.google.protobuf.ByteString.copyFrom(toExclusive));
            }
            b.setKeyRange(r);
        }
        return b.build();
    }
}
