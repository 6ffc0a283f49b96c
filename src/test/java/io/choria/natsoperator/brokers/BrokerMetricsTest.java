package io.choria.natsoperator.brokers;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.choria.natsoperator.api.NatsCluster;
import io.choria.natsoperator.mesh.MeshChecker;
import io.choria.natsoperator.mesh.MonitorClient;
import io.choria.natsoperator.metrics.ClusterMetrics;
import io.choria.natsoperator.model.InstallerSettings;
import io.choria.natsoperator.reconciler.OperatorSettings;
import io.choria.natsoperator.runtime.HttpEndpoints;
import io.choria.natsoperator.runtime.OperatorHealth;
import io.choria.natsoperator.testing.Await;
import io.choria.natsoperator.testing.Examples;
import io.choria.natsoperator.testing.External;
import io.choria.natsoperator.testing.MockCluster;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.api.model.apps.StatefulSetStatusBuilder;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.nats.client.Connection;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.Test;

/**
 * The operator's per-broker metrics on its real /metrics, fed by real brokers: the operator runs
 * against the mock API server, its mesh probe reads the loopback brokers' /varz. A slow consumer
 * made on purpose (a client that subscribes and stops reading while another floods it) and a
 * stopped broker must both show up.
 */
@External
class BrokerMetricsTest {
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    @Test
    void slowConsumerAndStoppedBrokerShowUpOnTheOperatorsMetrics() throws Exception {
        // A short write deadline: the stalled client is declared slow within seconds.
        try (LocalBrokerCluster brokers = LocalBrokerCluster.of(Examples.load(Examples.THREE_BROKERS)).firstHost(160)
                .edit(nc -> nc.getSpec().getLimits().setWriteDeadline("1s")).start();
             MockCluster api = new MockCluster()) {
            ClusterMetrics metrics = new ClusterMetrics();
            MeshChecker checker = new MeshChecker();
            api.startOperator(new OperatorSettings("cluster.local", Set.of(), Duration.ofMillis(500),
                    nc -> checker.check(nc, brokers::monitorUri), InstallerSettings.DEFAULTS, metrics), Clock.systemUTC());
            try (HttpEndpoints http = HttpEndpoints.start(0, new OperatorHealth(), new PrometheusMeterRegistry(PrometheusConfig.DEFAULT), metrics::render)) {
                Examples.createPuppetCa(api.client, "choria");
                NatsCluster nc = api.client.resource(Examples.toApply(Examples.THREE_BROKERS, null, null)).create();
                StatefulSet sts = Await.present("StatefulSet", () -> api.client.apps().statefulSets().inNamespace("choria").withName("broker").get());
                sts.setStatus(new StatefulSetStatusBuilder().withReplicas(3).withReadyReplicas(3).withUpdatedReplicas(3)
                        .withObservedGeneration(sts.getMetadata().getGeneration()).withCurrentRevision("r1").withUpdateRevision("r1").build());
                api.client.resource(sts).updateStatus();
                BrokerAsserts.awaitRemotes(brokers, java.util.List.of(2, 2, 2));
                // the brokers are polled beside the reconcile: the figures come with the first full mesh the poller confirms
                Map<String, Double> m = Await.until("the full mesh on /metrics", Duration.ofSeconds(30), () -> scrape(http.port()),
                        s -> Double.valueOf(1.0).equals(s.get(cluster("natscluster_routes_meshed"))));
                for (int i = 0; i < 3; i++) {
                    assertEquals(1.0, m.get(series("natscluster_broker_up", i)), "broker-" + i + " up: " + m);
                    assertEquals(2.0, m.get(series("natscluster_broker_route_peers", i)));
                    assertEquals(2.0, m.get(series("natscluster_broker_route_peers_expected", i)));
                    assertEquals(0.0, m.get(series("natscluster_broker_slow_consumers_total", i)));
                    assertEquals(65536.0, m.get(series("natscluster_broker_max_connections", i)));
                    assertTrue(m.get(series("natscluster_broker_memory_bytes", i)) > 1_000_000, "a broker's resident memory");
                }
                assertEquals(3.0, m.get(cluster("natscluster_brokers_desired")));
                assertEquals(3.0, m.get(cluster("natscluster_brokers_ready")));
                assertEquals(1.0, m.get(cluster("natscluster_routes_meshed")));
                assertEquals(1.0, m.get(cluster("natscluster_certificate_ready")));
                assertEquals(30 * 86400.0, m.get(cluster("natscluster_certificate_renew_before_seconds")));
                double expiry = m.get(cluster("natscluster_certificate_expiry_seconds"));
                assertTrue(expiry > 300 * 86400.0 && expiry <= 365 * 86400.0, "a fresh 365-day certificate: " + expiry);
                assertNull(m.get(cluster("natscluster_revocation_sync_age_seconds")), "no Puppet enrolment, no sync age");

                SSLContext tls = brokers.clientCertificate().clientContext(brokers.caPem());
                try (Connection client = Clients.connect(brokers.clientUrl(0), tls);
                     Socket stalled = stalledSubscriber(brokers.host(0), brokers.cluster().getSpec().getPorts().getClient(), tls)) {
                    byte[] payload = new byte[256 * 1024];
                    MonitorClient monitor = new MonitorClient();
                    // Flood until the broker itself counts the slow consumer (its write to the stalled client times out).
                    Await.until("the broker counts a slow consumer", Duration.ofSeconds(30), () -> {
                        for (int k = 0; k < 40; k++) client.publish("flood", payload);
                        return monitor.varzAsync(brokers.monitorUri(0)).join().slowConsumers();
                    }, n -> n > 0);
                    // connection and slow consumer counts are no news to the poller: the next settled poll has them
                    m = Await.until("broker-0's slow consumer on /metrics", Duration.ofSeconds(30), () -> scrape(http.port()),
                            s -> s.getOrDefault(series("natscluster_broker_slow_consumers_total", 0), 0.0) >= 1);
                    assertTrue(m.get(series("natscluster_broker_slow_consumers_total", 0)) >= 1, "broker-0's slow consumer: " + m);
                    assertTrue(m.get(series("natscluster_broker_connections", 0)) >= 1, "the publisher is a client of broker-0");
                    assertEquals(0.0, m.get(series("natscluster_broker_slow_consumers_total", 1)));
                }

                brokers.stop(2);
                m = Await.until("the stopped broker on /metrics", Duration.ofSeconds(30), () -> scrape(http.port()),
                        s -> Double.valueOf(0.0).equals(s.get(series("natscluster_broker_up", 2))));
                assertEquals(0.0, m.get(series("natscluster_broker_up", 2)), "the stopped broker: " + m);
                assertNull(m.get(series("natscluster_broker_connections", 2)), "no figures for a broker that did not answer");
                assertEquals(1.0, m.get(series("natscluster_broker_up", 0)));
                assertEquals(0.0, m.get(cluster("natscluster_routes_meshed")));

                // A deleted cluster's series go with it.
                api.client.resource(nc).delete();
                Await.until("series of the deleted cluster gone", Duration.ofSeconds(30), () -> scrape(http.port()),
                        s -> s.keySet().stream().noneMatch(k -> k.contains("natscluster=\"broker\"")));
            }
        }
    }

