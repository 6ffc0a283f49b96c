package io.choria.natsoperator.mesh;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.time.Duration;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;

/**
 * A small client of a broker's monitoring endpoint (port 8222): {@code /healthz}, {@code /varz}
 * and {@code /routez}. Every request is bounded (connect and whole request), so a broker that
 * hangs cannot stall a reconcile. Thread-safe; one instance is meant to be shared.
 */
public final class MonitorClient {
    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(2);
    private static final ObjectMapper JSON = new ObjectMapper();

    private final HttpClient http;
    private final Duration timeout;

    public MonitorClient() {
        this(DEFAULT_TIMEOUT);
    }

    public MonitorClient(Duration timeout) {
        this.timeout = timeout;
        this.http = HttpClient.newBuilder()
                .connectTimeout(timeout)
                .followRedirects(HttpClient.Redirect.NEVER)
                .version(HttpClient.Version.HTTP_1_1)
                .build();
    }

    /** What {@code /varz} says about one broker; {@code remotes} is the number of distinct peers it has routes to. */
    public record Varz(String serverName, int remotes, int routes, int connections, long memBytes) {}

    /** A failed request, with a short human reason ("connection refused", "timed out after 2s", "HTTP 503"). */
    public static final class MonitorException extends Exception {
        public MonitorException(String message, Throwable cause) {
            super(message, cause);
        }
    }

    public CompletableFuture<Varz> varzAsync(URI base) {
        return getAsync(base, "/varz").thenCompose(body -> {
            JsonNode v = parse(body, "/varz");
            CompletableFuture<Integer> remotes = v.hasNonNull("remotes")
                    ? CompletableFuture.completedFuture(v.get("remotes").asInt())
                    // Older servers lack "remotes": count distinct peers in /routez instead.
                    : getAsync(base, "/routez").thenApply(r -> distinctRemotes(parse(r, "/routez")));
            return remotes.thenApply(n -> new Varz(v.path("server_name").asText(null), n, v.path("routes").asInt(),
                    v.path("connections").asInt(), v.path("mem").asLong()));
        });
    }

    /** Distinct peers in a {@code /routez} answer: by {@code remote_id}, the peer's server id. */
    static int distinctRemotes(JsonNode routez) {
        Set<String> ids = new HashSet<>();
        for (JsonNode route : routez.path("routes")) {
            String id = route.path("remote_id").asText("");
            if (!id.isEmpty()) ids.add(id);
        }
        return ids.size();
    }

    private CompletableFuture<String> getAsync(URI base, String path) {
        return http.sendAsync(request(base, path), HttpResponse.BodyHandlers.ofString()).thenApply(r -> {
            if (r.statusCode() != 200) {
                throw new CompletionException(new MonitorException("HTTP " + r.statusCode() + " from " + path, null));
            }
            return r.body();
        });
    }

    private HttpRequest request(URI base, String path) {
        return HttpRequest.newBuilder(base.resolve(path)).timeout(timeout).GET().build();
    }

    private static JsonNode parse(String body, String path) {
        try {
            return JSON.readTree(body);
        } catch (IOException e) {
            throw new CompletionException(new MonitorException(path + " is not JSON: " + e.getMessage(), e));
        }
    }

    /** Unwraps a failed future into a MonitorException with a short reason. */
    public MonitorException asMonitorException(Throwable t) {
        Throwable cause = t;
        while ((cause instanceof CompletionException || cause instanceof java.util.concurrent.ExecutionException)
                && cause.getCause() != null) {
            cause = cause.getCause();
        }
        if (cause instanceof MonitorException m) return m;
        return new MonitorException(describe(cause), cause);
    }

    private String describe(Throwable e) {
        if (e instanceof HttpConnectTimeoutException) return "connect timed out after " + timeout.toMillis() + " ms";
        if (e instanceof HttpTimeoutException) return "timed out after " + timeout.toMillis() + " ms";
        for (Throwable c = e; c != null; c = c.getCause()) {
            if (c instanceof ConnectException) return "connection refused";
            if (c instanceof java.nio.channels.UnresolvedAddressException || c instanceof java.net.UnknownHostException) {
                return "unknown host";
            }
        }
        String msg = e.getMessage();
        return e.getClass().getSimpleName() + (msg != null ? ": " + msg : "");
    }
}
