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
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Flow;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * A small client of a broker's monitoring endpoint (port 8222): {@code /healthz}, {@code /varz}
 * and {@code /routez}. Every request is bounded in time and in size, so a broker (or whatever
 * answers on its address) cannot stall a reconcile or exhaust the operator's heap: the timeout is
 * a deadline for the whole exchange, connect to the body's last byte (the JDK's request timeout
 * alone stops at the response headers, so a body dripping a byte a second was read for ever), and
 * a body larger than {@link #MAX_BODY_BYTES} is refused as soon as it is seen to be, without
 * reading the rest. Thread-safe; one instance is meant to be shared.
 */
public final class MonitorClient {
    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(2);
    /**
     * 1 MiB. A real {@code /varz} is a few KiB (a busy broker with TLS and cluster config, under
     * 20 KiB) and {@code /routez} about half a KiB per route, so 1 MiB is far above any broker's
     * answer yet small enough that a handful of concurrent checks cannot hurt the heap.
     */
    public static final int MAX_BODY_BYTES = 1 << 20;
    private static final ObjectMapper JSON = new ObjectMapper();
    /**
     * Ends the exchanges that pass their deadline. Its own thread, not {@code CompletableFuture}'s
     * delayed executor: that one hands the task to the common ForkJoinPool (one thread on two cores),
     * where any blocked task would hold every deadline back, and a broker dripping its body with it.
     */
    private static final ScheduledThreadPoolExecutor DEADLINES = new ScheduledThreadPoolExecutor(1, r -> {
        Thread t = new Thread(r, "monitor-deadlines");
        t.setDaemon(true);
        return t;
    });

    static {
        // an answered request drops its deadline at once, rather than holding the exchange until it passes
        DEADLINES.setRemoveOnCancelPolicy(true);
    }

    private final HttpClient http;
    private final Duration timeout;
    private final int maxBodyBytes;

    public MonitorClient() {
        this(DEFAULT_TIMEOUT);
    }

    public MonitorClient(Duration timeout) {
        this(timeout, MAX_BODY_BYTES);
    }

    MonitorClient(Duration timeout, int maxBodyBytes) {
        this.timeout = timeout;
        this.maxBodyBytes = maxBodyBytes;
        this.http = HttpClient.newBuilder()
                .connectTimeout(backstop())
                .followRedirects(HttpClient.Redirect.NEVER)
                .version(HttpClient.Version.HTTP_1_1)
                .build();
    }

    /** What {@code /varz} says about one broker; {@code remotes} is the number of distinct peers it has routes to. */
    /** {@code configLoadTime}: when the broker last (re)loaded its configuration; null if it does not say. */
    /**
     * {@code slowConsumers}: clients the broker cut off or dropped messages for since it started (a
     * counter, reset by a restart); {@code maxConnections}: its {@code max_connections}; {@code storeBytes} and
     * {@code maxStoreBytes}: its JetStream file store in use and its limit (0 without JetStream). All in /varz
     * of 2.9.10 and 2.10.x (server/monitor.go).
     */
    public record Varz(String serverName, int remotes, int routes, int connections, long memBytes, java.time.Instant configLoadTime,
            long slowConsumers, int maxConnections, long storeBytes, long maxStoreBytes) {
        public Varz(String serverName, int remotes, int routes, int connections, long memBytes, java.time.Instant configLoadTime) {
            this(serverName, remotes, routes, connections, memBytes, configLoadTime, 0, 0, 0, 0);
        }

        public Varz(String serverName, int remotes, int routes, int connections, long memBytes, java.time.Instant configLoadTime,
                long slowConsumers, int maxConnections) {
            this(serverName, remotes, routes, connections, memBytes, configLoadTime, slowConsumers, maxConnections, 0, 0);
        }
    }

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
                    v.path("connections").asInt(), v.path("mem").asLong(), instant(v.path("config_load_time").asText(null)),
                    v.path("slow_consumers").asLong(), v.path("max_connections").asInt(),
                    // JetStream's file store on this broker and its max_file_store (0 without JetStream), both versions
                    v.path("jetstream").path("stats").path("storage").asLong(), v.path("jetstream").path("config").path("max_storage").asLong()));
        });
    }

    /**
     * What {@code /gatewayz} says: this broker's gateway name and the remote sites (gateway names)
     * it has an outbound connection to and inbound connections from. 2.9 and 2.10 answer alike.
     */
    public record Gatewayz(String name, Set<String> outbound, Set<String> inbound) {}

    public CompletableFuture<Gatewayz> gatewayzAsync(URI base) {
        return getAsync(base, "/gatewayz").thenApply(body -> {
            JsonNode g = parse(body, "/gatewayz");
            Set<String> out = new java.util.TreeSet<>();
            g.path("outbound_gateways").fields().forEachRemaining(e -> {
                // A configured remote not (yet) connected has no connection.
                if (e.getValue().hasNonNull("connection")) out.add(e.getKey());
            });
            Set<String> in = new java.util.TreeSet<>();
            g.path("inbound_gateways").fields().forEachRemaining(e -> {
                if (e.getValue().size() > 0) in.add(e.getKey());
            });
            return new Gatewayz(g.path("name").asText(null), out, in);
        });
    }

    /** One leaf node connection in {@code /leafz}: the peer's address and port (2.9.10 names neither side's role; 2.10 adds is_spoke). */
    public record LeafConnection(String ip, int port) {}

    /** What {@code /leafz} says: the broker's leaf node connections, accepted and dialled alike. */
    public record Leafz(int count, List<LeafConnection> connections) {}

    public CompletableFuture<Leafz> leafzAsync(URI base) {
        return getAsync(base, "/leafz").thenApply(body -> {
            JsonNode l = parse(body, "/leafz");
            List<LeafConnection> conns = new java.util.ArrayList<>();
            for (JsonNode leaf : l.path("leafs")) conns.add(new LeafConnection(leaf.path("ip").asText(""), leaf.path("port").asInt()));
            return new Leafz(l.path("leafnodes").asInt(conns.size()), conns);
        });
    }

    private static java.time.Instant instant(String rfc3339) {
        try {
            return rfc3339 == null ? null : java.time.OffsetDateTime.parse(rfc3339).toInstant();
        } catch (java.time.format.DateTimeParseException e) {
            return null;
        }
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

    /**
     * The body of a 200 answer, completed exceptionally with a MonitorException for another status,
     * a body over the size limit, or no complete answer before the deadline. On a failure the
     * exchange is abandoned (body subscription and request cancelled), not read to its end.
     */
    private CompletableFuture<String> getAsync(URI base, String path) {
        BoundedBody body = new BoundedBody(path, maxBodyBytes);
        CompletableFuture<HttpResponse<String>> sent = http.sendAsync(request(base, path), info -> body.start(info));
        CompletableFuture<String> result = new CompletableFuture<>();
        sent.whenComplete((r, t) -> {
            MonitorException own = body.failure();
            if (own != null) {
                result.completeExceptionally(own);
            } else if (t != null) {
                result.completeExceptionally(t);
            } else {
                result.complete(r.body());
            }
        });
        ScheduledFuture<?> deadline = DEADLINES.schedule(() -> {
            if (result.isDone()) return;
            MonitorException late = new MonitorException((body.answered() ? "no complete answer to " : "no answer to ") + path
                    + " within " + timeout.toMillis() + " ms", null);
            body.fail(late);
            sent.cancel(true);
            result.completeExceptionally(late);
        }, timeout.toMillis(), TimeUnit.MILLISECONDS);
        result.whenComplete((r, t) -> deadline.cancel(false));
        return result;
    }

    /**
     * Collects at most {@code max} bytes of a 200 answer; refuses another status or a larger body
     * (by Content-Length up front, else once the count passes {@code max}) by cancelling the subscription.
     */
    static final class BoundedBody implements HttpResponse.BodySubscriber<String> {
        private final String path;
        private final int max;
        private final CompletableFuture<String> body = new CompletableFuture<>();
        private byte[] bytes = new byte[8192];
        private int size;
        private Flow.Subscription subscription;
        private volatile MonitorException failure;
        private volatile boolean answered;

        BoundedBody(String path, int max) {
            this.path = path;
            this.max = max;
        }

        HttpResponse.BodySubscriber<String> start(HttpResponse.ResponseInfo info) {
            answered = true;
            if (info.statusCode() != 200) {
                fail(new MonitorException("HTTP " + info.statusCode() + " from " + path, null));
            } else if (info.headers().firstValueAsLong("Content-Length").orElse(-1) > max) {
                fail(tooLarge());
            }
            return this;
        }

        MonitorException failure() {
            return failure;
        }

        /** Whether the response's head arrived. */
        boolean answered() {
            return answered;
        }

        private MonitorException tooLarge() {
            return new MonitorException(path + " answer is larger than " + max + " bytes", null);
        }

        void fail(MonitorException e) {
            Flow.Subscription s;
            synchronized (this) {
                if (body.isDone()) return;
                failure = e;
                body.completeExceptionally(e);
                bytes = null;
                s = subscription;
            }
            if (s != null) s.cancel();
        }

        @Override
        public void onSubscribe(Flow.Subscription s) {
            boolean done;
            synchronized (this) {
                subscription = s;
                done = body.isDone();
            }
            if (done) {
                s.cancel();
            } else {
                s.request(Long.MAX_VALUE);
            }
        }

        @Override
        public void onNext(List<ByteBuffer> items) {
            synchronized (this) {
                if (body.isDone()) return;
                for (ByteBuffer b : items) {
                    int n = b.remaining();
                    if ((long) size + n > max) {
                        break;
                    }
                    if (size + n > bytes.length) {
                        bytes = Arrays.copyOf(bytes, (int) Math.min(max, Math.max(size + n, 2L * bytes.length)));
                    }
                    b.get(bytes, size, n);
                    size += n;
                }
                if (items.stream().noneMatch(ByteBuffer::hasRemaining)) return; // all taken: within the limit
            }
            fail(tooLarge());
        }

        @Override
        public void onError(Throwable t) {
            synchronized (this) {
                bytes = null;
            }
            body.completeExceptionally(t);
        }

        @Override
        public void onComplete() {
            synchronized (this) {
                if (body.isDone()) return;
                body.complete(new String(bytes, 0, size, StandardCharsets.UTF_8));
                bytes = null;
            }
        }

        @Override
        public CompletionStage<String> getBody() {
            return body;
        }
    }

    /**
     * The JDK's own connect and header timeouts, only in case the deadline's thread were late: at the
     * deadline's own length they raced it, and a silent broker was described one way or the other
     * from one poll to the next (each a status change).
     */
    private Duration backstop() {
        return timeout.multipliedBy(2);
    }

    private HttpRequest request(URI base, String path) {
        return HttpRequest.newBuilder(base.resolve(path)).timeout(backstop()).GET().build();
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
        if (e instanceof HttpConnectTimeoutException) return "connect timed out after " + backstop().toMillis() + " ms";
        if (e instanceof HttpTimeoutException) return "timed out after " + backstop().toMillis() + " ms";
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
