package io.cairn.consensus;

import io.cairn.common.Bytes;
import io.cairn.common.NodeId;
import java.nio.ByteBuffer;
import java.util.Collection;
import java.util.Collections;
import java.util.SortedSet;
import java.util.TreeSet;

/**
 * A membership configuration. {@code voters} is the incoming (or only) voter set;
 * {@code votersOutgoing} is non-empty exactly while a joint-consensus change is in progress,
 * and then every decision needs a majority of both sets. {@code learners} receive the log but
 * never vote or count towards a quorum. A node is in at most one of voters and learners.
 * Sets are sorted so iteration is deterministic.
 */
public record ConfState(SortedSet<NodeId> voters, SortedSet<NodeId> votersOutgoing,
                        SortedSet<NodeId> learners) {
    public static final ConfState EMPTY = new ConfState(new TreeSet<>(), new TreeSet<>(), new TreeSet<>());

    public ConfState {
        voters = Collections.unmodifiableSortedSet(new TreeSet<>(voters));
        votersOutgoing = Collections.unmodifiableSortedSet(new TreeSet<>(votersOutgoing));
        learners = Collections.unmodifiableSortedSet(new TreeSet<>(learners));
        for (NodeId learner : learners) {
            if (voters.contains(learner)) {
                throw new IllegalArgumentException(learner + " is both voter and learner");
            }
        }
    }

    public static ConfState ofVoters(Collection<NodeId> voters) {
        return new ConfState(new TreeSet<>(voters), new TreeSet<>(), new TreeSet<>());
    }

    public static ConfState ofVoters(NodeId... voters) {
        return ofVoters(java.util.Arrays.asList(voters));
    }

    public boolean isJoint() {
        return !votersOutgoing.isEmpty();
    }

    /** Whether the node may vote or stand for election under this configuration. */
    public boolean isVoter(NodeId id) {
        return voters.contains(id) || votersOutgoing.contains(id);
    }

    public boolean isLearner(NodeId id) {
        return learners.contains(id) && !votersOutgoing.contains(id);
    }

    /** Every node that receives the log: voters of both sets and learners, sorted. */
    public SortedSet<NodeId> members() {
        TreeSet<NodeId> all = new TreeSet<>(voters);
        all.addAll(votersOutgoing);
        all.addAll(learners);
        return all;
    }

    public Bytes encode() {
        ByteBuffer buf = ByteBuffer.allocate(12 + 8 * (voters.size() + votersOutgoing.size() + learners.size()));
        for (SortedSet<NodeId> set : java.util.List.of(voters, votersOutgoing, learners)) {
            buf.putInt(set.size());
            for (NodeId id : set) {
                buf.putLong(id.value());
            }
        }
        return Bytes.wrap(buf.array());
    }

    public static ConfState decode(Bytes data) {
        ByteBuffer buf = ByteBuffer.wrap(data.toArray());
        @SuppressWarnings("unchecked")
        TreeSet<NodeId>[] sets = new TreeSet[3];
        for (int s = 0; s < 3; s++) {
            int n = buf.getInt();
            if (n < 0 || n > buf.remaining() / 8) {
                throw new IllegalArgumentException("corrupt configuration encoding");
            }
            sets[s] = new TreeSet<>();
            for (int i = 0; i < n; i++) {
                sets[s].add(NodeId.of(buf.getLong()));
            }
        }
        return new ConfState(sets[0], sets[1], sets[2]);
    }

    @Override
    public String toString() {
        return "voters=" + voters + (isJoint() ? "&&" + votersOutgoing : "")
                + (learners.isEmpty() ? "" : " learners=" + learners);
    }
}
