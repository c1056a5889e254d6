package io.cairn.client;

import java.util.List;
import java.util.Optional;

/**
 * The cluster's membership as the metadata leader knows it.
 *
 * @param epoch the membership's version; grows with every change
 * @param shardsUnreported shards whose leader has not reported lately, so the counts may miss them
 */
public record Members(long epoch, int shardCount, List<Member> members, int shardsUnreported) {
    public Members {
        members = List.copyOf(members);
    }

    public enum State { UP, DEAD, LEAVING, REMOVED }

    /**
     * @param replicas shards whose leader last reported this node among its replicas
     * @param leads shards this node leads
     * @param heardRecently whether the metadata leader heard from it within the last few seconds
     */
    public record Member(long id, String address, String zone, State state, int replicas, int leads,
                         boolean heardRecently) {}

    public Optional<Member> member(long id) {
        return members.stream().filter(m -> m.id() == id).findFirst();
    }
}
