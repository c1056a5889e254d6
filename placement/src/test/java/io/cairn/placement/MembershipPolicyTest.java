package io.cairn.placement;

import static org.assertj.core.api.Assertions.assertThat;

import io.cairn.common.NodeId;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

class MembershipPolicyTest {
    private static final long TIMEOUT_MILLIS = 30_000;

    private static MemberInfo up(int id) {
        return new MemberInfo(NodeId.of(id), "h:" + id, "", MemberInfo.State.UP);
    }

    private static List<MemberInfo> upNodes(int count) {
        return java.util.stream.IntStream.rangeClosed(1, count).mapToObj(MembershipPolicyTest::up).toList();
    }

    /** Liveness from silence per node; nodes in {@code empty} hold no replicas. */
    private static MembershipPolicy.Liveness liveness(Map<Integer, Long> silentMillis, Set<Integer> empty) {
        return new MembershipPolicy.Liveness() {
            @Override
            public long silentMillis(NodeId node) {
                return silentMillis.getOrDefault((int) node.value(), 0L);
            }

            @Override
            public boolean heardRecently(NodeId node) {
                return silentMillis(node) < 3_000;
            }

            @Override
            public boolean holdsNothing(NodeId node) {
                return empty.contains((int) node.value());
            }
        };
    }

    private static MembershipPolicy.Liveness allAlive() {
        return liveness(Map.of(), Set.of());
    }

    private static Optional<List<MemberInfo>> next(List<MemberInfo> stored, List<MemberInfo> joins, List<NodeId> leaves,
                                                   MembershipPolicy.Liveness liveness) {
        return MembershipPolicy.next(stored, upNodes(3), joins, List.of(), leaves, liveness, TIMEOUT_MILLIS);
    }

    private static Optional<List<MemberInfo>> replace(List<MemberInfo> stored, MemberInfo replacement,
                                                      MembershipPolicy.Liveness liveness) {
        return MembershipPolicy.next(stored, upNodes(3), List.of(), List.of(replacement), List.of(), liveness,
                TIMEOUT_MILLIS);
    }

    private static List<MemberInfo> with(List<MemberInfo> members, int id, MemberInfo.State state) {
        return members.stream().map(m -> m.id().value() == id ? m.withState(state) : m).toList();
    }

    private static MemberInfo.State stateOf(List<MemberInfo> members, int id) {
        return members.stream().filter(m -> m.id().value() == id).findFirst().orElseThrow().state();
    }

    @Test
    void anEmptyMembershipBecomesTheFounders() {
        assertThat(next(List.of(), List.of(), List.of(), allAlive())).contains(upNodes(3));
    }

    @Test
    void nothingChangesWhileEveryoneIsHeardFrom() {
        assertThat(next(upNodes(5), List.of(up(4)), List.of(), allAlive())).isEmpty();
    }

    @Test
    void aSilentNodeIsDeclaredDeadOnlyWhileThreeOthersStayUp() {
        Map<Integer, Long> silent = Map.of(5, TIMEOUT_MILLIS + 1);
        List<MemberInfo> after = next(upNodes(5), List.of(), List.of(), liveness(silent, Set.of())).orElseThrow();
        assertThat(stateOf(after, 5)).isEqualTo(MemberInfo.State.DEAD);

        Map<Integer, Long> twoSilent = Map.of(3, TIMEOUT_MILLIS + 1, 4, TIMEOUT_MILLIS + 1);
        List<MemberInfo> four = upNodes(4);
        List<MemberInfo> once = next(four, List.of(), List.of(), liveness(twoSilent, Set.of())).orElseThrow();
        assertThat(once.stream().filter(m -> m.state() == MemberInfo.State.DEAD)).hasSize(1);
        assertThat(next(once, List.of(), List.of(), liveness(twoSilent, Set.of()))).isEmpty();
    }

    @Test
    void aDeadNodeHeardFromAgainIsUp() {
        TreeMap<Integer, MemberInfo> m = new TreeMap<>();
        upNodes(4).forEach(x -> m.put((int) x.id().value(), x));
        m.put(4, up(4).withState(MemberInfo.State.DEAD));
        List<MemberInfo> after = next(List.copyOf(m.values()), List.of(), List.of(), allAlive()).orElseThrow();
        assertThat(stateOf(after, 4)).isEqualTo(MemberInfo.State.UP);
    }

    @Test
    void aLeavingNodeIsRemovedOnlyOnceItHoldsNothing() {
        List<MemberInfo> leaving = next(upNodes(4), List.of(), List.of(NodeId.of(4)), allAlive()).orElseThrow();
        assertThat(stateOf(leaving, 4)).isEqualTo(MemberInfo.State.LEAVING);
        assertThat(next(leaving, List.of(), List.of(NodeId.of(4)), allAlive())).isEmpty();
        List<MemberInfo> removed = next(leaving, List.of(), List.of(), liveness(Map.of(), Set.of(4))).orElseThrow();
        assertThat(stateOf(removed, 4)).isEqualTo(MemberInfo.State.REMOVED);
    }

    @Test
    void aJoinChangesOneNodeAtATime() {
        List<MemberInfo> joined = next(upNodes(3), List.of(up(5), up(4)), List.of(), allAlive()).orElseThrow();
        assertThat(joined).hasSize(4).contains(up(4));
    }

    /** Issue 12: `add-node n3=127.0.0.1:7499` for a live founder left n3 with a phantom unreachable voter. */
    @Test
    void aJoinThatWouldMoveAMembersIdToAnotherAddressIsNeverApplied() {
        MemberInfo moved = new MemberInfo(NodeId.of(2), "elsewhere:2", "", MemberInfo.State.UP);
        assertThat(next(upNodes(3), List.of(moved), List.of(), allAlive())).isEmpty();
        assertThat(next(with(upNodes(4), 2, MemberInfo.State.DEAD), List.of(moved), List.of(),
                liveness(Map.of(2, TIMEOUT_MILLIS * 2), Set.of())))
                .as("not for a dead member either: that is a replacement").isEmpty();
        MemberInfo sameAddress = new MemberInfo(NodeId.of(9), "h:2", "", MemberInfo.State.UP);
        assertThat(next(upNodes(3), List.of(sameAddress), List.of(), allAlive())).as("another id at n2's address").isEmpty();
    }

    @Test
    void aRemovedIdNeverComesBack() {
        List<MemberInfo> removed = with(upNodes(4), 4, MemberInfo.State.REMOVED);
        assertThat(next(removed, List.of(up(4)), List.of(), allAlive())).isEmpty();
        assertThat(replace(removed, new MemberInfo(NodeId.of(4), "new:4", "", MemberInfo.State.UP), allAlive())).isEmpty();
    }

    @Test
    void aReplacementMovesADeadIdOnlyOnceNoGroupCountsIt() {
        List<MemberInfo> dead = with(upNodes(5), 2, MemberInfo.State.DEAD);
        MemberInfo fresh = new MemberInfo(NodeId.of(2), "new:2", "", MemberInfo.State.UP);
        assertThat(replace(dead, fresh, liveness(Map.of(2, TIMEOUT_MILLIS * 2), Set.of()))).as("still a voter somewhere").isEmpty();
        assertThat(replace(dead, fresh, liveness(Map.of(2, TIMEOUT_MILLIS * 2), Set.of(2)))).hasValueSatisfying(
                next -> assertThat(next).contains(fresh));
        assertThat(replace(upNodes(5), fresh, liveness(Map.of(), Set.of(2)))).as("a live member is never replaced").isEmpty();
    }
}
