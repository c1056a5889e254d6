package io.cairn.sim;

import io.cairn.common.GroupId;
import io.cairn.common.NodeId;
import io.cairn.consensus.ConfState;
import io.cairn.consensus.ConsensusMessage;
import io.cairn.consensus.Role;
import io.cairn.consensus.Status;
import io.cairn.placement.ConfTenure;
import io.cairn.placement.HostControl;
import io.cairn.placement.MemberInfo;
import io.cairn.placement.MetaContact;
import io.cairn.placement.ReplicaLifecycle;
import io.cairn.placement.ShardGroups;
import io.cairn.placement.Topology;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.SortedSet;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * One simulated server of a sharded cluster: many groups' replicas ({@link SimNode}s) behind one
 * process that crashes and restarts as a whole, with the server's control loops on virtual time:
 * a heartbeat to the metadata group (where the placement puts it now, and where it started)
 * that brings back the membership (so the placement, derived
 * from it) and the shard leaders' reports; the reconciler that moves each group it leads towards
 * the placement; the leader balancer; the replica lifecycle (open on a leader's message when the
 * placement says so, drop when both the placement and the leader left it out); and, on metadata
 * voters, the placement driver ({@link SimDriver}). The decisions are the server's own pure
 * functions from {@code placement}; only the I/O around them is simulated. Every replica's log
 * is in the machine's one {@link io.cairn.multiraft.WalLogStore} on its {@link SimDisk}.
 */
final class SimHost {
    enum State { NOT_STARTED, UP, DOWN, GONE }

    /** A Raft message of one group between two hosts. */
    record GroupMessage(GroupId group, ConsensusMessage message) {
        @Override
        public String toString() {
            return "g" + group.value() + " " + message;
        }
    }

    /** @param shardCount the shard count the sender was started with (a misconfigured spare's differs) */
    record Heartbeat(NodeId from, boolean join, List<SimDriver.Report> led, int shardCount, long epoch) {
        @Override
        public String toString() {
            return "Heartbeat " + from + (join ? " join" : "") + " led=" + led
                    + (shardCount == 0 ? "" : " shards=" + shardCount) + " epoch=" + epoch;
        }
    }

    /**
     * @param served false from a node whose driver does not serve: it passes on the newest
     *     membership it knows, so a node whose view is too old to find the metadata group catches up
     * @param meta the metadata group as the answering driver (its leader) sees it, or null
     */
    record HeartbeatAck(boolean served, long epoch, List<MemberInfo> members, List<SimDriver.Report> reports,
                        SimDriver.Report meta, String refused) {
        static HeartbeatAck refusal(boolean served, String reason) {
            return new HeartbeatAck(served, 0, List.of(), List.of(), null, reason);
        }

        @Override
        public String toString() {
            return "HeartbeatAck" + (served ? "" : " (not served)") + (refused == null ? "" : " refused: " + refused)
                    + " epoch=" + epoch + " " + SimDriver.describe(members) + " reports=" + reports.size();
        }
    }

    private final NodeId id;
    private final ShardedSimulation sim;
    private final TreeMap<GroupId, SimNode> replicas = new TreeMap<>();
    /**
     * The machine's disk: the server's store of every replica's log, and the tombstones of the
     * replicas it dropped (their term, vote and last entry, inherited by a later replica).
     */
    private final SimDisk disk;
    /** The checker's copy of each tombstone the store reported written: every one must survive a crash. */
    private final TreeMap<GroupId, io.cairn.multiraft.WalLogStore.Tombstone> tombstonesWritten = new TreeMap<>();
    /** Drops a crash interrupted: whether each happened is known only once the store is reopened. */
    private final TreeSet<GroupId> dropsInDoubt = new TreeSet<>();
    private final SimDriver driver;
    private final boolean joiner;
    /** The shard count this host was started with: the cluster's, unless an operator mistyped it. */
    private int shardCount;
    private Topology topology;
    private TreeMap<GroupId, SimDriver.Report> reports = new TreeMap<>();
    /** How long this host has led each group with its configuration (soft state). */
    private ConfTenure tenure = new ConfTenure();
    /** The server's control decisions and their soft state (transfers, time out of its own configuration). */
    private HostControl control;
    private State state = State.NOT_STARTED;
    private int incarnation;
    /** This incarnation's pushes of stale transaction intents. */
    private SimPusher pusher;
    /** Where each shard's next cleanup pass resumes (null: from the start), as the server's cursors. */
    private final TreeMap<GroupId, io.cairn.common.Bytes> intentCursors = new TreeMap<>();
    private final TreeMap<GroupId, io.cairn.common.Bytes> recordCursors = new TreeMap<>();
    /** Until when (true time) the process is stalled and takes no input; 0: running. */
    private long stalledUntilMicros;
    /** The server loop's tick and lease rule when the run stalls processes, new at each start; null otherwise. */
    private ProcessTicks ticksByLoop;
    private long lastServedAckMicros;

