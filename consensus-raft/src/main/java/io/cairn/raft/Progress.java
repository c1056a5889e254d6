package io.cairn.raft;

import io.cairn.common.NodeId;
import io.cairn.consensus.Snapshot;

/**
 * What a leader knows about one member's log. {@code match} is the highest index known to be
 * replicated there; {@code next} the next index to send. The state decides how to send:
 * <ul>
 *   <li>PROBE: position unknown, one append per heartbeat interval until one is accepted;</li>
 *   <li>REPLICATE: position known, appends are pipelined up to the inflight window;</li>
 *   <li>SNAPSHOT: the needed entries are compacted, a snapshot is streamed chunk by chunk.</li>
 * </ul>
 */
final class Progress {
    enum State { PROBE, REPLICATE, SNAPSHOT }

    final NodeId id;
    long match;
    long next;
    State state = State.PROBE;
    /** In PROBE: an append was sent this heartbeat interval and is unanswered. */
    boolean probeSent;
    final Inflights inflights;
    /** Heard from since the last CheckQuorum round. */
    boolean recentActive;
    /** Highest ReadIndex heartbeat round it acknowledged, and the leader tick that round left. */
    long ackedReadSeq;
    long ackedSentTick = Long.MIN_VALUE / 2;

    /** The snapshot being streamed in SNAPSHOT state, and the next byte to send. */
    Snapshot pendingSnapshot;
    long snapshotOffset;

    Progress(NodeId id, long next, int maxInflight) {
        this.id = id;
        this.next = next;
        this.inflights = new Inflights(maxInflight);
    }

    void becomeProbe() {
        if (state == State.SNAPSHOT) {
            long pending = pendingSnapshot.meta().index();
            next = Math.max(match + 1, pending + 1);
        } else {
            next = match + 1;
        }
        resetState(State.PROBE);
    }

    void becomeReplicate() {
        next = match + 1;
        resetState(State.REPLICATE);
    }

    void becomeSnapshot(Snapshot snapshot) {
        resetState(State.SNAPSHOT);
        pendingSnapshot = snapshot;
        snapshotOffset = 0;
    }

    private void resetState(State newState) {
        state = newState;
        probeSent = false;
        pendingSnapshot = null;
        snapshotOffset = 0;
        inflights.reset();
    }

    /** Whether no append may be sent now. */
    boolean paused() {
        return switch (state) {
            case PROBE -> probeSent;
            case REPLICATE -> inflights.full();
            case SNAPSHOT -> true;
        };
    }

    /** A successful append response for {@code index}; false if it is stale. */
    boolean maybeUpdate(long index) {
        boolean updated = false;
        if (match < index) {
            match = index;
            updated = true;
            probeSent = false;
        }
        next = Math.max(next, index + 1);
        return updated;
    }

    /**
     * A rejection of the append whose prevIndex was {@code rejected}; {@code probeFrom} is the
     * leader's guess of the last index both logs may share. False if the rejection is stale.
     */
    boolean maybeDecrTo(long rejected, long probeFrom) {
        if (rejected == next - 1 && probeFrom < match) {
            // The member rejects the very entry after which we are sending and has less than we
            // thought it had: its replica was dropped and recreated empty (a wiped log). Known
            // match only ever counts towards commits; lowering it is safe, and without it the
            // same append would be resent and rejected for ever.
            match = probeFrom;
            next = probeFrom + 1;
            probeSent = false;
            return true;
        }
        if (state == State.REPLICATE) {
            if (rejected <= match) {
                return false; // answers an append we already know succeeded past this point
            }
            next = match + 1;
            return true;
        }
        if (next - 1 != rejected) {
            return false; // answers an older probe, not the one in flight
        }
        next = Math.max(Math.min(rejected, probeFrom + 1), match + 1);
        probeSent = false;
        return true;
    }

    @Override
    public String toString() {
        return id + ":" + state + " match=" + match + " next=" + next;
    }
}
