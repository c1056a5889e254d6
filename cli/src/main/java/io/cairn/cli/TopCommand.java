package io.cairn.cli;

import io.cairn.client.CairnClient;
import io.cairn.client.ClusterStatus;
import java.io.PrintWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.LocalTime;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.TreeMap;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "top", mixinStandardHelpOptions = true,
        description = {"A live view of every member, refreshed each --interval: its role in the metadata group,"
                        + " the shards it leads, requests per second, errors per second, p50 and p99 latency over the"
                        + " interval, JVM heap, and whether it is ready. Figures come from each node's /metrics and"
                        + " /ready (docs/observability.md); a member serving no HTTP shows only its role. Ctrl-C ends"
                        + " it.",
                "--once prints one view (two samples --interval apart) and exits; with --json one object:",
                "{\"nodes\":[{\"id\":\"n1\",\"address\":\"127.0.0.1:7401\",\"role\":\"leader\",\"http\":\"127.0.0.1:8401\","
                        + "\"ready\":true,\"leads\":2,\"req_per_s\":1203.5,\"err_per_s\":0.0,\"p50_ms\":1.2,\"p99_ms\":8.1,"
                        + "\"heap_mb\":120.4}]} (figures null where unknown)."})
final class TopCommand extends ClientCommand {
    @Option(names = "--once", description = "Print one view and exit.")
    boolean once;

    @Option(names = "--json", description = "With --once: one JSON object.")
    boolean json;

    @Option(names = "--interval", paramLabel = "DURATION", converter = DurationConverter.class,
            description = "Time between views (and between the two samples of --once). Default: 1s")
    Duration interval = Duration.ofSeconds(1);

    /** Made at the first scrape: HTTPS trusting --cacert when it is given (the nodes then serve HTTPS). */
    private HttpClient http;
    private String scheme = "http";

    @Override
    void validate() {
        if (json && !once) {
            throw new IllegalArgumentException("--json goes with --once (a live view is for people)");
        }
        if (interval.toMillis() < 100 || interval.toMinutes() > 10) {
            throw new IllegalArgumentException("--interval must be 100ms to 10m: " + interval);
        }
    }

    /** One node's figures from two scrapes {@code seconds} apart; NaN where unknown. */
    record Row(ClusterStatus.Member member, boolean ready, double leads, double reqPerSecond, double errPerSecond,
               double p50Millis, double p99Millis, double heapMb) {}

    @Override
    int run(CairnClient client, PrintWriter out, PrintWriter err) throws Exception {
        ClusterStatus status = client.clusterStatus();
        TreeMap<String, PromText> before = scrapeAll(status);
        while (true) {
            Thread.sleep(interval.toMillis()); // the sampling interval of the view, not synchronisation
            status = client.clusterStatus();
            TreeMap<String, PromText> after = scrapeAll(status);
            List<Row> rows = rows(status, before, after, interval.toMillis() / 1000.0);
            if (once) {
                out.println(json ? json(rows) : table(rows));
                return CairnCli.EXIT_OK;
            }
            // Clear the screen and go home, as top does; a pipe gets views one after another.
            out.print(System.console() != null ? "\u001b[H\u001b[2J" : "\n");
            out.println("cairn top: " + rows.size() + " members at " + LocalTime.now().truncatedTo(ChronoUnit.SECONDS)
                    + ", every " + interval.toMillis() + " ms (Ctrl-C ends)");
            out.println(table(rows));
            out.flush();
            before = after;
        }
    }

    private TreeMap<String, PromText> scrapeAll(ClusterStatus status) {
        TreeMap<String, PromText> scrapes = new TreeMap<>();
        for (ClusterStatus.Member m : status.members()) {
            if (!m.httpAddress().isEmpty()) {
                String body = get(m.httpAddress(), "/metrics");
                if (body != null) {
                    scrapes.put(m.address(), PromText.parse(body));
                }
            }
        }
        return scrapes;
    }

