package io.cairn.raft;

import io.cairn.common.Bytes;
import io.cairn.common.FaultPoints;
import io.cairn.common.Invariants;
import io.cairn.common.NodeId;
import io.cairn.common.RandomSource;
import io.cairn.consensus.ConfChange;
import io.cairn.consensus.ConfState;
import io.cairn.consensus.ConsensusCore;
import io.cairn.consensus.ConsensusMessage;
import io.cairn.consensus.DropReason;
import io.cairn.consensus.EntryId;
import io.cairn.consensus.EntryType;
import io.cairn.consensus.HardState;
import io.cairn.consensus.LogEntry;
import io.cairn.consensus.LogStorage;
import io.cairn.consensus.ProposeResult;
import io.cairn.consensus.ReadMode;
import io.cairn.consensus.ReadState;
import io.cairn.consensus.Ready;
import io.cairn.consensus.Role;
import io.cairn.consensus.Snapshot;
import io.cairn.consensus.Status;
import io.cairn.raft.LeaderState.PendingRead;
import io.cairn.raft.RaftMessage.AppendEntries;
import io.cairn.raft.RaftMessage.AppendResponse;
import io.cairn.raft.RaftMessage.Heartbeat;
import io.cairn.raft.RaftMessage.HeartbeatResponse;
import io.cairn.raft.RaftMessage.InstallSnapshot;
import io.cairn.raft.RaftMessage.ReadIndexRequest;
import io.cairn.raft.RaftMessage.ReadIndexResponse;
import io.cairn.raft.RaftMessage.SnapshotChunkResponse;
import io.cairn.raft.RaftMessage.TimeoutNow;
import io.cairn.raft.RaftMessage.VoteRequest;
import io.cairn.raft.RaftMessage.VoteResponse;
import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Raft (Ongaro's dissertation) as a pure state machine; see {@link ConsensusCore} for the host's
 * duties and {@code docs/raft.md} for the design. Includes PreVote, CheckQuorum, pipelined
 * replication with a fast back-off by term, chunked snapshots, joint consensus, leadership
 * transfer, ReadIndex and lease reads.
 */
public final class RaftNode implements ConsensusCore {
    /**
     * Ticks shaved off the lease: one for the phase offset between two nodes' tick timers and
     * one for the tick during which the heartbeat travelled.
     */
    static final int LEASE_SAFETY_TICKS = 2;

    private enum CampaignType { PRE_VOTE, ELECTION, TRANSFER }

    private final RaftConfig cfg;
    private final NodeId id;
    private final RandomSource random;
    private final RaftLog log;

    private long term;
    private NodeId votedFor;
    private NodeId leader;
    private Role role = Role.FOLLOWER;
    private ConfState conf;

    /** Ticks since this instance started; the leader lease is measured in it. */
    private long tickCount;
    private int electionElapsed;
    private int heartbeatElapsed;
    private int randomizedElectionTimeout;
    /**
     * A restarted node forgot which leader it heard from; with CheckQuorum it refuses to help
     * elect anyone for one election timeout, or a leader's lease could be broken by its vote.
     */
    private boolean recentlyStarted;

    private final TreeMap<NodeId, Boolean> votes = new TreeMap<>();
    private LeaderState lead;
    private SnapshotReceiver receiver;
    /**
     * Follower: appends of the current leader that arrived ahead of a gap in the log, at most
     * {@code maxInflightMsgs} of them and {@link #EARLY_APPEND_MESSAGES_OF_BYTES} messages' worth
     * of bytes. Each was rejected (the leader must learn
     * of the gap, in case what fills it was lost) and is taken again once the gap is filled, so
     * a reordered window of appends is not resent one probe per round trip. Taking a message
     * again later is what a network that delays and duplicates may do anyway: no safety rule
     * depends on this buffer.
     */
    private final EarlyAppends earlyAppends;
    /** Bytes of early appends a follower keeps, in full messages ({@code maxBytesPerMsg}). */
    static final int EARLY_APPEND_MESSAGES_OF_BYTES = 8;
    private final FaultPoints faults;

    private final ArrayList<ConsensusMessage> msgs = new ArrayList<>();
    private final ArrayList<ConsensusMessage> msgsAfterPersist = new ArrayList<>();
    private final ArrayList<ReadState> readStates = new ArrayList<>();
    private boolean broadcastPending;
    private HardState prevHardState;
    private Ready outstanding;

    public RaftNode(RaftConfig config, LogStorage storage, RandomSource random) {
        this(config, storage, random, FaultPoints.NONE);
    }

    /** With {@code faults}: the simulator's rare but legal paths ({@link FaultPoints}). */
    public RaftNode(RaftConfig config, LogStorage storage, RandomSource random, FaultPoints faults) {
        this.faults = faults;
        this.cfg = config;
        this.earlyAppends = new EarlyAppends(config.maxInflightMsgs(),
                EARLY_APPEND_MESSAGES_OF_BYTES * config.maxBytesPerMsg());
        this.id = config.id();
        this.random = random;
        HardState hs = storage.hardState();
        long snapshotIndex = storage.firstIndex() - 1;
        long applied = config.appliedIndex() == 0 ? snapshotIndex : config.appliedIndex();
        this.log = new RaftLog(storage, hs.commit(), applied);
        this.term = hs.term();
        this.votedFor = hs.votedFor();
        this.conf = confAt(storage, applied);
        this.prevHardState = hardState();
        // A node that never saw a term cannot have acknowledged anyone's lease.
        this.recentlyStarted = hs.term() > 0;
        resetTimers();
    }

    /** The configuration as of {@code applied}: the snapshot's, then the last config entry after it. */
    private static ConfState confAt(LogStorage storage, long applied) {
        ConfState c = storage.snapshotConf();
        long from = storage.firstIndex();
        while (from <= applied) {
            List<LogEntry> batch = storage.entries(from, applied + 1, 1 << 20);
            for (LogEntry e : batch) {
                if (e.type() == EntryType.CONFIG) {
                    c = ConfState.decode(e.data());
                }
            }
            from += batch.size();
        }
        return c;
    }

    // ---------------------------------------------------------------- inputs

    @Override
    public void tick() {
        tickCount++;
        if (role == Role.LEADER) {
            tickLeader();
        } else {
            tickElection();
        }
    }

    private void tickElection() {
        electionElapsed++;
        if (electionElapsed >= randomizedElectionTimeout && promotable()) {
            electionElapsed = 0;
            campaign(cfg.preVote() ? CampaignType.PRE_VOTE : CampaignType.ELECTION);
        }
    }

    private void tickLeader() {
        heartbeatElapsed++;
        electionElapsed++;
        if (electionElapsed >= cfg.electionTicks()) {
            electionElapsed = 0;
            if (cfg.checkQuorum() && !quorumActive()) {
                becomeFollower(term, null);
                return;
            }
            if (lead.transferee != null) {
                lead.transferee = null; // the target did not take over in time; resume normal work
            }
        }
        if (heartbeatElapsed >= cfg.heartbeatTicks() || hasWorkAHeartbeatRetries()) {
            heartbeatElapsed = 0;
            bcastHeartbeat();
            for (Progress pr : lead.progress) {
                if (pr.state == Progress.State.SNAPSHOT) {
                    sendSnapshotChunk(pr); // retransmits a lost chunk; duplicates are answered idempotently
                }
            }
        }
    }

    /**
     * Whether something waits that a heartbeat round moves on when a message was lost: reads
     * waiting on a round, a follower behind the log (a probe, a full in-flight window or a
     * snapshot chunk is retried on the heartbeat or its answer), a transfer. Then the leader
     * heartbeats every tick; the spaced-out interval is for a group with nothing to do.
     */
    private boolean hasWorkAHeartbeatRetries() {
        if (!lead.pendingReads.isEmpty() || lead.transferee != null) {
            return true;
        }
        long last = log.lastIndex();
        for (Progress pr : lead.progress) {
            if (!pr.id.equals(id) && pr.match < last) {
                return true;
            }
        }
        return false;
    }

    /** Whether a quorum answered since the last check; resets the record for the next round. */
    private boolean quorumActive() {
        boolean active = Quorum.hasQuorum(conf, n -> n.equals(id) || isRecentlyActive(n));
        for (Progress pr : lead.progress) {
            pr.recentActive = false;
        }
        return active;
    }

    private boolean isRecentlyActive(NodeId n) {
        Progress pr = lead.progress(n);
        return pr != null && pr.recentActive;
    }

    @Override
    public void step(ConsensusMessage message) {
        if (!(message instanceof RaftMessage m)) {
            throw new IllegalArgumentException("not a Raft message: " + message);
        }
        if (!m.to().equals(id) || m.from().equals(id)) {
            return;
        }
        if (m.term() > term) {
            if (!stepHigherTerm(m)) {
                return;
            }
        } else if (m.term() < term) {
            stepLowerTerm(m);
            return;
        }
        if (m instanceof VoteRequest v) {
            handleVoteRequest(v);
            return;
        }
        switch (role) {
            case LEADER -> stepLeader(m);
            case CANDIDATE, PRE_CANDIDATE -> stepCandidate(m);
            case FOLLOWER -> stepFollower(m);
        }
    }

    /** A message from a later term. Returns false when the message is to be ignored. */
    private boolean stepHigherTerm(RaftMessage m) {
        if (m instanceof VoteRequest v) {
            // Leader stickiness (§4.2.3): while we hear from a leader, a vote request is more
            // likely from a node that was cut off than from a real need; ignoring it keeps a
            // returning node from deposing a healthy leader, and protects the leader's lease.
            boolean inLease = cfg.checkQuorum()
                    && ((recentlyStarted && tickCount < cfg.electionTicks())
                        || (leader != null && electionElapsed < cfg.electionTicks()));
            if (inLease && !v.transfer()) {
                return false;
            }
            if (v.preVote()) {
                return true; // a pre-vote never changes our term
            }
            becomeFollower(m.term(), null);
            return true;
        }
        if (m instanceof VoteResponse r && r.preVote() && r.granted()) {
            return true; // granted pre-votes carry the future term; we adopt it only on winning
        }
        boolean fromLeader = m instanceof AppendEntries || m instanceof Heartbeat || m instanceof InstallSnapshot;
        becomeFollower(m.term(), fromLeader ? m.from() : null);
        return true;
    }

    private void stepLowerTerm(RaftMessage m) {
        if ((cfg.checkQuorum() || cfg.preVote()) && (m instanceof AppendEntries || m instanceof Heartbeat)) {
            // A leader cut off from the cluster would otherwise never learn our newer term; with
            // PreVote or CheckQuorum we did not bump it by disrupting it, so tell it.
            sendAfterPersist(new AppendResponse(id, m.from(), term, 0, false, 0, 0));
        } else if (m instanceof VoteRequest v && v.preVote()) {
            sendAfterPersist(voteResponse(m.from(), term, true, false));
        }
    }

    private VoteResponse voteResponse(NodeId to, long responseTerm, boolean preVote, boolean granted) {
        long commit = log.committed();
        return new VoteResponse(id, to, responseTerm, preVote, granted, commit, log.term(commit));
    }

    /**
     * A voter's commit index is a fact about the committed log; if our log holds its entry there
     * (same index and term), by Log Matching our prefix up to it is that committed prefix.
     */
    private boolean learnCommit(long commit, long commitTerm) {
        if (commit > log.committed() && commit <= log.lastIndex() && log.matchTerm(commit, commitTerm)) {
            log.commitTo(commit);
            return true;
        }
        return false;
    }

    /** Whether a candidate's log is at least as new as what an earlier replica here held (RaftConfig#voteFloor). */
    private boolean atOrAboveVoteFloor(long lastIndex, long lastTerm) {
        EntryId floor = cfg.voteFloor();
        return lastTerm > floor.term() || (lastTerm == floor.term() && lastIndex >= floor.index());
    }

    private void handleVoteRequest(VoteRequest v) {
        boolean canVote =
                // We voted for this candidate in this term already: a repeat is harmless.
                (v.term() == term && v.from().equals(votedFor))
                // We have not voted in this term and follow no leader in it.
                || (v.term() == term && votedFor == null && leader == null)
                // A pre-vote for a future term binds nothing.
                || (v.preVote() && v.term() > term);
        // Without CheckQuorum the pre-vote itself must refuse while a leader is heard from.
        boolean leaderHeard = leader != null && electionElapsed < cfg.electionTicks();
        boolean refuseForLeader = v.preVote() && !v.transfer() && leaderHeard;
        if (canVote && !refuseForLeader && log.isUpToDate(v.lastLogIndex(), v.lastLogTerm())
                && atOrAboveVoteFloor(v.lastLogIndex(), v.lastLogTerm())) {
            sendAfterPersist(voteResponse(v.from(), v.term(), v.preVote(), true));
            if (!v.preVote()) {
                electionElapsed = 0;
                votedFor = v.from();
            }
        } else {
            sendAfterPersist(voteResponse(v.from(), term, v.preVote(), false));
        }
    }

    private void stepFollower(RaftMessage m) {
        if (m instanceof AppendEntries a) {
            heardFromLeader(a.from());
            handleAppend(a);
        } else if (m instanceof Heartbeat h) {
            heardFromLeader(h.from());
            log.commitTo(Math.min(h.commit(), log.lastIndex()));
            // After the persist: if this heartbeat raised our term, a lease may count on this
            // answer, and a restart must not forget the term it was given in.
            sendAfterPersist(new HeartbeatResponse(id, h.from(), term, h.seq(), h.sentTick()));
        } else if (m instanceof InstallSnapshot s) {
            heardFromLeader(s.from());
            handleSnapshotChunk(s);
        } else if (m instanceof TimeoutNow) {
            if (promotable() && !hasUnappliedConfChange()) {
                campaign(CampaignType.TRANSFER);
            }
        } else if (m instanceof ReadIndexResponse r) {
            readStates.add(new ReadState(r.index(), r.context()));
        }
    }

    private void heardFromLeader(NodeId from) {
        electionElapsed = 0;
        leader = from;
    }

    private void stepCandidate(RaftMessage m) {
        if (m instanceof AppendEntries || m instanceof Heartbeat || m instanceof InstallSnapshot) {
            becomeFollower(term, m.from()); // someone won this term
            stepFollower(m);
        } else if (m instanceof VoteResponse r) {
            if (learnCommit(r.commit(), r.commitTerm()) && hasUnappliedConfChange()) {
                // The configuration this campaign counts votes in is no longer the latest
                // committed one: stop, apply it, and campaign again in it if still a voter.
                becomeFollower(term, null);
                return;
            }
            if (r.preVote() != (role == Role.PRE_CANDIDATE)) {
                return; // answers an earlier phase of this campaign
            }
            votes.put(r.from(), r.granted());
            tallyVotes();
        }
    }

    private void tallyVotes() {
        switch (Quorum.voteResult(conf, votes)) {
            case WON -> {
                if (!promotable()) {
                    becomeFollower(term, null); // the configuration changed under the campaign
                } else if (role == Role.PRE_CANDIDATE) {
                    campaign(CampaignType.ELECTION);
                } else {
                    becomeLeader();
                }
            }
            case LOST -> becomeFollower(term, null);
            case PENDING -> { }
        }
    }

    // ---------------------------------------------------------------- follower replication

    private void handleAppend(AppendEntries a) {
        if (a.prevIndex() < log.committed()) {
            // Everything up to our commit index already matches the leader.
            sendAfterPersist(new AppendResponse(id, a.from(), term, log.committed(), false, 0, 0));
            return;
        }
        long lastNew = log.maybeAppend(a.prevIndex(), a.prevTerm(), a.commit(), a.entries());
        if (lastNew >= 0) {
            sendAfterPersist(new AppendResponse(id, a.from(), term, lastNew, false, 0, 0));
            takeEarlyAppends();
            return;
        }
        if (a.prevIndex() > log.lastIndex() && !a.entries().isEmpty()
                && !faults.fire(FaultPoints.Site.EARLY_APPEND_NOT_KEPT)) {
            earlyAppends.keep(a);
        }
        long hintIndex = log.findConflictByTerm(Math.min(a.prevIndex(), log.lastIndex()), a.prevTerm());
        long hintTerm = log.term(hintIndex);
        sendAfterPersist(new AppendResponse(id, a.from(), term, a.prevIndex(), true, hintIndex, hintTerm));
    }

    /** After an append: takes the kept appends the log now reaches, as if they arrived now. */
    private void takeEarlyAppends() {
        AppendEntries a;
        while ((a = earlyAppends.takeReachable(log.lastIndex())) != null) {
            // Only this term's leader's appends, only where they still match (one the log has
            // moved past in another way would only be rejected again) and only those that
            // bring entries the log lacks (others would only be acknowledged twice).
            boolean current = a.term() == term && a.from().equals(leader);
            long lastOfAppend = a.prevIndex() + a.entries().size();
            if (current && lastOfAppend > log.lastIndex() && a.prevIndex() >= log.committed()
                    && log.matchTerm(a.prevIndex(), a.prevTerm())) {
                long lastNew = log.maybeAppend(a.prevIndex(), a.prevTerm(), a.commit(), a.entries());
                sendAfterPersist(new AppendResponse(id, a.from(), term, lastNew, false, 0, 0));
            }
        }
    }

    private void handleSnapshotChunk(InstallSnapshot s) {
        long index = s.meta().index();
        if (index <= log.committed()) {
            receiver = null;
            sendAfterPersist(new AppendResponse(id, s.from(), term, log.committed(), false, 0, 0));
            return;
        }
        if (receiver == null || !receiver.meta.equals(s.meta())) {
            if (s.offset() != 0) {
                sendEarly(new SnapshotChunkResponse(id, s.from(), term, index, 0));
                return;
            }
            receiver = new SnapshotReceiver(s.meta());
        }
        if (s.offset() != receiver.size()) {
            sendEarly(new SnapshotChunkResponse(id, s.from(), term, index, receiver.size()));
            return;
        }
        receiver.append(s.chunk());
        if (!s.last()) {
            sendEarly(new SnapshotChunkResponse(id, s.from(), term, index, receiver.size()));
            return;
        }
        SnapshotReceiver complete = receiver;
        receiver = null;
        if (log.matchTerm(index, s.meta().term())) {
            // We hold the snapshot's last entry already; replacing the log would drop entries we
            // may have acknowledged (a reordered, stale snapshot), so only move the commit index.
            log.commitTo(index);
            sendAfterPersist(new AppendResponse(id, s.from(), term, log.committed(), false, 0, 0));
            return;
        }
        Snapshot snapshot = new Snapshot(s.meta(), complete.data());
        earlyAppends.clear();
        log.restore(snapshot);
        conf = snapshot.meta().conf();
        sendAfterPersist(new AppendResponse(id, s.from(), term, log.lastIndex(), false, 0, 0));
    }

    /** Chunks of one snapshot received so far; kept in memory until the last one arrives. */
    private static final class SnapshotReceiver {
        final io.cairn.consensus.SnapshotMeta meta;
        private final ByteArrayOutputStream buffer = new ByteArrayOutputStream();

        SnapshotReceiver(io.cairn.consensus.SnapshotMeta meta) {
            this.meta = meta;
        }

        long size() {
            return buffer.size();
        }

        void append(Bytes chunk) {
            buffer.writeBytes(chunk.toArray());
        }

        Bytes data() {
            return Bytes.wrap(buffer.toByteArray());
        }
    }

    // ---------------------------------------------------------------- leader

    private void stepLeader(RaftMessage m) {
        if (m instanceof ReadIndexRequest r) {
            leaderRead(r.context(), ReadMode.READ_INDEX, r.from());
            return;
        }
        Invariants.check(!(m instanceof AppendEntries || m instanceof Heartbeat || m instanceof InstallSnapshot),
                "%s leads term %s but received %s", id, term, m);
        Progress pr = lead.progress(m.from());
        if (pr == null) {
            return; // not a member (any more)
        }
        if (m instanceof AppendResponse r) {
            pr.recentActive = true;
            handleAppendResponse(pr, r);
        } else if (m instanceof HeartbeatResponse r) {
            pr.recentActive = true;
            handleHeartbeatResponse(pr, r);
        } else if (m instanceof SnapshotChunkResponse r) {
            pr.recentActive = true;
            boolean current = pr.state == Progress.State.SNAPSHOT
                    && pr.pendingSnapshot.meta().index() == r.snapshotIndex()
                    && r.nextOffset() >= 0 && r.nextOffset() <= pr.pendingSnapshot.data().size();
            if (current && r.nextOffset() > pr.snapshotOffset) {
                pr.snapshotOffset = r.nextOffset();
                sendSnapshotChunk(pr);
            } else if (current && r.nextOffset() < pr.snapshotOffset) {
                // The follower lost what it had (it restarted), or this answer is a stale one.
                // Rewind without sending: if each such answer sent a chunk, every duplicate on
                // the network would start one more stream. The heartbeat's retransmission sends
                // from here, and the follower's answer to it moves the transfer forward again.
                pr.snapshotOffset = r.nextOffset();
            }
            // An answer equal to the offset already followed up is a duplicate: nothing to do.
        }
    }

    private void handleAppendResponse(Progress pr, AppendResponse r) {
        if (r.reject()) {
            // Skip every entry of terms the follower cannot have (§5.3 optimisation).
            long probeFrom = r.hintTerm() > 0 ? log.findConflictByTerm(r.hintIndex(), r.hintTerm()) : r.hintIndex();
            if (pr.maybeDecrTo(r.index(), probeFrom)) {
                if (pr.state == Progress.State.REPLICATE) {
                    pr.becomeProbe();
                }
                sendAppend(pr, true);
            }
            return;
        }
        if (!pr.maybeUpdate(r.index())) {
            return;
        }
        switch (pr.state) {
            case PROBE -> pr.becomeReplicate();
            case SNAPSHOT -> {
                if (pr.match >= pr.pendingSnapshot.meta().index()) {
                    pr.becomeProbe();
                    pr.becomeReplicate();
                }
            }
            case REPLICATE -> pr.inflights.freeTo(r.index());
        }
        if (maybeCommit()) {
            broadcastPending = true;
        }
        while (sendAppend(pr, false)) {
            // fill the inflight window
        }
        if (pr.id.equals(lead.transferee) && pr.match == log.lastIndex()) {
            sendTimeoutNow(pr.id);
        }
    }

    private void handleHeartbeatResponse(Progress pr, HeartbeatResponse r) {
        pr.probeSent = false;
        pr.ackedReadSeq = Math.max(pr.ackedReadSeq, r.seq());
        pr.ackedSentTick = Math.max(pr.ackedSentTick, r.sentTick());
        if (pr.state == Progress.State.REPLICATE && pr.inflights.full()) {
            // Appends may have been lost; let one through so a gap is detected and probed.
            pr.inflights.freeFirst();
        }
        if (pr.state != Progress.State.SNAPSHOT && pr.match < log.lastIndex()) {
            sendAppend(pr, true);
        }
        releaseReads();
    }

    /**
     * Sends the next append to a member. With {@code sendIfEmpty} an append without entries
     * goes out too (to carry the commit index or probe). Returns whether entries were sent.
     */
    private boolean sendAppend(Progress pr, boolean sendIfEmpty) {
        if (pr.id.equals(id) || pr.paused()) {
            return false;
        }
        long prevIndex = pr.next - 1;
        long prevTerm = log.term(prevIndex);
        List<LogEntry> entries = prevTerm == RaftLog.UNKNOWN_TERM ? null
                : log.entries(pr.next, pr.next + maxEntriesPerAppend(), cfg.maxBytesPerMsg());
        if (entries == null) {
            startSnapshot(pr);
            return false;
        }
        if (entries.isEmpty() && !sendIfEmpty) {
            return false;
        }
        sendEarly(new AppendEntries(id, pr.id, term, prevIndex, prevTerm, entries, log.committed()));
        if (pr.state == Progress.State.PROBE) {
            pr.probeSent = true;
        } else if (!entries.isEmpty()) {
            long last = entries.get(entries.size() - 1).index();
            pr.next = last + 1;
            pr.inflights.add(last);
        }
        return !entries.isEmpty() && pr.state == Progress.State.REPLICATE;
    }

    private int maxEntriesPerAppend() {
        return faults.fire(FaultPoints.Site.SHORT_APPEND) ? 1 : cfg.maxEntriesPerMsg();
    }

    private void bcastAppend() {
        for (Progress pr : lead.progress) {
            if (pr.id.equals(id)) {
                continue;
            }
            boolean sent = false;
            while (sendAppend(pr, false)) {
                sent = true;
            }
            if (!sent) {
                sendAppend(pr, true);
            }
        }
    }

    private void startSnapshot(Progress pr) {
        Snapshot snapshot = log.snapshot();
        Invariants.check(!snapshot.isEmpty(), "%s needs entries before %s but there is no snapshot", pr.id, log.firstIndex());
        pr.becomeSnapshot(snapshot);
        sendSnapshotChunk(pr);
    }

    private void sendSnapshotChunk(Progress pr) {
        Snapshot s = pr.pendingSnapshot;
        int size = s.data().size();
        int from = (int) pr.snapshotOffset;
        int to = (int) Math.min(size, from + (long) cfg.maxSnapshotChunkBytes());
        sendEarly(new InstallSnapshot(id, pr.id, term, s.meta(), from, s.data().slice(from, to), to == size));
    }

    private void bcastHeartbeat() {
        lead.readSeq++;
        lead.readRoundInFlight = true;
        Progress self = lead.progress(id);
        if (self != null) {
            self.ackedReadSeq = lead.readSeq;
        }
        for (Progress pr : lead.progress) {
            if (pr.id.equals(id)) {
                continue;
            }
            // Never more than the follower is known to hold: it cannot check entries it lacks.
            long commit = Math.min(pr.match, log.committed());
            sendEarly(new Heartbeat(id, pr.id, term, commit, lead.readSeq, tickCount));
        }
        releaseReads();
    }

    private boolean maybeCommit() {
        long index = Quorum.committed(conf, this::matchOf);
        // Figure 8: only an entry of the current term is committed by counting replicas.
        if (index <= log.committed() || log.term(index) != term) {
            return false;
        }
        log.commitTo(index);
        if (!lead.committedInTerm) {
            lead.committedInTerm = true;
            while (!lead.readsBeforeCommit.isEmpty()) {
                PendingRead r = lead.readsBeforeCommit.poll();
                leaderRead(r.context(), ReadMode.READ_INDEX, r.requester());
            }
        }
        return true;
    }

    private long matchOf(NodeId n) {
        Progress pr = lead.progress(n);
        return pr == null ? 0 : pr.match;
    }

    private void sendTimeoutNow(NodeId to) {
        lead.leaseRevoked = true;
        sendEarly(new TimeoutNow(id, to, term));
    }

    // ---------------------------------------------------------------- proposals and reads

    @Override
    public ProposeResult propose(Bytes command) {
        if (role != Role.LEADER) {
            return new ProposeResult.Dropped(DropReason.NOT_LEADER);
        }
        if (lead.transferee != null) {
            return new ProposeResult.Dropped(DropReason.TRANSFERRING_LEADERSHIP);
        }
        return appendAsLeader(EntryType.NORMAL, command);
    }

    private ProposeResult.Accepted appendAsLeader(EntryType type, Bytes data) {
        long index = log.lastIndex() + 1;
        log.append(List.of(new LogEntry(index, term, type, data)));
        // Our own copy counts towards the quorum only once durable: see advance().
        broadcastPending = true;
        return new ProposeResult.Accepted(index, term);
    }

    @Override
    public ProposeResult proposeConfChange(ConfChange change) {
        if (role != Role.LEADER) {
            return new ProposeResult.Dropped(DropReason.NOT_LEADER);
        }
        if (lead.transferee != null) {
            return new ProposeResult.Dropped(DropReason.TRANSFERRING_LEADERSHIP);
        }
        if (lead.pendingConfIndex > log.applied() || conf.isJoint()) {
            return new ProposeResult.Dropped(DropReason.CONF_CHANGE_PENDING);
        }
        ConfState target = applyChanges(conf, change);
        ConfState joint = new ConfState(target.voters(), conf.voters(), target.learners());
        ProposeResult.Accepted accepted = appendAsLeader(EntryType.CONFIG, joint.encode());
        lead.pendingConfIndex = accepted.index();
        return accepted;
    }

    private static ConfState applyChanges(ConfState current, ConfChange change) {
        TreeSet<NodeId> voters = new TreeSet<>(current.voters());
        TreeSet<NodeId> learners = new TreeSet<>(current.learners());
        for (ConfChange.Change c : change.changes()) {
            NodeId n = c.node();
            switch (c.type()) {
                case ADD_VOTER -> {
                    if (!voters.add(n)) {
                        throw new IllegalArgumentException(n + " is already a voter");
                    }
                    learners.remove(n);
                }
                case ADD_LEARNER -> {
                    if (voters.contains(n)) {
                        throw new IllegalArgumentException(n + " is a voter; demotion is not supported");
                    }
                    if (!learners.add(n)) {
                        throw new IllegalArgumentException(n + " is already a learner");
                    }
                }
                case REMOVE -> {
                    if (!voters.remove(n) && !learners.remove(n)) {
                        throw new IllegalArgumentException(n + " is not a member");
                    }
                }
            }
        }
        if (voters.isEmpty()) {
            throw new IllegalArgumentException("the change would leave no voters");
        }
        return new ConfState(voters, new TreeSet<>(), learners);
    }

    @Override
    public ProposeResult readIndex(long context, ReadMode mode) {
        if (role == Role.LEADER) {
            return leaderRead(context, mode, id);
        }
        if (leader == null) {
            return new ProposeResult.Dropped(DropReason.NOT_LEADER);
        }
        sendEarly(new ReadIndexRequest(id, leader, term, context));
        return new ProposeResult.Accepted(0, term);
    }

    private ProposeResult leaderRead(long context, ReadMode mode, NodeId requester) {
        if (!lead.committedInTerm) {
            // Our commit index may lag the previous leader's until an entry of our term commits.
            if (lead.readsBeforeCommit.size() >= cfg.maxPendingReads()) {
                return new ProposeResult.Dropped(DropReason.TOO_MANY_PENDING_READS);
            }
            lead.readsBeforeCommit.add(new PendingRead(context, 0, 0, requester));
            return new ProposeResult.Accepted(0, term);
        }
        if (isSoleVoter() || (mode == ReadMode.LEASE && leaseValid())) {
            respondRead(requester, context, log.committed());
            return new ProposeResult.Accepted(log.committed(), term);
        }
        if (lead.pendingReads.size() >= cfg.maxPendingReads()) {
            return new ProposeResult.Dropped(DropReason.TOO_MANY_PENDING_READS);
        }
        lead.pendingReads.add(new PendingRead(context, log.committed(), lead.readSeq + 1, requester));
        if (!lead.readRoundInFlight) {
            bcastHeartbeat();
        }
        return new ProposeResult.Accepted(log.committed(), term);
    }

    /**
     * The lease holds while a quorum acknowledged a heartbeat sent less than an election timeout
     * ago (less a safety margin): until then none of them will help elect another leader.
     */
    private boolean leaseValid() {
        if (!cfg.checkQuorum() || lead.leaseRevoked) {
            return false;
        }
        long acked = Quorum.committed(conf, n -> n.equals(id) ? tickCount : ackedSentTickOf(n));
        return tickCount < acked + cfg.electionTicks() - LEASE_SAFETY_TICKS;
    }

    private long ackedSentTickOf(NodeId n) {
        Progress pr = lead.progress(n);
        return pr == null ? Long.MIN_VALUE / 2 : pr.ackedSentTick;
    }

    /** Answers every read whose heartbeat round a quorum has acknowledged. */
    private void releaseReads() {
        long acked = Quorum.committed(conf, n -> {
            Progress pr = lead.progress(n);
            return pr == null ? 0 : pr.ackedReadSeq;
        });
        while (!lead.pendingReads.isEmpty() && lead.pendingReads.peek().seq() <= acked) {
            PendingRead r = lead.pendingReads.poll();
            respondRead(r.requester(), r.context(), r.index());
        }
        lead.readRoundInFlight = acked < lead.readSeq;
        if (!lead.pendingReads.isEmpty() && !lead.readRoundInFlight) {
            bcastHeartbeat();
        }
    }

    private void respondRead(NodeId requester, long context, long index) {
        if (requester.equals(id)) {
            readStates.add(new ReadState(index, context));
        } else {
            sendEarly(new ReadIndexResponse(id, requester, term, context, index));
        }
    }

    @Override
    public void transferLeadership(NodeId target) {
        if (role != Role.LEADER || target.equals(id) || !conf.isVoter(target) || target.equals(lead.transferee)) {
            return;
        }
        lead.transferee = target;
        electionElapsed = 0; // the transfer is abandoned after one election timeout
        Progress pr = lead.progress(target);
        if (pr.match == log.lastIndex()) {
            sendTimeoutNow(target);
        } else {
            sendAppend(pr, true);
        }
    }

    // ---------------------------------------------------------------- role changes

    private boolean isSoleVoter() {
        return !conf.isJoint() && conf.voters().size() == 1 && conf.voters().contains(id);
    }

    private boolean promotable() {
        return conf.isVoter(id);
    }

    /** Whether a committed membership change is not yet applied: campaigning now could use a stale quorum. */
    private boolean hasUnappliedConfChange() {
        long from = log.applied() + 1;
        long to = log.committed() + 1;
        while (from < to) {
            List<LogEntry> batch = log.entries(from, to, 1 << 20);
            if (batch == null || batch.isEmpty()) {
                return false;
            }
            for (LogEntry e : batch) {
                if (e.type() == EntryType.CONFIG) {
                    return true;
                }
            }
            from += batch.size();
        }
        return false;
    }

    private void campaign(CampaignType type) {
        if (hasUnappliedConfChange()) {
            return;
        }
        long voteTerm;
        if (type == CampaignType.PRE_VOTE) {
            role = Role.PRE_CANDIDATE;
            earlyAppends.clear();
            leader = null;
            votes.clear();
            resetTimers();
            voteTerm = term + 1;
        } else {
            becomeCandidate();
            voteTerm = term;
        }
        votes.put(id, true);
        if (Quorum.voteResult(conf, votes) == Quorum.VoteResult.WON) {
            tallyVotes();
            return;
        }
        boolean pre = type == CampaignType.PRE_VOTE;
        boolean transfer = type == CampaignType.TRANSFER;
        for (NodeId voter : voters()) {
            if (!voter.equals(id)) {
                sendAfterPersist(new VoteRequest(id, voter, voteTerm, pre, log.lastIndex(), log.lastTerm(), transfer));
            }
        }
    }

    private TreeSet<NodeId> voters() {
        TreeSet<NodeId> all = new TreeSet<>(conf.voters());
        all.addAll(conf.votersOutgoing());
        return all;
    }

    private void becomeCandidate() {
        earlyAppends.clear();
        term++;
        votedFor = id;
        role = Role.CANDIDATE;
        leader = null;
        lead = null;
        votes.clear();
        resetTimers();
    }

    private void becomeFollower(long newTerm, NodeId newLeader) {
        if (newTerm != term) {
            Invariants.check(newTerm > term, "term must not go back from %s to %s", term, newTerm);
            term = newTerm;
            votedFor = null;
        }
        role = Role.FOLLOWER;
        leader = newLeader;
        lead = null;
        earlyAppends.clear();
        votes.clear();
        resetTimers();
    }

    private void becomeLeader() {
        Invariants.check(role == Role.CANDIDATE, "%s became leader from %s", id, role);
        role = Role.LEADER;
        leader = id;
        votes.clear();
        resetTimers();
        lead = new LeaderState();
        long next = log.lastIndex() + 1;
        for (NodeId member : conf.members()) {
            Progress pr = new Progress(member, next, cfg.maxInflightMsgs());
            if (member.equals(id)) {
                pr.match = log.lastStableIndex();
                pr.becomeReplicate();
            }
            lead.addProgress(pr);
        }
        // Conservatively treat any change already in the log as pending until applied.
        lead.pendingConfIndex = log.lastIndex();
        appendAsLeader(EntryType.NORMAL, Bytes.EMPTY);
    }

    private void resetTimers() {
        electionElapsed = 0;
        heartbeatElapsed = 0;
        randomizedElectionTimeout = cfg.electionTicks() + random.nextInt(cfg.electionTicks());
    }

    // ---------------------------------------------------------------- membership

    private void applyConf(ConfState newConf) {
        conf = newConf;
        if (role != Role.LEADER) {
            return;
        }
        long next = log.lastIndex() + 1;
        for (NodeId member : conf.members()) {
            if (lead.progress(member) == null) {
                lead.addProgress(new Progress(member, next, cfg.maxInflightMsgs()));
            }
        }
        lead.progress.removeIf(pr -> !conf.members().contains(pr.id) && !pr.id.equals(id));
        if (lead.transferee != null && !conf.isVoter(lead.transferee)) {
            lead.transferee = null;
        }
        if (!conf.isJoint() && !conf.isVoter(id)) {
            // Our removal is committed: stop leading so the remaining voters elect one of their own.
            becomeFollower(term, null);
        }
    }

    private void maybeLeaveJoint() {
        if (role == Role.LEADER && conf.isJoint() && lead.pendingConfIndex <= log.applied()) {
            ConfState target = new ConfState(conf.voters(), new TreeSet<>(), conf.learners());
            ProposeResult.Accepted accepted = appendAsLeader(EntryType.CONFIG, target.encode());
            lead.pendingConfIndex = accepted.index();
        }
    }

    // ---------------------------------------------------------------- Ready

    /** A message that promises nothing about our durable state: it may leave before the persist. */
    private void sendEarly(RaftMessage m) {
        msgs.add(m);
    }

    /** A message that vouches for our term, vote or log: it leaves only once they are durable. */
    private void sendAfterPersist(RaftMessage m) {
        msgsAfterPersist.add(m);
    }

    private HardState hardState() {
        return new HardState(term, votedFor, log.committed());
    }

    private boolean hardStateChanged() {
        return prevHardState.term() != term
                || !Objects.equals(prevHardState.votedFor(), votedFor)
                || prevHardState.commit() != log.committed();
    }

    private static boolean containsConfig(List<LogEntry> entries) {
        for (LogEntry e : entries) {
            if (e.type() == EntryType.CONFIG) {
                return true;
            }
        }
        return false;
    }

    @Override
    public boolean hasReady() {
        if (outstanding != null) {
            return false;
        }
        return !msgs.isEmpty() || !msgsAfterPersist.isEmpty() || !readStates.isEmpty()
                || broadcastPending || log.hasUnstable() || hardStateChanged() || log.hasNextCommitted();
    }

    @Override
    public Ready ready() {
        Invariants.check(outstanding == null, "ready() called again before advance()");
        if (broadcastPending) {
            broadcastPending = false;
            if (role == Role.LEADER) {
                bcastAppend();
            }
        }
        HardState hs = hardState();
        // One byte still hands out one entry: a short batch for the host to apply.
        long applyBytesMax = faults.fire(FaultPoints.Site.SHORT_APPLY) ? 1 : cfg.maxApplyBytesPerReady();
        List<LogEntry> committed = log.nextCommitted(applyBytesMax);
        // A membership change is applied only once the commit index covering it is durable. A
        // node that restarted with an older commit index would campaign in the configuration
        // before the change, whose outgoing members may be gone for good: the sharded simulator
        // found shards unable to elect after their leader died that way.
        boolean appliesConf = containsConfig(committed);
        HardState changed = hardStateChanged() || appliesConf ? hs : null;
        List<LogEntry> entries = log.unstableEntries();
        Snapshot snapshot = log.unstableSnapshot();
        boolean mustSync = !entries.isEmpty() || snapshot != null || appliesConf
                || (changed != null && hs.needsSyncAfter(prevHardState));
        Ready rd = new Ready(changed, snapshot, entries, mustSync, msgs, msgsAfterPersist, committed, readStates);
        msgs.clear();
        msgsAfterPersist.clear();
        readStates.clear();
        prevHardState = hs;
        outstanding = rd;
        return rd;
    }

    @Override
    public void advance(Ready rd) {
        Invariants.check(rd == outstanding, "advance() of a Ready that is not outstanding");
        outstanding = null;
        if (rd.snapshot() != null) {
            log.stableSnapshotTo(rd.snapshot().meta().index());
        }
        if (!rd.entries().isEmpty()) {
            LogEntry last = rd.entries().get(rd.entries().size() - 1);
            log.stableTo(last.index(), last.term());
        }
        if (!rd.committedEntries().isEmpty()) {
            for (LogEntry e : rd.committedEntries()) {
                if (e.type() == EntryType.CONFIG) {
                    applyConf(ConfState.decode(e.data()));
                }
            }
            log.appliedTo(rd.committedEntries().get(rd.committedEntries().size() - 1).index());
        }
        if (role == Role.LEADER) {
            Progress self = lead.progress(id);
            if (self != null) {
                self.match = Math.max(self.match, log.lastStableIndex());
                self.next = self.match + 1;
            }
            if (maybeCommit()) {
                broadcastPending = true;
            }
            maybeLeaveJoint();
        }
    }

    /**
     * On a leader, the highest index known to be replicated on {@code node} (0 if none yet);
     * -1 when this node does not lead or {@code node} is not a member. Hosts use it to promote a
     * learner only once it has caught up.
     */
    @Override
    public long matchIndex(NodeId node) {
        if (role != Role.LEADER) {
            return -1;
        }
        Progress pr = lead.progress(node);
        return pr == null ? -1 : pr.match;
    }

    @Override
    public Status status() {
        return new Status(id, role, term, leader, votedFor, log.committed(), log.applied(),
                log.lastIndex(), log.firstIndex(), conf);
    }
}
