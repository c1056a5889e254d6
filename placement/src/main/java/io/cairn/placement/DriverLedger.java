package io.cairn.placement;

import io.cairn.common.GroupId;
import io.cairn.common.NodeId;
import io.cairn.consensus.ConfState;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.Function;
import java.util.function.ToLongFunction;

/**
 * What the placement driver on the metadata leader remembers between passes, and the decision it
 * takes from it, once for the server's {@code PlacementDriver} and the simulator's driver: when
 * each node was last heard, the newest report of each group's leader, the joins and
 * decommissions asked for. All of it is soft state: a new metadata leader starts with none and
 * gives every node a full dead-node timeout from the moment it took over.
 *
 * <p>Times are milliseconds on the caller's clock. Not thread-safe: a caller with several
 * threads serializes its calls.
 *
 * @param <R> a leader's report of its group, as the caller's transport carries it
 */
public final class DriverLedger<R> {
    /** A node silent for fewer heartbeats than this counts as heard recently (a DEAD node comes back). */
    public static final int ALIVE_AGAIN_BEATS = 3;
    /** A group leader's report older than this many heartbeats proves nothing about who holds the group. */
    public static final int REPORT_FRESH_BEATS = 5;

    /** A report, when it came, and the membership epoch its sender had installed then. */
    private record Timed<R>(R report, long receivedMillis, long senderEpoch) {}

    private final long beatMillis;
    private final ToLongFunction<R> termOf;
    private final Function<R, ConfState> confOf;
    private final TreeMap<NodeId, Long> lastSeenMillis = new TreeMap<>();
    /** The address each node heartbeats from: where it really runs. */
    private final TreeMap<NodeId, String> heardAddresses = new TreeMap<>();
    private final TreeMap<GroupId, Timed<R>> reports = new TreeMap<>();
    private final TreeMap<NodeId, MemberInfo> joins = new TreeMap<>();
    /** Joins asked for by nodes' own heartbeats; only for ids the membership has never had. */
    private final TreeMap<NodeId, MemberInfo> selfJoins = new TreeMap<>();
    private final TreeMap<NodeId, MemberInfo> replacements = new TreeMap<>();
    private final TreeSet<NodeId> leaves = new TreeSet<>();
    private boolean leading;
    private long leaderSinceMillis;

    /**
     * @param beatMillis how often every node heartbeats the driver
     * @param termOf the term of the leader that made a report
     * @param confOf the group's configuration a report names
     */
    public DriverLedger(long beatMillis, ToLongFunction<R> termOf, Function<R, ConfState> confOf) {
        if (beatMillis < 1) {
            throw new IllegalArgumentException("beatMillis must be positive: " + beatMillis);
        }
        this.beatMillis = beatMillis;
        this.termOf = termOf;
        this.confOf = confOf;
    }

    /**
     * Whether this node leads the metadata group now. Taking over starts every node's silence
     * afresh: a new leader never declares anyone dead on its predecessor's evidence or its own lack of it.
     */
    public void leads(boolean leadsNow, long nowMillis) {
        if (leadsNow && !leading) {
            leaderSinceMillis = nowMillis;
            lastSeenMillis.clear();
        }
        leading = leadsNow;
    }

    /**
     * A node's heartbeat: it is alive, and its reports replace older ones of the same groups;
     * {@code epoch} is the membership the node had installed when it sent them. A
     * node that asks to join (it was started with {@code --join}, so it asks in every heartbeat)
     * is admitted only while the stored membership does not know its id at all: that is checked
     * at the decision, against the membership read then, never against a copy this driver read
     * earlier (a new metadata leader that had not read it yet took a REMOVED node back).
     */
    public void heard(NodeId from, long nowMillis, List<GroupReport<R>> led, boolean join, String address, long epoch) {
        lastSeenMillis.put(from, nowMillis);
        heardAddresses.put(from, address);
        for (GroupReport<R> r : led) {
            reports.merge(r.group(), new Timed<>(r.report(), nowMillis, epoch),
                    (old, neu) -> termOf.applyAsLong(neu.report()) >= termOf.applyAsLong(old.report()) ? neu : old);
        }
        if (join) {
            selfJoins.putIfAbsent(from, new MemberInfo(from, address, "", MemberInfo.State.UP));
        }
    }

    /** A report of one group by its leader. */
    public record GroupReport<R>(GroupId group, R report) {}

    /**
     * An operator's {@code add-node}, already checked by {@link Admission#refuseJoin}: replaces
     * an earlier request for the same node.
     */
    public void join(MemberInfo member) {
        joins.put(member.id(), member);
    }

    /**
     * An operator's {@code replace-node}, already checked by {@link Admission#refuseReplace}:
     * the DEAD member's id moves to {@code member}'s address once no group counts it.
     */
    public void replace(MemberInfo member) {
        replacements.put(member.id(), member);
    }

    /** An operator's {@code remove-node}. */
    public void leave(NodeId node) {
        leaves.add(node);
    }

