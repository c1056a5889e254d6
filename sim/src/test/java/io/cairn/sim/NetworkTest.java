package io.cairn.sim;

import static org.assertj.core.api.Assertions.assertThat;

import io.cairn.common.SeededRandom;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class NetworkTest {
    private record Delivery(int from, int to, Object message, long atMicros) {}

    private final Scheduler scheduler = new Scheduler();
    private final List<Delivery> delivered = new ArrayList<>();
    private final Network network = new Network(8, scheduler, new SeededRandom(7),
            (from, to, message) -> delivered.add(new Delivery(from, to, message, scheduler.nowMicros())));

    @Test
    void faultFreeNetworkDeliversEveryMessageOnceWithinTheDelayRange() {
        network.setDelays(1_000, 5_000, 0, 0);
        for (int i = 0; i < 200; i++) {
            network.send(1, 2, i);
        }
        scheduler.runUntil(1_000_000);

        assertThat(delivered).hasSize(200);
        assertThat(delivered).extracting(Delivery::message).doesNotHaveDuplicates();
        assertThat(delivered).allSatisfy(d -> assertThat(d.atMicros()).isBetween(1_000L, 5_000L));
    }

    @Test
    void randomDelaysReorderMessages() {
        network.setDelays(1_000, 20_000, 0, 0);
        for (int i = 0; i < 50; i++) {
            network.send(1, 2, i);
        }
        scheduler.runUntil(1_000_000);

        List<Object> order = delivered.stream().map(Delivery::message).toList();
        assertThat(order).hasSize(50).isNotEqualTo(order.stream().sorted().toList());
    }

    @Test
    void certainDropLosesEverything() {
        network.setDropProbability(1.0);
        for (int i = 0; i < 20; i++) {
            network.send(1, 2, i);
        }
        scheduler.runUntil(1_000_000);

        assertThat(delivered).isEmpty();
        assertThat(network.droppedCount()).isEqualTo(20);
    }

    @Test
    void someMessagesAreDroppedAtAModerateRate() {
        network.setDropProbability(0.3);
        for (int i = 0; i < 1_000; i++) {
            network.send(1, 2, i);
        }
        scheduler.runUntil(1_000_000);

        assertThat(delivered.size()).isBetween(600, 800);
    }

    @Test
    void certainDuplicationDeliversEachMessageTwice() {
        network.setDuplicateProbability(1.0);
        network.send(3, 4, "m");
        scheduler.runUntil(1_000_000);

        assertThat(delivered).extracting(Delivery::message).containsExactly("m", "m");
    }

    @Test
    void oneWayBlockCutsOnlyThatDirection() {
        network.block(1, 2);
        network.send(1, 2, "lost");
        network.send(2, 1, "arrives");
        scheduler.runUntil(1_000_000);

        assertThat(delivered).extracting(Delivery::message).containsExactly("arrives");
        assertThat(network.isBlocked(1, 2)).isTrue();
        assertThat(network.isBlocked(2, 1)).isFalse();
    }

    @Test
    void healingRestoresEveryLink() {
        network.block(1, 2);
        network.block(2, 1);
        network.healAll();
        network.send(1, 2, "a");
        network.send(2, 1, "b");
        scheduler.runUntil(1_000_000);

        assertThat(delivered).hasSize(2);
    }

    @Test
    void aMessageInFlightWhenAPartitionStartsStillArrives() {
        network.setDelays(10_000, 10_000, 0, 0);
        network.send(1, 2, "on the wire");
        network.block(1, 2);
        scheduler.runUntil(1_000_000);

        assertThat(delivered).extracting(Delivery::message).containsExactly("on the wire");
    }

    @Test
    void latencySpikesHoldSomeMessagesBackLonger() {
        network.setDelays(1_000, 1_000, 0.5, 500_000);
        for (int i = 0; i < 100; i++) {
            network.send(1, 2, i);
        }
        scheduler.runUntil(10_000_000);

        assertThat(delivered).hasSize(100);
        assertThat(delivered).anySatisfy(d -> assertThat(d.atMicros()).isGreaterThan(100_000L));
        assertThat(delivered).anySatisfy(d -> assertThat(d.atMicros()).isEqualTo(1_000L));
    }
}
