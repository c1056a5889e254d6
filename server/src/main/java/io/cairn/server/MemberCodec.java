package io.cairn.server;

import io.cairn.api.proto.Member;
import io.cairn.api.proto.MemberState;
import io.cairn.common.NodeId;
import io.cairn.placement.MemberInfo;

/** A member as the wire and the metadata group's store carry it. */
final class MemberCodec {
    private MemberCodec() {}

    static Member toProto(MemberInfo m) {
        return Member.newBuilder().setId(m.id().value()).setAddress(m.address()).setZone(m.zone())
                .setState(switch (m.state()) {
                    case UP -> MemberState.MEMBER_UP;
                    case DEAD -> MemberState.MEMBER_DEAD;
                    case LEAVING -> MemberState.MEMBER_LEAVING;
                    case REMOVED -> MemberState.MEMBER_REMOVED;
                }).build();
    }

    static MemberInfo fromProto(Member m) {
        MemberInfo.State state = switch (m.getState()) {
            case MEMBER_UP -> MemberInfo.State.UP;
            case MEMBER_DEAD -> MemberInfo.State.DEAD;
            case MEMBER_LEAVING -> MemberInfo.State.LEAVING;
            case MEMBER_REMOVED -> MemberInfo.State.REMOVED;
            default -> throw new IllegalArgumentException("member n" + m.getId() + " has no state");
        };
        return new MemberInfo(NodeId.of(m.getId()), m.getAddress(), m.getZone(), state);
    }
}
