package io.cairn.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.cairn.client.Consistency;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** {@code --consistency} as the CLI reads it. */
class ConsistencyConverterTest {
    private static Consistency parse(String text) {
        return new ConsistencyConverter().convert(text);
    }

    @Test
    void parsesEveryLevelAndPrintsItBackTheSameWay() {
        assertThat(parse("linearizable")).isSameAs(Consistency.LINEARIZABLE);
        assertThat(parse(" LEASE ")).isSameAs(Consistency.LEASE);
        assertThat(parse("eventual")).isSameAs(Consistency.EVENTUAL);
        assertThat(parse("bounded:500ms")).isEqualTo(Consistency.bounded(Duration.ofMillis(500)));
        assertThat(parse("bounded:2s").maxStaleness()).isEqualTo(Duration.ofSeconds(2));
        assertThat(parse("bounded:1m").toString()).isEqualTo("bounded:60000ms");
        assertThat(parse(Consistency.bounded(Duration.ofMillis(7)).toString()))
                .isEqualTo(Consistency.bounded(Duration.ofMillis(7)));
    }

    @Test
    void refusesBoundsWithoutAUnitOrOutOfRangeAndUnknownNamesWithTheRightSpelling() {
        assertThatThrownBy(() -> parse("bounded:500")).isInstanceOf(CommandLine.TypeConversionException.class)
                .hasMessageContaining("bounded:500ms");
        assertThatThrownBy(() -> parse("bounded:-1s")).isInstanceOf(CommandLine.TypeConversionException.class);
        assertThatThrownBy(() -> parse("bounded:2h")).isInstanceOf(CommandLine.TypeConversionException.class)
                .hasMessageContaining("1 ms to 1 h");
        assertThatThrownBy(() -> parse("strong")).isInstanceOf(CommandLine.TypeConversionException.class)
                .hasMessageContaining("linearizable, lease, eventual or bounded:DURATION");
    }
}
