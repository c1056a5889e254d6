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
 * A node's HTTP side (the JDK's own server, a few threads): {@code /metrics} in Prometheus text,
 * {@code /health} (200 while the process serves HTTP at all), {@code /ready} (200 when the node
 * knows the membership and every shard replica it hosts follows or is a leader it knows; else
 * 503 with the reason in the body), and the web dashboard: static files shipped in the jar under
 * {@code /dashboard/} with its data at {@code /api/cluster} and {@code /api/node}.
 */
final class HttpEndpoints implements AutoCloseable {
    private final HttpServer server;
    private final ExecutorService thread;

    private HttpEndpoints(HttpServer server, ExecutorService thread) {
        this.server = server;
        this.thread = thread;
    }

    /** Threads that answer HTTP: a dashboard waiting on a dead peer must not hold up a scrape. */
    private static final int THREADS = 4;
    private static final String DASHBOARD_RESOURCES = "/io/cairn/server/dashboard/";
    private static final java.util.regex.Pattern FILE_NAME = java.util.regex.Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]*");

    /** Over HTTPS with the node's own certificate when {@code tls} is given (clients need not present one). */
    static HttpEndpoints start(InetSocketAddress address, NodeMetrics metrics, RaftLoop loop, ClusterMap map,
                               DashboardApi dashboard, io.cairn.client.Tls tls) throws IOException {
        HttpServer server;
        if (tls == null) {
            server = HttpServer.create(address, 16);
        } else {
            com.sun.net.httpserver.HttpsServer https = com.sun.net.httpserver.HttpsServer.create(address, 16);
            https.setHttpsConfigurator(new com.sun.net.httpserver.HttpsConfigurator(tls.sslContext()));
            server = https;
        }
        ExecutorService thread = Executors.newFixedThreadPool(THREADS, r -> {
            Thread t = new Thread(r, "cairn-http");
            t.setDaemon(true);
            return t;
        });
        server.setExecutor(thread);
        server.createContext("/metrics", ex -> answer(ex, 200, "text/plain; version=0.0.4; charset=utf-8",
                metrics.scrape()));
        server.createContext("/health", ex -> answer(ex, 200, TEXT, "ok\n"));
        server.createContext("/ready", ex -> {
            String why = notReady(loop, map);
            answer(ex, why == null ? 200 : 503, TEXT, why == null ? "ready\n" : why + "\n");
        });
        server.createContext("/api/node", ex -> json(ex, dashboard::node));
        server.createContext("/api/cluster", ex -> json(ex, dashboard::cluster));
        server.createContext("/dashboard", HttpEndpoints::dashboardFile);
        server.createContext("/", ex -> {
            if (!ex.getRequestURI().getPath().equals("/")) {
                answer(ex, 404, TEXT, "not found: " + ex.getRequestURI().getPath()
                        + " (try /dashboard/, /metrics, /health, /ready)\n");
                return;
            }
            ex.getResponseHeaders().set("Location", "/dashboard/");
            answer(ex, 302, TEXT, "the dashboard is at /dashboard/\n");
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

    private static final String JSON = "application/json; charset=utf-8";
    private static final String TEXT = "text/plain; charset=utf-8";

    private static void json(HttpExchange ex, java.util.function.Supplier<com.google.gson.JsonObject> view)
            throws IOException {
        String body;
        try {
            body = view.get().toString();
        } catch (RuntimeException e) {
            answer(ex, 500, TEXT, "cannot build the view: " + e + "\n");
            return;
        }
        answer(ex, 200, JSON, body);
    }

    /** A file of the dashboard from the jar; only plain names directly in its folder. */
    private static void dashboardFile(HttpExchange ex) throws IOException {
        String path = ex.getRequestURI().getPath();
        if (path.equals("/dashboard")) {
            ex.getResponseHeaders().set("Location", "/dashboard/");
            answer(ex, 302, TEXT, "the dashboard is at /dashboard/\n");
            return;
        }
        String name = path.substring("/dashboard/".length());
        if (name.isEmpty()) {
            name = "index.html";
        }
        java.io.InputStream in = FILE_NAME.matcher(name).matches()
                ? HttpEndpoints.class.getResourceAsStream(DASHBOARD_RESOURCES + name) : null;
        if (in == null) {
            answer(ex, 404, TEXT, "not found: " + path + "\n");
            return;
        }
        byte[] bytes;
        try (in) {
            bytes = in.readAllBytes();
        }
        answer(ex, 200, contentType(name), bytes);
    }

    private static String contentType(String name) {
        if (name.endsWith(".html")) {
            return "text/html; charset=utf-8";
        } else if (name.endsWith(".js")) {
            return "text/javascript; charset=utf-8";
        } else if (name.endsWith(".css")) {
            return "text/css; charset=utf-8";
        }
        return TEXT;
    }

    private static void answer(HttpExchange ex, int code, String type, String body) throws IOException {
        answer(ex, code, type, body.getBytes(StandardCharsets.UTF_8));
    }

    private static void answer(HttpExchange ex, int code, String type, byte[] bytes) throws IOException {
        ex.getResponseHeaders().set("Content-Type", type);
        ex.getResponseHeaders().set("Cache-Control", "no-store");
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
