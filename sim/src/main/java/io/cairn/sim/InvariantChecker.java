package io.cairn.sim;

import io.cairn.common.NodeId;
import io.cairn.consensus.ConsensusMessage;
import io.cairn.consensus.EntryId;
import io.cairn.consensus.HardState;
import io.cairn.consensus.LogEntry;
import io.cairn.consensus.Ready;
import io.cairn.consensus.Role;
import io.cairn.consensus.SnapshotMeta;
import io.cairn.consensus.Status;
import io.cairn.raft.RaftMessage;
import java.util.HashMap;
import java.util.List;
import java.util.TreeMap;

/**
 * Checks Raft's safety properties (Raft paper, figure 3) and the host contract after every
 * event, from what the hosts tell it: statuses, persisted Readies, applied entries, sent votes.
 * A violation throws {@link InvariantFailure} naming the invariant, the virtual time, the nodes
 * and the indexes.
 *
 * <p>Logs are compared by chain hash: h[i] = mix(h[i-1], entry i), so equal hashes at an index
 * mean equal logs up to it. The hash at a snapshot's index travels inside the snapshot, so a node
 * that installs one continues the chain. The hash maps here are only looked up, never iterated,
 * so their order cannot leak into a run.
 */
public final class InvariantChecker {
    private static final long UNKNOWN = Long.MIN_VALUE;

    private record VoteKey(NodeId voter, long term) {}

    private final TreeMap<Long, NodeId> leaderByTerm = new TreeMap<>();
    private final HashMap<EntryId, Long> chainByEntry = new HashMap<>();
    /** Slot i-1: the chain hash of committed index i, or UNKNOWN when no reporter held it. */
    private final LongList committedChain = new LongList();
    /**
     * Slot i-1: a term by which index i was certainly committed (the term of a node that first
     * reported it committed, lowered by later reports); non-decreasing in i.
     */
    private final LongList committedByTerm = new LongList();
    /** Slot i-1: hash of the entry applied at index i by the first node that applied it. */
    private final LongList appliedEntry = new LongList();
    private final HashMap<Long, Long> imageByIndex = new HashMap<>();
    private final HashMap<VoteKey, NodeId> votes = new HashMap<>();
    private final TreeMap<NodeId, ShadowLog> shadows = new TreeMap<>();
    private final TreeMap<NodeId, Long> lastTerms = new TreeMap<>();

    /**
     * A node's replica of this group was dropped and its disk wiped; a later replica on the same
     * node starts blank, at term 0 and with an empty log. Its votes stay recorded: voting twice
     * in a term stays a violation, even across a wipe.
     */
    public void onWiped(NodeId node) {
        shadows.remove(node);
        lastTerms.remove(node);
    }

    /** The highest index any node reported committed. */
    public long committedIndex() {
        return committedByTerm.size();
    }

    /** The chain hash of the node's persisted log at {@code index}, which it must hold. */
    public long chainAt(NodeId node, long index) {
        ShadowLog log = shadow(node);
        if (!log.holds(index)) {
            throw new IllegalStateException(node + " does not hold index " + index + " (base "
                    + log.baseIndex() + ", last " + log.lastIndex() + ")");
        }
        return log.chainAt(index);
    }

    private ShadowLog shadow(NodeId node) {
        return shadows.computeIfAbsent(node, n -> new ShadowLog());
    }

    /** Vote once per term: record every granted real vote a node sends, across restarts. */
    public void onSend(long now, ConsensusMessage message) {
        if (!(message instanceof RaftMessage.VoteResponse vote) || !vote.granted() || vote.preVote()) {
            return;
        }
        NodeId earlier = votes.putIfAbsent(new VoteKey(vote.from(), vote.term()), vote.to());
        if (earlier != null && !earlier.equals(vote.to())) {
            throw new InvariantFailure("Vote once per term", now, vote.from() + " granted its term-"
                    + vote.term() + " vote to " + earlier + " and then to " + vote.to());
        }
    }

    /**
     * Checks a Ready before the host persists it: durability (what must survive a crash is
     * synced), no vote or acknowledgement leaves before it is durable, and Leader Append-Only.
     */
    public void beforePersist(long now, NodeId node, Status status, Ready ready, HardState diskHardState) {
        checkSyncFlag(now, node, ready, diskHardState);
        checkEarlyMessages(now, node, ready, diskHardState);
        if (status.role() == Role.LEADER) {
            checkLeaderAppendOnly(now, node, status, ready);
        }
    }

