package io.cairn.aggregate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.SortedMap;
import org.junit.jupiter.api.Test;

class AggregationTest {
    private static byte[] b(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static SortedMap<String, String> run(String name, Map<String, String> params, int groupBy, String... kvs) {
        Aggregation agg = Aggregation.of(name, params, groupBy);
        Aggregation.Partial p = agg.newPartial();
        for (int i = 0; i < kvs.length; i += 2) {
            p.add(b(kvs[i]), b(kvs[i + 1]));
        }
        return p.finish();
    }

    @Test
    void numbersAreDecimalTextOrEightByteIntegersAndNothingElse() {
        assertThat(Numbers.parse(b("42"), Numbers.Encoding.TEXT)).isEqualTo(42L);
        assertThat(Numbers.parse(b("-3.5"), Numbers.Encoding.TEXT)).isEqualTo(-3.5);
        assertThat(Numbers.parse(b("+1e3"), Numbers.Encoding.TEXT)).isEqualTo(1000.0);
        assertThat(Numbers.parse(b(".5"), Numbers.Encoding.TEXT)).isEqualTo(0.5);
        assertThat(Numbers.parse(b("99999999999999999999"), Numbers.Encoding.TEXT)).isEqualTo(1e20);
        for (String bad : List.of("", " 1", "1 ", "abc", "NaN", "Infinity", "0x10", "1e", "-", ".", "1.2.3", "1e400")) {
            assertThat(Numbers.parse(b(bad), Numbers.Encoding.TEXT)).as("'%s'", bad).isNull();
        }
        assertThat(Numbers.parse(ByteBuffer.allocate(8).putLong(-7).array(), Numbers.Encoding.INT64)).isEqualTo(-7L);
        assertThat(Numbers.parse(b("1234567"), Numbers.Encoding.INT64)).as("7 bytes").isNull();
    }

    @Test
    void numericAggregatorsSkipAndCountWhatIsNotANumber() {
        String[] data = {"a", "5", "b", "x", "c", "-2", "d", "10"};
        assertThat(run("count", Map.of(), 0, data)).containsExactly(Map.entry("", "4"));
        assertThat(run("sum", Map.of(), 0, data)).containsExactly(Map.entry("", "13"));
        assertThat(run("min", Map.of(), 0, data)).containsExactly(Map.entry("", "-2"));
        assertThat(run("max", Map.of(), 0, data)).containsExactly(Map.entry("", "10"));
        assertThat(run("avg", Map.of(), 0, data)).containsExactly(Map.entry("", Double.toString(13 / 3.0)));
        Aggregation.Partial p = Aggregation.of("sum", Map.of(), 0).newPartial();
        for (int i = 0; i < data.length; i += 2) {
            p.add(b(data[i]), b(data[i + 1]));
        }
        assertThat(p.keys()).isEqualTo(4);
        assertThat(p.skipped()).as("the value x").isEqualTo(1);
        assertThat(run("avg", Map.of(), 0)).as("no numbers").containsExactly(Map.entry("", "null"));
        assertThat(run("sum", Map.of(), 0)).containsExactly(Map.entry("", "0"));
    }

    @Test
    void anIntegerSumIsExactAndOneThatOverflowsBecomesADouble() {
        assertThat(run("sum", Map.of(), 0, "a", "9007199254740993", "b", "1"))
                .as("past 2^53, where a double would round").containsExactly(Map.entry("", "9007199254740994"));
        assertThat(run("sum", Map.of(), 0, "a", Long.toString(Long.MAX_VALUE), "b", "1").get(""))
                .isEqualTo(Double.toString(Long.MAX_VALUE + 1.0));
        assertThat(run("sum", Map.of(), 0, "a", "0.1", "b", "0.2", "c", "0.3").get(""))
                .as("compensated").isEqualTo("0.6");
    }

    @Test
    void groupByTakesTheNamedSegmentAndSkipsKeysWithout() {
        SortedMap<String, String> byRegion = run("sum", Map.of(), 2,
                "orders/eu/1", "5", "orders/eu/2", "7", "orders/us/1", "1", "orders", "100");
        assertThat(byRegion).containsExactly(Map.entry("eu", "12"), Map.entry("us", "1"));
    }

    @Test
    void topKKeepsTheLargestWithTiesToTheSmallerKey() {
        assertThat(run("topk", Map.of("k", "2"), 0, "a", "5", "b", "9", "c", "9", "d", "1").get(""))
                .isEqualTo("[{\"key\":\"b\",\"value\":9},{\"key\":\"c\",\"value\":9}]");
    }

    @Test
    void histogramBoundsAreInclusiveAndTheLastBucketOpen() {
        assertThat(run("histogram", Map.of("buckets", "1,10"), 0, "a", "1", "b", "2", "c", "10", "d", "11", "e", "-5").get(""))
                .isEqualTo("[{\"le\":1,\"count\":2},{\"le\":10,\"count\":2},{\"le\":\"+Inf\",\"count\":1}]");
    }

    @Test
    void distinctIsExactForAFewValuesAndWithinFourStandardErrorsForMany() {
        assertThat(run("distinct", Map.of(), 0, "a", "x", "b", "y", "c", "x").get("")).isEqualTo("2");
        Aggregation.Partial few = Aggregation.of("distinct", Map.of(), 0).newPartial();
        for (int i = 0; i < HyperLogLog.SPARSE_MAX; i++) {
            few.add(b("k" + i), b("v" + i));
        }
        assertThat(few.finish().get("")).as("exact while the set is kept").isEqualTo(Integer.toString(HyperLogLog.SPARSE_MAX));
        Aggregation.Partial p = Aggregation.of("distinct", Map.of(), 0).newPartial();
        int n = 200_000;
        for (int i = 0; i < n; i++) {
            p.add(b("k" + i), b("v" + (i % 100_000)));
        }
        double estimate = Double.parseDouble(p.finish().get(""));
        assertThat(Math.abs(estimate - 100_000) / 100_000).as("estimate %s", estimate).isLessThan(4 * 0.0081);
    }

    /** Any split over shards, merged in any order and through bytes, gives the one-pass answer. */
    @Test
    void shardsPartialsMergedInAnyOrderEqualOnePass() {
        Random random = new Random(7);
        for (String name : Aggregators.all().keySet()) {
            List<String[]> rows = new ArrayList<>();
            for (int i = 0; i < 500; i++) {
                String value = random.nextInt(10) == 0 ? "oops" : random.nextBoolean()
                        ? Integer.toString(random.nextInt(1000) - 500) : Double.toString(random.nextDouble() * 100);
                rows.add(new String[] {"r/" + (char) ('a' + random.nextInt(5)) + "/" + i, value});
            }
            Map<String, String> params = name.equals("topk") ? Map.of("k", "5") : Map.of();
            Aggregation agg = Aggregation.of(name, params, 2);
            Aggregation.Partial whole = agg.newPartial();
            rows.forEach(r -> whole.add(b(r[0]), b(r[1])));
            List<Aggregation.Partial> shards = new ArrayList<>();
            for (int s = 0; s < 4; s++) {
                shards.add(agg.newPartial());
            }
            rows.forEach(r -> shards.get(random.nextInt(4)).add(b(r[0]), b(r[1])));
            Collections.shuffle(shards, random);
            Aggregation.Partial merged = agg.newPartial();
            shards.forEach(s -> merged.merge(agg.decode(s.encode())));
            assertThat(merged.keys()).as(name).isEqualTo(whole.keys());
            assertThat(merged.skipped()).as(name).isEqualTo(whole.skipped());
            if (name.equals("sum") || name.equals("avg")) {
                // Doubles added in another order may differ in the last bits.
                merged.finish().forEach((g, v) -> assertThat(Double.parseDouble(v)).as(name + " " + g)
                        .isCloseTo(Double.parseDouble(whole.finish().get(g)), org.assertj.core.data.Offset.offset(1e-9)));
            } else {
                assertThat(merged.finish()).as(name).isEqualTo(whole.finish());
            }
        }
    }

    @Test
    void badRequestsAreRefusedWithAReason() {
        assertThatThrownBy(() -> Aggregation.of("median", Map.of(), 0))
                .hasMessageContaining("unknown aggregator 'median'").hasMessageContaining("sum");
        assertThatThrownBy(() -> Aggregation.of("sum", Map.of("k", "3"), 0)).hasMessageContaining("takes no parameter 'k'");
        assertThatThrownBy(() -> Aggregation.of("topk", Map.of("k", "0"), 0)).hasMessageContaining("k must be");
        assertThatThrownBy(() -> Aggregation.of("histogram", Map.of("buckets", "5,1"), 0)).hasMessageContaining("increase");
        assertThatThrownBy(() -> Aggregation.of("sum", Map.of("encoding", "utf16"), 0)).hasMessageContaining("encoding");
        assertThatThrownBy(() -> Aggregation.of("sum", Map.of(), -1)).hasMessageContaining("group-by");
        Aggregation agg = Aggregation.of("sum", Map.of(), 0);
        assertThatThrownBy(() -> agg.decode(new byte[] {1, 2, 3})).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void tooManyGroupsIsRefusedNotGrown() {
        Aggregation.Partial p = Aggregation.of("count", Map.of(), 1).newPartial();
        for (int i = 0; i < Aggregation.GROUPS_MAX; i++) {
            p.add(b("g" + i + "/x"), b("1"));
        }
        assertThatThrownBy(() -> p.add(b("one-more/x"), b("1"))).hasMessageContaining("more than 10000 groups");
    }
}
