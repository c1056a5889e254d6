package io.cairn.sim;

import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.cairn.common.Bytes;
import io.cairn.common.NodeId;
import io.cairn.consensus.ConfState;
import io.cairn.consensus.ConsensusMessage;
import io.cairn.consensus.HardState;
import io.cairn.consensus.LogEntry;
import io.cairn.consensus.Ready;
import io.cairn.consensus.Role;
import io.cairn.consensus.Status;
import io.cairn.raft.RaftMessage;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Each invariant fires on a hand-made violation and stays quiet on the legal look-alike. */
class InvariantCheckerTest {
    private static final NodeId N1 = NodeId.of(1);
    private static final NodeId N2 = NodeId.of(2);
    private static final NodeId N3 = NodeId.of(3);

    private final InvariantChecker checker = new InvariantChecker();

    private static LogEntry entry(long index, long term, String data) {
        return LogEntry.normal(index, term, Bytes.utf8(data));
    }

    private static Status status(NodeId id, Role role, long term, long commit, long applied) {
        return new Status(id, role, term, null, null, commit, applied, 0, 0, ConfState.EMPTY);
    }

    private static Ready ready(List<LogEntry> entries, List<ConsensusMessage> early, HardState hs, boolean sync) {
        return new Ready(hs, null, entries, sync, early, List.of(), List.of(), List.of());
    }

    private void persist(NodeId node, LogEntry... entries) {
        checker.onEntriesPersisted(0, node, List.of(entries));
    }

    @Test
    void twoLeadersInOneTermViolateElectionSafety() {
        persist(N1, entry(1, 2, "noop"));
        persist(N2, entry(1, 2, "noop"));
        checker.observe(10, N1, status(N1, Role.LEADER, 2, 0, 0), 0);

        assertThatThrownBy(() -> checker.observe(20, N2, status(N2, Role.LEADER, 2, 0, 0), 0))
                .hasMessageContaining("Election Safety").hasMessageContaining("n1 and n2");
    }

    @Test
    void oneLeaderSeenManyTimesIsFine() {
        checker.observe(10, N1, status(N1, Role.LEADER, 2, 0, 0), 0);
        assertThatCode(() -> checker.observe(20, N1, status(N1, Role.LEADER, 2, 0, 0), 0)).doesNotThrowAnyException();
    }

    @Test
    void grantingTwoCandidatesInOneTermIsCaught() {
        checker.onSend(0, new RaftMessage.VoteResponse(N3, N1, 5, false, true));
        checker.onSend(1, new RaftMessage.VoteResponse(N3, N1, 5, false, true));
        checker.onSend(2, new RaftMessage.VoteResponse(N3, N2, 5, true, true));

        assertThatThrownBy(() -> checker.onSend(3, new RaftMessage.VoteResponse(N3, N2, 5, false, true)))
                .hasMessageContaining("Vote once per term").hasMessageContaining("n3");
    }

    @Test
    void sameEntryIdOverDifferentHistoriesViolatesLogMatching() {
        persist(N1, entry(1, 1, "a"), entry(2, 3, "b"));
        persist(N2, entry(1, 2, "x"));

        assertThatThrownBy(() -> persist(N2, entry(2, 3, "b")))
                .hasMessageContaining("Log Matching").hasMessageContaining("n2 holds entry 3/2");
    }

    @Test
    void twoEntriesWithOneIndexAndTermViolateLogMatching() {
        persist(N1, entry(1, 1, "a"));

        assertThatThrownBy(() -> persist(N2, entry(1, 1, "b"))).hasMessageContaining("Log Matching");
    }

    @Test
    void newLeaderWithoutACommittedEntryViolatesLeaderCompleteness() {
        persist(N1, entry(1, 1, "a"), entry(2, 1, "b"), entry(3, 1, "c"));
        checker.observe(10, N1, status(N1, Role.LEADER, 1, 3, 0), 0);
        persist(N2, entry(1, 1, "a"));

        assertThatThrownBy(() -> checker.observe(20, N2, status(N2, Role.LEADER, 2, 1, 0), 0))
                .hasMessageContaining("Leader Completeness").hasMessageContaining("committed index 3");
    }

    @Test
    void aLateLeaderOfAnOlderTermNeedNotHoldEntriesCommittedLater() {
        // n2 wins term 1 with votes that arrive after term 2 committed index 2: legal, it cannot commit.
        persist(N1, entry(1, 1, "a"), entry(2, 2, "b"));
        checker.observe(10, N1, status(N1, Role.LEADER, 2, 2, 0), 0);
        persist(N2, entry(1, 1, "a"));

        assertThatCode(() -> checker.observe(20, N2, status(N2, Role.LEADER, 1, 0, 0), 0)).doesNotThrowAnyException();
    }

