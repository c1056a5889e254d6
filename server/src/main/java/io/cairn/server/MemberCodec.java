package io.cairn.server;

import io.cairn.api.proto.Member;
import io.cairn.api.proto.MemberState;
import io.cairn.common.NodeId;
import io.cairn.placement.Admission;
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

    static io.cairn.api.proto.ClusterParams toProto(Admission.Params p) {
        return io.cairn.api.proto.ClusterParams.newBuilder().setShardCount(p.shardCount())
                .setFounders(p.foundersSpec()).setFormatVersion(p.formatVersion()).build();
    }

    /** The parameters a peer sent; one that sent none or a malformed founders' list differs from every cluster. */
    static Admission.Params fromProto(io.cairn.api.proto.ClusterParams p) {
        java.util.SortedMap<NodeId, String> founders;
        try {
            founders = ClusterSpec.parse(p.getFounders()).addresses();
        } catch (IllegalArgumentException e) {
            founders = new java.util.TreeMap<>();
        }
        return new Admission.Params(Math.max(1, p.getShardCount()), founders, p.getFormatVersion());
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
