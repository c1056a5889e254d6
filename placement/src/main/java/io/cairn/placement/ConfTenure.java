package io.cairn.placement;

import io.cairn.common.GroupId;
import io.cairn.consensus.ConfState;
import java.util.Collection;
import java.util.TreeMap;

/**
 * How long this node has led each group with the same term and configuration, as observed by
 * the caller's periodic reports. A shard leader puts it in its report, and a replica the report
 * leaves out is dropped only once it is long enough ({@link ReplicaLifecycle}). Not thread-safe:
 * one reporting thread owns it.
 */
public final class ConfTenure {
    private record Held(long term, ConfState conf, long sinceMillis) {}

    private final TreeMap<GroupId, Held> held = new TreeMap<>();

    /** Records that this node leads {@code group} now; returns for how long it has, unchanged. */
    public long observe(GroupId group, long term, ConfState conf, long nowMillis) {
        Held h = held.get(group);
        if (h == null || h.term() != term || !h.conf().equals(conf)) {
            h = new Held(term, conf, nowMillis);
            held.put(group, h);
        }
        return nowMillis - h.sinceMillis();
    }

    /** Forgets the groups this node no longer leads. */
    public void retainOnly(Collection<GroupId> led) {
        held.keySet().retainAll(led);
    }
}
