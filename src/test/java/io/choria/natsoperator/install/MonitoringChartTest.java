package io.choria.natsoperator.install;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.choria.natsoperator.api.NatsCluster;
import io.choria.natsoperator.brokers.LocalBrokerCluster;
import io.choria.natsoperator.mesh.MeshChecker;
import io.choria.natsoperator.metrics.ClusterMetrics;
import io.choria.natsoperator.model.InstallerSettings;
import io.choria.natsoperator.reconciler.OperatorSettings;
import io.choria.natsoperator.runtime.HttpEndpoints;
import io.choria.natsoperator.runtime.OperatorHealth;
import io.choria.natsoperator.testing.Examples;
import io.choria.natsoperator.testing.External;
import io.choria.natsoperator.testing.MockCluster;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.apps.StatefulSetStatusBuilder;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The chart's PrometheusRule and Grafana dashboard query only metrics the operator really
 * serves: the names are read from a real /metrics of the operator, reconciling a NatsCluster
 * whose broker is a real nats-server (so the per-broker series carry samples), not from a list.
 */
@External
class MonitoringChartTest {
    static final String VALUES = """
            metrics:
              serviceMonitor: {enabled: true}
              prometheusRule: {enabled: true, labels: {release: kube-prometheus-stack}}
              dashboard: {enabled: true}
              scrapeNamespaces: [monitoring]
            """;
    /** Whatever appears in the served exposition (# TYPE lines), and the series that carry a sample. */
    static Set<String> typed = new TreeSet<>();
    static Set<String> sampled = new TreeSet<>();

