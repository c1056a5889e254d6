package io.cairn.placement;

import io.cairn.common.GroupId;
import io.cairn.common.NodeId;
import io.cairn.consensus.ConfChange;
import io.cairn.consensus.Role;
import io.cairn.consensus.Status;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.SortedMap;
import java.util.SortedSet;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.Function;

/**
 * The control decisions a node takes for the replicas it hosts, once, for both the server's
 * Raft loop and the simulator's hosts: when to reconcile and balance, which step each led group
 * takes towards its placement, which leftover replica to drop, and which group to hand to a
 * voter that leads fewer. It holds the soft state those decisions need (transfers started,
 * since when a replica is out of its own configuration) and nothing else: no clock, no thread,
 * no I/O. The host passes the time in, offers its replicas through {@link Replica}, and carries
 * out what comes back through {@link Actions}.
 *
 * <p>Every interval is a multiple of the election timeout, so a cluster with fast ticks (the
 * simulator's, the fault suite's) keeps the same proportions as one with the defaults; the
 * balancing interval also waits for the leaders' reports to refresh.
 */
public final class HostControl {
    /** Reconcile passes per election timeout. */
    public static final int RECONCILES_PER_ELECTION_TIMEOUT = 2;
    /** Election timeouts between two leadership transfers started to balance leaders... */
    public static final int BALANCE_INTERVAL_ELECTION_TIMEOUTS = 2;
    /**
     * ...and at least this many rounds of the leaders' reports, which carry the cluster-wide
     * counts the balancer compares: deciding again before they are refreshed moves leadership
     * back and forth on a stale view.
     */
    public static final int BALANCE_INTERVAL_REPORT_ROUNDS = 2;
    /** Election timeouts a voter that did not take a transfer is passed over for. */
    public static final int TRANSFER_AVOID_ELECTION_TIMEOUTS = 20;

    /** A replica hosted here, as the decisions see it. */
    public interface Replica {
        /** Whether the replica runs now; a replica that does not is skipped. */
        boolean serving();

        Status status();

        /** The leader's record of {@code voter}'s log; only asked while this replica leads. */
        long matchIndex(NodeId voter);

        /** The term of the last entry in this replica's log. */
        long lastLogTerm();
    }

    /** What the host carries out; each is called at most once per decision. */
    public interface Actions {
        void transferLeadership(GroupId group, NodeId target, String why);

        void proposeConfChange(GroupId group, ConfChange change);

        /** Stops hosting {@code group} here and deletes its replica; the host then calls {@link #forget}. */
        void drop(GroupId group, String why);
    }

    private final NodeId self;
    private final long electionMillis;
    private final long reportIntervalMillis;
    private final TransferAttempts transfers;
    private final TreeMap<GroupId, Long> outsideOwnConfSinceMillis = new TreeMap<>();
    /**
     * Replicas opened here on a leader's message that have not yet committed past the evidence
     * of their addition: the highest commit index a leader's append announced to them
     * ({@link ReplicaLifecycle#shouldDrop}'s {@code addedByIndex}).
     */
    private final TreeMap<GroupId, Long> addedByIndex = new TreeMap<>();
    private long lastReconcileMillis = Long.MIN_VALUE / 2;
    private long lastBalanceMillis = Long.MIN_VALUE / 2;

    /**
     * Fresh soft state, as after a process start.
     *
     * @param reportIntervalMillis how often the leaders' reports reach this node (its heartbeat interval)
     */
    public HostControl(NodeId self, long electionMillis, long reportIntervalMillis) {
        if (electionMillis < 1 || reportIntervalMillis < 1) {
            throw new IllegalArgumentException("intervals must be positive: " + electionMillis + ", " + reportIntervalMillis);
        }
        this.self = self;
        this.electionMillis = electionMillis;
        this.reportIntervalMillis = reportIntervalMillis;
        this.transfers = new TransferAttempts(electionMillis, TRANSFER_AVOID_ELECTION_TIMEOUTS * electionMillis);
    }

    public long reconcileIntervalMillis() {
        return Math.max(1, electionMillis / RECONCILES_PER_ELECTION_TIMEOUT);
    }

    public long balanceIntervalMillis() {
        return Math.max(BALANCE_INTERVAL_ELECTION_TIMEOUTS * electionMillis,
                BALANCE_INTERVAL_REPORT_ROUNDS * reportIntervalMillis);
    }

    /** How long a replica must have been left behind before it may be dropped. */
    public long dropGraceMillis() {
        return ReplicaLifecycle.DROP_AFTER_ELECTION_TIMEOUTS * electionMillis;
    }

    /** The host dropped {@code group}'s replica: its soft state goes with it. */
    public void forget(GroupId group) {
        outsideOwnConfSinceMillis.remove(group);
        addedByIndex.remove(group);
    }

    /** The host opened a replica of {@code group} on a leader's message (it held none). */
    public void openedOnMessage(GroupId group) {
        addedByIndex.put(group, 0L);
    }

    /** Every message the host steps into {@code group}'s replica: a leader's append bounds its addition. */
    public void heard(GroupId group, io.cairn.consensus.ConsensusMessage message) {
        long commit = message.leaderCommit();
        if (commit > 0) {
            addedByIndex.computeIfPresent(group, (g, known) -> Math.max(known, commit));
        }
    }

