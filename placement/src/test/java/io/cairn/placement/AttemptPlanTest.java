package io.cairn.placement;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.cairn.common.SeededRandom;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class AttemptPlanTest {
    private static final List<String> NODES = List.of("a:1", "b:1", "c:1");
    private static final AttemptPlan.Backoff BACKOFF = new AttemptPlan.Backoff(20, 500);

    /** A client's leader guess for one group, as its endpoints keep it. */
    private static final class Guess implements AttemptPlan.LeaderGuess {
        String leader;

        @Override
        public String get() {
            return leader;
        }

        @Override
        public void is(String address) {
            leader = address;
        }

        @Override
        public void isNot(String address) {
            if (address.equals(leader)) {
                leader = null;
            }
        }
    }

    private static AttemptPlan plan(Guess guess, int rotationStart, String first) {
        return new AttemptPlan(NODES, rotationStart, guess, BACKOFF, new SeededRandom(7), first);
    }

    @Test
    void theFirstChoiceThenTheLeaderGuessThenTheEndpointsInRotationSkippingFailedOnes() {
        Guess guess = new Guess();
        guess.leader = "c:1";
        AttemptPlan plan = plan(guess, 1, "a:1");

        List<String> order = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            String next = plan.next();
            order.add(next);
            plan.failed(next);
        }

        // a (chosen), c (the guess, then forgotten), b (rotation from 1); then every address has
        // failed: the round starts again, past the three the rotation just stepped over.
        assertThat(order).containsExactly("a:1", "c:1", "b:1", "c:1", "a:1");
        assertThat(guess.leader).isNull();
    }

    @Test
    void aHintIsFollowedAtOnceTwiceInARowThenAfterABackoff() {
        Guess guess = new Guess();
        AttemptPlan plan = plan(guess, 0, null);

        assertThat(plan.next()).isEqualTo("a:1");
        assertThat(plan.redirected("a:1", "b:1")).isZero();
        assertThat(guess.leader).isEqualTo("b:1");
        assertThat(plan.next()).isEqualTo("b:1");
        assertThat(plan.redirected("b:1", "a:1")).isZero();
        assertThat(plan.next()).isEqualTo("a:1");
        // Two nodes naming each other: the third redirect in a row pauses.
        assertThat(plan.redirected("a:1", "b:1")).isBetween(10L, 20L);
        assertThat(plan.next()).isEqualTo("b:1");
    }

    @Test
    void aRedirectWithoutAnotherAddressIsAFailure() {
        Guess guess = new Guess();
        guess.leader = "a:1";
        AttemptPlan plan = plan(guess, 0, null);

        assertThat(plan.next()).isEqualTo("a:1");
        assertThat(plan.redirected("a:1", null)).isBetween(10L, 20L);
        assertThat(guess.leader).isNull();
        assertThat(plan.next()).isEqualTo("b:1");
        assertThat(plan.redirected("b:1", "b:1")).isBetween(20L, 40L);
        assertThat(plan.next()).isEqualTo("c:1");
    }

    @Test
    void theBackoffDoublesPerFailureWithEqualJitterUpToItsMax() {
        SeededRandom random = new SeededRandom(1);
        long[][] rows = {
            // failures in a row, lowest, highest
            {0, 10, 20},
            {1, 20, 40},
            {4, 160, 320},
            {5, 250, 500},
            {40, 250, 500},
        };
        for (long[] row : rows) {
            for (int i = 0; i < 100; i++) {
                assertThat(BACKOFF.millis((int) row[0], random)).as("after %s failures", row[0]).isBetween(row[1], row[2]);
            }
        }
        assertThatThrownBy(() -> new AttemptPlan.Backoff(0, 10)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new AttemptPlan.Backoff(20, 10)).isInstanceOf(IllegalArgumentException.class);
    }
}
