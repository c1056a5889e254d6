package io.cairn.kv.state;

import static io.cairn.kv.state.TestLog.b;
import static io.cairn.kv.state.TestLog.cas;
import static io.cairn.kv.state.TestLog.delete;
import static io.cairn.kv.state.TestLog.put;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.cairn.common.Bytes;
import io.cairn.common.InvariantViolation;
import io.cairn.consensus.LogEntry;
import io.cairn.kv.engine.MemoryKvEngine;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class KvStateMachineTest {
    private final MemoryKvEngine engine = new MemoryKvEngine();
    private final KvStateMachine sm = new KvStateMachine(engine);
    private final TestLog log = new TestLog();

    @AfterEach
    void indexesStayConsistent() {
        sm.checkConsistency();
    }

    private Result apply(LogEntry entry) {
        return sm.apply(List.of(entry)).get(0);
    }

    private KeyValue read(String key) {
        return sm.get(b(key), 1_000).orElseThrow();
    }

    @Test
    void putCreatesKeyAtVersionOneWithTheEntryIndexAsRevision() {
        sm.apply(List.of(log.noop()));

        Result result = apply(log.entry(100, put("a", "1")));

        assertThat(result).isEqualTo(new Result.Written(2, 1));
        assertThat(read("a")).isEqualTo(new KeyValue(b("a"), b("1"), 2, 2, 1, 0));
    }

    @Test
    void overwriteBumpsVersionAndModRevisionButKeepsCreateRevision() {
        apply(log.entry(100, put("a", "1")));
        apply(log.entry(100, put("b", "x")));
        Result result = apply(log.entry(100, put("a", "2")));

        assertThat(result).isEqualTo(new Result.Written(3, 2));
        assertThat(read("a")).isEqualTo(new KeyValue(b("a"), b("2"), 1, 3, 2, 0));
    }

    @Test
    void deleteRemovesTheKeyAndARecreateStartsAgainAtVersionOne() {
        apply(log.entry(100, put("a", "1")));
        apply(log.entry(100, put("a", "2")));

        assertThat(apply(log.entry(100, delete("a")))).isEqualTo(new Result.Deleted(3, true));
        assertThat(sm.get(b("a"), 1_000)).isEmpty();

        assertThat(apply(log.entry(100, put("a", "3")))).isEqualTo(new Result.Written(4, 1));
        assertThat(read("a")).isEqualTo(new KeyValue(b("a"), b("3"), 4, 4, 1, 0));
    }

    @Test
    void deleteOfAnAbsentKeyReportsItDidNotExist() {
        assertThat(apply(log.entry(100, delete("nope")))).isEqualTo(new Result.Deleted(1, false));
    }

    @Test
    void compareAndSetWithVersionZeroCreatesOnlyAnAbsentKey() {
        assertThat(apply(log.entry(100, cas("a", 0, "first")))).isEqualTo(new Result.Written(1, 1));
        assertThat(apply(log.entry(100, cas("a", 0, "second")))).isEqualTo(new Result.CasFailed(1));
        assertThat(read("a").value()).isEqualTo(b("first"));
    }

    @Test
    void compareAndSetWritesOnlyWhenTheVersionMatches() {
        apply(log.entry(100, put("a", "1")));
        apply(log.entry(100, put("a", "2")));

        assertThat(apply(log.entry(100, cas("a", 1, "stale")))).isEqualTo(new Result.CasFailed(2));
        assertThat(apply(log.entry(100, cas("a", 2, "fresh")))).isEqualTo(new Result.Written(4, 3));
        assertThat(read("a")).isEqualTo(new KeyValue(b("a"), b("fresh"), 1, 4, 3, 0));
    }

    @Test
    void compareAndSetOnAnAbsentKeyReportsVersionZero() {
        assertThat(apply(log.entry(100, cas("a", 3, "v")))).isEqualTo(new Result.CasFailed(0));
        assertThat(sm.get(b("a"), 1_000)).isEmpty();
    }

    @Test
    void aLaterEntryOfTheSameBatchSeesWhatAnEarlierOneWrote() {
        List<Result> results = sm.apply(List.of(
                log.entry(100, put("a", "1")),
                log.entry(100, cas("a", 1, "2")),
                log.entry(100, delete("a")),
                log.entry(100, cas("a", 0, "3"))));

        assertThat(results).containsExactly(new Result.Written(1, 1), new Result.Written(2, 2),
                new Result.Deleted(3, true), new Result.Written(4, 1));
        assertThat(read("a")).isEqualTo(new KeyValue(b("a"), b("3"), 4, 4, 1, 0));
    }

    @Test
    void noopAndConfigurationEntriesOnlyAdvanceTheAppliedIndex() {
        List<Result> results = sm.apply(List.of(log.noop(), log.config()));

        assertThat(results).containsExactly(new Result.Skipped(), new Result.Skipped());
        assertThat(sm.appliedIndex()).isEqualTo(2);
        assertThat(sm.scan(KeyRange.all(), 10, 0).entries()).isEmpty();
    }

    @Test
    void anEntryThatDoesNotDecodeIsRejectedAndChangesNothingElse() {
        List<Result> results = sm.apply(List.of(
                log.entry(100, put("a", "1")),
                log.raw(Bytes.wrap(new byte[] {1, 2, 3})),
                log.raw(Bytes.wrap(new byte[] {9, 0, 0})),
                log.entry(100, put("b", "2"))));

        assertThat(results.get(1)).isInstanceOfSatisfying(Result.Rejected.class,
                r -> assertThat(r.reason()).isEqualTo(RejectReason.MALFORMED));
        assertThat(((Result.Rejected) results.get(2)).message()).contains("unknown command envelope format version 9");
        assertThat(results.get(3)).isEqualTo(new Result.Written(4, 1));
        assertThat(sm.appliedIndex()).isEqualTo(4);
    }

    @Test
    void commandsOverTheLimitsAreRejectedAsResults() {
        Limits limits = new Limits(4, 8, 10);
        KvStateMachine small = new KvStateMachine(new MemoryKvEngine(),
                new KvStateMachine.Options(limits, 60_000, 100));

        List<Result> results = small.apply(List.of(
                log.entry(100, put("toolong", "v")),
                log.entry(100, put("k", "123456789")),
                log.entry(100, put("", "v")),
                log.entry(100, put("k", "v", Limits.TTL_MILLIS_MAX + 1)),
                log.entry(100, delete("toolong")),
                log.entry(100, new Command.CompareAndSet(b("k"), 0, b("123456789"), 0)),
                log.entry(100, put("k", "12345678"))));

        assertThat(results).extracting(r -> r instanceof Result.Rejected rej ? rej.reason() : null)
                .containsExactly(RejectReason.KEY_TOO_LARGE, RejectReason.VALUE_TOO_LARGE, RejectReason.KEY_EMPTY,
                        RejectReason.TTL_TOO_LARGE, RejectReason.KEY_TOO_LARGE, RejectReason.VALUE_TOO_LARGE, null);
        assertThat(((Result.Rejected) results.get(0)).message()).contains("keyBytesMax=4").contains("7 bytes");
        assertThat(small.scan(KeyRange.all(), 10, 100).entries()).extracting(KeyValue::key).containsExactly(b("k"));
    }

    @Test
    void anEntryAfterAGapIsAHostBugAndLeavesTheEngineUntouched() {
        apply(log.entry(100, put("a", "1")));
        LogEntry second = log.entry(100, put("b", "2"));
        log.noop();
        LogEntry fourth = log.entry(100, put("c", "3"));

        assertThatThrownBy(() -> sm.apply(List.of(second, fourth)))
                .isInstanceOf(InvariantViolation.class)
                .hasMessageContaining("entry 4 applied after index 2");
        assertThat(sm.appliedIndex()).isEqualTo(1);
        assertThat(sm.get(b("b"), 100)).isEmpty();
        assertThat(new KvStateMachine(engine).appliedIndex()).isEqualTo(1);
    }

    @Test
    void reapplyingAnAlreadyAppliedEntryIsAHostBug() {
        LogEntry first = log.entry(100, put("a", "1"));
        apply(first);

        assertThatThrownBy(() -> sm.apply(List.of(first))).isInstanceOf(InvariantViolation.class);
    }

    @Test
    void applyingNothingWritesNothing() {
        assertThat(sm.apply(List.of())).isEmpty();
        assertThat(engine.approximateSizeBytes()).isZero();
    }

    @Test
    void stagedEntriesChangeNothingUntilTheHostWritesAndCommitsThem() {
        apply(log.entry(100, put("a", "1")));

        KvStateMachine.Staged staged = sm.stage(List.of(log.entry(100, put("a", "2")), log.entry(100, put("b", "x"))));

        assertThat(staged.results()).containsExactly(new Result.Written(2, 2), new Result.Written(3, 1));
        assertThat(sm.appliedIndex()).isEqualTo(1);
        assertThat(read("a").value()).isEqualTo(b("1"));
        assertThat(sm.get(b("b"), 1_000)).isEmpty();

        engine.write(staged.writes());
        staged.commit();

        assertThat(sm.appliedIndex()).isEqualTo(3);
        assertThat(read("a").value()).isEqualTo(b("2"));
        assertThat(new KvStateMachine(engine).appliedIndex()).as("applied index written with the data").isEqualTo(3);
    }

    @Test
    void aStagedApplyCommitsOnceAndOnlyAtTheIndexItWasStagedFrom() {
        KvStateMachine.Staged first = sm.stage(List.of(log.entry(100, put("a", "1"))));
        engine.write(first.writes());
        first.commit();

        assertThatThrownBy(first::commit).isInstanceOf(InvariantViolation.class).hasMessageContaining("twice");

        KvStateMachine.Staged second = sm.stage(List.of(log.entry(100, put("a", "2"))));
        KvStateMachine.Staged stale = sm.stage(List.of(new LogEntry(2, 1, io.cairn.consensus.EntryType.NORMAL, Bytes.EMPTY)));
        engine.write(second.writes());
        second.commit();
        assertThatThrownBy(stale::commit).isInstanceOf(InvariantViolation.class).hasMessageContaining("applied index 2");
    }

    @Test
    void aSystemRecordIsSetByVersionAndStaysOutOfTheKeyspace() {
        Bytes name = Bytes.utf8("auth");
        assertThat(apply(log.entry(100, new Command.SetSystem(name, 5, b("v1"))))).isEqualTo(new Result.CasFailed(0));
        assertThat(apply(log.entry(100, new Command.SetSystem(name, 0, b("v1"))))).isEqualTo(new Result.Written(2, 2));
        assertThat(apply(log.entry(100, new Command.SetSystem(name, 0, b("v2"))))).isEqualTo(new Result.CasFailed(2));
        assertThat(apply(log.entry(100, new Command.SetSystem(name, 2, b("v2"))))).isEqualTo(new Result.Written(4, 4));
        KeyValue stored = sm.system(name).orElseThrow();
        assertThat(stored.value()).isEqualTo(b("v2"));
        assertThat(stored.version()).isEqualTo(4);
        // Nothing a client reads or scans sees it, and a key of the same name is another thing.
        assertThat(sm.get(name, 1_000)).isEmpty();
        assertThat(sm.scan(KeyRange.all(), 100, 1_000).entries()).isEmpty();
        apply(log.entry(100, put("auth", "user data")));
        assertThat(sm.system(name).orElseThrow().value()).isEqualTo(b("v2"));
        assertThat(sm.system(Bytes.utf8("other"))).isEmpty();
    }
}