    SimHost(NodeId id, ShardedSimulation sim, boolean joiner) {
        this.id = id;
        this.sim = sim;
        this.joiner = joiner;
        this.shardCount = sim.shardCount();
        this.driver = new SimDriver(this, sim, Topology.foundingMembers(sim.founders()));
        this.topology = sim.initialTopology();
        this.disk = new SimDisk(sim.random().fork());
    }

    SimDisk disk() {
        return disk;
    }

    static String addressOf(NodeId node) {
        return "sim-" + node;
    }

    NodeId id() {
        return id;
    }

    int address() {
        return (int) id.value();
    }

    State state() {
        return state;
    }

    boolean isUp() {
        return state == State.UP;
    }

    int incarnation() {
        return incarnation;
    }

    Topology topology() {
        return topology;
    }

    SimDriver driver() {
        return driver;
    }

    SimNode replica(GroupId group) {
        return replicas.get(group);
    }

    /** The groups this host holds a replica of, in id order. */
    SortedSet<GroupId> groups() {
        return new TreeSet<>(replicas.keySet());
    }

    /** Creates the founding replicas (on an empty disk); a joiner founds nothing. */
    void found(List<NodeId> metaVoters) {
        try {
            if (metaVoters.contains(id)) {
                replicas.put(ShardGroups.META_GROUP,
                        sim.newReplica(this, ShardGroups.META_GROUP, ConfState.ofVoters(metaVoters)));
            }
            if (joiner) {
                return;
            }
            for (GroupId group : topology.groupsOf(id)) {
                replicas.put(group, sim.newReplica(this, group, ConfState.ofVoters(topology.replicasOf(group))));
            }
        } catch (IOException e) {
            throw new UncheckedIOException("the simulated disk failed before any fault", e);
        }
    }

    /** The keep-alives this process received, shared by its replicas as the server's node shares them. */
    private io.cairn.kv.state.Keepalives keepalives = new io.cairn.kv.state.Keepalives();

    io.cairn.kv.state.Keepalives keepalives() {
        return keepalives;
    }

    /** A lock session's keep-alive: counted once for the process, judged by every replica that leads. */
    void onKeepalive(SimKeepalive k) {
        keepalives.seen(k.sessionId(), sim.nowMicros() * 1_000);
    }

    /**
     * Starts or restarts the process: replicas from their disks, control state from nothing.
     * Returns false when a full disk keeps the store from opening (the process stays down).
     */
    boolean start() {
        io.cairn.multiraft.WalLogStore store;
        try {
            store = disk.store();
        } catch (IOException e) {
            if (!disk.isFull() || !sim.inFaultPhase()) {
                throw new UncheckedIOException(id + " cannot start: " + e.getMessage(), e);
            }
            sim.note(id + " cannot start: " + e.getMessage());
            sim.coverage().add(Coverage.Item.DISK_FULL_STOPS);
            return false;
        }
        boolean first = state == State.NOT_STARTED;
        state = State.UP;
        keepalives = new io.cairn.kv.state.Keepalives();
        incarnation++;
        stalledUntilMicros = 0;
        ticksByLoop = sim.stallsProcesses()
                ? new ProcessTicks(SimParams.TICK_MICROS * 1_000, sim.electionTicks(), sim.coverage()) : null;
        topology = sim.initialTopology();
        reports = new TreeMap<>();
        tenure = new ConfTenure();
        control = sim.newHostControl(id);
        driver.reset();
        pusher = new SimPusher(this, sim);
        intentCursors.clear();
        recordCursors.clear();
        try {
            // As the server: the replicas to open are the groups the store holds.
            // A drop the crash interrupted may have left a newer tombstone, never an older one.
            tombstonesWritten.forEach((group, written) -> {
                if (!store.tombstone(group).map(t -> atLeast(t, written)).orElse(false)) {
                    throw new InvariantFailure("Persisted state survives a crash", sim.nowMicros(), id + " dropped its replica of g"
                            + group.value() + " leaving tombstone " + written + ", but after a restart its store has "
                            + store.tombstone(group));
                }
            });
            List<GroupId> stored = store.groupIds();
            if (!stored.containsAll(replicas.keySet())) {
                throw new InvariantFailure("Persisted state survives a crash", sim.nowMicros(), id + " store holds "
                        + stored + " after a restart, its replicas were " + replicas.keySet());
            }
            for (GroupId group : dropsInDoubt) {
                if (!stored.contains(group)) {
                    sim.checker(group).onWiped(id); // the DROP record made it to the disk after all
                }
            }
            dropsInDoubt.clear();
            for (GroupId group : stored) {
                if (!replicas.containsKey(group)) {
                    // A drop the crash interrupted: the server opens every group its store holds,
                    // and the replica goes again once its leader's report says so.
                    sim.note(id + " finds its replica of g" + group.value() + " still on disk");
                    replicas.put(group, sim.openReplica(this, group));
                }
            }
            for (SimNode r : replicas.values()) {
                r.start(sim.random().fork());
            }
        } catch (IOException e) {
            throw new UncheckedIOException(id + " cannot start: " + e.getMessage(), e);
        }
        sim.note(id + (first ? " starts" : " restarts") + " (incarnation " + incarnation + ") with "
                + replicas.size() + " replicas");
        if (first) {
            sim.startHostLoops(this);
        }
        for (var e : new TreeMap<>(replicas).entrySet()) {
            sim.replicaEvent(this, e.getKey(), e.getValue(), n -> { });
        }
        return true;
    }

