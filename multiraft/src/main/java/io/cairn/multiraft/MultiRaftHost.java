package io.cairn.multiraft;

import io.cairn.common.Bytes;
import io.cairn.common.GroupId;
import io.cairn.common.Invariants;
import io.cairn.common.NodeId;
import io.cairn.consensus.ConsensusCore;
import io.cairn.consensus.ConsensusMessage;
import io.cairn.consensus.ProposeResult;
import io.cairn.consensus.Ready;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.TreeMap;

/**
 * Drives the consensus cores of all the groups one node hosts, from one thread. Each
 * {@link #handleReadies} round takes the Ready of every group that has one and turns the lot
 * into one {@link WalLogStore#persist} (one WAL append, at most one fsync, whatever the number
 * of groups), and into one batch per destination node for the messages of all groups
 * (heartbeats of a hundred groups to the same peer leave as one batch).
 *
 * <p>A round, for all groups with a Ready at once:
 * <ol>
 *   <li>send the messages that may leave before the persist (a leader's appends: followers
 *       write in parallel with the leader);</li>
 *   <li>persist every Ready with one call;</li>
 *   <li>send the messages that had to wait for the persist (votes, append acknowledgements);</li>
 *   <li>hand each Ready to the {@link Applier} (committed entries, snapshot, read states), then
 *       tell it the round's Readies are all handed over, so it can write what every group
 *       applied as one storage batch;</li>
 *   <li>advance each core.</li>
 * </ol>
 * An idle group costs one {@link ConsensusCore#tick} per tick and nothing per round.
 *
 * <p>Not thread-safe: one thread (the node's loop) calls everything. No clock, no threads, no
 * hash-ordered iteration: groups are visited in id order, so with deterministic cores and
 * outbox a round is deterministic, and the simulator can drive it.
 */
public final class MultiRaftHost {
    /** A message of one group, as the transport carries it. */
    public record Envelope(GroupId group, ConsensusMessage message) {}

    /** Where the messages of a round go: one call per destination node per step of a round. */
    public interface Outbox {
        void send(NodeId to, List<Envelope> batch);
    }

    /** Applies what a group's Ready hands to the state machine, after it is durable. */
    public interface Applier {
        void apply(GroupId group, Ready ready) throws IOException;

        /** After {@link #apply} of every Ready of a round, before any core advances. */
        default void roundApplied() throws IOException {}
    }

    /** What one {@link #handleReadies} round did. */
    public record Round(int groups, int entries, boolean synced) {
        public static final Round NONE = new Round(0, 0, false);
    }

    private final NodeId self;
    private final WalLogStore store;
    private final Outbox outbox;
    private final Applier applier;
    private final TreeMap<GroupId, ConsensusCore> groups = new TreeMap<>();
    private long droppedForUnknownGroup;

    public MultiRaftHost(NodeId self, WalLogStore store, Outbox outbox, Applier applier) {
        if (self == null || store == null || outbox == null || applier == null) {
            throw new IllegalArgumentException("self, store, outbox and applier are required");
        }
        this.self = self;
        this.store = store;
        this.outbox = outbox;
        this.applier = applier;
    }

    /**
     * Hosts {@code core}, whose log storage must be {@code store.group(group)}. A group is
     * added once; adding it again is a host bug.
     */
    public void addGroup(GroupId group, ConsensusCore core) {
        Invariants.check(store.group(group) != null, "group %s has no log in the store", group);
        ConsensusCore previous = groups.putIfAbsent(group, core);
        Invariants.check(previous == null, "group %s is already hosted", group);
    }

    /** Stops hosting {@code group}: its messages are dropped from now on. Its log stays. */
    public void removeGroup(GroupId group) {
        groups.remove(group);
    }

    public ConsensusCore group(GroupId group) {
        return groups.get(group);
    }

    /** The hosted groups, in id order. */
    public NavigableMap<GroupId, ConsensusCore> groups() {
        return Collections.unmodifiableNavigableMap(groups);
    }

    /** Messages for groups not hosted here (removed, or not yet created); Raft tolerates the loss. */
    public long droppedForUnknownGroup() {
        return droppedForUnknownGroup;
    }

    /** One tick for every group. */
    public void tick() {
        for (ConsensusCore core : groups.values()) {
            core.tick();
        }
    }

    /** Steps a message from a peer into its group; false (and counted) if the group is not hosted. */
    public boolean step(GroupId group, ConsensusMessage message) {
        Invariants.check(self.equals(message.to()), "message for %s stepped on %s", message.to(), self);
        ConsensusCore core = groups.get(group);
        if (core == null) {
            droppedForUnknownGroup++;
            return false;
        }
        core.step(message);
        return true;
    }

    /** Proposes {@code command} to {@code group}, which must be hosted. */
    public ProposeResult propose(GroupId group, Bytes command) {
        ConsensusCore core = groups.get(group);
        if (core == null) {
            throw new IllegalArgumentException("group " + group + " is not hosted on " + self);
        }
        return core.propose(command);
    }

    /** Runs rounds until no group has a Ready; returns what the last non-empty round did. */
    public Round handleReadies() throws IOException {
        Round last = Round.NONE;
        // Each round's advance can leave new work (a commit learned from a persist); bounded
        // because a round without new input makes the cores converge within a few rounds.
        for (int rounds = 0; rounds < ROUNDS_PER_CALL_MAX; rounds++) {
            Round r = round();
            if (r.groups() == 0) {
                break;
            }
            last = r;
        }
        return last;
    }

    /** Rounds per {@link #handleReadies} call, so new input is stepped between long bursts. */
    static final int ROUNDS_PER_CALL_MAX = 16;

    private Round round() throws IOException {
        List<WalLogStore.GroupReady> batch = new ArrayList<>();
        for (Map.Entry<GroupId, ConsensusCore> e : groups.entrySet()) {
            if (e.getValue().hasReady()) {
                batch.add(new WalLogStore.GroupReady(e.getKey(), e.getValue().ready()));
            }
        }
        if (batch.isEmpty()) {
            return Round.NONE;
        }
        send(batch, false);
        boolean synced = false;
        int entries = 0;
        for (WalLogStore.GroupReady gr : batch) {
            synced |= gr.ready().mustSync();
            entries += gr.ready().entries().size();
        }
        store.persist(batch);
        send(batch, true);
        for (WalLogStore.GroupReady gr : batch) {
            applier.apply(gr.group(), gr.ready());
        }
        applier.roundApplied();
        for (WalLogStore.GroupReady gr : batch) {
            groups.get(gr.group()).advance(gr.ready());
        }
        return new Round(batch.size(), entries, synced);
    }

    /** One outbox call per destination, carrying that node's messages of every group in the batch. */
    private void send(List<WalLogStore.GroupReady> batch, boolean afterPersist) {
        TreeMap<NodeId, List<Envelope>> byNode = new TreeMap<>();
        for (WalLogStore.GroupReady gr : batch) {
            List<ConsensusMessage> messages = afterPersist
                    ? gr.ready().messagesAfterPersist() : gr.ready().messages();
            for (ConsensusMessage m : messages) {
                byNode.computeIfAbsent(m.to(), k -> new ArrayList<>()).add(new Envelope(gr.group(), m));
            }
        }
        for (Map.Entry<NodeId, List<Envelope>> e : byNode.entrySet()) {
            outbox.send(e.getKey(), e.getValue());
        }
    }
}
