package io.cairn.aggregate;

import java.util.Collections;
import java.util.ServiceLoader;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * The aggregators this process knows: the built-ins and those an operator installed on the class
 * path ({@link Aggregator}'s service file). An installed aggregator may not reuse a built-in's name.
 */
public final class Aggregators {
    private static final SortedMap<String, Aggregator> KNOWN = load();

    private Aggregators() {}

    private static SortedMap<String, Aggregator> load() {
        SortedMap<String, Aggregator> known = new TreeMap<>();
        for (Aggregator a : Builtins.all()) {
            known.put(a.name(), a);
        }
        for (Aggregator a : ServiceLoader.load(Aggregator.class)) {
            Aggregator clash = known.putIfAbsent(a.name(), a);
            if (clash != null) {
                throw new IllegalStateException("two aggregators are named " + a.name() + ": "
                        + clash.getClass().getName() + " and " + a.getClass().getName());
            }
        }
        return Collections.unmodifiableSortedMap(known);
    }

    /** Every aggregator by name. */
    public static SortedMap<String, Aggregator> all() {
        return KNOWN;
    }

    /** The aggregator named {@code name}; IllegalArgumentException naming the known ones otherwise. */
    public static Aggregator named(String name) {
        Aggregator a = KNOWN.get(name);
        if (a == null) {
            throw new IllegalArgumentException("unknown aggregator '" + name + "'; this cluster has "
                    + String.join(", ", KNOWN.keySet()));
        }
        return a;
    }
}