    private void checkSyncFlag(long now, NodeId node, Ready ready, HardState diskHardState) {
        boolean termOrVote = ready.hardState() != null && ready.hardState().needsSyncAfter(diskHardState);
        boolean needsSync = ready.snapshot() != null || !ready.entries().isEmpty() || termOrVote;
        if (needsSync && !ready.mustSync()) {
            throw new InvariantFailure("Durability contract", now, node + " Ready has "
                    + (termOrVote ? "a term/vote change " + ready.hardState() : "entries or a snapshot")
                    + " but mustSync is false");
        }
    }

    /** messages() leave before persistence, so they must not promise anything this Ready persists. */
    private void checkEarlyMessages(long now, NodeId node, Ready ready, HardState diskHardState) {
        ShadowLog log = shadow(node);
        for (ConsensusMessage m : ready.messages()) {
            if (m instanceof RaftMessage.VoteResponse v && v.granted() && !v.preVote()
                    && !(diskHardState.term() == v.term() && v.to().equals(diskHardState.votedFor()))) {
                throw new InvariantFailure("Persist before vote", now, node + " sends " + v
                        + " in messages() before the vote is durable (disk: " + diskHardState + ")");
            }
            if (m instanceof RaftMessage.AppendResponse a && !a.reject() && a.index() > log.lastIndex()) {
                throw new InvariantFailure("Persist before acknowledge", now, node + " sends " + a
                        + " in messages() but has persisted only up to index " + log.lastIndex());
            }
        }
    }

    private void checkLeaderAppendOnly(long now, NodeId node, Status status, Ready ready) {
        if (ready.snapshot() != null) {
            throw new InvariantFailure("Leader Append-Only", now, node + ", leader of term " + status.term()
                    + ", would replace its log with snapshot " + ready.snapshot().meta());
        }
        ShadowLog log = shadow(node);
        for (LogEntry e : ready.entries()) {
            if (log.holds(e.index()) && e.index() > log.baseIndex() && log.entryHashAt(e.index()) != Hashing.ofEntry(e)) {
                throw new InvariantFailure("Leader Append-Only", now, node + ", leader of term " + status.term()
                        + ", would overwrite index " + e.index() + " (term " + log.termAt(e.index()) + ") with " + e);
            }
        }
        if (!ready.entries().isEmpty()) {
            long newLast = ready.entries().get(ready.entries().size() - 1).index();
            if (newLast < log.lastIndex()) {
                throw new InvariantFailure("Leader Append-Only", now, node + ", leader of term " + status.term()
                        + ", would truncate its log from index " + (newLast + 1) + " (last " + log.lastIndex() + ")");
            }
        }
    }

    /** The host persisted a snapshot from the leader; {@code chain} came inside it. */
    public void onSnapshotPersisted(long now, NodeId node, SnapshotMeta meta, long chain) {
        shadow(node).resetTo(meta.index(), meta.term(), chain);
        checkLogMatching(now, node, new EntryId(meta.term(), meta.index()), chain);
        long committed = committedChainAt(meta.index());
        if (committed != UNKNOWN && committed != chain) {
            throw new InvariantFailure("Committed entries never change", now, node + " installed snapshot "
                    + meta + " whose log differs from the committed log at index " + meta.index());
        }
    }

    /** The host persisted entries: an entry at an index already stored replaces it and its suffix. */
    public void onEntriesPersisted(long now, NodeId node, List<LogEntry> entries) {
        ShadowLog log = shadow(node);
        for (LogEntry e : entries) {
            log.write(e);
            checkLogMatching(now, node, e.id(), log.chainAt(e.index()));
        }
    }

