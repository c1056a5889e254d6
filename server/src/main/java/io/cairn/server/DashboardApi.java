package io.cairn.server;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.cairn.client.CairnClient;
import io.cairn.client.ClusterStatus;
import io.cairn.common.GroupId;
import io.cairn.common.NodeId;
import io.cairn.consensus.Status;
import io.cairn.placement.MemberInfo;
import io.cairn.placement.ShardGroups;
import io.cairn.placement.Topology;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.distribution.CountAtBucket;
import java.lang.management.ManagementFactory;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * The data behind the web dashboard (docs/observability.md): {@code /api/node} is this node's own
 * view (replicas, request counters and latency histograms, health, recent events);
 * {@code /api/cluster} is the whole cluster as this node can see it, so the dashboard works
 * against any node: the shard map from the membership this node knows, every member's
 * {@code /api/node} fetched over HTTP (found through each member's gRPC status), and a member
 * that does not answer within {@link #PEER_TIMEOUT} marked unreachable with the reason.
 * Counters are cumulative; the page computes rates and quantiles between two polls.
 */
final class DashboardApi implements AutoCloseable {
    private final PeerChannels channels;
    static final Duration PEER_TIMEOUT = Duration.ofMillis(1_500);
    /** Events kept in the cluster view, newest first. */
    private static final int CLUSTER_EVENTS_MAX = 100;

    private final NodeId self;
    private final RaftLoop loop;
    private final ClusterMap map;
    private final NodeMetrics metrics;
    private final NodeEvents events;
    private final java.util.function.Supplier<String> httpAddress;
    private final HttpClient http;
    private CairnClient client;
    private boolean closed;

    DashboardApi(NodeId self, RaftLoop loop, ClusterMap map, NodeMetrics metrics, NodeEvents events,
                 java.util.function.Supplier<String> httpAddress, PeerChannels channels) {
        this.channels = channels;
        this.http = channels.httpClient(PEER_TIMEOUT);
        this.self = self;
        this.loop = loop;
        this.map = map;
        this.metrics = metrics;
        this.events = events;
        this.httpAddress = httpAddress;
    }

    /** This node as it sees itself. */
    JsonObject node() {
        JsonObject o = new JsonObject();
        o.addProperty("id", self.toString());
        o.addProperty("address", map.current().address(self));
        o.addProperty("http", httpAddress.get());
        o.addProperty("reachable", true);
        String notReady = HttpEndpoints.notReady(loop, map);
        o.addProperty("ready", notReady == null);
        o.addProperty("ready_reason", notReady == null ? "ready" : notReady);
        Runtime rt = Runtime.getRuntime();
        o.addProperty("heap_used_bytes", rt.totalMemory() - rt.freeMemory());
        o.addProperty("uptime_s", ManagementFactory.getRuntimeMXBean().getUptime() / 1000.0);
        o.add("replicas", replicas());
        o.add("requests", requests());
        JsonArray recent = new JsonArray();
        for (NodeEvents.Event e : events.recent()) {
            recent.add(event(e));
        }
        o.add("events", recent);
        return o;
    }

    private JsonArray replicas() {
        JsonArray out = new JsonArray();
        for (GroupId group : loop.hostedGroups()) {
            Status s = loop.status(group);
            if (s == null) {
                continue; // dropped since the list was taken
            }
            JsonObject r = new JsonObject();
            r.addProperty("shard", NodeMetrics.shardLabel(group));
            r.addProperty("role", s.conf().isLearner(self) ? "learner" : s.role().name().toLowerCase());
            r.addProperty("term", s.term());
            r.addProperty("leader", s.leader() == null ? null : s.leader().toString());
            r.addProperty("commit", s.commitIndex());
            r.addProperty("applied", s.appliedIndex());
            r.addProperty("last", s.lastIndex());
            r.addProperty("size_bytes", loop.sizeBytes(group));
            out.add(r);
        }
        return out;
    }

    /**
     * Every request timer's cumulative count, total seconds and histogram buckets, summed over
     * consistency levels into one entry per method and status code (the page's series).
     */
    private JsonArray requests() {
        Map<String, long[]> buckets = new TreeMap<>();
        Map<String, double[]> bounds = new TreeMap<>();
        Map<String, Double> seconds = new TreeMap<>();
        for (Timer t : metrics.registry().find("cairn_requests").timers()) {
            String key = t.getId().getTag("method") + " " + t.getId().getTag("code");
            var snapshot = t.takeSnapshot();
            CountAtBucket[] counts = snapshot.histogramCounts();
            long[] sums = buckets.computeIfAbsent(key, k -> new long[counts.length]);
            double[] les = bounds.computeIfAbsent(key, k -> new double[counts.length]);
            for (int i = 0; i < counts.length && i < sums.length; i++) {
                sums[i] += (long) counts[i].count();
                les[i] = counts[i].bucket(TimeUnit.SECONDS);
            }
            seconds.merge(key, snapshot.total(TimeUnit.SECONDS), Double::sum);
        }
        JsonArray out = new JsonArray();
        for (Map.Entry<String, long[]> e : buckets.entrySet()) {
            String[] methodCode = e.getKey().split(" ", 2);
            JsonObject r = new JsonObject();
            r.addProperty("method", methodCode[0]);
            r.addProperty("code", methodCode[1]);
            JsonArray list = new JsonArray();
            long[] sums = e.getValue();
            double[] les = bounds.get(e.getKey());
            for (int i = 0; i < sums.length; i++) {
                JsonArray pair = new JsonArray();
                pair.add(les[i]);
                pair.add(sums[i]);
                list.add(pair);
            }
            // The timer's count and its buckets are separate counters, read one after the other:
            // under load the count runs a few calls ahead, which would read as calls slower than
            // the last bucket. The last bucket's count (calls up to 30 s) agrees with the others.
            r.addProperty("count", sums.length == 0 ? 0 : sums[sums.length - 1]);
            r.addProperty("sum_s", seconds.get(e.getKey()));
            r.add("buckets", list);
            out.add(r);
        }
        return out;
    }

    /** The cluster: the shard map, every member's own view, and the events of all of them. */
    JsonObject cluster() {
        Topology t = map.current();
        Map<NodeId, CompletableFuture<JsonObject>> views = new TreeMap<>();
        Map<Long, ClusterStatus.Member> statuses = statuses();
        for (Map.Entry<NodeId, MemberInfo> m : t.members().entrySet()) {
            NodeId id = m.getKey();
            views.put(id, id.equals(self) ? CompletableFuture.completedFuture(node()) : peerView(id, statuses.get(id.value())));
        }
        JsonObject o = new JsonObject();
        o.addProperty("served_by", self.toString());
        o.addProperty("time_ms", System.currentTimeMillis());
        o.addProperty("epoch", t.epoch);
        o.addProperty("shard_count", t.shardCount());
        o.add("shards", shardMap(t));
        JsonArray members = new JsonArray();
        List<JsonObject> allEvents = new ArrayList<>();
        for (Map.Entry<NodeId, CompletableFuture<JsonObject>> v : views.entrySet()) {
            JsonObject member = v.getValue().join();
            MemberInfo info = t.members().get(v.getKey());
            member.addProperty("id", v.getKey().toString());
            member.addProperty("address", info.address());
            member.addProperty("state", info.state().name());
            JsonElement memberEvents = member.remove("events");
            if (memberEvents != null && memberEvents.isJsonArray()) {
                memberEvents.getAsJsonArray().forEach(e -> allEvents.add(e.getAsJsonObject()));
            }
            members.add(member);
        }
        o.add("members", members);
        JsonArray merged = new JsonArray();
        allEvents.stream().sorted(Comparator.comparingLong((JsonObject e) -> e.get("time_ms").getAsLong()).reversed())
                .limit(CLUSTER_EVENTS_MAX).forEach(merged::add);
        o.add("events", merged);
        return o;
    }

    private static JsonArray shardMap(Topology t) {
        JsonArray shards = new JsonArray();
        if (t.shardCount() > 1) { // a one-shard cluster keeps its membership in its one group
            JsonObject meta = new JsonObject();
            meta.addProperty("shard", "meta");
            meta.add("replicas", ids(t.replicasOf(ShardGroups.META_GROUP)));
            shards.add(meta);
        }
        for (int s = 0; s < t.shardCount(); s++) {
            JsonObject shard = new JsonObject();
            shard.addProperty("shard", Integer.toString(s));
            shard.addProperty("first_slot", t.firstSlot(s));
            shard.addProperty("end_slot", t.endSlotExclusive(s));
            shard.add("replicas", ids(t.replicasOf(ShardGroups.groupOfShard(s))));
            shards.add(shard);
        }
        return shards;
    }

    private static JsonArray ids(List<NodeId> nodes) {
        JsonArray out = new JsonArray();
        if (nodes != null) {
            nodes.forEach(n -> out.add(n.toString()));
        }
        return out;
    }

    /** Each member's own gRPC status, by node id; empty when none answered. */
    private Map<Long, ClusterStatus.Member> statuses() {
        Map<Long, ClusterStatus.Member> byId = new LinkedHashMap<>();
        try {
            for (ClusterStatus.Member m : client().clusterStatus().members()) {
                byId.put(m.id(), m);
            }
        } catch (RuntimeException e) {
            // Nobody answered: every peer shows as unreachable with the reason below.
        }
        return byId;
    }

    private CompletableFuture<JsonObject> peerView(NodeId id, ClusterStatus.Member status) {
        if (status == null || status.role() == ClusterStatus.Role.UNREACHABLE) {
            String why = status == null ? "did not answer its status request"
                    : status.error().orElse("did not answer its status request");
            return CompletableFuture.completedFuture(unreachable(why));
        }
        if (status.httpAddress().isEmpty()) {
            JsonObject o = new JsonObject();
            o.addProperty("reachable", true);
            o.addProperty("http", "");
            o.addProperty("ready_reason", "serves no HTTP (--http-listen off): no figures");
            return CompletableFuture.completedFuture(o);
        }
        HttpRequest request = HttpRequest.newBuilder(URI.create(channels.httpScheme() + "://" + status.httpAddress() + "/api/node"))
                .timeout(PEER_TIMEOUT).GET().build();
        return http.sendAsync(request, HttpResponse.BodyHandlers.ofString()).handle((response, err) -> {
            if (err != null) {
                return unreachable(status.httpAddress() + ": " + Optional.ofNullable(err.getCause()).orElse(err));
            }
            if (response.statusCode() != 200) {
                return unreachable(status.httpAddress() + " answered HTTP " + response.statusCode());
            }
            try {
                return JsonParser.parseString(response.body()).getAsJsonObject();
            } catch (RuntimeException e) {
                return unreachable(status.httpAddress() + " answered something other than a node view: " + e.getMessage());
            }
        });
    }

    private static JsonObject unreachable(String why) {
        JsonObject o = new JsonObject();
        o.addProperty("reachable", false);
        o.addProperty("ready", false);
        o.addProperty("error", why);
        return o;
    }

    private static JsonObject event(NodeEvents.Event e) {
        JsonObject o = new JsonObject();
        o.addProperty("time_ms", e.timeMillis());
        o.addProperty("node", e.node());
        o.addProperty("kind", e.kind());
        o.addProperty("shard", e.shard());
        o.addProperty("text", e.text());
        return o;
    }

    private synchronized CairnClient client() {
        if (closed) {
            throw new IllegalStateException("the node is stopping");
        }
        if (client == null) {
            client = channels.clusterClient(map, PEER_TIMEOUT);
        }
        return client;
    }

    @Override
    public synchronized void close() {
        closed = true;
        if (client != null) {
            client.close();
        }
    }
}
