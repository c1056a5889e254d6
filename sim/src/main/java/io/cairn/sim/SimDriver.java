package io.cairn.sim;

import io.cairn.common.GroupId;
import io.cairn.common.NodeId;
import io.cairn.consensus.Role;
import io.cairn.consensus.Status;
import io.cairn.placement.DriverLedger;
import io.cairn.placement.MemberInfo;
import io.cairn.placement.MembershipPolicy;
import io.cairn.placement.ShardGroups;
import io.cairn.placement.Topology;
import io.cairn.sim.kv.KvOp;
import io.cairn.sim.kv.KvResult;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The placement driver of one metadata voter, as the server runs it: active while the host's
 * replica of the metadata group leads, it reads the membership (one key of that group) with a
 * linearizable read, asks {@link MembershipPolicy} for the next change and writes it by
 * compare-and-set on the key's version, which is the epoch. Its requests are ordinary client
 * requests to its own host's metadata replica, from its own address, so they cross the same
 * faulty paths as any client's. Liveness and shard reports are soft state, lost with a crash.
 *
 * <p>The simulator stores the membership as one long: three bits per node id (0 absent, then
 * UP, DEAD, LEAVING, REMOVED), since kv-state's simulated values are longs.
 */
final class SimDriver {
    static final String MEMBERSHIP_KEY = "cluster/membership";
    private static final long REQUEST_TIMEOUT_MICROS = 1_000_000;

    /** A shard leader's report, as relayed to every node. */
    record Report(GroupId group, NodeId leader, long term, long appliedIndex, io.cairn.consensus.ConfState conf,
                  long confAgeMillis, long receivedMicros) {
        @Override
        public String toString() {
            return "g" + group.value() + "@" + leader + " t" + term + " a" + appliedIndex + " " + conf;
        }
    }

    private record InFlight(long seq, KvOp op, long sentMicros) {}

    private final SimHost host;
    private final ShardedSimulation sim;
    private final List<MemberInfo> founders;
    /** The server's driver memory and decision ({@link DriverLedger}), on virtual time. */
    private DriverLedger<Report> ledger = newLedger();
    private io.cairn.placement.ConfTenure metaTenure = new io.cairn.placement.ConfTenure();
    private long epoch;
    private List<MemberInfo> members = List.of();
    private boolean leading;
    private boolean wasLeader;
    private InFlight inFlight;
    private long seq;

    SimDriver(SimHost host, ShardedSimulation sim, List<MemberInfo> founders) {
        this.host = host;
        this.sim = sim;
        this.founders = founders;
    }

    /** The host crashed: everything here was in its memory. */
    void reset() {
        ledger = newLedger();
        metaTenure = new io.cairn.placement.ConfTenure();
        epoch = 0;
        members = List.of();
        leading = false;
        wasLeader = false;
        inFlight = null;
    }

    private static DriverLedger<Report> newLedger() {
        return new DriverLedger<>(ShardedSimulation.HEARTBEAT_MICROS / 1_000, Report::term, Report::conf);
    }

    /** Leads the metadata group and has read the membership since. */
    boolean serving() {
        return leading && epoch > 0;
    }

    long epoch() {
        return epoch;
    }

    List<MemberInfo> members() {
        return members;
    }

    /** A client id unique to this driver's incarnation, so a restarted driver starts a new session. */
    private int clientId() {
        return 10_000 * (int) host.id().value() + host.incarnation();
    }

    /** One pass: while leading, read the membership and then write the next change. */
    void pass() {
        SimNode meta = host.replica(ShardGroups.META_GROUP);
        Status s = meta == null || !meta.isUp() ? null : meta.status();
        long now = sim.nowMicros();
        boolean leads = s != null && s.role() == Role.LEADER;
        ledger.leads(leads, now / 1_000);
        Report metaNow = leads ? metaReport(now) : null;
        if (metaNow != null) {
            // As the server's driver does: the metadata group counts when deciding a node holds nothing.
            ledger.heard(host.id(), now / 1_000, List.of(new DriverLedger.GroupReport<>(ShardGroups.META_GROUP, metaNow)),
                    false, SimHost.addressOf(host.id()), host.topology().epoch);
        }
        wasLeader = leads;
        if (!leads) {
            leading = false;
            return;
        }
        if (inFlight != null && now - inFlight.sentMicros() < REQUEST_TIMEOUT_MICROS) {
            return;
        }
        send(KvOp.get(MEMBERSHIP_KEY));
    }

    private void send(KvOp op) {
        inFlight = new InFlight(++seq, op, sim.nowMicros());
        sim.driverRequest(host, new ClientRequest(clientId(), seq, 1, op));
    }