    /**
     * A node's log as its store recovered it after a crash: every entry it persisted before must
     * be there unchanged, from its last snapshot on. The machine may have crashed in the middle
     * of persisting {@code inDoubt} (a torn write): then any prefix of those entries may have
     * survived, replacing what they overwrite, and the shadow takes what did.
     *
     * @return how many of {@code inDoubt} survived
     */
    public int onRecovered(long now, NodeId node, io.cairn.consensus.LogStorage recovered, List<LogEntry> inDoubt) {
        ShadowLog log = shadow(node);
        long snapshotIndex = recovered.firstIndex() - 1;
        if (snapshotIndex != log.baseIndex()) {
            throw new InvariantFailure("Persisted state survives a crash", now, node + " recovered a log after snapshot "
                    + snapshotIndex + ", but its last persisted snapshot or compaction was at " + log.baseIndex());
        }
        long firstInDoubt = inDoubt.isEmpty() ? Long.MAX_VALUE : inDoubt.get(0).index();
        long last = recovered.lastIndex();
        int survived = 0;
        for (long i = log.baseIndex() + 1; i <= Math.max(last, log.lastIndex()); i++) {
            LogEntry found = i <= last ? recovered.entries(i, i + 1, Long.MAX_VALUE).get(0) : null;
            LogEntry doubted = i >= firstInDoubt && i - firstInDoubt < inDoubt.size() ? inDoubt.get((int) (i - firstInDoubt)) : null;
            if (found != null && doubted != null && Hashing.ofEntry(found) == Hashing.ofEntry(doubted)) {
                log.write(found); // replaces the suffix it overwrote, as the store's replay did
                checkLogMatching(now, node, found.id(), log.chainAt(i));
                survived++;
                continue;
            }
            boolean persisted = i <= log.lastIndex();
            if (found == null && persisted || found != null && (!persisted || log.entryHashAt(i) != Hashing.ofEntry(found))) {
                throw new InvariantFailure("Persisted state survives a crash", now, node + " recovered "
                        + (found == null ? "no entry" : found.id().toString()) + " at index " + i + " where it had persisted "
                        + (persisted ? "term " + log.termAt(i) : "nothing") + " (recovered log " + recovered.firstIndex()
                        + ".." + last + ", persisted " + (log.baseIndex() + 1) + ".." + log.lastIndex()
                        + (inDoubt.isEmpty() ? "" : ", a write of " + inDoubt.size() + " entries from " + firstInDoubt + " torn") + ")");
            }
        }
        return survived;
    }

    /** Log Matching: two logs with an entry of the same index and term are identical up to it. */
    private void checkLogMatching(long now, NodeId node, EntryId id, long chain) {
        Long earlier = chainByEntry.putIfAbsent(id, chain);
        if (earlier != null && earlier != chain) {
            throw new InvariantFailure("Log Matching", now, node + " holds entry " + id
                    + " but its log up to index " + id.index() + " differs from another node's that holds the same entry");
        }
    }

    public void onCompacted(long now, NodeId node, long index) {
        shadow(node).compact(index);
    }

    /** A state machine image at {@code index}: every replica's image at an index must be equal. */
    public void onImage(long now, NodeId node, long index, long digest) {
        Long earlier = imageByIndex.putIfAbsent(index, digest);
        if (earlier != null && earlier != digest) {
            throw new InvariantFailure("State machine determinism", now, node
                    + "'s state machine image at index " + index + " differs from another replica's");
        }
    }

    /** The host installed a snapshot into its state machine, which had applied {@code appliedBefore}. */
    public void onInstall(long now, NodeId node, long index, long appliedBefore) {
        if (index <= appliedBefore) {
            throw new InvariantFailure("Apply order", now, node + " was handed snapshot at index " + index
                    + " but has already applied up to " + appliedBefore);
        }
    }

    /** State Machine Safety: every node that applies index i applies the same entry. */
    public void onApply(long now, NodeId node, LogEntry entry, long appliedBefore) {
        long index = entry.index();
        if (index != appliedBefore + 1) {
            throw new InvariantFailure("Apply order", now, node + " applies index " + index
                    + " after applying up to " + appliedBefore);
        }
        long hash = Hashing.ofEntry(entry);
        ShadowLog log = shadow(node);
        if (!log.holds(index) || index == log.baseIndex() || log.entryHashAt(index) != hash) {
            throw new InvariantFailure("Apply persisted entries", now, node + " applies " + entry
                    + " which is not the entry it persisted at index " + index);
        }
        if (index > appliedEntry.size() + 1) {
            while (appliedEntry.size() < index - 1) {
                appliedEntry.add(UNKNOWN);
            }
        }
        if (index == appliedEntry.size() + 1) {
            appliedEntry.add(hash);
        } else if (appliedEntry.get((int) index - 1) == UNKNOWN) {
            appliedEntry.set((int) index - 1, hash);
        } else if (appliedEntry.get((int) index - 1) != hash) {
            throw new InvariantFailure("State Machine Safety", now, node + " applies " + entry + " at index "
                    + index + " where another node applied a different entry");
        }
    }

