package io.cairn.server;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.cairn.common.GroupId;
import io.cairn.consensus.Role;
import io.cairn.consensus.Status;
import io.cairn.placement.ShardGroups;
import io.cairn.placement.Topology;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * A node's HTTP side (the JDK's own server, one thread): {@code /metrics} in Prometheus text,
 * {@code /health} (200 while the process serves HTTP at all) and {@code /ready} (200 when the
 * node knows the membership and every shard replica it hosts follows or is a leader it knows;
 * else 503 with the reason in the body).
 */
final class HttpEndpoints implements AutoCloseable {
    private final HttpServer server;
    private final ExecutorService thread;

    private HttpEndpoints(HttpServer server, ExecutorService thread) {
        this.server = server;
        this.thread = thread;
    }

    static HttpEndpoints start(InetSocketAddress address, NodeMetrics metrics, RaftLoop loop, ClusterMap map)
            throws IOException {
        HttpServer server = HttpServer.create(address, 16);
        ExecutorService thread = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "cairn-http");
            t.setDaemon(true);
            return t;
        });
        server.setExecutor(thread);
        server.createContext("/metrics", ex -> answer(ex, 200, "text/plain; version=0.0.4; charset=utf-8",
                metrics.scrape()));
        server.createContext("/health", ex -> answer(ex, 200, "text/plain; charset=utf-8", "ok\n"));
        server.createContext("/ready", ex -> {
            String why = notReady(loop, map);
            answer(ex, why == null ? 200 : 503, "text/plain; charset=utf-8", why == null ? "ready\n" : why + "\n");
        });
        server.start();
        return new HttpEndpoints(server, thread);
    }

    int port() {
        return server.getAddress().getPort();
    }

    /** Why this node does not serve, or null when it does. */
    static String notReady(RaftLoop loop, ClusterMap map) {
        Topology t = map.current();
        if (t == null || t.members().isEmpty()) {
            return "not ready: the membership is not known yet";
        }
        List<String> leaderless = new ArrayList<>();
        for (GroupId group : loop.hostedGroups()) {
            Status s = loop.status(group);
            boolean served = s != null && (s.role() == Role.LEADER || s.role() == Role.FOLLOWER && s.leader() != null);
            if (!served) {
                leaderless.add((group.equals(ShardGroups.META_GROUP) ? "the metadata group" : "shard "
                        + NodeMetrics.shardLabel(group)) + (s == null ? "" : " (" + s.role().name().toLowerCase() + ")"));
            }
        }
        return leaderless.isEmpty() ? null : "not ready: no leader known for " + String.join(", ", leaderless);
    }

    private static void answer(HttpExchange ex, int code, String type, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        ex.getResponseHeaders().set("Content-Type", type);
        if (ex.getRequestMethod().equals("HEAD")) {
            ex.sendResponseHeaders(code, -1);
        } else {
            ex.sendResponseHeaders(code, bytes.length);
            try (OutputStream out = ex.getResponseBody()) {
                out.write(bytes);
            }
        }
        ex.close();
    }

    @Override
    public void close() {
        server.stop(0);
        thread.shutdownNow();
    }
}