    @BeforeAll
    static void scrapeARealOperator() throws Exception {
        try (LocalBrokerCluster brokers = LocalBrokerCluster.of(Examples.load(Examples.ONE_BROKER)).firstHost(170).start();
             MockCluster api = new MockCluster()) {
            ClusterMetrics metrics = new ClusterMetrics();
            MeshChecker checker = new MeshChecker();
            api.startOperator(new OperatorSettings("cluster.local", Set.of(), Duration.ofMillis(500),
                    nc -> checker.check(nc, brokers::monitorUri), InstallerSettings.DEFAULTS, metrics), Clock.systemUTC());
            try (HttpEndpoints http = HttpEndpoints.start(0, new OperatorHealth(), new PrometheusMeterRegistry(PrometheusConfig.DEFAULT), metrics::render)) {
                Examples.createPuppetCa(api.client, "choria");
                NatsCluster toApply = Examples.toApply(Examples.ONE_BROKER, null, null);
                var capacity = new io.choria.natsoperator.api.CapacitySpec(); // so the capacity gauge is served, as the capacity alert needs
                capacity.setNodesPerBroker(2000);
                toApply.getSpec().setCapacity(capacity);
                NatsCluster nc = api.client.resource(toApply).create();
                var sts = io.choria.natsoperator.testing.Await.present("StatefulSet",
                        () -> api.client.apps().statefulSets().inNamespace("choria").withName(nc.getMetadata().getName()).get());
                sts.setStatus(new StatefulSetStatusBuilder().withReplicas(1).withReadyReplicas(1).withUpdatedReplicas(1)
                        .withObservedGeneration(sts.getMetadata().getGeneration()).build());
                api.client.resource(sts).updateStatus();
                api.awaitReconciles(nc, 2);
                String body = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + http.port() + "/metrics")).build(),
                        HttpResponse.BodyHandlers.ofString()).body();
                for (String line : body.split("\n")) {
                    if (line.startsWith("# TYPE ")) {
                        typed.add(line.split(" ")[2]);
                    } else if (!line.startsWith("#") && !line.isBlank()) {
                        sampled.add(line.split("[{ ]")[0]);
                    }
                }
            }
        }
        assertTrue(sampled.contains("natscluster_broker_route_peers"), "a broker answered: " + sampled);
    }

    private static final Set<String> PROMQL_WORDS = Set.of("and", "or", "unless", "by", "without", "on", "ignoring", "group_left",
            "group_right", "bool", "offset", "inf", "nan",
            // aggregation operators, which may stand before "by (...)" rather than "("
            "sum", "min", "max", "avg", "count", "stddev", "stdvar", "topk", "bottomk", "quantile", "count_values", "group");

    /** The metric names a PromQL expression reads: identifiers that are not functions, keywords, labels or durations. */
    static Set<String> metricNames(String expr) {
        String e = expr.replaceAll("\"(\\\\.|[^\"\\\\])*\"", "\"\"")   // string literals
                .replaceAll("\\{[^}]*\\}", "")                           // label matchers
                .replaceAll("\\[[^\\]]*\\]", "")                         // ranges
                .replaceAll("\\b(by|without|on|ignoring|group_left|group_right)\\s*\\([^)]*\\)", "$1"); // label lists
        Set<String> names = new TreeSet<>();
        Matcher m = Pattern.compile("[A-Za-z_:][A-Za-z0-9_:]*(\\s*\\()?").matcher(e);
        while (m.find()) {
            if (m.group(1) != null) continue; // a function call
            String word = m.group().trim();
            if (!PROMQL_WORDS.contains(word.toLowerCase())) names.add(word);
        }
        return names;
    }

    @Test
    void metricNameExtraction() {
        assertEquals(Set.of("a_total"), metricNames("increase(a_total{pod=~\"x|y\"}[5m]) > 0"));
        assertEquals(Set.of("a", "b"), metricNames("(a < b) and on(namespace, pod) (a == 0)"));
        assertEquals(Set.of("c"), metricNames("sum by (namespace) (c{namespace=~\"$namespace\"})"));
    }

    @Test
    @SuppressWarnings("unchecked")
    void everyAlertReadsServedMetrics() {
        List<HasMetadata> objects = Chart.render(VALUES);
        GenericKubernetesResource rule = objects.stream().filter(o -> o.getKind().equals("PrometheusRule"))
                .map(GenericKubernetesResource.class::cast).findFirst().orElseThrow();
        assertEquals("monitoring.coreos.com/v1", rule.getApiVersion());
        assertEquals("kube-prometheus-stack", rule.getMetadata().getLabels().get("release"));
        Map<String, Object> spec = (Map<String, Object>) rule.getAdditionalProperties().get("spec");
        List<String> alerts = new ArrayList<>();
        for (Map<String, Object> group : (List<Map<String, Object>>) spec.get("groups")) {
            for (Map<String, Object> r : (List<Map<String, Object>>) group.get("rules")) {
                String alert = (String) r.get("alert");
                String expr = String.valueOf(r.get("expr"));
                alerts.add(alert);
                assertFalse(expr.contains("{{"), alert + ": rendered: " + expr);
                Set<String> names = metricNames(expr);
                assertFalse(names.isEmpty(), alert + " reads no metric: " + expr);
                for (String name : names) assertTrue(typed.contains(name), alert + " reads " + name + ", which the operator does not serve");
                assertTrue(r.containsKey("labels") && ((Map<String, Object>) r.get("labels")).containsKey("severity"), alert);
            }
        }
        // the issue's list: a broker down, an incomplete mesh, a certificate expiring while renewal fails,
        // slow consumers, connections near max_connections
        assertTrue(alerts.containsAll(List.of("NatsBrokerDown", "NatsMeshIncomplete", "NatsCertificateRenewalFailing",
                "NatsSlowConsumers", "NatsConnectionsNearMax")), alerts.toString());
    }

    @Test
    void everyDashboardQueryReadsServedMetrics() throws Exception {
        List<HasMetadata> objects = Chart.render(VALUES);
        ConfigMap cm = Chart.all(objects, ConfigMap.class).stream().filter(c -> c.getMetadata().getName().endsWith("-dashboard"))
                .findFirst().orElseThrow();
        assertEquals("1", cm.getMetadata().getLabels().get("grafana_dashboard"), "labelled for Grafana's sidecar");
        JsonNode dash = new ObjectMapper().readTree(cm.getData().get("nats-brokers.json"));
        List<String> queries = new ArrayList<>();
        dash.path("panels").forEach(p -> p.path("targets").forEach(t -> queries.add(t.path("expr").asText())));
        dash.path("templating").path("list").forEach(v -> {
            if (v.path("type").asText().equals("query")) {
                queries.add(v.path("definition").asText().replaceAll("^label_values\\((.*),\\s*\\w+\\)$", "$1"));
            }
        });
        assertTrue(queries.size() >= 12, queries.toString());
        Set<String> used = new TreeSet<>();
        for (String q : queries) {
            Set<String> names = metricNames(q);
            assertFalse(names.isEmpty(), "a query that reads no metric: " + q);
            for (String name : names) assertTrue(typed.contains(name), "panel query " + q + " reads " + name + ", which the operator does not serve");
            used.addAll(names);
        }
        Set<String> withoutSample = new TreeSet<>(used);
        withoutSample.removeAll(sampled);
        // only the Puppet enrolment's series are absent on a cluster without spec.tls.puppet, and JetStream's without spec.streams
        assertEquals(Set.of("natscluster_revocation_admitted_certificates", "natscluster_revocation_sync_age_seconds",
                "natscluster_broker_jetstream_store_bytes", "natscluster_broker_jetstream_store_limit_bytes", "natscluster_stream_messages",
                "natscluster_stream_bytes", "natscluster_stream_replicas", "natscluster_stream_replicas_current"), withoutSample);
        // every per-cluster metric the operator serves has a panel
        Set<String> ours = new TreeSet<>();
        for (ClusterMetrics.Metric m : ClusterMetrics.Metric.values()) ours.add(m.metricName);
        ours.removeAll(used);
        // (the capacity and the revocation age limit are constants per cluster: the NatsBrokerCapacityLow and
        // NatsRevocationSyncStale alerts read them, no panel plots them)
        assertEquals(Set.of("natscluster_certificate_ready", "natscluster_last_observed_timestamp_seconds", "natscluster_capacity_nodes_per_broker",
                "natscluster_revocation_max_sync_age_seconds"), ours, "metrics without a panel");
    }

    @Test
    void serviceMonitorScrapesTheOperatorsMetricsService() {
        List<HasMetadata> objects = Chart.render(VALUES);
        GenericKubernetesResource sm = objects.stream().filter(o -> o.getKind().equals("ServiceMonitor"))
                .map(GenericKubernetesResource.class::cast).findFirst().orElseThrow();
        assertTrue(sm.toString().contains("port=http"), sm.toString());
        assertTrue(Chart.render(null).stream().noneMatch(o -> Set.of("ServiceMonitor", "PrometheusRule").contains(o.getKind())
                || o.getMetadata().getName().endsWith("-dashboard")), "all off by default");
    }
}