    /** An operator's mistake: this spare will be started with another {@code --shards}. */
    void misconfigure(int shards) {
        shardCount = shards;
    }

    boolean misconfigured() {
        return shardCount != sim.shardCount();
    }

    /** The parameters this host was started with, as its heartbeats carry them. */
    io.cairn.placement.Admission.Params params(int shards) {
        return new io.cairn.placement.Admission.Params(shards, sim.founders(), io.cairn.placement.Admission.FORMAT_VERSION);
    }

    /** Kills the process: every replica keeps only its disk. */
    void crash() {
        if (state != State.UP) {
            return;
        }
        for (SimNode r : replicas.values()) {
            if (r.isUp()) {
                r.crash();
            }
        }
        disk.crash();
        stalledUntilMicros = 0;
        state = State.DOWN;
    }

    /** Kills the process for good: its disks are gone with the machine. */
    void destroy() {
        crash();
        state = State.GONE;
    }

    /**
     * A tick event: in a run that stalls processes, the server loop's schedule decides how many
     * ticks are due (owed ones replayed after a short stall, a long stall's skipped); else one.
     */
    void tick() {
        if (ticksByLoop == null) {
            tickReplicas();
        } else {
            ticksByLoop.tick(sim.nowMicros() * 1_000, this::isUp, this::tickReplicas);
        }
    }

    /** Whether its replicas' leases may be used now, as the server's loop judges it. */
    boolean leaseTrusted() {
        return ticksByLoop == null || ticksByLoop.leaseTrusted(sim.nowMicros() * 1_000);
    }

    boolean stalledAt(long nowMicros) {
        return stalledUntilMicros > nowMicros;
    }

    long stalledUntilMicros() {
        return stalledUntilMicros;
    }

    /** Stalls the whole process (a pause, or one replica's slow fsync: the loop blocks for every replica). */
    void stall(long micros) {
        stalledUntilMicros = Math.max(stalledUntilMicros, sim.nowMicros() + micros);
    }

    private void tickReplicas() {
        for (var e : new TreeMap<>(replicas).entrySet()) {
            if (!isUp()) {
                return;
            }
            sim.replicaEvent(this, e.getKey(), e.getValue(), SimNode::tick);
        }
    }

    // ---- Messages ---------------------------------------------------------------------------------

    void onGroupMessage(GroupMessage m) {
        SimNode r = replicas.get(m.group());
        if (r == null) {
            if (!ReplicaLifecycle.shouldOpen(topology, m.group(), id, m.message())) {
                return;
            }
            try {
                r = sim.newReplica(this, m.group(), ConfState.EMPTY);
                replicas.put(m.group(), r);
                r.start(sim.random().fork());
            } catch (IOException e) {
                diesOf(e, "opening a replica of g" + m.group().value());
                return;
            }
            control.openedOnMessage(m.group());
            sim.note(id + " opens a replica of g" + m.group().value() + " (epoch " + topology.epoch + ")");
        }
        control.heard(m.group(), m.message());
        sim.replicaEvent(this, m.group(), r, n -> n.step(m.message()));
    }

