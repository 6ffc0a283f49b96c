package io.choria.natsoperator.brokers;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.choria.natsoperator.mesh.MeshChecker;
import io.choria.natsoperator.mesh.MeshObservation;
import io.choria.natsoperator.mesh.MonitorClient;
import io.choria.natsoperator.status.Conditions;
import io.choria.natsoperator.status.Observation;
import io.choria.natsoperator.status.StatusCalculator;
import io.choria.natsoperator.testing.Await;
import io.fabric8.kubernetes.api.model.Condition;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;

/** Bounded waits and the RoutesMeshed condition as the reconciler would compute it, for the real-broker tests. */
final class BrokerAsserts {
    static final Duration MESH_TIMEOUT = Duration.ofSeconds(15);
    private static final MonitorClient MONITOR = new MonitorClient();

    private BrokerAsserts() {}

    /** The remotes each broker reports, in broker order; -1 for a broker that did not answer. */
    /**
     * Broker i's rendered preStop hook sends the lame-duck signal to that broker's own pid file (what the kubelet
     * runs before it stops the pod), and returns only after a pause. Checked against the literal shape, not
     * against the function that renders it; that the signal works is what the tests then run it for.
     */
    static void assertPreStopSignalsLameDuck(LocalBrokerCluster brokers, int i) {
        List<String> preStop = brokers.renderedPreStop(i);
        org.junit.jupiter.api.Assertions.assertEquals(List.of("sh", "-c"), preStop.subList(0, 2), preStop.toString());
        String script = preStop.get(2);
        org.junit.jupiter.api.Assertions.assertTrue(script.startsWith("nats-server --signal ldm=" + brokers.paths(i).pidFile() + " && sleep "),
                script);
    }

    static List<Integer> remotes(LocalBrokerCluster brokers) {
        List<Integer> r = new ArrayList<>();
        for (int i = 0; i < brokers.size(); i++) {
            try {
                r.add(io.choria.natsoperator.mesh.Monitors.varz(MONITOR, brokers.monitorUri(i)).remotes());
            } catch (MonitorClient.MonitorException e) {
                r.add(-1);
            }
        }
        return r;
    }

    static List<Integer> awaitRemotes(LocalBrokerCluster brokers, List<Integer> expected) {
        return Await.until("remotes " + expected, MESH_TIMEOUT, () -> remotes(brokers), expected::equals);
    }

    /**
     * The mesh as the operator would publish it: a full mesh of several brokers only when a second
     * look 200 ms later agrees (the operator's poller confirms it on its next poll, as {@code MeshPoller.confirmed}).
     */
    static MeshObservation check(LocalBrokerCluster brokers) {
        MeshChecker checker = new MeshChecker();
        MeshObservation first = checker.check(brokers.cluster(), brokers::monitorUri);
        if (!first.meshed() || brokers.cluster().getSpec().getSize() == 1) return first;
        java.util.concurrent.locks.LockSupport.parkNanos(Duration.ofMillis(200).toNanos());
        return checker.check(brokers.cluster(), brokers::monitorUri);
    }

    /** The RoutesMeshed condition StatusCalculator makes of a mesh check of the real brokers. */
    static Condition routesMeshedCondition(LocalBrokerCluster brokers, MeshObservation mesh) {
        var status = StatusCalculator.compute(brokers.cluster(), new Observation(null, null, null, mesh), Instant.now());
        return Conditions.find(status.getConditions(), Conditions.ROUTES_MESHED).orElseThrow();
    }

    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    /** The whole /varz document (for fields MonitorClient does not keep: {@code start}, {@code cluster.urls}). */
    static JsonNode varz(URI monitor) throws IOException, InterruptedException {
        HttpRequest req = HttpRequest.newBuilder(monitor.resolve("/varz")).timeout(Duration.ofSeconds(2)).build();
        return new ObjectMapper().readTree(HTTP.send(req, HttpResponse.BodyHandlers.ofString()).body());
    }

    /** The routes a broker is configured with, from /varz {@code cluster.urls} (host:port, no credentials). */
    static List<String> configuredRoutes(LocalBrokerCluster brokers, int i) {
        List<String> urls = new ArrayList<>();
        try {
            varz(brokers.monitorUri(i)).path("cluster").path("urls").forEach(u -> urls.add(u.asText()));
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
        return urls;
    }

    /**
     * The certificate a broker serves on a port, from a real TLS handshake. On the client port NATS 2.9 speaks
     * plain text first (the server's INFO line), then the client upgrades the same socket to TLS: read INFO,
     * then handshake. On the route port the accepting broker starts TLS at once ({@code infoFirst} false).
     */
    static X509Certificate servedCertificate(String host, int port, SSLContext ctx, boolean infoFirst) throws IOException {
        try (Socket plain = new Socket()) {
            plain.connect(new InetSocketAddress(host, port), 3000);
            plain.setSoTimeout(3000);
            if (infoFirst) {
                InputStream in = plain.getInputStream();
                StringBuilder info = new StringBuilder();
                for (int b = in.read(); b != -1 && b != '\n'; b = in.read()) info.append((char) b);
                if (!info.toString().startsWith("INFO ") || !info.toString().contains("\"tls_required\":true")) {
                    throw new IllegalStateException(host + ":" + port + " sent no TLS INFO: " + info);
                }
            }
            try (SSLSocket tls = (SSLSocket) ctx.getSocketFactory().createSocket(plain, host, port, true)) {
                tls.setUseClientMode(true);
                tls.startHandshake();
                return (X509Certificate) tls.getSession().getPeerCertificates()[0];
            }
        }
    }

    static String serialHex(X509Certificate c) {
        return c.getSerialNumber().toString(16);
    }

    static String utf8(byte[] b) {
        return new String(b, StandardCharsets.UTF_8);
    }
}
