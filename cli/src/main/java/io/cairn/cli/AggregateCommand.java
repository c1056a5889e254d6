package io.cairn.cli;

import io.cairn.client.AggregateQuery;
import io.cairn.client.AggregateResult;
import io.cairn.client.CairnClient;
import io.cairn.client.Consistency;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "aggregate", mixinStandardHelpOptions = true,
        description = {"Aggregates the keys under PREFIX on every shard, next to the data, and prints the merged"
                        + " answer (docs/aggregation.md). AGGREGATOR: count, sum, min, max, avg (numeric values:"
                        + " decimal text, or 8-byte integers with --encoding int64; other values are skipped and"
                        + " counted), topk (--k), distinct (HyperLogLog, about 0.8 % error), histogram (--buckets),"
                        + " or one the operator installed on the servers.",
                "By default every shard is read at one consistent cut: the answer is that of one state of the"
                        + " whole cluster. A shard that does not answer before --deadline is left out and named"
                        + " (exit 1); the answer says so, it is never a silently short total.",
                "A run longer than a second prints a line on stderr as each shard's part is read.",
                "Exit codes: 0 complete, 1 partial (shards missing) or no consistent cut in time, 2 bad input,"
                        + " 3 unreachable.",
                "--json prints one object: {\"aggregator\":\"sum\",\"groups\":{\"\":1234},\"keys\":1000,\"skipped\":2,"
                        + "\"partial\":false,\"missing\":[],\"consistent_cut\":true,\"attempts\":1,\"shards\":4,"
                        + "\"took_ms\":85,\"served\":[{\"shard\":0,\"node\":\"n1\",\"revision\":42,\"keys\":250}]} (a group's value is the aggregator's JSON: a number, null, an array or an"
                        + " object; missing entries are {\"shard\",\"first_slot\",\"end_slot\",\"reason\"})."})
final class AggregateCommand extends ClientCommand {
    @Parameters(index = "0", paramLabel = "AGGREGATOR")
    String aggregator;

    @Parameters(index = "1", paramLabel = "PREFIX", arity = "0..1", description = "Keys to aggregate (UTF-8). Default: every key.")
    String prefix = "";

    @Option(names = "--group-by", paramLabel = "N",
            description = "Group by the N-th '/'-separated key segment (1-based): orders/{region}/... is --group-by 2.")
    int groupBy;

    @Option(names = "--k", paramLabel = "K", description = "topk: how many (default 10, at most 1000).")
    Integer k;

    @Option(names = "--buckets", paramLabel = "B1,B2,...",
            description = "histogram: ascending upper bounds (default 0,1,10,100,1000,10000,100000,1000000).")
    String buckets;

    @Option(names = "--encoding", paramLabel = "text|int64", description = "How numeric values are written. Default: text.")
    String encoding;

    @Option(names = "--param", paramLabel = "NAME=VALUE", description = "A parameter of an installed aggregator (repeatable).")
    Map<String, String> params = new LinkedHashMap<>();

    @Option(names = "--consistency", paramLabel = "LEVEL", converter = ConsistencyConverter.class,
            description = "linearizable (default: one consistent cut of all shards), bounded:DURATION or eventual"
                    + " (each shard as one of its replicas has it: no cut, cheaper, spread over replicas).")
    Consistency consistency = Consistency.LINEARIZABLE;

    @Option(names = "--deadline", paramLabel = "DURATION", converter = DurationConverter.class,
            description = "Bound on the whole run; shards not done by then are reported missing. Default: 30s.")
    Duration deadline = AggregateQuery.DEADLINE_DEFAULT;

    @Option(names = "--spread", paramLabel = "POLICY",
            description = "Which replica of each shard does its work: local (default: the asked node's own replica,"
                    + " else the leader), leader, round-robin, random or weighted (--replica-weights).")
    String spread = "local";

    @Option(names = "--replica-weights", paramLabel = "n1=W,...", split = ",",
            description = "With --spread weighted: a weight per node id (unlisted: 1; 0: never).")
    Map<String, Integer> replicaWeights = new LinkedHashMap<>();

    @Option(names = "--json", description = "Print one JSON object (see above).")
    boolean json;

    /** Runs shorter than this print no progress; longer ones a line per shard part. */
    private static final long PROGRESS_AFTER_MILLIS = 1_000;

    private AggregateQuery query;

    @Override
    void validate() {
        Map<String, String> all = new LinkedHashMap<>(params);
        putIf(all, "k", k == null ? null : k.toString());
        putIf(all, "buckets", buckets);
        putIf(all, "encoding", encoding);
        query = AggregateQuery.of(aggregator).withPrefix(prefix).groupBy(groupBy).withConsistency(consistency)
                .withDeadline(deadline).withSpread(spreadPolicy(), replicaWeights);
        for (Map.Entry<String, String> p : all.entrySet()) {
            query = query.withParam(p.getKey(), p.getValue());
        }
    }

