package io.choria.natsoperator.runtime;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Supplier;

/**
 * The operator's HTTP port (the JDK's com.sun.net.httpserver, no framework): {@code /healthz}
 * (liveness), {@code /readyz} (readiness), {@code /metrics} (Prometheus text format). The
 * probes answer 200 or 503 with a one-line reason; only GET and HEAD are served.
 */
public final class HttpEndpoints implements AutoCloseable {
    public static final String LIVENESS_PATH = "/healthz";
    public static final String READINESS_PATH = "/readyz";
    public static final String METRICS_PATH = "/metrics";
    /** The name of the container port in the chart's Deployment and the metrics Service. */
    public static final String PORT_NAME = "http";

    private final HttpServer server;
    private final ExecutorService executor;

    private HttpEndpoints(HttpServer server, ExecutorService executor) {
        this.server = server;
        this.executor = executor;
    }

    /** Binds every interface on {@code port} (0: any free port) and starts serving. */
    public static HttpEndpoints start(int port, OperatorHealth health, PrometheusMeterRegistry registry) throws IOException {
        return start(port, health, registry, () -> "");
    }

    /** As above; {@code more} is appended to the registry's scrape (the per-cluster series, see metrics/ClusterMetrics). */
    public static HttpEndpoints start(int port, OperatorHealth health, PrometheusMeterRegistry registry, Supplier<String> more) throws IOException {
        return start(new InetSocketAddress(port), health, registry, more);
    }

    /** As above, on one address only ({@code local --metrics-address}: a loopback address). */
    public static HttpEndpoints start(InetSocketAddress address, OperatorHealth health, PrometheusMeterRegistry registry, Supplier<String> more) throws IOException {
        HttpServer server = HttpServer.create(address, 16);
        server.createContext(LIVENESS_PATH, ex -> probe(ex, health::liveness));
        server.createContext(READINESS_PATH, ex -> probe(ex, health::readiness));
        server.createContext(METRICS_PATH, ex -> {
            if (!exact(ex, METRICS_PATH)) return;
            respond(ex, 200, "text/plain; version=0.0.4; charset=utf-8", registry.scrape() + more.get());
        });
        server.createContext("/", ex -> respond(ex, 404, "text/plain; charset=utf-8", "not found\n"));
        ExecutorService executor = Executors.newFixedThreadPool(2, r -> {
            Thread t = new Thread(r, "http-endpoints");
            t.setDaemon(true);
            return t;
        });
        server.setExecutor(executor);
        server.start();
        return new HttpEndpoints(server, executor);
    }

    public int port() {
        return server.getAddress().getPort();
    }

    private static void probe(HttpExchange ex, Supplier<OperatorHealth.Verdict> check) throws IOException {
        if (!exact(ex, ex.getHttpContext().getPath())) return;
        OperatorHealth.Verdict v;
        try {
            v = check.get();
        } catch (RuntimeException e) {
            v = new OperatorHealth.Verdict(false, "check failed: " + e);
        }
        respond(ex, v.ok() ? 200 : 503, "text/plain; charset=utf-8", v.message() + "\n");
    }

    /** Only GET/HEAD on the exact path; anything else is answered here. */
    private static boolean exact(HttpExchange ex, String path) throws IOException {
        if (!ex.getRequestURI().getPath().equals(path)) {
            respond(ex, 404, "text/plain; charset=utf-8", "not found\n");
            return false;
        }
        String m = ex.getRequestMethod();
        if (!m.equals("GET") && !m.equals("HEAD")) {
            ex.getResponseHeaders().set("Allow", "GET, HEAD");
            respond(ex, 405, "text/plain; charset=utf-8", "method not allowed\n");
            return false;
        }
        return true;
    }

    private static void respond(HttpExchange ex, int status, String contentType, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        ex.getResponseHeaders().set("Content-Type", contentType);
        boolean head = ex.getRequestMethod().equals("HEAD");
        ex.sendResponseHeaders(status, head ? -1 : bytes.length);
        try (OutputStream out = ex.getResponseBody()) {
            if (!head) out.write(bytes);
        }
    }

    /** Stops accepting, lets exchanges under way finish for up to a second. */
    @Override
    public void close() {
        server.stop(1);
        executor.shutdownNow();
    }
}
