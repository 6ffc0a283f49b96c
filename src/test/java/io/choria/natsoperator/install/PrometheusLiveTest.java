package io.choria.natsoperator.install;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.choria.natsoperator.local.Local;
import io.choria.natsoperator.pki.TestCa;
import io.choria.natsoperator.testing.Await;
import io.choria.natsoperator.testing.External;
import io.choria.natsoperator.testing.Tools;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The chart's alerts and dashboard against a real Prometheus (Debian's 2.42) scraping the operator's {@code /metrics}
 * while {@code local} runs the 3-broker example: everything on loopback addresses (the operator's endpoints on
 * {@value #METRICS_HOST} through {@code local --metrics-address}, Prometheus on {@value #PROMETHEUS_HOST}).
 * Prometheus scrapes every second and evaluates the chart's rules (rendered now, extracted as
 * {@link AlertRulesPromtoolTest} does) every second. One change: {@code NatsBrokerDown}'s {@code for: 2m} is
 * {@value #BROKER_DOWN_FOR} here. What {@code for:} means is Prometheus' own rule engine's, and the real 2 minutes are
 * checked there ({@code helm/nats-operator/tests/alerts/NatsBrokerDown.test.yaml}, promtool); this test is about the
 * live path (the operator's metric, scraped, the rule pending, firing and clearing), which the real 2 minutes only
 * made two minutes longer.
 *
 * <p>Stopping a broker: SIGSTOP, not SIGKILL. A killed broker is started again by local's kubelet within seconds
 * (back-off of at most 20 s), so the alert might never fire; a stopped one does not answer /varz and stays down. Its
 * liveness probe (10 s x 12) would make the kubelet restart it after about two minutes, so the test stops each new
 * process of that broker too until the alert fires, then lets it run (SIGCONT): it answers again and the alert clears.
 */
@External // root, network namespaces, nats-server, prometheus
class PrometheusLiveTest {
    static final String METRICS_HOST = "127.0.0.61";
    static final String BROKER_DOWN_FOR = "20s";
    static final String PROMETHEUS_HOST = "127.0.0.62";
    static final Path WORK = Path.of("target/prometheus-live");
    static final Duration READY = Duration.ofSeconds(180);
    static final Pattern SERVING = Pattern.compile("operator's /metrics, /healthz, /readyz on http://" + Pattern.quote(METRICS_HOST) + ":(\\d+)");
    static final Pattern METRIC = Pattern.compile("\\b((?:natscluster|gnatsd)_[a-zA-Z0-9_]+)");
    /** The exporter sidecar's metrics (prometheus-nats-exporter's prefix): it cannot run here (no image, no Debian package). */
    static final String EXPORTER_PREFIX = "gnatsd_";
    /** Dashboard queries over the exporter's metrics, by metric name: none today; a new one must be added here, and is reported. */
    static final Set<String> EXPORTER_ONLY = Set.of();
    /**
     * Operator metrics the CA-key example cannot have: revocation is only synced for Puppet enrolment with
     * enforceRevocation (examples/natscluster-puppet.yaml, which needs a Puppet CA). Their queries must evaluate and
     * return nothing here.
     */
    static final Set<String> ENROLMENT_ONLY = Set.of("natscluster_revocation_sync_age_seconds", "natscluster_revocation_admitted_certificates");

    /** JetStream's series, served only for a NatsCluster with spec.streams (not the example): their query evaluates, empty. */
    static final Set<String> STREAMS_ONLY = Set.of("natscluster_broker_jetstream_store_bytes", "natscluster_broker_jetstream_store_limit_bytes",
            "natscluster_stream_messages", "natscluster_stream_bytes", "natscluster_stream_replicas", "natscluster_stream_replicas_current");

    static final ObjectMapper JSON = new ObjectMapper();

    @TempDir Path dir;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private Local local;
    private Process prometheus;
    private Thread freezer;
    private final AtomicBoolean freezing = new AtomicBoolean();
    private final Set<Long> frozen = new TreeSet<>();
    private String api;

    @AfterEach
    void stop() throws Exception {
        freezing.set(false);
        if (freezer != null) freezer.join(5000);
        synchronized (frozen) {
            for (long pid : frozen) signal("CONT", pid);
        }
        if (prometheus != null) {
            prometheus.destroy();
            if (!prometheus.waitFor(20, TimeUnit.SECONDS)) prometheus.destroyForcibly();
        }
        if (local != null) {
            local.process.destroy(); // SIGTERM: local stops its brokers and removes its namespaces
            if (!local.process.waitFor(60, TimeUnit.SECONDS)) local.kill();
        }
    }

    @Test
    void everyDashboardQueryHasDataEveryAlertEvaluatesAndBrokerDownGoesPendingFiringAndClears() throws Exception {
        Tools.require("prometheus", "apt-get install -y prometheus (or run .ci/setup)");
        long t0 = System.nanoTime();

        // local with the README's first command's files (the example, a CA-key Secret) and the operator's /metrics on loopback
        Path example = dir.resolve("natscluster-3.yaml");
        Files.writeString(example, Files.readString(Path.of("examples/natscluster-3.yaml")));
        local = Local.start(List.of("--metrics-address", METRICS_HOST + ":0"), example, Local.caSecret(dir, TestCa.rsaRoot("Local Puppet CA")));
        int serving = local.await("operator's /metrics", 0, READY);
        Matcher m = SERVING.matcher(local.lines().get(serving));
        assertTrue(m.find(), local.lines().get(serving));
        String target = METRICS_HOST + ":" + m.group(1);
        local.await("is ready with 3 brokers", 0, READY);
        local.await("choria/broker RoutesMeshed=True", 0, READY);

        // Prometheus: scrape it every second, the chart's rules evaluated every second
        Path rules = prepareWork().resolve("nats-brokers.rules.yaml");
        String chartRules = AlertRulesPromtoolTest.plainRules(AlertRulesPromtoolTest.renderedPrometheusRule());
        Matcher brokerDownFor = Pattern.compile("(alert: NatsBrokerDown\\n(?:[^\\n]*\\n)*?\\s*for: )2m\\n").matcher(chartRules);
        assertTrue(brokerDownFor.find(), "the chart's NatsBrokerDown has for: 2m (this test shortens it):\n" + chartRules);
        Files.writeString(rules, brokerDownFor.replaceFirst("$1" + BROKER_DOWN_FOR + "\n"));
        Path config = WORK.resolve("prometheus.yml");
        Files.writeString(config, """
                global: {scrape_interval: 1s, scrape_timeout: 1s, evaluation_interval: 1s}
                rule_files: [%s]
                scrape_configs:
                  - job_name: nats-operator
                    static_configs: [{targets: ["%s"]}]
                """.formatted(JSON.writeValueAsString(rules.toAbsolutePath().toString()), target));
        int port = freePort(PROMETHEUS_HOST);
        api = "http://" + PROMETHEUS_HOST + ":" + port;
        prometheus = new ProcessBuilder("prometheus", "--config.file=" + config.toAbsolutePath(),
                "--storage.tsdb.path=" + WORK.resolve("data").toAbsolutePath(), "--web.listen-address=" + PROMETHEUS_HOST + ":" + port)
                .redirectErrorStream(true).redirectOutput(WORK.resolve("prometheus.log").toFile()).start();
        Await.until("Prometheus ready on " + api, Duration.ofSeconds(60), () -> {
            if (!prometheus.isAlive()) throw new AssertionError("prometheus exited " + prometheus.exitValue() + ":\n" + prometheusLog());
            try {
                return http.send(HttpRequest.newBuilder(URI.create(api + "/-/ready")).build(), HttpResponse.BodyHandlers.ofString()).statusCode() == 200;
            } catch (IOException e) {
                return false;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
        }, ok -> ok);
        Await.until("the operator scraped with 3 brokers up", Duration.ofSeconds(60),
                () -> query("count(natscluster_broker_up == 1)"), r -> r.size() == 1 && r.get(0).path("value").get(1).asText().equals("3"));
        assertEquals("1", query("up{job=\"nats-operator\"}").get(0).path("value").get(1).asText());
        Thread.sleep(3000); // a few more samples: the rate/increase queries need two

        // (a) the dashboard's queries, read from the chart's file
        List<String> queries = AlertRulesPromtoolTest.dashboardQueries();
        assertFalse(queries.isEmpty());
        List<String> exporterOnly = new ArrayList<>();
        List<String> enrolmentOnly = new ArrayList<>();
        List<String> streamsOnly = new ArrayList<>();
        Map<String, Integer> answered = new TreeMap<>();
        for (String q : queries) {
            String promql = AlertRulesPromtoolTest.withVariablesAsAll(q);
            Set<String> metrics = metricNames(promql);
            assertFalse(metrics.isEmpty(), "no natscluster_ or " + EXPORTER_PREFIX + " metric in the dashboard query " + q);
            JsonNode result = query(promql); // fails on an error
            if (metrics.stream().allMatch(n -> n.startsWith(EXPORTER_PREFIX))) {
                exporterOnly.add(q);
                assertTrue(EXPORTER_ONLY.containsAll(metrics), "a dashboard query over the exporter's metrics not listed in EXPORTER_ONLY: " + q);
            } else if (ENROLMENT_ONLY.containsAll(metrics)) {
                enrolmentOnly.add(q);
                assertEquals(0, result.size(), "the CA-key example now has " + metrics + ": move " + q + " out of ENROLMENT_ONLY");
            } else if (STREAMS_ONLY.containsAll(metrics)) {
                streamsOnly.add(q);
                assertEquals(0, result.size(), "the example without spec.streams now has " + metrics + ": move " + q + " out of STREAMS_ONLY");
            } else {
                assertTrue(metrics.stream().noneMatch(n -> n.startsWith(EXPORTER_PREFIX)), "a query mixing the exporter's and the operator's metrics: " + q);
                assertTrue(result.size() > 0, "no data for the running 3-broker cluster from the dashboard query " + promql);
                answered.put(promql, result.size());
            }
        }
        assertEquals(EXPORTER_ONLY, names(exporterOnly), "the dashboard's exporter-only queries");
        assertEquals(ENROLMENT_ONLY, names(enrolmentOnly), "the dashboard's enrolment-only queries");
        assertEquals(STREAMS_ONLY, names(streamsOnly), "the dashboard's Streams-only queries");
        System.out.printf("PrometheusLiveTest: %d dashboard queries: %d with data for the 3-broker cluster, %d exporter-only %s (the sidecar"
                + " cannot run here), %d enrolment-only %s (empty in CA-key mode)%n", queries.size(), answered.size(), exporterOnly.size(),
                exporterOnly, enrolmentOnly.size(), enrolmentOnly);

        // (b) every alert expression, asked directly and as evaluated by the rule engine; a healthy cluster fires none
        List<Map<String, Object>> ruleList = AlertRulesPromtoolTest.ruleList(rules);
        int alerts = 0;
        for (Map<String, Object> r : ruleList) {
            if (r.get("alert") == null) continue;
            query((String) r.get("expr"));
            alerts++;
        }
        assertTrue(alerts >= 8, "alerts in the chart: " + alerts);
        JsonNode groups = get("/api/v1/rules").path("data").path("groups");
        int evaluated = 0;
        for (JsonNode g : groups) {
            for (JsonNode r : g.path("rules")) {
                assertEquals("ok", r.path("health").asText(), r.path("name").asText() + ": " + r.path("lastError").asText());
                assertTrue(r.path("lastEvaluation").asText().compareTo("2000") > 0, r.path("name") + " never evaluated");
                evaluated++;
            }
        }
        assertEquals(alerts, evaluated, "rules Prometheus loaded");
        assertEquals(0, get("/api/v1/alerts").path("data").path("alerts").size(), "alerts on a healthy cluster:\n" + get("/api/v1/alerts"));

        // (c) broker-1 stopped: NatsBrokerDown pending, then firing after its for:, then cleared when it runs again
        Map<String, Object> down = ruleList.stream().filter(r -> "NatsBrokerDown".equals(r.get("alert"))).findFirst().orElseThrow();
        assertEquals(BROKER_DOWN_FOR, down.get("for"), "NatsBrokerDown's for: as loaded here");
        long stoppedAt = System.nanoTime();
        freezeBroker("broker-1");
        Await.until("NatsBrokerDown pending for broker-1", Duration.ofSeconds(90), () -> alertState("NatsBrokerDown", "broker-1"), "pending"::equals);
        long pendingAt = System.nanoTime();
        assertTrue(otherBrokersNotAlerting("broker-1"), get("/api/v1/alerts").toString());
        Await.until("NatsBrokerDown firing for broker-1", Duration.ofSeconds(200), () -> {
            String s = alertState("NatsBrokerDown", "broker-1");
            if (s.equals("inactive")) throw new AssertionError("NatsBrokerDown cleared while broker-1 is stopped:\n" + local.output());
            return s;
        }, "firing"::equals);
        long firingAt = System.nanoTime();
        assertTrue(firingAt - pendingAt >= Duration.ofSeconds(18).toNanos(), "fired " + (firingAt - pendingAt) / 1_000_000 + " ms after pending, before its for: "
                + BROKER_DOWN_FOR);
        thawBroker();
        Await.until("NatsBrokerDown cleared once broker-1 runs again", Duration.ofSeconds(150), () -> alertState("NatsBrokerDown", "broker-1"), "inactive"::equals);
        Await.until("broker-1 up again", Duration.ofSeconds(30), () -> query("natscluster_broker_up{pod=\"broker-1\"}"),
                r -> r.size() == 1 && r.get(0).path("value").get(1).asText().equals("1"));
        System.out.printf("PrometheusLiveTest: broker-1 stopped; NatsBrokerDown pending after %d s, firing %d s later, cleared; %d s in all%n",
                (pendingAt - stoppedAt) / 1_000_000_000, (firingAt - pendingAt) / 1_000_000_000, (System.nanoTime() - t0) / 1_000_000_000);
    }

    /** target/prometheus-live, emptied: a new TSDB each run, so no series of an earlier run answers a query. */
    private static Path prepareWork() throws IOException {
        if (Files.exists(WORK)) try (Stream<Path> old = Files.walk(WORK)) {
            for (Path p : old.sorted(Comparator.reverseOrder()).toList()) Files.delete(p);
        }
        Files.createDirectories(WORK);
        return WORK;
    }

    private static int freePort(String host) throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getByName(host))) {
            return s.getLocalPort();
        }
    }

    private static Set<String> metricNames(String promql) {
        Set<String> out = new TreeSet<>();
        Matcher m = METRIC.matcher(promql);
        while (m.find()) out.add(m.group(1));
        return out;
    }

    private static Set<String> names(List<String> queries) {
        Set<String> out = new TreeSet<>();
        for (String q : queries) out.addAll(metricNames(q));
        return out;
    }

    private JsonNode get(String path) {
        HttpResponse<String> r;
        JsonNode body;
        try {
            r = http.send(HttpRequest.newBuilder(URI.create(api + path)).timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
            body = JSON.readTree(r.body());
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(path, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
        assertEquals(200, r.statusCode(), path + ": " + r.body());
        assertEquals("success", body.path("status").asText(), path + ": " + r.body());
        return body;
    }

    /** /api/v1/query, now: the result (a vector's samples); an error (bad PromQL, a failed evaluation) fails. */
    private JsonNode query(String promql) {
        JsonNode data = get("/api/v1/query?query=" + URLEncoder.encode(promql, StandardCharsets.UTF_8)).path("data");
        assertEquals("vector", data.path("resultType").asText(), promql);
        return data.path("result");
    }

    /** pending, firing, or inactive (Prometheus has no such alert for that pod). */
    private String alertState(String name, String pod) {
        for (JsonNode a : get("/api/v1/alerts").path("data").path("alerts")) {
            if (a.path("labels").path("alertname").asText().equals(name) && a.path("labels").path("pod").asText().equals(pod)) {
                assertEquals("choria", a.path("labels").path("namespace").asText(), a.toString());
                assertEquals("broker", a.path("labels").path("natscluster").asText(), a.toString());
                assertEquals("critical", a.path("labels").path("severity").asText(), a.toString());
                return a.path("state").asText();
            }
        }
        return "inactive";
    }

    private boolean otherBrokersNotAlerting(String pod) {
        for (JsonNode a : get("/api/v1/alerts").path("data").path("alerts")) {
            if (a.path("labels").path("alertname").asText().equals("NatsBrokerDown") && !a.path("labels").path("pod").asText().equals(pod)) return false;
        }
        return true;
    }

    /**
     * SIGSTOP to the pod's nats process, and to every new one local's kubelet starts for it (its liveness probe
     * restarts the stopped one) until {@link #thawBroker()}.
     */
    private void freezeBroker(String pod) {
        freezing.set(true);
        freezer = new Thread(() -> {
            while (freezing.get()) {
                Long pid = local.brokerPids().get(pod);
                if (pid != null) {
                    boolean fresh;
                    synchronized (frozen) {
                        fresh = frozen.add(pid);
                    }
                    if (fresh) signal("STOP", pid);
                }
                try {
                    Thread.sleep(200);
                } catch (InterruptedException e) {
                    return;
                }
            }
        }, "freeze-" + pod);
        freezer.setDaemon(true);
        freezer.start();
    }

    private void thawBroker() throws InterruptedException {
        freezing.set(false);
        freezer.join(5000);
        synchronized (frozen) {
            for (long pid : frozen) signal("CONT", pid);
            frozen.clear();
        }
    }

    private static void signal(String sig, long pid) {
        try {
            new ProcessBuilder("kill", "-" + sig, String.valueOf(pid)).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD).start().waitFor(10, TimeUnit.SECONDS);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static String prometheusLog() {
        try {
            return Files.readString(WORK.resolve("prometheus.log"));
        } catch (IOException e) {
            return "(no log: " + e.getMessage() + ")";
        }
    }
}
