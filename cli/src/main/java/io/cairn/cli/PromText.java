package io.cairn.cli;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Predicate;

/**
 * The samples of a Prometheus text exposition, as {@code cairn top} reads a node's
 * {@code /metrics}: name, labels, value per line; comments and malformed lines are skipped.
 */
final class PromText {
    record Sample(String name, Map<String, String> labels, double value) {}

    private final List<Sample> samples;

    private PromText(List<Sample> samples) {
        this.samples = samples;
    }

    static PromText parse(String text) {
        List<Sample> samples = new ArrayList<>();
        for (String line : text.split("\n")) {
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            int space = line.lastIndexOf(' ');
            int brace = line.indexOf('{');
            if (space < 0) {
                continue;
            }
            String head = line.substring(0, space);
            Map<String, String> labels = new TreeMap<>();
            String name = head;
            if (brace > 0 && head.endsWith("}")) {
                name = head.substring(0, brace);
                for (String pair : head.substring(brace + 1, head.length() - 1).split("\",")) {
                    int eq = pair.indexOf('=');
                    if (eq > 0) {
                        labels.put(pair.substring(0, eq), pair.substring(eq + 1).replace("\"", ""));
                    }
                }
            }
            try {
                samples.add(new Sample(name, labels, Double.parseDouble(line.substring(space + 1))));
            } catch (NumberFormatException e) {
                // Not a sample line: skipped.
            }
        }
        return new PromText(samples);
    }

    /** The sum of {@code name}'s samples whose labels pass {@code filter}. */
    double sum(String name, Predicate<Map<String, String>> filter) {
        double total = 0;
        for (Sample s : samples) {
            if (s.name().equals(name) && filter.test(s.labels()) && !Double.isNaN(s.value())) {
                total += s.value();
            }
        }
        return total;
    }

    /** A histogram's cumulative counts by upper bound ({@code le}), summed over its other labels. */
    TreeMap<Double, Double> buckets(String name) {
        TreeMap<Double, Double> out = new TreeMap<>();
        for (Sample s : samples) {
            String le = s.labels().get("le");
            if (s.name().equals(name) && le != null) {
                out.merge(le.equals("+Inf") ? Double.POSITIVE_INFINITY : Double.parseDouble(le), s.value(), Double::sum);
            }
        }
        return out;
    }

    /**
     * The {@code q}-quantile of cumulative {@code buckets}, interpolated within its bucket as
     * Prometheus's histogram_quantile does; NaN when the histogram is empty.
     */
    static double quantile(TreeMap<Double, Double> buckets, double q) {
        double total = buckets.isEmpty() ? 0 : buckets.lastEntry().getValue();
        if (total <= 0) {
            return Double.NaN;
        }
        double rank = q * total;
        double lowerBound = 0;
        double lowerCount = 0;
        for (Map.Entry<Double, Double> b : buckets.entrySet()) {
            if (b.getValue() >= rank) {
                if (b.getKey().isInfinite()) {
                    return lowerBound;
                }
                double inBucket = b.getValue() - lowerCount;
                return inBucket <= 0 ? b.getKey()
                        : lowerBound + (b.getKey() - lowerBound) * (rank - lowerCount) / inBucket;
            }
            lowerBound = b.getKey();
            lowerCount = b.getValue();
        }
        return lowerBound;
    }
}