    /** Who leads {@code group} as this host knows: itself if its replica leads, else the driver's last report; or null. */
    NodeId leaderOf(GroupId group) {
        SimNode r = replicas.get(group);
        if (r != null && r.isUp() && r.status().role() == Role.LEADER) {
            return id;
        }
        SimDriver.Report report = reports.get(group);
        return report == null ? null : report.leader();
    }

    /**
     * A client's write in {@code group} met another transaction's intent: the server's rule
     * ({@link io.cairn.kv.state.IntentMeeting}) says whether it conflicts, waits (the client is
     * told to try again) or first pushes the stale intent (then the client is told to try again).
     */
    void onIntentMet(GroupId group, ClientRequest request, io.cairn.kv.state.Result.Locked locked, long nowMillis,
                     java.util.function.BiConsumer<ClientReply.Outcome, io.cairn.sim.kv.OpResult> answer) {
        boolean prepare = request.op().toCommand() instanceof io.cairn.kv.state.Command.Prepare;
        // The host does not know the caller's deadline (the server's "gave up" conflict): a write
        // that waits is told to try again, and the simulated client abandons it on its own clock.
        switch (io.cairn.kv.state.IntentMeeting.action(locked, prepare, nowMillis, SimParams.TXN_TIMEOUT_MILLIS, false)) {
            case CONFLICT -> answer.accept(ClientReply.Outcome.OK, request.op().answer(locked));
            case WAIT -> answer.accept(ClientReply.Outcome.RETRY, null);
            case PUSH -> pusher.push(group, locked, () -> answer.accept(ClientReply.Outcome.RETRY, null));
        }
    }

    /**
     * A cleanup pass (the server's {@code TxnRecovery}, by {@link io.cairn.kv.state.TxnCleanup}'s
     * rules): in every shard this host leads, a page of intents and a page of records, resuming
     * where the last pass stopped; what is old enough is pushed or finished.
     */
    void txnCleanup() {
        long nowMillis = sim.wallMillis(this);
        for (java.util.Map.Entry<GroupId, SimNode> e : replicas.entrySet()) {
            GroupId group = e.getKey();
            SimNode r = e.getValue();
            if (group.equals(ShardGroups.META_GROUP) || !r.isUp() || r.status().role() != Role.LEADER) {
                continue;
            }
            io.cairn.kv.state.KvStateMachine.Page<io.cairn.kv.state.Result.Locked> intents =
                    r.kv().txnIntents(intentCursors.get(group), io.cairn.kv.state.TxnCleanup.PAGE);
            advance(intentCursors, group, intents.next());
            for (io.cairn.kv.state.Result.Locked intent : intents.items()) {
                if (io.cairn.kv.state.TxnCleanup.intentDue(intent, nowMillis, SimParams.TXN_TIMEOUT_MILLIS)) {
                    sim.coverage().add(Coverage.Item.INTENTS_CLEANED);
                    pusher.push(group, intent, () -> {});
                }
            }
            io.cairn.kv.state.KvStateMachine.Page<io.cairn.kv.state.KvStateMachine.TxnRecordView> records =
                    r.kv().txnRecords(recordCursors.get(group), io.cairn.kv.state.TxnCleanup.PAGE);
            advance(recordCursors, group, records.next());
            for (io.cairn.kv.state.KvStateMachine.TxnRecordView record : records.items()) {
                if (io.cairn.kv.state.TxnCleanup.recordDue(record, nowMillis, SimParams.TXN_TIMEOUT_MILLIS)) {
                    pusher.finish(group, record);
                }
            }
        }
    }

    private static void advance(TreeMap<GroupId, io.cairn.common.Bytes> cursors, GroupId group, io.cairn.common.Bytes next) {
        if (next == null) {
            cursors.remove(group);
        } else {
            cursors.put(group, next);
        }
    }

    /** An answer to one of this host's own requests (a push's steps). */
    void onClientReply(ClientReply reply) {
        pusher.onReply(reply);
    }

