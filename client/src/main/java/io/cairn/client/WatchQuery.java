package io.cairn.client;

import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.TreeMap;

/**
 * What to watch: one key, every key with a prefix, or a range [from, to); and from which
 * revision of each shard (a revision is a shard's log index; none given: from the next change).
 * A key lives in one shard; a prefix or a range is watched on every shard, each stream in its
 * shard's revision order.
 */
public final class WatchQuery {
    enum Kind { KEY, PREFIX, RANGE }

    final Kind kind;
    final byte[] from;
    final byte[] toExclusive;
    final TreeMap<Integer, Long> startRevisions;

    private WatchQuery(Kind kind, byte[] from, byte[] toExclusive, TreeMap<Integer, Long> startRevisions) {
        this.kind = kind;
        this.from = from.clone();
        this.toExclusive = toExclusive.clone();
        this.startRevisions = startRevisions;
    }

    public static WatchQuery key(byte[] key) {
        if (key.length == 0) {
            throw new IllegalArgumentException("the key must not be empty");
        }
        return new WatchQuery(Kind.KEY, key, new byte[0], new TreeMap<>());
    }

    public static WatchQuery key(String key) {
        return key(key.getBytes(StandardCharsets.UTF_8));
    }

    /** Every key starting with {@code prefix}; an empty prefix watches every key. */
    public static WatchQuery prefix(byte[] prefix) {
        return new WatchQuery(Kind.PREFIX, prefix, new byte[0], new TreeMap<>());
    }

    public static WatchQuery prefix(String prefix) {
        return prefix(prefix.getBytes(StandardCharsets.UTF_8));
    }

    /** Keys in [from, toExclusive); an empty {@code toExclusive} has no end. */
    public static WatchQuery range(byte[] from, byte[] toExclusive) {
        return new WatchQuery(Kind.RANGE, from, toExclusive, new TreeMap<>());
    }

    /** Starts shard {@code shard}'s stream at {@code revision} (inclusive). */
    public WatchQuery fromRevision(int shard, long revision) {
        if (shard < 0 || revision < 1) {
            throw new IllegalArgumentException("shard must be >= 0 and revision >= 1: " + shard + ", " + revision);
        }
        TreeMap<Integer, Long> starts = new TreeMap<>(startRevisions);
        starts.put(shard, revision);
        return new WatchQuery(kind, from, toExclusive, starts);
    }

    /** Starts every shard's stream at the revision the map gives it (e.g. a scan's revisions + 1). */
    public WatchQuery fromRevisions(Map<Integer, Long> revisions) {
        WatchQuery q = this;
        for (Map.Entry<Integer, Long> e : revisions.entrySet()) {
            q = q.fromRevision(e.getKey(), e.getValue());
        }
        return q;
    }
}
