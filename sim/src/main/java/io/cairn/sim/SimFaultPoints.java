package io.cairn.sim;

import io.cairn.common.FaultPoints;
import io.cairn.common.SeededRandom;
import java.util.EnumMap;

/**
 * The simulator's {@link FaultPoints}: each site is active in about half the runs, drawn once per
 * run, and an active site fires at its own rate. Its generator is a stream of the seed of its
 * own, so the run's other draws stay where they were; which sites a run activated shows in the
 * trace, and each firing is counted in the run's {@link Coverage}.
 */
final class SimFaultPoints implements FaultPoints {
    /** Tells this generator apart from the run's ("buggify"). */
    private static final long STREAM = 0x6275_6767_6966_7900L;

    private final SeededRandom random;
    private final EnumMap<Site, Double> rates = new EnumMap<>(Site.class);
    private final Coverage coverage;

    private SimFaultPoints(long seed, Coverage coverage) {
        this.random = new SeededRandom(Hashing.combine(seed, STREAM));
        this.coverage = coverage;
        for (Site site : Site.values()) {
            if (random.chance(0.5)) {
                rates.put(site, rate(site));
            }
        }
    }

    static SimFaultPoints derive(long seed, Coverage coverage) {
        return new SimFaultPoints(seed, coverage);
    }

    /** Per call: rarer where the site is called on every message, so the run still moves. */
    private static double rate(Site site) {
        return switch (site) {
            case SHORT_APPEND -> 0.05;
            case SHORT_APPLY -> 0.1;
            case EARLY_APPEND_NOT_KEPT -> 0.25;
        };
    }

    private static Coverage.Item item(Site site) {
        return switch (site) {
            case SHORT_APPEND -> Coverage.Item.SHORT_APPENDS;
            case SHORT_APPLY -> Coverage.Item.SHORT_APPLIES;
            case EARLY_APPEND_NOT_KEPT -> Coverage.Item.EARLY_APPENDS_NOT_KEPT;
        };
    }

    @Override
    public boolean fire(Site site) {
        Double rate = rates.get(site);
        if (rate == null || !random.chance(rate)) {
            return false;
        }
        coverage.add(item(site));
        return true;
    }

    @Override
    public String toString() {
        return "fault points " + (rates.isEmpty() ? "none" : rates.keySet().toString().toLowerCase(java.util.Locale.ROOT));
    }
}
