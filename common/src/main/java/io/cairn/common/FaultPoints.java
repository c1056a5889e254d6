package io.cairn.common;

/**
 * Named places in production code where, under the simulator only, the code may take a rare
 * but legal path (FoundationDB's BUGGIFY), so that every simulation run exercises paths a real
 * machine takes seldom. Production passes {@link #NONE}: each site then costs one call the JIT
 * inlines to {@code false}.
 *
 * <p>A site must stay legal whichever way it goes: it may make the code slower or take more
 * steps, never break a rule the code promises.
 */
@FunctionalInterface
public interface FaultPoints {
    /** The sites; each names where it is and what the rare path is. */
    enum Site {
        /** {@code RaftNode.sendAppend}: a leader sends one entry though more would fit the message. */
        SHORT_APPEND,
        /** {@code RaftNode.ready}: a Ready hands the host one committed entry though more would fit. */
        SHORT_APPLY,
        /**
         * {@code RaftNode.handleAppend}: a follower does not keep an append that arrived ahead of
         * a gap (as if it had been lost), so the leader must find the gap and resend.
         */
        EARLY_APPEND_NOT_KEPT
    }

    /** Never fires: production. */
    FaultPoints NONE = site -> false;

    /** Whether the rare path at {@code site} is taken this time. */
    boolean fire(Site site);
}
