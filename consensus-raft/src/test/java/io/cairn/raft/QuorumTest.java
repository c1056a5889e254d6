package io.cairn.raft;

import static org.assertj.core.api.Assertions.assertThat;

import io.cairn.common.NodeId;
import io.cairn.consensus.ConfState;
import io.cairn.raft.Quorum.VoteResult;
import java.util.List;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The majority arithmetic as tables, in the spirit of etcd-raft's quorum tests: each row is a
 * configuration (incoming voters, outgoing voters, learners), what the members reported, and
 * the expected outcome. Commits, elections, CheckQuorum and lease reads all rest on these three
 * functions, and their edges (even sets, ties, joint sets that disagree, empty sets, learners)
 * are where a slip would not show in a three-node cluster.
 *
 * <p>Sets are written as ids separated by spaces ({@code ""} is the empty set); reports as
 * {@code id=value}, a member missing from them has reported nothing (match 0, no vote).
 */
class QuorumTest {
    record CommitRow(String voters, String outgoing, String learners, String match, long committed) {
        @Override
        public String toString() {
            return describe(voters, outgoing, learners) + " match=(" + match + ") -> " + committed;
        }
    }

    record VoteRow(String voters, String outgoing, String learners, String votes, VoteResult result) {
        @Override
        public String toString() {
            return describe(voters, outgoing, learners) + " votes=(" + votes + ") -> " + result;
        }
    }

    record ActiveRow(String voters, String outgoing, String learners, String active, boolean quorum) {
        @Override
        public String toString() {
            return describe(voters, outgoing, learners) + " active=(" + active + ") -> " + quorum;
        }
    }

    private static final long ANY = Long.MAX_VALUE;

    static final List<CommitRow> COMMIT_ROWS = List.of(
            // A single voter commits what it has.
            new CommitRow("1", "", "", "", 0),
            new CommitRow("1", "", "", "1=7", 7),
            // Two voters need both.
            new CommitRow("1 2", "", "", "1=5 2=3", 3),
            new CommitRow("1 2", "", "", "1=5", 0),
            // Three need two: the middle value.
            new CommitRow("1 2 3", "", "", "1=5 2=4 3=3", 4),
            new CommitRow("1 2 3", "", "", "1=5", 0),
            new CommitRow("1 2 3", "", "", "1=5 2=5 3=3", 5),
            new CommitRow("1 2 3", "", "", "1=3 2=5 3=5", 5),
            new CommitRow("1 2 3", "", "", "1=4 2=4 3=4", 4),
            // Four need three, not two.
            new CommitRow("1 2 3 4", "", "", "1=9 2=8 3=7 4=6", 7),
            new CommitRow("1 2 3 4", "", "", "1=9 2=9 4=1", 1),
            new CommitRow("1 2 3 4 5", "", "", "1=10 2=9 3=8 4=1 5=1", 8),
            new CommitRow("1 2 3 4 5", "", "", "1=10 2=9", 0),
            // Learners and strangers never count, however far ahead.
            new CommitRow("1 2 3", "", "4 5", "1=2 2=1 3=1 4=9 5=9", 1),
            new CommitRow("1 2 3", "", "", "1=6 8=6 9=6", 0),
            // An empty set agrees to anything, so in a joint configuration only the other side decides.
            new CommitRow("", "", "", "", ANY),
            new CommitRow("", "1 2 3", "", "1=5 2=4 3=3", 4),
            // Joint: the lower of the two majorities.
            new CommitRow("1 2 3", "1 2 3", "", "1=5 2=4 3=3", 4),
            new CommitRow("1 2 4", "1 2 3", "", "1=5 2=1 3=5 4=1", 1),
            new CommitRow("2 3 4", "1 2 3", "", "2=6 3=6 4=6", 6),
            new CommitRow("2 3 4", "1 2 3", "", "2=6 4=6", 0),
            new CommitRow("2 3 4", "1 2 3", "", "1=7 2=7 3=2 4=2", 2),
            new CommitRow("4 5 6", "1 2 3", "", "1=3 2=3 4=8 5=8", 3),
            new CommitRow("1", "1 2 3", "", "1=5 2=5", 5),
            new CommitRow("1", "1 2 3", "", "1=5", 0),
            new CommitRow("1 2 3", "1", "", "1=5 2=3", 3),
            new CommitRow("1 2 4", "1 2 3", "5", "1=4 2=4 5=9", 4),
            new CommitRow("1 2 4", "1 2 3", "5", "1=4 5=9", 0));

