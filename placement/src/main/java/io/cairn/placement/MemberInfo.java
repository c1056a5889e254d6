package io.cairn.placement;

import io.cairn.common.NodeId;

/** A cluster member as the metadata group records it. */
public record MemberInfo(NodeId id, String address, String zone, State state) {
    public enum State {
        /** Takes replicas. */
        UP,
        /** Silent for longer than the dead-node timeout: its replicas are rebuilt elsewhere. */
        DEAD,
        /** Being decommissioned: its replicas move off. */
        LEAVING,
        /** Holds nothing; it may be stopped. */
        REMOVED
    }

    public MemberInfo {
        if (id == null || address == null || zone == null || state == null) {
            throw new IllegalArgumentException("member fields are required");
        }
    }

    public MemberInfo withState(State newState) {
        return new MemberInfo(id, address, zone, newState);
    }


}