    /**
     * Once per reconcile interval: every group led here takes one step towards {@code placed},
     * and a replica the placement and its leader's report both left behind is dropped.
     *
     * @param reportOf the last report of a group's leader, as the metadata leader relayed it
     */
    public void maybeReconcile(long nowMillis, Topology placed, SortedMap<GroupId, ? extends Replica> replicas,
                               Function<GroupId, Optional<ReplicaLifecycle.LeaderReport>> reportOf, Actions actions) {
        if (placed.epoch == 0 || nowMillis - lastReconcileMillis < reconcileIntervalMillis()) {
            return;
        }
        lastReconcileMillis = nowMillis;
        // A copy: a drop changes the host's map, and an action may stop a simulated host.
        for (Map.Entry<GroupId, ? extends Replica> e : new ArrayList<>(replicas.entrySet())) {
            GroupId group = e.getKey();
            Replica r = e.getValue();
            if (!r.serving()) {
                continue;
            }
            Status s = r.status();
            if (s.role() == Role.LEADER) {
                reconcileLed(nowMillis, group, r, s, placed, actions);
            } else if (ReplicaLifecycle.shouldDrop(placed, group, self, r.lastLogTerm(), s.commitIndex(),
                    reportOf.apply(group), dropGraceMillis(), s.conf(), outsideOwnConfMillis(group, s, nowMillis),
                    addedBy(group, s))) {
                actions.drop(group, "not in the placement of epoch " + placed.epoch + " nor in its leader's configuration");
            }
        }
    }

    private void reconcileLed(long nowMillis, GroupId group, Replica r, Status s, Topology placed, Actions actions) {
        Optional<ReplicaReconciler.Step> step = ReplicaReconciler.next(self, s.conf(), placed.replicasOf(group),
                s.commitIndex(), r::matchIndex, transfers.avoid(group, nowMillis));
        if (step.isEmpty()) {
            return;
        }
        if (step.get() instanceof ReplicaReconciler.TransferLeadership t) {
            // One transfer at a time: a second while the first may still take would stall proposals again.
            if (!transfers.pending(group, nowMillis)) {
                transfers.started(group, t.target(), nowMillis);
                actions.transferLeadership(group, t.target(), "before leaving it (epoch " + placed.epoch + ")");
            }
        } else if (step.get() instanceof ReplicaReconciler.Change c) {
            actions.proposeConfChange(group, c.change());
        }
    }

    /** The replica's {@code addedByIndex}; forgotten once its commit index passed it (that check covers it then). */
    private long addedBy(GroupId group, Status s) {
        Long added = addedByIndex.get(group);
        if (added == null) {
            return ReplicaLifecycle.ADDED_BY_UNKNOWN;
        }
        if (added > 0 && s.commitIndex() >= added) {
            addedByIndex.remove(group);
            return ReplicaLifecycle.ADDED_BY_UNKNOWN;
        }
        return added;
    }

    /**
     * How long {@code group}'s replica here has not known itself a member (0 when it does): not
     * in its own configuration, or opened on a message and sent no append yet.
     */
    private long outsideOwnConfMillis(GroupId group, Status s, long nowMillis) {
        boolean appendSeen = addedByIndex.getOrDefault(group, ReplicaLifecycle.ADDED_BY_UNKNOWN) != 0;
        if (appendSeen && s.conf().members().contains(self)) {
            outsideOwnConfSinceMillis.remove(group);
            return 0;
        }
        long since = outsideOwnConfSinceMillis.computeIfAbsent(group, g -> nowMillis);
        return nowMillis - since;
    }

    /**
     * Once per balance interval: hands one group this node leads to a placed, caught-up voter
     * that leads fewer groups, by the cluster-wide counts of {@code reportedLeaders}.
     */
    public void maybeBalance(long nowMillis, Topology placed, SortedMap<GroupId, ? extends Replica> replicas,
                             Map<GroupId, NodeId> reportedLeaders, Actions actions) {
        if (replicas.size() < 2 || nowMillis - lastBalanceMillis < balanceIntervalMillis()) {
            return;
        }
        lastBalanceMillis = nowMillis;
        TreeMap<GroupId, LeaderBalancer.GroupView> views = new TreeMap<>();
        for (Map.Entry<GroupId, ? extends Replica> e : replicas.entrySet()) {
            if (e.getValue().serving()) {
                Status s = e.getValue().status();
                views.put(e.getKey(), new LeaderBalancer.GroupView(s.leader(),
                        balanceCandidates(nowMillis, e.getKey(), e.getValue(), s, placed)));
            }
        }
        LeaderBalancer.next(self, views, LeaderBalancer.leadsByNode(reportedLeaders, views)).ifPresent(t -> {
            transfers.started(t.group(), t.target(), nowMillis);
            actions.transferLeadership(t.group(), t.target(), "balancing leaders");
        });
    }

    /**
     * Voters that may take leadership of a group led here: caught up (a dead or lagging voter
     * would stall the group for an election timeout), kept by the placement (a voter being moved
     * away would get leadership straight back), and not one a recent transfer failed to reach.
     */
    private SortedSet<NodeId> balanceCandidates(long nowMillis, GroupId group, Replica r, Status s, Topology placed) {
        TreeSet<NodeId> candidates = new TreeSet<>();
        if (s.role() != Role.LEADER || transfers.pending(group, nowMillis)) {
            return candidates;
        }
        Set<NodeId> avoid = transfers.avoid(group, nowMillis);
        List<NodeId> placedReplicas = placed.replicasOf(group);
        for (NodeId voter : s.conf().voters()) {
            boolean kept = placed.epoch == 0 || placedReplicas.contains(voter);
            boolean caughtUp = r.matchIndex(voter) >= s.commitIndex();
            if (kept && caughtUp && !avoid.contains(voter)) {
                candidates.add(voter);
            }
        }
        return candidates;
    }
}
