package io.cairn.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import org.junit.jupiter.api.Test;

/**
 * The coordinator's rules for answers that go wrong, over rounds whose answers each test
 * scripts (the shards themselves are exercised by it/TxnTest and the simulator's cross-shard
 * bank workload). Keys "a…" hash to shard 0, the rest to shard 1.
 */
class TxnCoordinatorTest {
    private static byte[] key(String k) {
        return k.getBytes(StandardCharsets.UTF_8);
    }

    /** Scripted shards: each decide call takes the next scripted answer; every call is recorded. */
    private static final class ScriptedRounds implements TxnCoordinator.Rounds {
        final Deque<CompletableFuture<TxnCoordinator.Decision>> decisions = new ArrayDeque<>();
        final List<String> calls = new ArrayList<>();
        TxnCoordinator.Prepared prepared = TxnCoordinator.Prepared.held();

        @Override
        public int shardOf(byte[] key) {
            return key[0] == 'a' ? 0 : 1;
        }

        @Override
        public CompletableFuture<TxnCoordinator.Prepared> prepare(byte[] txnId, byte[] primaryKey, List<Compare> compares,
                                                                  List<TxnOp> writes, boolean lockReads) {
            calls.add("prepare " + new String(writes.get(0).key(), StandardCharsets.UTF_8));
            return CompletableFuture.completedFuture(prepared);
        }

        @Override
        public CompletableFuture<TxnCoordinator.Decision> decide(byte[] txnId, byte[] primaryKey, boolean commit,
                                                                 List<byte[]> intentKeys) {
            calls.add("decide " + (commit ? "commit" : "abort") + " keys=" + intentKeys.size());
            return decisions.removeFirst();
        }

        @Override
        public CompletableFuture<Long> resolve(byte[] txnId, boolean commit, List<byte[]> keys) {
            calls.add("resolve " + (commit ? "commit " : "abort ") + new String(keys.get(0), StandardCharsets.UTF_8));
            return CompletableFuture.completedFuture(7L);
        }

        @Override
        public CompletableFuture<Boolean> forget(byte[] txnId, byte[] primaryKey) {
            calls.add("forget");
            return CompletableFuture.completedFuture(true);
        }
    }

    private static CairnUnavailableException lost() {
        return new CairnUnavailableException("no leader answered", List.of(), null);
    }

    private static CompletableFuture<TxnResult> commitTwoShards(ScriptedRounds rounds) {
        TxnCoordinator coordinator = new TxnCoordinator(rounds, () -> new byte[16]);
        return coordinator.commit(List.of(), List.of(new TxnOp.Put(key("a1"), key("1"), java.time.Duration.ZERO),
                new TxnOp.Put(key("b1"), key("2"), java.time.Duration.ZERO)));
    }

    @Test
    void aLostCommitDecisionIsAskedAgainAndTheRecordsAnswerIsFollowed() {
        ScriptedRounds rounds = new ScriptedRounds();
        rounds.decisions.add(CompletableFuture.failedFuture(lost()));
        // The first decision did apply: asked to abort, the record answers what it holds.
        rounds.decisions.add(CompletableFuture.completedFuture(TxnCoordinator.Decision.COMMITTED));

        TxnResult result = commitTwoShards(rounds).join();

        assertThat(result.succeeded()).isTrue();
        assertThat(result.revision()).isEqualTo(7);
        assertThat(rounds.calls).containsExactly("prepare a1", "prepare b1", "decide commit keys=2",
                "decide abort keys=0", "resolve commit a1", "resolve commit b1", "forget");
    }

    @Test
    void aLostCommitDecisionThatNeverAppliedEndsAsAConflictWithTheIntentsDropped() {
        ScriptedRounds rounds = new ScriptedRounds();
        rounds.decisions.add(CompletableFuture.failedFuture(lost()));
        rounds.decisions.add(CompletableFuture.completedFuture(TxnCoordinator.Decision.ABORTED));

        assertThatThrownBy(() -> commitTwoShards(rounds).join()).isInstanceOf(CompletionException.class)
                .hasCauseInstanceOf(TransactionConflictException.class);
        assertThat(rounds.calls).containsSubsequence("resolve abort a1", "resolve abort b1");
    }

    @Test
    void bothDecisionsLostIsAnUnknownOutcomeAndNothingIsResolved() {
        ScriptedRounds rounds = new ScriptedRounds();
        rounds.decisions.add(CompletableFuture.failedFuture(lost()));
        rounds.decisions.add(CompletableFuture.failedFuture(lost()));

        assertThatThrownBy(() -> CairnClient.join(commitTwoShards(rounds)))
                .isInstanceOf(CairnUnavailableException.class)
                .satisfies(e -> assertThat(e.getSuppressed()).hasSize(1));
        assertThat(rounds.calls).noneMatch(c -> c.startsWith("resolve"));
    }

    @Test
    void aForgottenRecordIsAnUnknownOutcome() {
        ScriptedRounds rounds = new ScriptedRounds();
        rounds.decisions.add(CompletableFuture.completedFuture(TxnCoordinator.Decision.FORGOTTEN));

        assertThatThrownBy(() -> CairnClient.join(commitTwoShards(rounds)))
                .isInstanceOf(CairnUnavailableException.class).hasMessageContaining("outcome is unknown");
    }

    @Test
    void aPrepareHeldByAnotherTransactionAbortsAndNamesTheHolder() {
        ScriptedRounds rounds = new ScriptedRounds();
        rounds.prepared = TxnCoordinator.Prepared.heldByOther(key("b1"), new byte[] {1, 2});
        rounds.decisions.add(CompletableFuture.completedFuture(TxnCoordinator.Decision.ABORTED));

        assertThatThrownBy(() -> CairnClient.join(commitTwoShards(rounds)))
                .isInstanceOf(TransactionConflictException.class).hasMessageContaining("held by transaction 0102");
        assertThat(rounds.calls).containsSubsequence("decide abort keys=0", "resolve abort a1", "resolve abort b1",
                "forget");
    }
}