    /**
     * After every event that touched a live node: terms never go back, commit and apply stay
     * within the persisted log, committed prefixes agree, at most one leader per term, and a new
     * leader holds every entry committed before its term.
     */
    /** Returns whether the node just became leader of a new term. */
    public boolean observe(long now, NodeId node, Status status, long hostApplied) {
        checkTermMonotonic(now, node, status);
        checkCommitWithinLog(now, node, status, hostApplied);
        recordCommit(now, node, status);
        return status.role() == Role.LEADER && observeLeader(now, node, status);
    }

    private void checkTermMonotonic(long now, NodeId node, Status status) {
        Long previous = lastTerms.put(node, status.term());
        if (previous != null && status.term() < previous) {
            throw new InvariantFailure("Term monotonic", now, node + " went from term " + previous
                    + " back to " + status.term());
        }
    }

    private void checkCommitWithinLog(long now, NodeId node, Status status, long hostApplied) {
        ShadowLog log = shadow(node);
        if (status.commitIndex() > log.lastIndex()) {
            throw new InvariantFailure("Commit within persisted log", now, node + " has commit index "
                    + status.commitIndex() + " beyond its persisted last index " + log.lastIndex());
        }
        if (hostApplied > status.commitIndex()) {
            throw new InvariantFailure("Apply only committed entries", now, node + " applied up to "
                    + hostApplied + " but its commit index is " + status.commitIndex());
        }
        if (status.appliedIndex() != hostApplied) {
            throw new InvariantFailure("Applied index agreement", now, node + " engine reports applied index "
                    + status.appliedIndex() + " but its host applied up to " + hostApplied);
        }
    }

    private void recordCommit(long now, NodeId node, Status status) {
        ShadowLog log = shadow(node);
        long commit = status.commitIndex();
        long previousMax = committedIndex();
        for (long i = previousMax + 1; i <= commit; i++) {
            committedChain.add(log.holds(i) ? log.chainAt(i) : UNKNOWN);
            committedByTerm.add(status.term());
        }
        // This node knows `commit` is committed in its term, so it was committed by that term.
        for (long i = Math.min(commit, previousMax); i >= 1 && committedByTerm.get((int) i - 1) > status.term(); i--) {
            committedByTerm.set((int) i - 1, status.term());
        }
        if (commit > 0 && log.holds(commit)) {
            long expected = committedChainAt(commit);
            if (expected != UNKNOWN && log.chainAt(commit) != expected) {
                throw new InvariantFailure("Committed entries never change", now, node + " has commit index "
                        + commit + " (term " + status.term() + ") but its log up to there differs from the log first reported committed there");
            }
        }
    }

    private long committedChainAt(long index) {
        return index >= 1 && index <= committedIndex() ? committedChain.get((int) index - 1) : UNKNOWN;
    }

    private boolean observeLeader(long now, NodeId node, Status status) {
        NodeId earlier = leaderByTerm.putIfAbsent(status.term(), node);
        if (earlier == null) {
            checkLeaderCompleteness(now, node, status.term());
            return true;
        }
        if (!earlier.equals(node)) {
            throw new InvariantFailure("Election Safety", now, "term " + status.term() + " has two leaders: "
                    + earlier + " and " + node);
        }
        return false;
    }

    /** A new leader of {@code term} must hold every entry committed in an earlier term. */
    private void checkLeaderCompleteness(long now, NodeId node, long term) {
        long index = lastCommittedBefore(term);
        while (index > 0 && committedChain.get((int) index - 1) == UNKNOWN) {
            index--;
        }
        if (index == 0) {
            return;
        }
        ShadowLog log = shadow(node);
        if (index < log.baseIndex()) {
            return;
        }
        if (index > log.lastIndex()) {
            throw new InvariantFailure("Leader Completeness", now, node + " became leader of term " + term
                    + " but its log ends at " + log.lastIndex() + ", before committed index " + index);
        }
        if (log.chainAt(index) != committedChain.get((int) index - 1)) {
            throw new InvariantFailure("Leader Completeness", now, node + " became leader of term " + term
                    + " but its log up to committed index " + index + " (its term there: " + log.termAt(index)
                    + ") differs from the committed log");
        }
    }

    /** The highest index committed in a term below {@code term}; 0 if none. */
    private long lastCommittedBefore(long term) {
        int lo = 0;
        int hi = committedByTerm.size();
        while (lo < hi) {
            int mid = (lo + hi) >>> 1;
            if (committedByTerm.get(mid) < term) {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        return lo;
    }

    /** Who led each term, for reports. */
    public String leaders() {
        return leaderByTerm.toString();
    }
}
