package io.cairn.aggregate;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * One aggregation request, checked: an aggregator with its parameters and an optional group-by
 * on a key segment. {@link #newPartial()} is what a shard folds its keys into; the partials of
 * all shards are merged with {@link Partial#merge} and finished with {@link Partial#finish}.
 */
public final class Aggregation {
    /** Groups one result may hold; more is refused rather than grown without bound. */
    public static final int GROUPS_MAX = 10_000;
    /** Deepest key segment a group-by may name. */
    public static final int SEGMENT_MAX = 64;

    /** Accumulators are opaque here: only the bound aggregator that made them touches them. */
    private final Aggregator.Bound<Object> bound;
    private final int groupBySegment;

    @SuppressWarnings("unchecked")
    private Aggregation(Aggregator.Bound<?> bound, int groupBySegment) {
        this.bound = (Aggregator.Bound<Object>) bound;
        this.groupBySegment = groupBySegment;
    }

    /**
     * The aggregation {@code name(params)}, grouped by the {@code groupBySegment}-th '/'-separated
     * segment of each key (1-based; 0 for no grouping). IllegalArgumentException for an unknown
     * aggregator, bad parameters or a segment out of range.
     */
    public static Aggregation of(String name, Map<String, String> params, int groupBySegment) {
        if (groupBySegment < 0 || groupBySegment > SEGMENT_MAX) {
            throw new IllegalArgumentException("group-by segment must be 0 (none) to " + SEGMENT_MAX + ": " + groupBySegment);
        }
        return new Aggregation(Aggregators.named(name).bind(params), groupBySegment);
    }

    public Partial newPartial() {
        return new Partial();
    }

    /** A partial that {@link Partial#encode} wrote, from a shard that ran this same aggregation. */
    public Partial decode(byte[] bytes) {
        try {
            ByteBuffer b = ByteBuffer.wrap(bytes);
            Partial p = new Partial();
            p.keys = b.getLong();
            p.skipped = b.getLong();
            int groups = b.getInt();
            if (groups < 0 || groups > GROUPS_MAX) {
                throw new IllegalArgumentException(groups + " groups");
            }
            for (int i = 0; i < groups; i++) {
                byte[] name = new byte[b.getInt()];
                b.get(name);
                byte[] acc = new byte[b.getInt()];
                b.get(acc);
                p.groups.put(new String(name, StandardCharsets.UTF_8), bound.decode(acc));
            }
            if (b.hasRemaining()) {
                throw new IllegalArgumentException(b.remaining() + " bytes after the last group");
            }
            return p;
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("not a partial result of this aggregation: " + e.getMessage(), e);
        }
    }

    /** The group of {@code key}, or null when it has fewer segments than the group-by names. */
    private String groupOf(byte[] key) {
        if (groupBySegment == 0) {
            return "";
        }
        int segment = 1;
        int start = 0;
        for (int i = 0; i <= key.length; i++) {
            if (i == key.length || key[i] == '/') {
                if (segment == groupBySegment) {
                    return new String(key, start, i - start, StandardCharsets.UTF_8);
                }
                segment++;
                start = i + 1;
            }
        }
        return null;
    }

    /** One shard's keys folded, or several shards' merged: accumulators by group, and counts. */
    public final class Partial {
        private final SortedMap<String, Object> groups = new TreeMap<>();
        private long keys;
        private long skipped;

        /**
         * Folds one key. Skipped (and counted) when the aggregator cannot use the value or, with a
         * group-by, the key has no such segment. IllegalStateException past {@link #GROUPS_MAX} groups.
         */
        public void add(byte[] key, byte[] value) {
            keys++;
            String group = groupOf(key);
            if (group == null) {
                skipped++;
                return;
            }
            Object acc = groups.get(group);
            if (acc == null) {
                if (groups.size() == GROUPS_MAX) {
                    throw new IllegalStateException("more than " + GROUPS_MAX + " groups: group by a segment with fewer"
                            + " distinct values, or aggregate a narrower prefix");
                }
                acc = bound.zero();
                groups.put(group, acc);
            }
            if (!bound.add(acc, key, value)) {
                skipped++;
            }
        }

        public Partial merge(Partial other) {
            if (other.owner() != Aggregation.this) {
                throw new IllegalArgumentException("a partial of another aggregation");
            }
            keys += other.keys;
            skipped += other.skipped;
            for (Map.Entry<String, Object> g : other.groups.entrySet()) {
                Object mine = groups.get(g.getKey());
                if (mine == null && groups.size() == GROUPS_MAX) {
                    throw new IllegalStateException("more than " + GROUPS_MAX + " groups");
                }
                groups.put(g.getKey(), mine == null ? g.getValue() : bound.combine(mine, g.getValue()));
            }
            return this;
        }

        private Aggregation owner() {
            return Aggregation.this;
        }

        /** Keys looked at, skipped ones included. */
        public long keys() {
            return keys;
        }

        /** Keys whose value the aggregator could not use, or that had no group. */
        public long skipped() {
            return skipped;
        }

        /** The answer per group as JSON, in group order; one group named "" without a group-by. */
        public SortedMap<String, String> finish() {
            SortedMap<String, String> out = new TreeMap<>();
            groups.forEach((g, acc) -> out.put(g, bound.finishJson(acc)));
            if (out.isEmpty() && groupBySegment == 0) {
                out.put("", bound.finishJson(bound.zero()));
            }
            return out;
        }

        public byte[] encode() {
            java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
            ByteBuffer head = ByteBuffer.allocate(20).putLong(keys).putLong(skipped).putInt(groups.size());
            bytes.writeBytes(head.array());
            for (Map.Entry<String, Object> g : groups.entrySet()) {
                byte[] name = g.getKey().getBytes(StandardCharsets.UTF_8);
                byte[] acc = bound.encode(g.getValue());
                bytes.writeBytes(ByteBuffer.allocate(4).putInt(name.length).array());
                bytes.writeBytes(name);
                bytes.writeBytes(ByteBuffer.allocate(4).putInt(acc.length).array());
                bytes.writeBytes(acc);
            }
            return bytes.toByteArray();
        }
    }
}
