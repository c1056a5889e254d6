package io.cairn.aggregate;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.Set;
import java.util.function.Function;

/** The aggregators every node has; their parameters are listed in docs/aggregation.md. */
final class Builtins {
    private Builtins() {}

    static List<Aggregator> all() {
        return List.of(new Count(),
                new Numeric("sum", "the sum of numeric values (exact for integers)", s -> Json.number(s.total())),
                new Numeric("min", "the smallest numeric value", s -> s.min == null ? "null" : Json.number(s.min)),
                new Numeric("max", "the largest numeric value", s -> s.max == null ? "null" : Json.number(s.max)),
                new Numeric("avg", "the mean of numeric values", s -> s.count == 0 ? "null"
                        : Numbers.json(s.total().doubleValue() / s.count)),
                new TopK(), new Distinct(), new Histogram());
    }

    /** Refuses parameters an aggregator does not take: a typo must not be silently ignored. */
    static void only(String aggregator, Map<String, String> params, Set<String> known) {
        for (String p : params.keySet()) {
            if (!known.contains(p)) {
                throw new IllegalArgumentException(aggregator + " takes no parameter '" + p + "'"
                        + (known.isEmpty() ? "" : " (it takes " + String.join(", ", known) + ")"));
            }
        }
    }

    static int intParam(Map<String, String> params, String name, int dflt, int min, int max) {
        String v = params.get(name);
        if (v == null) {
            return dflt;
        }
        try {
            int n = Integer.parseInt(v);
            if (n >= min && n <= max) {
                return n;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new IllegalArgumentException(name + " must be an integer from " + min + " to " + max + ": " + v);
    }

    private static final class Count implements Aggregator {
        @Override
        public String name() {
            return "count";
        }

        @Override
        public String description() {
            return "the number of keys";
        }

        @Override
        public Bound<long[]> bind(Map<String, String> params) {
            only("count", params, Set.of());
            return new Bound<>() {
                @Override
                public long[] zero() {
                    return new long[1];
                }

                @Override
                public boolean add(long[] acc, byte[] key, byte[] value) {
                    acc[0]++;
                    return true;
                }

                @Override
                public long[] combine(long[] a, long[] b) {
                    a[0] += b[0];
                    return a;
                }

                @Override
                public byte[] encode(long[] acc) {
                    return ByteBuffer.allocate(8).putLong(acc[0]).array();
                }

                @Override
                public long[] decode(byte[] bytes) {
                    if (bytes.length != 8) {
                        throw new IllegalArgumentException("not a count: " + bytes.length + " bytes");
                    }
                    return new long[] {ByteBuffer.wrap(bytes).getLong()};
                }

                @Override
                public String finishJson(long[] acc) {
                    return Long.toString(acc[0]);
                }
            };
        }
    }

    private record Numeric(String name, String description, Function<Stats, String> finish) implements Aggregator {
        @Override
        public Bound<Stats> bind(Map<String, String> params) {
            only(name, params, Set.of("encoding"));
            Numbers.Encoding encoding = Numbers.encoding(params.get("encoding"));
            return new Bound<>() {
                @Override
                public Stats zero() {
                    return new Stats();
                }

                @Override
                public boolean add(Stats acc, byte[] key, byte[] value) {
                    Number n = Numbers.parse(value, encoding);
                    if (n == null) {
                        return false;
                    }
                    acc.add(n);
                    return true;
                }

                @Override
                public Stats combine(Stats a, Stats b) {
                    return a.combine(b);
                }

                @Override
                public byte[] encode(Stats acc) {
                    return acc.encode();
                }

                @Override
                public Stats decode(byte[] bytes) {
                    return Stats.decode(bytes);
                }

                @Override
                public String finishJson(Stats acc) {
                    return finish.apply(acc);
                }
            };
        }
    }

    /** The k largest numeric values with their keys; ties go to the smaller key. */
    private static final class TopK implements Aggregator {
        static final int K_MAX = 1_000;

        record Entry(double value, byte[] key) {}

        /** Worst first: smaller value, then larger key. */
        static final Comparator<Entry> WORST_FIRST = Comparator.comparingDouble(Entry::value)
                .thenComparing(Entry::key, (x, y) -> Arrays.compareUnsigned(y, x));

        @Override
        public String name() {
            return "topk";
        }

        @Override
        public String description() {
            return "the k largest numeric values and their keys (k=10)";
        }

        @Override
        public Bound<PriorityQueue<Entry>> bind(Map<String, String> params) {
            only("topk", params, Set.of("k", "encoding"));
            int k = intParam(params, "k", 10, 1, K_MAX);
            Numbers.Encoding encoding = Numbers.encoding(params.get("encoding"));
            return new Bound<>() {
                @Override
                public PriorityQueue<Entry> zero() {
                    return new PriorityQueue<>(WORST_FIRST);
                }

                @Override
                public boolean add(PriorityQueue<Entry> acc, byte[] key, byte[] value) {
                    Number n = Numbers.parse(value, encoding);
                    if (n == null) {
                        return false;
                    }
                    offer(acc, new Entry(n.doubleValue(), key));
                    return true;
                }

                private void offer(PriorityQueue<Entry> acc, Entry e) {
                    if (acc.size() < k) {
                        acc.add(new Entry(e.value(), e.key().clone()));
                    } else if (WORST_FIRST.compare(e, acc.peek()) > 0) {
                        acc.poll();
                        acc.add(new Entry(e.value(), e.key().clone()));
                    }
                }

                @Override
                public PriorityQueue<Entry> combine(PriorityQueue<Entry> a, PriorityQueue<Entry> b) {
                    b.forEach(e -> offer(a, e));
                    return a;
                }

                @Override
                public byte[] encode(PriorityQueue<Entry> acc) {
                    int size = 4;
                    for (Entry e : acc) {
                        size += 8 + 4 + e.key().length;
                    }
                    ByteBuffer b = ByteBuffer.allocate(size).putInt(acc.size());
                    for (Entry e : acc) {
                        b.putDouble(e.value()).putInt(e.key().length).put(e.key());
                    }
                    return b.array();
                }

                @Override
                public PriorityQueue<Entry> decode(byte[] bytes) {
                    try {
                        ByteBuffer b = ByteBuffer.wrap(bytes);
                        int n = b.getInt();
                        PriorityQueue<Entry> acc = zero();
                        for (int i = 0; i < n; i++) {
                            double v = b.getDouble();
                            byte[] key = new byte[b.getInt()];
                            b.get(key);
                            acc.add(new Entry(v, key));
                        }
                        return acc;
                    } catch (RuntimeException e) {
                        throw new IllegalArgumentException("not a top-k accumulator: " + e, e);
                    }
                }

                @Override
                public String finishJson(PriorityQueue<Entry> acc) {
                    List<Entry> best = new ArrayList<>(acc);
                    best.sort(WORST_FIRST.reversed());
                    StringBuilder sb = new StringBuilder("[");
                    for (Entry e : best) {
                        sb.append(sb.length() > 1 ? "," : "").append("{\"key\":").append(Json.string(e.key()))
                                .append(",\"value\":").append(Numbers.json(e.value())).append('}');
                    }
                    return sb.append(']').toString();
                }
            };
        }
    }

    /** Distinct values, estimated by HyperLogLog (see {@link HyperLogLog}). */
    private static final class Distinct implements Aggregator {
        @Override
        public String name() {
            return "distinct";
        }

        @Override
        public String description() {
            return "the number of distinct values: exact up to 1024, then estimated by HyperLogLog (precision=14: about 0.8 % error)";
        }

        @Override
        public Bound<HyperLogLog> bind(Map<String, String> params) {
            only("distinct", params, Set.of("precision"));
            int precision = intParam(params, "precision", 14, HyperLogLog.PRECISION_MIN, HyperLogLog.PRECISION_MAX);
            return new Bound<>() {
                @Override
                public HyperLogLog zero() {
                    return new HyperLogLog(precision);
                }

                @Override
                public boolean add(HyperLogLog acc, byte[] key, byte[] value) {
                    acc.add(value);
                    return true;
                }

                @Override
                public HyperLogLog combine(HyperLogLog a, HyperLogLog b) {
                    return a.merge(b);
                }

                @Override
                public byte[] encode(HyperLogLog acc) {
                    return acc.encode();
                }

                @Override
                public HyperLogLog decode(byte[] bytes) {
                    return HyperLogLog.decode(bytes);
                }

                @Override
                public String finishJson(HyperLogLog acc) {
                    return Long.toString(acc.estimate());
                }
            };
        }
    }

    /** Numeric values counted into buckets by upper bound (inclusive), the last one open. */
    private static final class Histogram implements Aggregator {
        static final String BOUNDS_DEFAULT = "0,1,10,100,1000,10000,100000,1000000";
        static final int BOUNDS_MAX = 256;

        @Override
        public String name() {
            return "histogram";
        }

        @Override
        public String description() {
            return "how many numeric values fall at or below each bound (buckets=" + BOUNDS_DEFAULT + ")";
        }

        @Override
        public Bound<long[]> bind(Map<String, String> params) {
            only("histogram", params, Set.of("buckets", "encoding"));
            double[] bounds = bounds(params.getOrDefault("buckets", BOUNDS_DEFAULT));
            Numbers.Encoding encoding = Numbers.encoding(params.get("encoding"));
            return new Bound<>() {
                @Override
                public long[] zero() {
                    return new long[bounds.length + 1];
                }

                @Override
                public boolean add(long[] acc, byte[] key, byte[] value) {
                    Number n = Numbers.parse(value, encoding);
                    if (n == null) {
                        return false;
                    }
                    int i = Arrays.binarySearch(bounds, n.doubleValue());
                    acc[i >= 0 ? i : -i - 1]++;
                    return true;
                }

                @Override
                public long[] combine(long[] a, long[] b) {
                    for (int i = 0; i < a.length; i++) {
                        a[i] += b[i];
                    }
                    return a;
                }

                @Override
                public byte[] encode(long[] acc) {
                    ByteBuffer b = ByteBuffer.allocate(8 * acc.length);
                    for (long c : acc) {
                        b.putLong(c);
                    }
                    return b.array();
                }

                @Override
                public long[] decode(byte[] bytes) {
                    if (bytes.length != 8 * (bounds.length + 1)) {
                        throw new IllegalArgumentException("not a histogram of " + bounds.length + " bounds");
                    }
                    long[] acc = zero();
                    ByteBuffer.wrap(bytes).asLongBuffer().get(acc);
                    return acc;
                }

                @Override
                public String finishJson(long[] acc) {
                    StringBuilder sb = new StringBuilder("[");
                    for (int i = 0; i < acc.length; i++) {
                        sb.append(i > 0 ? "," : "").append("{\"le\":")
                                .append(i < bounds.length ? Numbers.json(bounds[i]) : "\"+Inf\"")
                                .append(",\"count\":").append(acc[i]).append('}');
                    }
                    return sb.append(']').toString();
                }
            };
        }

        private static double[] bounds(String list) {
            String[] parts = list.split(",", -1);
            if (parts.length > BOUNDS_MAX) {
                throw new IllegalArgumentException("at most " + BOUNDS_MAX + " buckets: " + parts.length);
            }
            double[] bounds = new double[parts.length];
            for (int i = 0; i < parts.length; i++) {
                Number n = Numbers.parse(parts[i].trim().getBytes(java.nio.charset.StandardCharsets.US_ASCII),
                        Numbers.Encoding.TEXT);
                if (n == null) {
                    throw new IllegalArgumentException("buckets must be numbers separated by commas: " + list);
                }
                bounds[i] = n.doubleValue();
                if (i > 0 && bounds[i] <= bounds[i - 1]) {
                    throw new IllegalArgumentException("buckets must increase: " + list);
                }
            }
            return bounds;
        }
    }
}
