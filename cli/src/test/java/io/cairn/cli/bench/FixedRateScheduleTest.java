package io.cairn.cli.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class FixedRateScheduleTest {
    private static final long SECOND = 1_000_000_000L;

    @Test
    void requestsAreDueAtWholeMultiplesOfThePeriodFromTheStart() {
        FixedRateSchedule s = new FixedRateSchedule(5_000, 1_000);
        assertThat(s.intendedStartNanos(0)).isEqualTo(5_000);
        assertThat(s.intendedStartNanos(1)).isEqualTo(5_000 + 1_000_000);
        assertThat(s.intendedStartNanos(999)).isEqualTo(5_000 + 999_000_000L);
        assertThat(s.intendedStartNanos(1_000)).isEqualTo(5_000 + SECOND);
    }

    @Test
    void aPeriodThatIsNotWholeNanosecondsNeverDrifts() {
        // 3 per second: 333,333,333.3 ns apart. Adding a rounded period would lose 1 ns a request.
        FixedRateSchedule s = new FixedRateSchedule(0, 3);
        assertThat(s.intendedStartNanos(1)).isEqualTo(333_333_333L);
        assertThat(s.intendedStartNanos(2)).isEqualTo(666_666_666L);
        assertThat(s.intendedStartNanos(3)).isEqualTo(SECOND);
        assertThat(s.intendedStartNanos(3L * 86_400)).isEqualTo(86_400 * SECOND);
        FixedRateSchedule odd = new FixedRateSchedule(0, 7_919);
        assertThat(odd.intendedStartNanos(7_919L * 3_600)).isEqualTo(3_600 * SECOND);
    }

    @Test
    void dueTimesNeverDecreaseAndGapsDifferByAtMostOneNanosecond() {
        FixedRateSchedule s = new FixedRateSchedule(-17, 7_000);
        // 1e9 / 7,000 = 142,857.14 ns.
        for (long i = 1; i < 20_000; i++) {
            long gap = s.intendedStartNanos(i) - s.intendedStartNanos(i - 1);
            assertThat(gap).isBetween(142_857L, 142_858L);
        }
    }

    @Test
    void firstIndexAtOrAfterInvertsTheDueTimes() {
        FixedRateSchedule s = new FixedRateSchedule(1_000, 3);
        assertThat(s.firstIndexAtOrAfter(Long.MIN_VALUE / 2)).isZero();
        assertThat(s.firstIndexAtOrAfter(1_000)).isZero();
        assertThat(s.firstIndexAtOrAfter(1_001)).isEqualTo(1);
        for (long i = 0; i < 100; i++) {
            long due = s.intendedStartNanos(i);
            assertThat(s.firstIndexAtOrAfter(due)).isEqualTo(i);
            assertThat(s.firstIndexAtOrAfter(due + 1)).isEqualTo(i + 1);
        }
    }

    @Test
    void aWindowOfWholeSecondsHoldsExactlyRateTimesSecondsRequests() {
        FixedRateSchedule s = new FixedRateSchedule(123_456_789L, 12_345);
        long warmupEnd = 123_456_789L + 2 * SECOND;
        long end = warmupEnd + 10 * SECOND;
        assertThat(s.firstIndexAtOrAfter(warmupEnd)).isEqualTo(2 * 12_345);
        assertThat(s.firstIndexAtOrAfter(end) - s.firstIndexAtOrAfter(warmupEnd)).isEqualTo(10 * 12_345);
    }

    @Test
    void largeIndexesAndTimesDoNotOverflow() {
        FixedRateSchedule fast = new FixedRateSchedule(0, FixedRateSchedule.RATE_PER_SECOND_MAX);
        long aDay = 86_400L * FixedRateSchedule.RATE_PER_SECOND_MAX;
        assertThat(fast.intendedStartNanos(aDay)).isEqualTo(86_400 * SECOND);
        assertThat(fast.firstIndexAtOrAfter(86_400 * SECOND)).isEqualTo(aDay);
        assertThat(fast.intendedStartNanos(aDay - 1)).isEqualTo(86_400 * SECOND - 10);
    }

    @Test
    void refusesRatesOutOfRangeAndNegativeIndexes() {
        assertThatThrownBy(() -> new FixedRateSchedule(0, 0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new FixedRateSchedule(0, FixedRateSchedule.RATE_PER_SECOND_MAX + 1))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new FixedRateSchedule(0, 10).intendedStartNanos(-1))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