    static final List<VoteRow> VOTE_ROWS = List.of(
            new VoteRow("1", "", "", "", VoteResult.PENDING),
            new VoteRow("1", "", "", "1=y", VoteResult.WON),
            new VoteRow("1", "", "", "1=n", VoteResult.LOST),
            new VoteRow("1 2", "", "", "1=y", VoteResult.PENDING),
            new VoteRow("1 2", "", "", "1=y 2=y", VoteResult.WON),
            // A tie loses: no majority can be reached any more.
            new VoteRow("1 2", "", "", "1=y 2=n", VoteResult.LOST),
            new VoteRow("1 2 3", "", "", "1=y", VoteResult.PENDING),
            new VoteRow("1 2 3", "", "", "1=y 2=y", VoteResult.WON),
            new VoteRow("1 2 3", "", "", "1=y 2=n", VoteResult.PENDING),
            new VoteRow("1 2 3", "", "", "1=y 2=n 3=n", VoteResult.LOST),
            new VoteRow("1 2 3", "", "", "2=n 3=n", VoteResult.LOST),
            new VoteRow("1 2 3", "", "", "1=y 2=n 3=y", VoteResult.WON),
            new VoteRow("1 2 3 4", "", "", "1=y 2=y 3=n 4=n", VoteResult.LOST),
            new VoteRow("1 2 3 4", "", "", "1=y 2=y 3=n", VoteResult.PENDING),
            new VoteRow("1 2 3 4", "", "", "1=y 2=y 3=y", VoteResult.WON),
            // Learners' and strangers' grants count for nothing.
            new VoteRow("1 2 3", "", "4 5", "1=y 4=y 5=y", VoteResult.PENDING),
            new VoteRow("1 2 3", "", "", "1=y 9=y", VoteResult.PENDING),
            new VoteRow("", "", "", "", VoteResult.WON),
            // Joint: both majorities must be won; losing either loses.
            new VoteRow("1 2 4", "1 2 3", "", "1=y 4=y", VoteResult.PENDING),
            new VoteRow("1 2 4", "1 2 3", "", "1=y 2=y", VoteResult.WON),
            new VoteRow("1 2 4", "1 2 3", "", "1=y 2=n 3=y 4=y", VoteResult.WON),
            new VoteRow("1 2 4", "1 2 3", "", "1=y 2=n 3=n", VoteResult.LOST),
            new VoteRow("1 2 4", "1 2 3", "", "2=n 4=n", VoteResult.LOST),
            // Seed 305134: n1 dead and n3 refusing leave survivors 2 and 4 pending for ever.
            new VoteRow("1 2 4", "1 2 3", "", "2=y 3=n 4=y", VoteResult.PENDING),
            new VoteRow("1", "1 2 3", "", "1=y 2=y", VoteResult.WON),
            new VoteRow("", "1 2 3", "", "1=y 2=y", VoteResult.WON),
            new VoteRow("1 2 3", "1 2 3", "", "1=y 2=n", VoteResult.PENDING),
            new VoteRow("4 5 6", "1 2 3", "", "1=y 2=y 4=y 5=y", VoteResult.WON),
            new VoteRow("4 5 6", "1 2 3", "", "1=y 2=y 4=y 5=n 6=n", VoteResult.LOST));

    static final List<ActiveRow> ACTIVE_ROWS = List.of(
            new ActiveRow("1", "", "", "1", true),
            new ActiveRow("1 2 3", "", "", "1", false),
            new ActiveRow("1 2 3", "", "", "1 3", true),
            new ActiveRow("1 2 3", "", "4 5", "1 4 5", false),
            new ActiveRow("1 2 3 4", "", "", "1 2", false),
            new ActiveRow("1 2 4", "1 2 3", "", "1 4", false),
            new ActiveRow("1 2 4", "1 2 3", "", "1 2", true),
            new ActiveRow("1 2 4", "1 2 3", "", "1 3 4", true));

    static Stream<CommitRow> commitRows() {
        return COMMIT_ROWS.stream();
    }

    static Stream<VoteRow> voteRows() {
        return VOTE_ROWS.stream();
    }

    static Stream<ActiveRow> activeRows() {
        return ACTIVE_ROWS.stream();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("commitRows")
    void theCommittedIndexIsWhatAMajorityOfEachVoterSetHasReached(CommitRow row) {
        TreeMap<NodeId, Long> match = new TreeMap<>();
        parsePairs(row.match()).forEach((id, v) -> match.put(id, Long.parseLong(v)));
        long committed = Quorum.committed(conf(row.voters(), row.outgoing(), row.learners()),
                n -> match.getOrDefault(n, 0L));
        assertThat(committed).isEqualTo(row.committed());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("voteRows")
    void anElectionIsWonOrLostOnlyByAMajorityOfEachVoterSet(VoteRow row) {
        TreeMap<NodeId, Boolean> votes = new TreeMap<>();
        parsePairs(row.votes()).forEach((id, v) -> votes.put(id, v.equals("y")));
        assertThat(Quorum.voteResult(conf(row.voters(), row.outgoing(), row.learners()), votes)).isEqualTo(row.result());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("activeRows")
    void aQuorumIsActiveOnlyWithAMajorityOfEachVoterSet(ActiveRow row) {
        TreeSet<NodeId> active = ids(row.active());
        assertThat(Quorum.hasQuorum(conf(row.voters(), row.outgoing(), row.learners()), active::contains))
                .isEqualTo(row.quorum());
    }

    private static String describe(String voters, String outgoing, String learners) {
        return "voters=(" + voters + ")" + (outgoing.isEmpty() ? "" : "&&(" + outgoing + ")")
                + (learners.isEmpty() ? "" : " learners=(" + learners + ")");
    }

    private static ConfState conf(String voters, String outgoing, String learners) {
        return new ConfState(ids(voters), ids(outgoing), ids(learners));
    }

    private static TreeSet<NodeId> ids(String s) {
        TreeSet<NodeId> out = new TreeSet<>();
        for (String t : s.trim().split("\\s+")) {
            if (!t.isEmpty()) {
                out.add(NodeId.of(Long.parseLong(t)));
            }
        }
        return out;
    }

    private static TreeMap<NodeId, String> parsePairs(String s) {
        TreeMap<NodeId, String> out = new TreeMap<>();
        for (String t : s.trim().split("\\s+")) {
            if (!t.isEmpty()) {
                String[] kv = t.split("=");
                out.put(NodeId.of(Long.parseLong(kv[0])), kv[1]);
            }
        }
        return out;
    }
}
