package io.cairn.sim;

import io.cairn.consensus.ConsensusMessage;

/** What a simulated node may do to the world around it; the simulation implements it. */
interface NodeEnv {
    /** True (virtual) time: what the node's monotonic clock and everything outside the node read. */
    long nowMicros();

    /**
     * What {@code node} reads as wall time now ({@link ClockSkew}): the clock a server stamps
     * entries with and judges expiry by. True time unless the run skews clocks.
     */
    default long wallMicros(io.cairn.common.NodeId node) {
        return nowMicros();
    }

    /** Sends a Raft message through the faulty network. */
    void send(ConsensusMessage message);

    /** Answers a client through the faulty network. */
    void reply(int fromNode, int clientAddress, ClientReply reply);

    /** The CRASHREADY fault's coin: crash after sending a Ready's messages, before persisting it? */
    boolean crashBeforePersist();

    /**
     * The CRASHREADY fault's second coin: crash a leader right after a Ready that advanced its
     * commit index? That is the moment a wrongly committed entry (Raft's figure 8) is exposed:
     * the leader is gone before its own term's entries reach a quorum.
     */
    boolean crashAfterCommit();

    /**
     * The CRASHREADY fault's third coin: crash the machine in place of the fsync of a Ready's
     * persist, so its unsynced writes come back torn? Drawn only for Readies that sync.
     */
    boolean crashDuringPersist();

    /**
     * Whether this node is a whole process that may stall (the PAUSE fault in a single-group run):
     * then it ticks by the server loop's schedule itself and trusts its lease as the loop does.
     */
    default boolean stalls() {
        return false;
    }

    /** The PAUSE fault's coin for a Ready that syncs: how long its fsync takes (0: no time at all). */
    default long slowSyncMicros() {
        return 0;
    }

    /** {@code node} stalled in a slow fsync; the simulation resumes it when the stall ends. */
    default void stalled(SimNode node) {}

    /**
     * Whether a LEASE read may use the lease now, where the node's host keeps the tick schedule
     * (sharded runs: one loop ticks all of a host's replicas). True where processes never stall.
     */
    default boolean leaseTrusted() {
        return true;
    }

    /**
     * {@code request}'s write was stopped by another transaction's intent ({@code locked}); it
     * changed nothing. {@code answer} answers the client, as the node decides: by default with the
     * conflict itself; a sharded host follows the server's rule ({@code IntentMeeting}).
     */
    default void intentMet(ClientRequest request, io.cairn.kv.state.Result.Locked locked, long nowMillis,
                           java.util.function.BiConsumer<ClientReply.Outcome, io.cairn.sim.kv.OpResult> answer) {
        answer.accept(ClientReply.Outcome.OK, request.op().answer(locked));
    }

    InvariantChecker checker();

    /** A context for readIndex, unique across nodes and incarnations. */
    long nextReadContext();

    /** The node crashed on its own (CRASHREADY); the simulation schedules its restart. */
    void crashed(SimNode node);

    Coverage coverage();

    /** The run's fault points, which the production code the node runs consults. */
    io.cairn.common.FaultPoints faultPoints();

    /** Folds something that happened inside an event into the digest (and the trace). */
    void note(String text);

    /**
     * {@code node} applied entries {@code fromIndex..toIndex}, which changed user keys as
     * {@code events} say (what its watchers are told). Every node must say the same of an index.
     */
    default void watchEvents(io.cairn.common.NodeId node, long fromIndex, long toIndex,
                             java.util.List<io.cairn.kv.state.WatchEvent> events) {}
}
