package io.cairn.client;

import java.util.List;
import java.util.Optional;

/**
 * The cluster as its members describe themselves: each member was asked for its own status.
 *
 * @param leaderId the leader's node id, 0 when no member reports being leader
 * @param term the highest term any member reported
 * @param members every member known from the configured endpoints and the members' own
 *     membership lists, by id (unknown ids, 0, last)
 */
public record ClusterStatus(long leaderId, long term, List<Member> members) {
    public ClusterStatus {
        members = List.copyOf(members);
    }

    /** What a member says of itself, or {@link Role#UNREACHABLE} when it did not answer. */
    public enum Role {
        LEADER, FOLLOWER, CANDIDATE, PRE_CANDIDATE,
        /** The member holds no replica of the group: in a sharded cluster, one outside the metadata group. */
        NONE,
        /** The member answered but did not describe itself in a way the client understood. */
        UNKNOWN,
        /** The member did not answer before the deadline; its numbers are 0. */
        UNREACHABLE
    }

    /**
     * One member's own report.
     *
     * @param id node id, 0 when unknown (a configured endpoint that never answered and that no
     *     member lists)
     * @param address host:port
     * @param role its role in the group
     * @param term its current term
     * @param commitIndex the highest log index it knows committed
     * @param appliedIndex the highest log index it has applied
     * @param error why it is unreachable; empty otherwise
     * @param httpAddress host:port of its /metrics, /health and /ready; empty when it serves no HTTP
     *     or did not answer
     */
    public record Member(long id, String address, Role role, long term, long commitIndex, long appliedIndex,
                         Optional<String> error, String httpAddress) {
        /** A member's report without an HTTP address. */
        public Member(long id, String address, Role role, long term, long commitIndex, long appliedIndex,
                      Optional<String> error) {
            this(id, address, role, term, commitIndex, appliedIndex, error, "");
        }
    }

    /** The leader's report, if a member reports being leader. */
    public Optional<Member> leader() {
        return members.stream().filter(m -> m.id() == leaderId && m.role() == Role.LEADER).findFirst();
    }
}
