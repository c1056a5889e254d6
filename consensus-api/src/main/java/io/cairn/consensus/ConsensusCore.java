package io.cairn.consensus;

import io.cairn.common.NodeId;

/**
 * One node's view of one consensus group, as a pure state machine: calls go in, a
 * {@link Ready} comes out. It never blocks, starts threads, reads a clock or touches a disk or
 * network; time is the count of {@link #tick()} calls and randomness comes from the source it was
 * built with. It is not thread-safe: one host thread drives it.
 *
 * <p>Host duties, in a loop:
 * <ol>
 *   <li>call {@link #tick()} at a fixed interval and {@link #step} for every message received;</li>
 *   <li>submit work with {@link #propose}, {@link #proposeConfChange}, {@link #readIndex},
 *       {@link #transferLeadership};</li>
 *   <li>when {@link #hasReady()}, take {@link #ready()}, do it as {@link Ready} describes, then
 *       {@link #advance(Ready)}. At most one Ready is outstanding at a time; step and tick may be
 *       called while it is.</li>
 * </ol>
 */
public interface ConsensusCore {
    /** Advances logical time by one tick: election and heartbeat timers. */
    void tick();

    /** Handles a message from another member of the group. Stale and foreign messages are ignored. */
    void step(ConsensusMessage message);

    /** Appends a command to the log if this node leads. */
    ProposeResult propose(io.cairn.common.Bytes command);

    /** Starts a membership change by joint consensus. Invalid changes throw IllegalArgumentException. */
    ProposeResult proposeConfChange(ConfChange change);

    /**
     * Asks for a linearizable read. When confirmed, a {@link ReadState} with this context appears
     * in a later Ready. On a follower the request is forwarded to the leader. A request may be
     * lost with a leader change; hosts time reads out.
     */
    ProposeResult readIndex(long context, ReadMode mode);

    /** Asks the leader to hand leadership to {@code target}. Ignored when not leader. */
    void transferLeadership(NodeId target);

    boolean hasReady();

    Ready ready();

    void advance(Ready ready);

    Status status();

    /**
     * On a leader, the highest log index known to be replicated on {@code node} (0 if none yet);
     * -1 when this node does not lead or {@code node} is not a member. Hosts promote a learner only
     * once it has caught up.
     */
    long matchIndex(NodeId node);
}