    @Test
    void nodesApplyingDifferentEntriesAtOneIndexViolateStateMachineSafety() {
        persist(N1, entry(1, 1, "a"));
        persist(N2, entry(1, 2, "b"));
        checker.onApply(10, N1, entry(1, 1, "a"), 0);

        assertThatThrownBy(() -> checker.onApply(20, N2, entry(1, 2, "b"), 0))
                .hasMessageContaining("State Machine Safety");
    }

    @Test
    void applyingAnEntryThatWasNotPersistedIsCaught() {
        persist(N1, entry(1, 1, "a"));

        assertThatThrownBy(() -> checker.onApply(10, N1, entry(1, 1, "other"), 0))
                .hasMessageContaining("Apply persisted entries");
        assertThatThrownBy(() -> checker.onApply(10, N1, entry(2, 1, "a"), 0)).hasMessageContaining("Apply order");
    }

    @Test
    void leaderOverwritingItsOwnLogViolatesAppendOnly() {
        persist(N1, entry(1, 1, "a"), entry(2, 2, "b"));
        Status leader = status(N1, Role.LEADER, 2, 0, 0);

        assertThatThrownBy(() -> checker.beforePersist(10, N1, leader,
                ready(List.of(entry(2, 2, "changed")), List.of(), null, true), HardState.EMPTY))
                .hasMessageContaining("Leader Append-Only").hasMessageContaining("index 2");
        assertThatCode(() -> checker.beforePersist(10, N1, leader,
                ready(List.of(entry(3, 2, "new")), List.of(), null, true), HardState.EMPTY))
                .doesNotThrowAnyException();
    }

    @Test
    void aFollowerMayTruncateItsLog() {
        persist(N1, entry(1, 1, "a"), entry(2, 1, "b"));
        assertThatCode(() -> checker.beforePersist(10, N1, status(N1, Role.FOLLOWER, 2, 0, 0),
                ready(List.of(entry(2, 2, "c")), List.of(), null, true), HardState.EMPTY))
                .doesNotThrowAnyException();
    }

    @Test
    void aVoteSentBeforeItIsDurableIsCaught() {
        RaftMessage.VoteResponse vote = new RaftMessage.VoteResponse(N1, N2, 3, false, true);

        assertThatThrownBy(() -> checker.beforePersist(10, N1, status(N1, Role.FOLLOWER, 3, 0, 0),
                ready(List.of(), List.of(vote), new HardState(3, N2, 0), true), HardState.EMPTY))
                .hasMessageContaining("Persist before vote");
    }

    @Test
    void aTermChangeWithoutSyncIsCaught() {
        assertThatThrownBy(() -> checker.beforePersist(10, N1, status(N1, Role.FOLLOWER, 3, 0, 0),
                ready(List.of(), List.of(), new HardState(3, null, 0), false), HardState.EMPTY))
                .hasMessageContaining("Durability contract");
    }

    @Test
    void aCommitIndexBeyondThePersistedLogIsCaught() {
        persist(N1, entry(1, 1, "a"));

        assertThatThrownBy(() -> checker.observe(10, N1, status(N1, Role.FOLLOWER, 1, 2, 0), 0))
                .hasMessageContaining("Commit within persisted log");
    }

    @Test
    void aCommittedEntryThatChangesIsCaught() {
        persist(N1, entry(1, 1, "a"), entry(2, 1, "b"));
        checker.observe(10, N1, status(N1, Role.FOLLOWER, 1, 2, 0), 0);
        persist(N1, entry(2, 2, "replaced"));

        assertThatThrownBy(() -> checker.observe(20, N1, status(N1, Role.FOLLOWER, 2, 2, 0), 0))
                .hasMessageContaining("Committed entries never change");
    }

    @Test
    void aTermThatGoesBackIsCaught() {
        checker.observe(10, N1, status(N1, Role.FOLLOWER, 4, 0, 0), 0);

        assertThatThrownBy(() -> checker.observe(20, N1, status(N1, Role.FOLLOWER, 3, 0, 0), 0))
                .hasMessageContaining("Term monotonic");
    }

    @Test
    void replicasWithDifferentImagesAtOneIndexAreCaught() {
        checker.onImage(10, N1, 5, 111);
        checker.onImage(11, N2, 5, 111);

        assertThatThrownBy(() -> checker.onImage(12, N3, 5, 222)).hasMessageContaining("State machine determinism");
    }
}