    /** The body at {@code path}, or null when the node did not answer 200. */
    private String get(String httpAddress, String path) {
        if (http == null) {
            CairnCli root = CairnCli.root(spec);
            HttpClient.Builder b = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2));
            if (root.cacert != null) {
                io.cairn.client.Tls tls = io.cairn.client.Tls.load(new io.cairn.client.Tls.Files(root.cacert, root.cert, root.key),
                        io.cairn.client.Tls.RELOAD_EVERY_DEFAULT);
                b.sslContext(tls.sslContext());
                scheme = "https";
            }
            http = b.build();
        }
        try {
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(scheme + "://" + httpAddress + path))
                    .timeout(Duration.ofSeconds(2)).build(), HttpResponse.BodyHandlers.ofString());
            return r.statusCode() == 200 ? r.body() : null;
        } catch (java.io.IOException e) {
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
    }

    private List<Row> rows(ClusterStatus status, TreeMap<String, PromText> before, TreeMap<String, PromText> after,
                           double seconds) {
        List<Row> rows = new ArrayList<>();
        for (ClusterStatus.Member m : status.members()) {
            PromText a = before.get(m.address());
            PromText b = after.get(m.address());
            if (a == null || b == null) {
                rows.add(new Row(m, false, Double.NaN, Double.NaN, Double.NaN, Double.NaN, Double.NaN, Double.NaN));
                continue;
            }
            double requests = b.sum("cairn_requests_seconds_count", l -> true) - a.sum("cairn_requests_seconds_count", l -> true);
            double errors = b.sum("cairn_requests_seconds_count", l -> !"OK".equals(l.get("code")))
                    - a.sum("cairn_requests_seconds_count", l -> !"OK".equals(l.get("code")));
            TreeMap<Double, Double> buckets = b.buckets("cairn_requests_seconds_bucket");
            a.buckets("cairn_requests_seconds_bucket").forEach((le, n) -> buckets.merge(le, -n, Double::sum));
            // +Inf is the timer's count, a counter apart from the buckets that runs a few calls
            // ahead under load: over one interval those would read as calls slower than 30 s.
            buckets.remove(Double.POSITIVE_INFINITY);
            rows.add(new Row(m, get(m.httpAddress(), "/ready") != null, b.sum("cairn_raft_leader", l -> true),
                    requests / seconds, errors / seconds, PromText.quantile(buckets, 0.5) * 1000,
                    PromText.quantile(buckets, 0.99) * 1000,
                    b.sum("jvm_memory_used_bytes", l -> "heap".equals(l.get("area"))) / (1 << 20)));
        }
        return rows;
    }

    private static String table(List<Row> rows) {
        StringBuilder sb = new StringBuilder(String.format(Locale.ROOT, "%-5s %-22s %-13s %-6s %6s %9s %7s %8s %8s %8s",
                "NODE", "ADDRESS", "ROLE", "READY", "LEADS", "REQ/S", "ERR/S", "P50_MS", "P99_MS", "HEAP_MB"));
        for (Row r : rows) {
            ClusterStatus.Member m = r.member();
            sb.append('\n').append(String.format(Locale.ROOT, "%-5s %-22s %-13s %-6s %6s %9s %7s %8s %8s %8s",
                    m.id() == 0 ? "?" : "n" + m.id(), m.address(), m.role().name().toLowerCase(Locale.ROOT),
                    Double.isNaN(r.leads()) ? "-" : r.ready() ? "yes" : "no", number(r.leads(), "%.0f"),
                    number(r.reqPerSecond(), "%.1f"), number(r.errPerSecond(), "%.1f"), number(r.p50Millis(), "%.2f"),
                    number(r.p99Millis(), "%.2f"), number(r.heapMb(), "%.0f")));
        }
        return sb.toString();
    }

    private static String number(double v, String format) {
        return Double.isNaN(v) ? "-" : String.format(Locale.ROOT, format, v);
    }

    private static String json(List<Row> rows) {
        StringBuilder sb = new StringBuilder("{\"nodes\":[");
        for (int i = 0; i < rows.size(); i++) {
            Row r = rows.get(i);
            ClusterStatus.Member m = r.member();
            boolean known = !Double.isNaN(r.leads());
            sb.append(i == 0 ? "" : ",").append("{\"id\":").append(m.id() == 0 ? "null" : "\"n" + m.id() + "\"")
                    .append(",\"address\":\"").append(m.address()).append("\",\"role\":\"")
                    .append(m.role().name().toLowerCase(Locale.ROOT)).append("\",\"http\":")
                    .append(m.httpAddress().isEmpty() ? "null" : "\"" + m.httpAddress() + "\"")
                    .append(",\"ready\":").append(known ? Boolean.toString(r.ready()) : "null")
                    .append(",\"leads\":").append(jsonNumber(r.leads()))
                    .append(",\"req_per_s\":").append(jsonNumber(r.reqPerSecond()))
                    .append(",\"err_per_s\":").append(jsonNumber(r.errPerSecond()))
                    .append(",\"p50_ms\":").append(jsonNumber(r.p50Millis()))
                    .append(",\"p99_ms\":").append(jsonNumber(r.p99Millis()))
                    .append(",\"heap_mb\":").append(jsonNumber(r.heapMb())).append('}');
        }
        return sb.append("]}").toString();
    }

    private static String jsonNumber(double v) {
        return Double.isNaN(v) || Double.isInfinite(v) ? "null" : String.format(Locale.ROOT, "%.3f", v);
    }
}
