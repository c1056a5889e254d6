package io.cairn.raft;

import io.cairn.common.NodeId;
import java.util.ArrayDeque;
import java.util.ArrayList;

/** State only a leader has; it exists exactly while the node leads, so no other role can touch it. */
final class LeaderState {
    /** One entry per member (voters of both sets and learners, self included), sorted by id. */
    final ArrayList<Progress> progress = new ArrayList<>();
    /** No new membership change until this index is applied. */
    long pendingConfIndex;
    NodeId transferee;
    /** Set once TimeoutNow went out: another node may now win without waiting out our lease. */
    boolean leaseRevoked;
    /** Whether an entry of this term is committed; until then the commit index may be stale. */
    boolean committedInTerm;
    /** Last heartbeat round sent; a read waits for a round started after it arrived. */
    long readSeq;
    boolean readRoundInFlight;
    final ArrayDeque<PendingRead> pendingReads = new ArrayDeque<>();
    final ArrayDeque<PendingRead> readsBeforeCommit = new ArrayDeque<>();

    record PendingRead(long context, long index, long seq, NodeId requester) {}

    Progress progress(NodeId id) {
        for (int i = 0; i < progress.size(); i++) {
            Progress p = progress.get(i);
            if (p.id.equals(id)) {
                return p;
            }
        }
        return null;
    }

    void addProgress(Progress p) {
        int i = 0;
        while (i < progress.size() && progress.get(i).id.compareTo(p.id) < 0) {
            i++;
        }
        progress.add(i, p);
    }
}
