package io.cairn.common;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * Properties as plain JUnit tests: try {@code t} builds its input from {@code new SeededRandom(t)},
 * so the seeds are the same on every run and a failure names the one that replays it. Where
 * inputs are big, a failure is first shrunk to the smallest variant that still fails.
 */
public final class Seeded {
    /** Bounds the replays spent shrinking one failure; a partly shrunk input still helps. */
    private static final int SHRINK_ATTEMPTS_MAX = 2_000;

    private Seeded() {}

    /** Checks {@code property} on the inputs of seeds [0, tries). */
    public static <T> void forAll(int tries, Function<RandomSource, T> generator, Consumer<T> property) {
        forAll(tries, generator, input -> List.of(), property);
    }

    /**
     * Checks {@code property} on the inputs of seeds [0, tries); a failing input is shrunk
     * greedily: the first of {@code smaller(input)} that still fails replaces it, until none does.
     */
    public static <T> void forAll(int tries, Function<RandomSource, T> generator, Function<T, List<T>> smaller,
            Consumer<T> property) {
        for (long seed = 0; seed < tries; seed++) {
            T input = generator.apply(new SeededRandom(seed));
            Throwable failure = failure(property, input);
            if (failure != null) {
                throw shrunk(seed, input, failure, smaller, property);
            }
        }
    }

    private static <T> AssertionError shrunk(long seed, T input, Throwable failure, Function<T, List<T>> smaller,
            Consumer<T> property) {
        T smallest = input;
        int attempts = 0;
        boolean progressed = true;
        while (progressed && attempts < SHRINK_ATTEMPTS_MAX) {
            progressed = false;
            for (T candidate : smaller.apply(smallest)) {
                if (++attempts > SHRINK_ATTEMPTS_MAX) {
                    break;
                }
                Throwable candidateFailure = failure(property, candidate);
                if (candidateFailure != null) {
                    smallest = candidate;
                    failure = candidateFailure;
                    progressed = true;
                    break;
                }
            }
        }
        String message = smallest == input
                ? String.format("seed %d fails on %s", seed, input)
                : String.format("seed %d fails on %s%nshrunk to %s", seed, input, smallest);
        return new AssertionError(message, failure);
    }

    private static <T> Throwable failure(Consumer<T> property, T input) {
        try {
            property.accept(input);
            return null;
        } catch (AssertionError | RuntimeException e) {
            return e;
        }
    }

    /**
     * The list with one run of elements removed, longest runs first so that big inputs collapse
     * in few steps; none shorter than {@code minSize}.
     */
    public static <E> List<List<E>> removals(List<E> list, int minSize) {
        List<List<E>> out = new ArrayList<>();
        for (int run = list.size() - minSize; run >= 1; run /= 2) {
            for (int from = 0; from + run <= list.size(); from += run) {
                List<E> shorter = new ArrayList<>(list.subList(0, from));
                shorter.addAll(list.subList(from + run, list.size()));
                out.add(shorter);
            }
        }
        return out;
    }

    /** Smaller values in [min, value): min itself, then halfway, then one less. */
    public static List<Integer> towards(int min, int value) {
        List<Integer> out = new ArrayList<>();
        if (value > min) {
            out.add(min);
            int half = min + (value - min) / 2;
            if (half > min) {
                out.add(half);
            }
            if (value - 1 > half) {
                out.add(value - 1);
            }
        }
        return out;
    }

    /** An int in [min, max], at either end one time in eight each, where mistakes gather. */
    public static int between(RandomSource random, int min, int max) {
        int pick = random.nextInt(8);
        if (pick == 0) {
            return min;
        }
        if (pick == 1) {
            return max;
        }
        return (int) (min + random.nextLong((long) max - min + 1));
    }

    /** A list of up to maxSize elements; small sizes (including empty) are as likely as any. */
    public static <E> List<E> list(RandomSource random, int minSize, int maxSize, Function<RandomSource, E> element) {
        int size = random.chance(0.3) ? between(random, minSize, Math.min(maxSize, minSize + 5))
                : between(random, minSize, maxSize);
        List<E> out = new ArrayList<>(size);
        for (int i = 0; i < size; i++) {
            out.add(element.apply(random));
        }
        return out;
    }
}