    /** A client request: to the metadata group from a driver, else to the key's shard. */
    void onClientRequest(int from, ClientRequest request, GroupId group) {
        SimNode r = replicas.get(group);
        if (r == null || !r.isUp()) {
            SimDriver.Report report = reports.get(group);
            NodeId hint = report == null || report.leader().equals(id) ? null : report.leader();
            sim.reply(address(), from, new ClientReply(request.client(), request.seq(), request.attempt(),
                    ClientReply.Outcome.NOT_LEADER, null, hint));
            return;
        }
        sim.replicaEvent(this, group, r, n -> n.onClientRequest(from, request));
    }

    // ---- Control loops ----------------------------------------------------------------------------

    /** Heartbeat to every metadata voter, with a report of each shard this host leads. */
    void heartbeat() {
        List<SimDriver.Report> led = new ArrayList<>();
        for (var e : replicas.entrySet()) {
            SimNode r = e.getValue();
            if (!e.getKey().equals(ShardGroups.META_GROUP) && r.isUp() && r.status().role() == Role.LEADER) {
                Status s = r.status();
                long age = tenure.observe(e.getKey(), s.term(), s.conf(), sim.nowMicros() / 1_000);
                led.add(new SimDriver.Report(e.getKey(), id, s.term(), s.appliedIndex(), s.conf(), age, 0));
            }
        }
        MemberInfo self = topology.members().get(id);
        boolean join = joiner && (self == null || self.state() != MemberInfo.State.UP);
        tenure.retainOnly(led.stream().map(SimDriver.Report::group).toList());
        Heartbeat hb = new Heartbeat(id, join, List.copyOf(led), shardCount, topology.epoch);
        // Where the metadata group lives now (it moves off dead nodes), and where it started;
        // after a while without an answer from a driver, every member (one passes on a newer view).
        List<NodeId> metaHosts = MetaContact.targets(topology, Topology.metaVoters(sim.founders()),
                (sim.nowMicros() - lastServedAckMicros) / 1_000, ShardedSimulation.HEARTBEAT_MICROS / 1_000);
        for (NodeId voter : metaHosts) {
            sim.sendControl(address(), (int) voter.value(), hb);
        }
    }

    void onHeartbeat(Heartbeat hb) {
        boolean serving = driver.serving();
        var verdict = sim.options().sabotage() == SimOptions.Sabotage.ADMIT_ANY
                ? new io.cairn.placement.Admission.HeartbeatVerdict.Answer()
                : io.cairn.placement.Admission.answerHeartbeat(params(sim.shardCount()), params(hb.shardCount()),
                        serving, serving ? driver.members() : topology.members().values(), hb.from(),
                        addressOf(hb.from()));
        HeartbeatAck ack;
        if (verdict instanceof io.cairn.placement.Admission.HeartbeatVerdict.Refuse refuse) {
            ack = HeartbeatAck.refusal(serving, refuse.reason());
        } else if (verdict instanceof io.cairn.placement.Admission.HeartbeatVerdict.Ignore) {
            ack = new HeartbeatAck(false, 0, List.of(), List.of(), null, null);
        } else {
            ack = driver.onHeartbeat(hb);
        }
        if (ack == null) {
            ack = new HeartbeatAck(false, topology.epoch, List.copyOf(topology.members().values()), List.of(), null, null);
        }
        sim.sendControl(address(), (int) hb.from().value(), ack);
    }

    void onHeartbeatAck(HeartbeatAck ack) {
        if (ack.refused() != null) {
            // As the server does: a node the cluster refuses stops serving for good.
            sim.note(id + " stops: " + ack.refused());
            sim.coverage().add(Coverage.Item.NODES_REFUSED);
            destroy();
            return;
        }
        if (ack.served()) {
            lastServedAckMicros = sim.nowMicros();
        }
        if (ack.epoch() > topology.epoch) {
            topology = Topology.derive(ack.epoch(), ack.members(), sim.shardCount());
            sim.note(id + " installs epoch " + ack.epoch() + ": " + SimDriver.describe(ack.members()));
        }
        if (!ack.served()) {
            return;
        }
        TreeMap<GroupId, SimDriver.Report> fresh = new TreeMap<>();
        ack.reports().forEach(r -> fresh.put(r.group(), r));
        if (ack.meta() != null) {
            fresh.put(ShardGroups.META_GROUP, ack.meta());
        }
        reports = fresh;
    }

