package io.cairn.sim.lin;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

class VersionedKvModelTest {
    private final VersionedKvModel model = new VersionedKvModel();
    private final VersionedValue oneAtV1 = VersionedValue.of(1, 1);

    @Test
    void writesCountVersionsFromOneAndADeleteResetsThem() {
        VersionedValue state = model.step(VersionedValue.ABSENT, put(1), written(1));
        assertThat(state).isEqualTo(oneAtV1);
        state = model.step(state, put(2), written(2));
        assertThat(state).isEqualTo(VersionedValue.of(2, 2));
        state = model.step(state, delete(), new VersionedKvOutput.Deleted(true));
        assertThat(state).isEqualTo(VersionedValue.ABSENT);
        assertThat(model.step(state, delete(), new VersionedKvOutput.Deleted(false))).isEqualTo(VersionedValue.ABSENT);
        assertThat(model.step(state, put(3), written(1))).isEqualTo(VersionedValue.of(3, 1));
    }

    @Test
    void everyOutputIsChecked() {
        assertThat(model.step(oneAtV1, put(2), written(1))).isNull();
        assertThat(model.step(oneAtV1, delete(), new VersionedKvOutput.Deleted(false))).isNull();
        assertThat(model.step(oneAtV1, get(), read(oneAtV1))).isEqualTo(oneAtV1);
        assertThat(model.step(oneAtV1, get(), read(VersionedValue.of(1, 2)))).isNull();
        assertThat(model.step(oneAtV1, get(), read(VersionedValue.ABSENT))).isNull();
    }

    @Test
    void casSwapsExactlyWhenTheVersionMatches() {
        VersionedKvInput.Cas fromV1 = new VersionedKvInput.Cas("x", 1, 2);
        assertThat(model.step(oneAtV1, fromV1, written(2))).isEqualTo(VersionedValue.of(2, 2));
        assertThat(model.step(oneAtV1, fromV1, new VersionedKvOutput.CasFailed(1))).isNull();
        VersionedKvInput.Cas fromAbsent = new VersionedKvInput.Cas("x", 0, 2);
        assertThat(model.step(oneAtV1, fromAbsent, new VersionedKvOutput.CasFailed(1))).isEqualTo(oneAtV1);
        assertThat(model.step(oneAtV1, fromAbsent, new VersionedKvOutput.CasFailed(0))).isNull();
        assertThat(model.step(VersionedValue.ABSENT, fromAbsent, written(1))).isEqualTo(VersionedValue.of(2, 1));
    }

    @Test
    void pendingOperationsTakeTheirEffect() {
        assertThat(model.stepPending(oneAtV1, put(5))).isEqualTo(VersionedValue.of(5, 2));
        assertThat(model.stepPending(oneAtV1, delete())).isEqualTo(VersionedValue.ABSENT);
        assertThat(model.stepPending(oneAtV1, get())).isEqualTo(oneAtV1);
        assertThat(model.stepPending(oneAtV1, new VersionedKvInput.Cas("x", 1, 5))).isEqualTo(VersionedValue.of(5, 2));
        assertThat(model.stepPending(oneAtV1, new VersionedKvInput.Cas("x", 2, 5))).isEqualTo(oneAtV1);
    }

    /** The history that a value-comparing model would reject: the version, not the value, decides. */
    @Test
    void aCasExpectingAVersionSeenWithAnotherValueSwapsAfterDeleteAndRecreate() {
        List<Operation<VersionedKvInput, VersionedKvOutput>> history = List.of(
                completed(1, put(1), written(1), 0, 1),
                completed(1, get(), read(oneAtV1), 2, 3),
                completed(2, delete(), new VersionedKvOutput.Deleted(true), 4, 5),
                completed(2, put(2), written(1), 6, 7),
                completed(1, new VersionedKvInput.Cas("x", 1, 3), written(2), 8, 9),
                completed(2, get(), read(VersionedValue.of(3, 2)), 10, 11));

        assertThat(LinearizabilityChecker.check(model, history)).isInstanceOf(CheckResult.Ok.class);
    }

    /** A put applied twice (a retry without dedup) shows as a version skipped. */
    @Test
    void aWriteAppliedTwiceIsNotLinearizable() {
        List<Operation<VersionedKvInput, VersionedKvOutput>> history = List.of(
                completed(1, put(1), written(1), 0, 1),
                completed(2, get(), read(VersionedValue.of(1, 2)), 2, 3));

        assertThat(LinearizabilityChecker.check(model, history)).isInstanceOf(CheckResult.Illegal.class);
    }

    @Test
    void aPendingWriteMayOrMayNotHaveHappened() {
        List<Operation<VersionedKvInput, VersionedKvOutput>> tookEffect = List.of(
                Operation.pending(1, put(1), 0),
                completed(2, get(), read(oneAtV1), 5, 6),
                completed(2, put(2), written(2), 7, 8));
        List<Operation<VersionedKvInput, VersionedKvOutput>> never = List.of(
                Operation.pending(1, put(1), 0),
                completed(2, put(2), written(1), 7, 8));

        assertThat(LinearizabilityChecker.check(model, tookEffect)).isInstanceOf(CheckResult.Ok.class);
        assertThat(LinearizabilityChecker.check(model, never)).isInstanceOf(CheckResult.Ok.class);
    }

    @Test
    void rejectsAnOutputThatDoesNotAnswerItsInput() {
        List<Operation<VersionedKvInput, VersionedKvOutput>> getAnsweredWritten =
                List.of(completed(1, get(), written(1), 0, 1));

        assertThatThrownBy(() -> LinearizabilityChecker.check(model, getAnsweredWritten))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("get(x)");
    }

    @Test
    void aValueIsAbsentExactlyAtVersionZero() {
        assertThatThrownBy(() -> new VersionedValue(KvValue.ABSENT, 1)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> VersionedValue.of(1, 0)).isInstanceOf(IllegalArgumentException.class);
    }

    private static VersionedKvInput put(long value) {
        return new VersionedKvInput.Put("x", value);
    }

    private static VersionedKvInput get() {
        return new VersionedKvInput.Get("x");
    }

    private static VersionedKvInput delete() {
        return new VersionedKvInput.Delete("x");
    }

    private static VersionedKvOutput written(long version) {
        return new VersionedKvOutput.Written(version);
    }

    private static VersionedKvOutput read(VersionedValue seen) {
        return new VersionedKvOutput.Read(seen);
    }

    private static Operation<VersionedKvInput, VersionedKvOutput> completed(
            int client, VersionedKvInput input, VersionedKvOutput output, long call, long ret) {
        return Operation.completed(client, input, output, call, ret);
    }
}
