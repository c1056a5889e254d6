package io.cairn.server;

import io.cairn.api.proto.Member;
import io.cairn.api.proto.MemberState;
import io.cairn.common.NodeId;

/** A cluster member as the metadata group records it. */
record MemberInfo(NodeId id, String address, String zone, State state) {
    enum State {
        /** Takes replicas. */
        UP,
        /** Silent for longer than the dead-node timeout: its replicas are rebuilt elsewhere. */
        DEAD,
        /** Being decommissioned: its replicas move off. */
        LEAVING,
        /** Holds nothing; it may be stopped. */
        REMOVED
    }

    MemberInfo {
        if (id == null || address == null || zone == null || state == null) {
            throw new IllegalArgumentException("member fields are required");
        }
    }

    MemberInfo withState(State newState) {
        return new MemberInfo(id, address, zone, newState);
    }

    Member toProto() {
        return Member.newBuilder().setId(id.value()).setAddress(address).setZone(zone)
                .setState(switch (state) {
                    case UP -> MemberState.MEMBER_UP;
                    case DEAD -> MemberState.MEMBER_DEAD;
                    case LEAVING -> MemberState.MEMBER_LEAVING;
                    case REMOVED -> MemberState.MEMBER_REMOVED;
                }).build();
    }

    static MemberInfo fromProto(Member m) {
        State state = switch (m.getState()) {
            case MEMBER_UP -> State.UP;
            case MEMBER_DEAD -> State.DEAD;
            case MEMBER_LEAVING -> State.LEAVING;
            case MEMBER_REMOVED -> State.REMOVED;
            default -> throw new IllegalArgumentException("member n" + m.getId() + " has no state");
        };
        return new MemberInfo(NodeId.of(m.getId()), m.getAddress(), m.getZone(), state);
    }
}