    void onReply(ClientReply reply) {
        if (inFlight == null || reply.seq() != inFlight.seq() || reply.client() != clientId()) {
            return;
        }
        KvOp op = inFlight.op();
        inFlight = null;
        if (reply.outcome() != ClientReply.Outcome.OK || !wasLeader) {
            return;
        }
        if (op.kind() == KvOp.Kind.GET) {
            KvResult.Read read = (KvResult.Read) reply.result();
            epoch = read.value() == null ? 0 : read.version();
            members = read.value() == null ? List.of() : decode(read.value());
            leading = true;
            decideAndWrite();
        } else if (reply.result() instanceof KvResult.Written w) {
            sim.note(host.id() + " driver wrote membership epoch " + w.version());
            sim.coverage().add(Coverage.Item.EPOCHS);
        }
    }

    private void decideAndWrite() {
        ledger.decide(epoch, members, founders, sim.nowMicros() / 1_000, ShardedSimulation.DEAD_NODE_TIMEOUT_MICROS / 1_000,
                sim.shardCount()).ifPresent(next -> {
            sim.note(host.id() + " driver proposes " + describe(next));
            send(KvOp.cas(MEMBERSHIP_KEY, epoch, encode(next)));
        });
    }

    /** A node's heartbeat; returns the answer, or null when this driver does not serve. */
    SimHost.HeartbeatAck onHeartbeat(SimHost.Heartbeat hb) {
        if (!serving()) {
            return null;
        }
        long now = sim.nowMicros();
        List<DriverLedger.GroupReport<Report>> led = new ArrayList<>();
        for (Report r : hb.led()) {
            led.add(new DriverLedger.GroupReport<>(r.group(),
                    new Report(r.group(), r.leader(), r.term(), r.appliedIndex(), r.conf(), r.confAgeMillis(), now)));
        }
        ledger.heard(hb.from(), now / 1_000, led, hb.join(), SimHost.addressOf(hb.from()), hb.epoch());
        List<Report> fresh = ledger.freshReports(now / 1_000);
        return new SimHost.HeartbeatAck(true, epoch, members, List.copyOf(fresh), metaReport(now), null);
    }

    /** The metadata group as this driver's replica (its leader) sees it, with how long its configuration has held. */
    private Report metaReport(long now) {
        SimNode meta = host.replica(ShardGroups.META_GROUP);
        if (meta == null || !meta.isUp() || meta.status().role() != Role.LEADER) {
            return null;
        }
        Status s = meta.status();
        long age = metaTenure.observe(ShardGroups.META_GROUP, s.term(), s.conf(), now / 1_000);
        return new Report(ShardGroups.META_GROUP, host.id(), s.term(), s.appliedIndex(), s.conf(), age, now);
    }

    /**
     * The simulator's {@code cluster add-node}, checked as the server's driver checks it; returns
     * why it was refused, or null when it was accepted.
     */
    String addNode(MemberInfo member) {
        java.util.Optional<String> refused = io.cairn.placement.Admission.refuseJoin(members, member.id(), member.address())
                .or(() -> ledger.refuseJoinOfRunning(member, sim.nowMicros() / 1_000));
        if (refused.isPresent()) {
            return refused.get();
        }
        ledger.join(member);
        return null;
    }

    /** Starts decommissioning {@code node} (the simulator's {@code cluster remove-node}). */
    void removeNode(NodeId node) {
        ledger.leave(node);
    }

    static long encode(List<MemberInfo> members) {
        long bits = 0;
        for (MemberInfo m : members) {
            long code = m.state().ordinal() + 1;
            bits |= code << (3 * m.id().value());
        }
        return bits;
    }

    static List<MemberInfo> decode(long bits) {
        List<MemberInfo> out = new ArrayList<>();
        for (int id = 1; id <= 20; id++) {
            int code = (int) (bits >>> (3 * id) & 7);
            if (code != 0) {
                NodeId node = NodeId.of(id);
                out.add(new MemberInfo(node, SimHost.addressOf(node), "", MemberInfo.State.values()[code - 1]));
            }
        }
        return out;
    }

    static String describe(List<MemberInfo> members) {
        StringBuilder sb = new StringBuilder();
        for (MemberInfo m : members) {
            sb.append(sb.length() == 0 ? "" : ",").append(m.id()).append(':')
                    .append(m.state().name().toLowerCase(java.util.Locale.ROOT));
        }
        return sb.toString();
    }

    /** The placement of the membership this driver last read. */
    Topology topology() {
        return Topology.derive(epoch, members, sim.shardCount());
    }

    /** The leaders' reports this driver would pass on now. */
    List<Report> freshReports() {
        return ledger.freshReports(sim.nowMicros() / 1_000);
    }
}
