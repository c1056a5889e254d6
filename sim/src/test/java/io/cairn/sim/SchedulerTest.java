package io.cairn.sim;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class SchedulerTest {
    private final Scheduler scheduler = new Scheduler();
    private final List<String> ran = new ArrayList<>();

    private void schedule(long time, String name) {
        scheduler.at(time, EventKind.CUSTOM, 0, 0, name, () -> ran.add(name + "@" + scheduler.nowMicros()));
    }

    @Test
    void eventsRunInTimeOrderAndTiesInInsertionOrder() {
        schedule(30, "c");
        schedule(10, "a1");
        schedule(20, "b");
        schedule(10, "a2");
        schedule(10, "a3");

        scheduler.runUntil(100);

        assertThat(ran).containsExactly("a1@10", "a2@10", "a3@10", "b@20", "c@30");
    }

    @Test
    void eventsScheduledWhileRunningJoinTheOrder() {
        scheduler.at(10, EventKind.CUSTOM, 0, 0, null, () -> {
            ran.add("first");
            scheduler.after(0, EventKind.CUSTOM, 0, 0, null, () -> ran.add("same instant, later"));
            scheduler.after(5, EventKind.CUSTOM, 0, 0, null, () -> ran.add("at 15"));
        });
        schedule(10, "queued before");

        scheduler.runUntil(100);

        assertThat(ran).containsExactly("first", "queued before@10", "same instant, later", "at 15");
    }

    @Test
    void nextAdvancesTheClockWithoutRunningTheEvent() {
        schedule(42, "x");

        Scheduler.Event event = scheduler.next();

        assertThat(scheduler.nowMicros()).isEqualTo(42);
        assertThat(event.payload()).isEqualTo("x");
        assertThat(ran).isEmpty();
        assertThat(scheduler.next()).isNull();
    }

    @Test
    void runUntilStopsBeforeLaterEvents() {
        schedule(10, "early");
        schedule(50, "late");

        assertThat(scheduler.runUntil(20)).isEqualTo(1);
        assertThat(scheduler.nowMicros()).isEqualTo(20);
        assertThat(scheduler.pending()).isEqualTo(1);
    }

    @Test
    void schedulingInThePastIsRejected() {
        schedule(100, "x");
        scheduler.runUntil(100);

        assertThatThrownBy(() -> schedule(99, "too late")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> scheduler.after(-1, EventKind.CUSTOM, 0, 0, null, () -> { }))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