    /**
     * Why an operator's join of {@code member} must be refused because a process with that id is
     * running elsewhere (it heartbeats from another address, lately), or empty. A node that has
     * started with {@code --join} but is not admitted yet is not in the membership, so only the
     * heartbeats show that its id is taken.
     */
    public Optional<String> refuseJoinOfRunning(MemberInfo member, long nowMillis) {
        String heard = heardAddresses.get(member.id());
        if (heard != null && !heard.equals(member.address()) && heardRecently(member.id(), nowMillis)) {
            return Optional.of(member.id() + " is running at " + heard + " (it heartbeats from there), not "
                    + member.address() + "; an id cannot be given another address while its node runs");
        }
        return Optional.empty();
    }

    /** Whether {@code node} was heard from within the last {@link #ALIVE_AGAIN_BEATS} heartbeats. */
    public boolean heardRecently(NodeId node, long nowMillis) {
        Long seen = lastSeenMillis.get(node);
        return seen != null && nowMillis - seen < ALIVE_AGAIN_BEATS * beatMillis;
    }

    /**
     * The shard leaders' reports young enough to count, in group order. The metadata group's own
     * report (its leader runs the driver and records it, so that {@code holdsNothing} sees that
     * group too) is not among them.
     */
    public List<R> freshReports(long nowMillis) {
        List<R> out = new ArrayList<>();
        reports.forEach((group, t) -> {
            if (!group.equals(ShardGroups.META_GROUP) && nowMillis - t.receivedMillis() <= REPORT_FRESH_BEATS * beatMillis) {
                out.add(t.report());
            }
        });
        return out;
    }

    /**
     * The next membership after {@code members} (read at {@code epoch}), or empty when nothing
     * changes ({@link MembershipPolicy}). Requests the membership already shows are forgotten.
     */
    public Optional<List<MemberInfo>> decide(long epoch, List<MemberInfo> members, List<MemberInfo> founders,
                                             long nowMillis, long deadNodeTimeoutMillis, int shardCount) {
        TreeMap<NodeId, MemberInfo> byId = new TreeMap<>();
        members.forEach(m -> byId.put(m.id(), m));
        joins.values().removeIf(j -> MembershipPolicy.isUpAt(byId.get(j.id()), j.address()));
        if (epoch > 0) {
            selfJoins.keySet().removeIf(byId::containsKey);
        }
        replacements.values().removeIf(r -> MembershipPolicy.isUpAt(byId.get(r.id()), r.address()));
        TreeMap<NodeId, MemberInfo> allJoins = new TreeMap<>(selfJoins);
        joins.values().forEach(j -> {
            if (refuseJoinOfRunning(j, nowMillis).isEmpty()) {
                allJoins.put(j.id(), j);
            }
        });
        leaves.removeIf(id -> byId.containsKey(id) ? byId.get(id).state() == MemberInfo.State.LEAVING
                || byId.get(id).state() == MemberInfo.State.REMOVED : epoch > 0);
        MembershipPolicy.Liveness liveness = new MembershipPolicy.Liveness() {
            @Override
            public long silentMillis(NodeId node) {
                return nowMillis - Math.max(lastSeenMillis.getOrDefault(node, leaderSinceMillis), leaderSinceMillis);
            }

            @Override
            public boolean heardRecently(NodeId node) {
                return lastSeenMillis.containsKey(node) && silentMillis(node) < ALIVE_AGAIN_BEATS * beatMillis;
            }

            @Override
            public boolean holdsNothing(NodeId node) {
                return DriverLedger.this.holdsNothing(node, nowMillis, shardCount, epoch);
            }
        };
        Optional<List<MemberInfo>> next = MembershipPolicy.next(members, founders, List.copyOf(allJoins.values()),
                List.copyOf(replacements.values()), List.copyOf(leaves), liveness, deadNodeTimeoutMillis);
        // A node admitted now (added before it started, or a replaced id at its new machine) gets a
        // full dead-node timeout from its admission, not from when its id was last heard.
        next.ifPresent(list -> list.forEach(m -> {
            MemberInfo had = byId.get(m.id());
            boolean admitted = m.state() == MemberInfo.State.UP && !MembershipPolicy.isUpAt(had, m.address());
            if (admitted && epoch > 0) {
                lastSeenMillis.put(m.id(), nowMillis);
            }
        }));
        return next;
    }

    /**
     * Whether a fresh report of every shard's leader leaves {@code node} out of its group, each
     * from a leader that had installed the membership being decided on ({@code epoch}), in which
     * the node is leaving or dead. A leader that still worked on an older placement may add the
     * node back to its group after reporting it gone (seed 4100395 --sharded: a leaving node
     * re-added to a shard by a leader two epochs behind was declared removed and stopped while
     * that shard's other voter was lost for good, and the shard never had a quorum again).
     */
    private boolean holdsNothing(NodeId node, long nowMillis, int shardCount, long epoch) {
        long shardReports = reports.keySet().stream().filter(g -> !g.equals(ShardGroups.META_GROUP)).count();
        if (shardReports < shardCount) {
            return false;
        }
        for (Timed<R> t : reports.values()) {
            if (nowMillis - t.receivedMillis() > REPORT_FRESH_BEATS * beatMillis || t.senderEpoch() < epoch
                    || confOf.apply(t.report()).members().contains(node)) {
                return false;
            }
        }
        return true;
    }
}
