package io.cairn.placement;

import static org.assertj.core.api.Assertions.assertThat;

import io.cairn.common.NodeId;
import java.util.List;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/** Who may take part, as the metadata leader answers heartbeats. */
class AdmissionTest {
    private static final NodeId N1 = NodeId.of(1);
    private static final NodeId N4 = NodeId.of(4);

    private static Admission.Params params(int shards) {
        TreeMap<NodeId, String> founders = new TreeMap<>();
        founders.put(N1, "10.0.0.1:7401");
        return new Admission.Params(shards, founders, Admission.FORMAT_VERSION);
    }

    private static final List<MemberInfo> MEMBERS = List.of(
            new MemberInfo(N1, "10.0.0.1:7401", "", MemberInfo.State.UP),
            new MemberInfo(N4, "127.0.0.1:1", "", MemberInfo.State.UP));

    @Test
    void aNodeRunningAtAnotherAddressThanItsMembershipIsToldToStop() {
        Admission.HeartbeatVerdict v = Admission.answerHeartbeat(params(4), params(4), true, MEMBERS, N4, "10.0.0.4:7401");
        assertThat(v).isInstanceOfSatisfying(Admission.HeartbeatVerdict.Refuse.class,
                r -> assertThat(r.reason()).contains("n4 is a member at 127.0.0.1:1").contains("replace-node"));
    }

    @Test
    void aFounderListeningOnAWildcardAtItsFoundingAddressIsAnswered() {
        assertThat(Admission.answerHeartbeat(params(4), params(4), true, MEMBERS, N1, "0.0.0.0:7401"))
                .isInstanceOf(Admission.HeartbeatVerdict.Answer.class);
    }

    @Test
    void otherSettingsAreRefusedByTheLeaderAndIgnoredByOthers() {
        assertThat(Admission.answerHeartbeat(params(4), params(8), true, MEMBERS, N4, "127.0.0.1:1"))
                .isInstanceOfSatisfying(Admission.HeartbeatVerdict.Refuse.class,
                        r -> assertThat(r.reason()).contains("the cluster has 4 shards, the node was started with --shards 8"));
        assertThat(Admission.answerHeartbeat(params(4), params(8), false, MEMBERS, N4, "127.0.0.1:1"))
                .isInstanceOf(Admission.HeartbeatVerdict.Ignore.class);
    }
}
