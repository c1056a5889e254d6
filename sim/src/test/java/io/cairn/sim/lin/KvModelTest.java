package io.cairn.sim.lin;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

class KvModelTest {
    private final KvModel model = new KvModel();
    private final KvValue one = KvValue.of(1);

    @Test
    void getAcceptsOnlyTheCurrentValue() {
        assertThat(model.step(one, new KvInput.Get("x"), new KvOutput.Read(one))).isEqualTo(one);
        assertThat(model.step(one, new KvInput.Get("x"), new KvOutput.Read(KvValue.ABSENT))).isNull();
    }

    @Test
    void casSucceedsExactlyWhenItsExpectationHolds() {
        KvInput.Cas fromOne = new KvInput.Cas("x", one, 2);
        assertThat(model.step(one, fromOne, new KvOutput.Swapped(true))).isEqualTo(KvValue.of(2));
        assertThat(model.step(one, fromOne, new KvOutput.Swapped(false))).isNull();
        assertThat(model.step(KvValue.ABSENT, fromOne, new KvOutput.Swapped(false))).isEqualTo(KvValue.ABSENT);
        assertThat(model.step(KvValue.ABSENT, fromOne, new KvOutput.Swapped(true))).isNull();
    }

    @Test
    void pendingOperationsTakeTheirEffect() {
        assertThat(model.stepPending(KvValue.ABSENT, new KvInput.Put("x", 1))).isEqualTo(one);
        assertThat(model.stepPending(one, new KvInput.Delete("x"))).isEqualTo(KvValue.ABSENT);
        assertThat(model.stepPending(one, new KvInput.Get("x"))).isEqualTo(one);
        assertThat(model.stepPending(one, new KvInput.Cas("x", one, 2))).isEqualTo(KvValue.of(2));
        assertThat(model.stepPending(one, new KvInput.Cas("x", KvValue.ABSENT, 2))).isEqualTo(one);
    }

    @Test
    void partitionsByKeyInOrderOfFirstAppearance() {
        List<Partition<KvInput, KvOutput>> partitions = model.partition(List.of(
                KvOps.put(1, "b", 1, 0, 1),
                KvOps.put(1, "a", 1, 2, 3),
                KvOps.get(1, "b", 1, 4, 5)));
        assertThat(partitions).extracting(Partition::label).containsExactly("b", "a");
        assertThat(partitions.get(0).operations()).hasSize(2);
    }

    @Test
    void rejectsAnOutputThatDoesNotAnswerItsInput() {
        Operation<KvInput, KvOutput> getAnsweredOk =
                Operation.completed(1, new KvInput.Get("x"), KvOutput.OK, 0, 1);
        assertThatThrownBy(() -> LinearizabilityChecker.check(model, List.of(getAnsweredOk)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("get(x)");
    }

    @Test
    void operationRejectsInconsistentTimesAndOutputs() {
        KvInput put = new KvInput.Put("x", 1);
        assertThatThrownBy(() -> new Operation<>(1, put, KvOutput.OK, 10, 5))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new Operation<KvInput, KvOutput>(1, put, null, 0, 5))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new Operation<>(1, put, KvOutput.OK, 0, Operation.PENDING))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