    private io.cairn.client.ReadBalancing spreadPolicy() {
        if (!replicaWeights.isEmpty() && !spread.equals("weighted")) {
            throw new IllegalArgumentException("--replica-weights goes with --spread weighted");
        }
        return switch (spread) {
            case "local" -> null;
            case "leader" -> io.cairn.client.ReadBalancing.LEADER;
            case "round-robin" -> io.cairn.client.ReadBalancing.ROUND_ROBIN;
            case "random" -> io.cairn.client.ReadBalancing.RANDOM;
            case "weighted" -> io.cairn.client.ReadBalancing.WEIGHTED;
            default -> throw new IllegalArgumentException("--spread must be local, leader, round-robin, random or weighted: "
                    + spread);
        };
    }

    private static void putIf(Map<String, String> params, String name, String value) {
        if (value != null) {
            params.put(name, value);
        }
    }

    @Override
    int run(CairnClient client, PrintWriter out, PrintWriter err) {
        long start = System.nanoTime();
        int[] parts = {0};
        AggregateResult r = client.aggregate(query, part -> {
            parts[0]++;
            if (System.nanoTime() - start > java.util.concurrent.TimeUnit.MILLISECONDS.toNanos(PROGRESS_AFTER_MILLIS)) {
                err.println(String.format("aggregate: shard %d read by n%d at revision %d, %,d keys (%d parts so far)",
                        part.shard(), part.nodeId(), part.revision(), part.keys(), parts[0]));
                err.flush();
            }
        });
        if (json) {
            out.println(json(r));
        } else {
            print(r, out);
        }
        for (AggregateResult.Missing m : r.missing()) {
            err.println("cairn: shard " + m.shard() + " (slots " + m.firstSlot() + "-" + (m.endSlot() - 1)
                    + ") is missing from the answer: " + m.reason());
        }
        return r.partial() ? CairnCli.EXIT_NEGATIVE : CairnCli.EXIT_OK;
    }

    private void print(AggregateResult r, PrintWriter out) {
        if (groupBy == 0) {
            out.println(r.value());
        } else {
            int width = Math.max(5, r.groups().keySet().stream().mapToInt(String::length).max().orElse(0));
            out.println(String.format("%-" + width + "s  %s", "GROUP", "VALUE"));
            r.groups().forEach((g, v) -> out.println(String.format("%-" + width + "s  %s", g, v)));
        }
        out.println(String.format("%,d keys, %,d skipped; %d shard%s %s%s, %d ms", r.keys(), r.skipped(),
                r.shardsAnswered(), r.shardsAnswered() == 1 ? "" : "s", r.consistentCut() ? "at one consistent cut" : "each as a replica had it (no cut)",
                r.attempts() > 1 ? " (" + r.attempts() + " rounds)" : "", r.tookMillis()));
        if (r.partial()) {
            out.println("PARTIAL: " + r.missing().size() + " shard(s) missing, see stderr");
        }
    }

    private String json(AggregateResult r) {
        StringBuilder sb = new StringBuilder("{\"aggregator\":").append(KvJson.quote(aggregator)).append(",\"groups\":{");
        boolean first = true;
        for (Map.Entry<String, String> g : r.groups().entrySet()) {
            sb.append(first ? "" : ",").append(KvJson.quote(g.getKey())).append(':').append(g.getValue());
            first = false;
        }
        sb.append("},\"keys\":").append(r.keys()).append(",\"skipped\":").append(r.skipped())
                .append(",\"partial\":").append(r.partial()).append(",\"missing\":[");
        first = true;
        for (AggregateResult.Missing m : r.missing()) {
            sb.append(first ? "" : ",").append("{\"shard\":").append(m.shard()).append(",\"first_slot\":")
                    .append(m.firstSlot()).append(",\"end_slot\":").append(m.endSlot()).append(",\"reason\":")
                    .append(KvJson.quote(m.reason())).append('}');
            first = false;
        }
        sb.append("],\"consistent_cut\":").append(r.consistentCut()).append(",\"attempts\":").append(r.attempts())
                .append(",\"shards\":").append(r.shardsAnswered()).append(",\"took_ms\":").append(r.tookMillis())
                .append(",\"served\":[");
        first = true;
        for (AggregateResult.Part p : r.served()) {
            sb.append(first ? "" : ",").append("{\"shard\":").append(p.shard()).append(",\"node\":\"n").append(p.nodeId())
                    .append("\",\"revision\":").append(p.revision()).append(",\"keys\":").append(p.keys()).append('}');
            first = false;
        }
        return sb.append("]}").toString();
    }
}
