package io.cairn.placement;

import io.cairn.common.NodeId;
import java.util.LinkedHashSet;
import java.util.List;

/**
 * Where a node sends its heartbeat to the metadata group, for the server and the simulator
 * alike. The group moves off dead nodes, so a node tries where the placement it knows puts the
 * group, then where the group started; after {@link #SILENT_BEATS_BEFORE_ASKING_EVERY_MEMBER}
 * beats without an answer from the group's leader its view may be too old to find the group,
 * and it asks every member it knows (any of them passes on a newer membership).
 */
public final class MetaContact {
    public static final int SILENT_BEATS_BEFORE_ASKING_EVERY_MEMBER = 5;

    private MetaContact() {}

    /**
     * The nodes to send a heartbeat to, in the order to try them, without duplicates.
     *
     * @param millisSinceServed time since the metadata group's leader last answered this node
     */
    public static List<NodeId> targets(Topology current, List<NodeId> founderMetaVoters, long millisSinceServed,
                                       long beatIntervalMillis) {
        LinkedHashSet<NodeId> out = new LinkedHashSet<>(current.replicasOf(ShardGroups.META_GROUP));
        out.addAll(founderMetaVoters);
        if (millisSinceServed > SILENT_BEATS_BEFORE_ASKING_EVERY_MEMBER * beatIntervalMillis) {
            out.addAll(current.members().keySet());
        }
        return List.copyOf(out);
    }
}
