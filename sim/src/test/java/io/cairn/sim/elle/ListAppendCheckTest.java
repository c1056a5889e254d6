package io.cairn.sim.elle;

import static io.cairn.sim.elle.ListTxn.Mop.append;
import static io.cairn.sim.elle.ListTxn.Mop.read;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.cairn.sim.elle.ListTxn.Outcome;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Hand-made histories, one per anomaly, and serializable ones that must pass. */
class ListAppendCheckTest {
    private static ListTxn t(long id, Outcome outcome, ListTxn.Mop... mops) {
        return new ListTxn(id, outcome, List.of(mops));
    }

    private static ListTxn ok(long id, ListTxn.Mop... mops) {
        return t(id, Outcome.OK, mops);
    }

    private static List<String> types(List<ListTxn> history) {
        return ListAppendCheck.check(history).stream().map(ListAppendCheck.Anomaly::type).toList();
    }

    @Test
    void aSerialHistoryHasNoAnomaly() {
        assertThat(ListAppendCheck.check(List.of(
                ok(1, append("x", 1), append("y", 1)),
                ok(2, read("x", List.of(1L)), append("x", 2)),
                ok(3, read("x", List.of(1L, 2L)), read("y", List.of(1L))),
                t(4, Outcome.FAILED, append("y", 9)),
                t(5, Outcome.INFO, append("y", 10)),
                ok(6, read("y", List.of(1L, 10L)))))).isEmpty();
    }

    /** Write skew: each reads what the other writes, both from the empty state. */
    @Test
    void writeSkewIsG2() {
        List<ListAppendCheck.Anomaly> found = ListAppendCheck.check(List.of(
                ok(1, read("x", List.of()), append("y", 1)),
                ok(2, read("y", List.of()), append("x", 2)),
                ok(3, read("x", List.of(2L)), read("y", List.of(1L)))));
        assertThat(found).extracting(ListAppendCheck.Anomaly::type).containsExactly("G2");
        assertThat(found.get(0).detail()).contains("-rw(x)->").contains("-rw(y)->");
    }

    /** A lost update: both read x empty and append; one's append comes first in x's order. */
    @Test
    void aLostUpdateIsG2() {
        assertThat(types(List.of(
                ok(1, read("x", List.of()), append("x", 1)),
                ok(2, read("x", List.of()), append("x", 2)),
                ok(3, read("x", List.of(1L, 2L)))))).containsExactly("G2");
    }

    @Test
    void writesInOppositeOrdersOnTwoKeysAreG0() {
        assertThat(types(List.of(
                ok(1, append("x", 1), append("y", 1)),
                ok(2, append("x", 2), append("y", 2)),
                ok(3, read("x", List.of(1L, 2L)), read("y", List.of(2L, 1L)))))).containsExactly("G0");
    }

    @Test
    void eachSeeingTheOthersWriteIsG1c() {
        assertThat(types(List.of(
                ok(1, append("x", 1), read("y", List.of(2L))),
                ok(2, append("y", 2), read("x", List.of(1L)))))).containsExactly("G1c");
    }

    @Test
    void readingAnAbortedOrUnknownElementIsG1a() {
        assertThat(types(List.of(
                t(1, Outcome.FAILED, append("x", 1)),
                ok(2, read("x", List.of(1L))),
                ok(3, read("x", List.of(1L, 7L)))))).containsExactly("G1a", "G1a", "G1a");
    }

    @Test
    void readingAnIntermediateElementIsG1b() {
        assertThat(types(List.of(
                ok(1, append("x", 1), append("x", 2)),
                ok(2, read("x", List.of(1L)))))).contains("G1b");
    }

    @Test
    void readsThatAreNotPrefixesOfEachOtherAreIncompatible() {
        assertThat(types(List.of(
                ok(1, append("x", 1)),
                ok(2, append("x", 2)),
                ok(3, read("x", List.of(1L, 2L))),
                ok(4, read("x", List.of(2L, 1L)))))).contains("incompatible-order");
    }

    @Test
    void anAppendedValueMustBeUnique() {
        assertThatThrownBy(() -> ListAppendCheck.check(List.of(ok(1, append("x", 1)), ok(2, append("x", 1)))))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