    /**
     * The server's control decisions ({@link HostControl}, the same code its Raft loop runs), at
     * their own intervals: every led shard steps towards the placement, left-behind replicas go,
     * and leadership is balanced.
     */
    void control() {
        long nowMillis = sim.nowMicros() / 1_000;
        TreeMap<GroupId, NodeId> reportedLeaders = new TreeMap<>();
        reports.forEach((group, report) -> reportedLeaders.put(group, report.leader()));
        control.maybeBalance(nowMillis, topology, views(), reportedLeaders, actions);
        control.maybeReconcile(nowMillis, topology, views(), this::reportOf, actions);
    }

    /** This host's replicas as the control decisions see them; one that is down, or on a host that went down, is skipped. */
    private TreeMap<GroupId, HostControl.Replica> views() {
        TreeMap<GroupId, HostControl.Replica> views = new TreeMap<>();
        replicas.forEach((group, r) -> views.put(group, new HostControl.Replica() {
            @Override
            public boolean serving() {
                return isUp() && r.isUp() && replicas.get(group) == r;
            }

            @Override
            public Status status() {
                return r.status();
            }

            @Override
            public long matchIndex(NodeId voter) {
                return r.matchIndex(voter);
            }

            @Override
            public long lastLogTerm() {
                return r.log().term(r.status().lastIndex());
            }
        }));
        return views;
    }

    private final HostControl.Actions actions = new HostControl.Actions() {
        @Override
        public void transferLeadership(GroupId group, NodeId target, String why) {
            sim.note(id + " hands g" + group.value() + " to " + target + ": " + why);
            sim.replicaEvent(SimHost.this, group, replicas.get(group), n -> n.transferLeadership(target));
        }

        @Override
        public void proposeConfChange(GroupId group, io.cairn.consensus.ConfChange change) {
            sim.note(id + " g" + group.value() + " " + change.changes() + " towards epoch " + topology.epoch);
            sim.replicaEvent(SimHost.this, group, replicas.get(group), n -> n.proposeConfChange(change));
            sim.coverage().add(Coverage.Item.CONF_CHANGES_PROPOSED);
            if (group.equals(ShardGroups.META_GROUP)) {
                sim.coverage().add(Coverage.Item.META_MOVES);
            }
        }

        @Override
        public void drop(GroupId group, String why) {
            SimHost.this.drop(group, replicas.get(group));
        }
    };

    private Optional<ReplicaLifecycle.LeaderReport> reportOf(GroupId group) {
        SimDriver.Report r = reports.get(group);
        return r == null ? Optional.empty() : Optional.of(new ReplicaLifecycle.LeaderReport(r.term(), r.appliedIndex(), r.conf(), r.confAgeMillis()));
    }

    private void drop(GroupId group, SimNode r) {
        sim.note(id + " drops its replica of g" + group.value() + " (epoch " + topology.epoch + ", commit "
                + r.status().commitIndex() + ", leader report " + reports.get(group) + ")");
        replicas.remove(group);
        control.forget(group);
        r.decommission();
        if (sim.crashDuringDrop()) {
            // A drop syncs the tombstones file, its directory, then the WAL's DROP record: the
            // machine dies in place of one of them.
            sim.coverage().add(Coverage.Item.DROPS_INTERRUPTED);
            disk.crashAfterSyncs(sim.random().nextInt(3));
        }
        try {
            disk.openStore().dropGroup(group);
            tombstonesWritten.put(group, disk.openStore().tombstone(group).orElseThrow());
        } catch (IOException e) {
            dropsInDoubt.add(group);
            diesOf(e, "dropping its replica of g" + group.value());
            return;
        }
        sim.checker(group).onWiped(id);
        sim.coverage().add(Coverage.Item.REPLICAS_DROPPED);
    }

    /** This host's view of {@code group}, for failure messages. */
    String describe(GroupId group) {
        SimNode r = replicas.get(group);
        return id + " replica of g" + group.value() + (r == null || !r.isUp() ? " down" : " status " + r.status())
                + ", report " + reports.get(group);
    }

    private static boolean atLeast(io.cairn.multiraft.WalLogStore.Tombstone t, io.cairn.multiraft.WalLogStore.Tombstone than) {
        return t.hardState().term() >= than.hardState().term() && t.lastEntry().compareTo(than.lastEntry()) >= 0;
    }

    /** The disk failed under the process: as the server's loop halts on an I/O error, the process dies. */
    private void diesOf(IOException e, String doing) {
        sim.note(id + " dies " + doing + ": " + e.getMessage());
        if (disk.isFull()) {
            sim.coverage().add(Coverage.Item.DISK_FULL_STOPS);
        }
        crash();
        sim.scheduleRestart(this);
    }
}