    static String cluster(String metric) {
        return metric + "{namespace=\"choria\",natscluster=\"broker\"}";
    }

    static String series(String metric, int broker) {
        return metric + "{namespace=\"choria\",natscluster=\"broker\",pod=\"broker-" + broker + "\"}";
    }

    /** Every sample of the operator's /metrics, by series. */
    static Map<String, Double> scrape(int port) {
        try {
            HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + HttpEndpoints.METRICS_PATH))
                    .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(200, r.statusCode());
            return samples(r.body());
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    private static final Pattern SAMPLE = Pattern.compile("^([a-zA-Z_:][a-zA-Z0-9_:]*(?:\\{[^}]*\\})?) (\\S+)$");

    static Map<String, Double> samples(String text) {
        Map<String, Double> out = new TreeMap<>();
        for (String line : text.split("\n")) {
            if (line.startsWith("#") || line.isBlank()) continue;
            Matcher matcher = SAMPLE.matcher(line);
            assertTrue(matcher.matches(), "not a sample line: " + line);
            out.put(matcher.group(1), Double.parseDouble(matcher.group(2)));
        }
        return out;
    }

    /**
     * A NATS client by hand, so that it can stop reading: INFO, the TLS upgrade nats-server
     * expects after it (no handshake_first), CONNECT, SUB, PING/PONG, and then silence.
     */
    static Socket stalledSubscriber(String host, int port, SSLContext tls) throws Exception {
        Socket plain = new Socket();
        plain.setReceiveBufferSize(4096);
        plain.connect(new InetSocketAddress(host, port), 3000);
        plain.setSoTimeout(5000);
        String info = readLine(plain.getInputStream());
        assertTrue(info.startsWith("INFO "), info);
        SSLSocket s = (SSLSocket) tls.getSocketFactory().createSocket(plain, host, port, true);
        s.startHandshake();
        OutputStream out = s.getOutputStream();
        out.write("CONNECT {\"verbose\":false,\"pedantic\":false,\"tls_required\":true}\r\nSUB flood 1\r\nPING\r\n"
                .getBytes(StandardCharsets.US_ASCII));
        out.flush();
        String pong = readLine(s.getInputStream());
        assertEquals("PONG", pong, "the subscription is in place");
        assertFalse(s.isClosed());
        return s;
    }

    private static String readLine(java.io.InputStream in) throws java.io.IOException {
        StringBuilder b = new StringBuilder();
        int c;
        while ((c = in.read()) != -1 && c != '\n') {
            if (c != '\r') b.append((char) c);
        }
        return b.toString();
    }
}
