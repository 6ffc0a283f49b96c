package io.choria.natsoperator.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.choria.natsoperator.api.MonitoringSpec;
import io.choria.natsoperator.api.NatsCluster;
import io.choria.natsoperator.reconciler.dependent.OwnedObjects;
import io.choria.natsoperator.testing.Examples;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.LabelSelectorBuilder;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyIngressRule;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** The exporter sidecar, the NetworkPolicy rule for its port, and the PodMonitor, as the model renders them. */
class MonitoringModelTest {
    private static final KubernetesSerialization JSON = new KubernetesSerialization();

    /**
     * Every flag of prometheus-nats-exporter v0.15.0 (nats-io/prometheus-nats-exporter, main.go at
     * tag v0.15.0, the flag.*Var calls): what the rendered arguments may use.
     */
    static final Set<String> EXPORTER_0_15_0_FLAGS = Set.of("version", "port", "p", "addr", "a", "path", "ri", "l", "log", "s",
            "syslog", "r", "remote_syslog", "D", "V", "DV", "connz", "connz_detailed", "healthz", "replicatorVarz", "gatewayz",
            "accstatz", "leafz", "routez", "subz", "channelz", "serverz", "varz", "jsz", "tlscert", "tlskey", "tlscacert",
            "http_user", "http_pass", "prefix", "use_internal_server_id", "use_internal_server_name");
    /** Its boolean flags: given bare or as -flag=true, never followed by a separate value. */
    static final Set<String> BOOLEAN_FLAGS = Set.of("s", "syslog", "D", "V", "DV", "connz", "connz_detailed", "healthz",
            "replicatorVarz", "gatewayz", "accstatz", "leafz", "routez", "subz", "channelz", "serverz", "varz",
            "use_internal_server_id", "use_internal_server_name", "version");

    static NatsCluster cluster(boolean exporter, boolean podMonitor) {
        NatsCluster nc = Examples.load(Examples.THREE_BROKERS);
        nc.getSpec().setTls(null);
        nc.getSpec().setInsecurePlaintext(true);
        nc.getSpec().getMonitoring().getExporter().setEnabled(exporter);
        nc.getSpec().getMonitoring().getPodMonitor().setEnabled(podMonitor);
        return SpecDefaults.withDefaults(nc);
    }

    static DesiredCluster desired(NatsCluster nc, InstallerSettings installer) {
        return NatsClusterModel.desired(nc, new ModelInputs("cluster.local", "pw", null, installer, null, null));
    }

    static DesiredCluster desired(NatsCluster nc) {
        return desired(nc, InstallerSettings.DEFAULTS);
    }

    @Test
    void offLeavesThePodTemplateAsItWasSoNothingRolls() {
        NatsCluster without = Examples.load(Examples.THREE_BROKERS);
        without.getSpec().setTls(null);
        without.getSpec().setInsecurePlaintext(true);
        without.getSpec().setMonitoring(null); // a NatsCluster written before spec.monitoring existed
        var before = desired(SpecDefaults.withDefaults(without)).statefulSet();
        var off = desired(cluster(false, false)).statefulSet();
        var on = desired(cluster(true, false)).statefulSet();
        assertEquals(OwnedObjects.hash(before), OwnedObjects.hash(off), "monitoring off: the very same StatefulSet");
        assertEquals(List.of("nats", "reloader"), off.getSpec().getTemplate().getSpec().getContainers().stream().map(Container::getName).toList());
        String offJson = JSON.asJson(off);
        assertFalse(offJson.contains("exporter") || offJson.contains("7777"), offJson);
        assertNotEquals(OwnedObjects.hash(off), OwnedObjects.hash(on), "enabling rolls the pods once");
        assertEquals(JSON.asJson(off.getSpec().getTemplate().getSpec().getContainers().get(0)),
                JSON.asJson(on.getSpec().getTemplate().getSpec().getContainers().get(0)), "the broker container is untouched");
        assertEquals(OwnedObjects.hash(off), OwnedObjects.hash(desired(cluster(false, false)).statefulSet()), "disabling rolls them back");
    }

    @Test
    void exporterReadsLocalhostWithItsDocumentedFlagsAndRunsRestricted() {
        NatsCluster nc = cluster(true, false);
        Container e = desired(nc).statefulSet().getSpec().getTemplate().getSpec().getContainers().get(2);
        assertEquals(MetricsExporter.CONTAINER, e.getName());
        assertEquals(MonitoringSpec.Exporter.DEFAULT_IMAGE, e.getImage());
        assertEquals("natsio/prometheus-nats-exporter:0.15.0", e.getImage(), "pinned");
        List<String> args = e.getArgs();
        assertEquals("http://localhost:8222", args.get(args.size() - 1), "the broker's monitoring port, inside the pod");
        Pattern flag = Pattern.compile("-([A-Za-z_]+)(=(.*))?");
        for (String a : args.subList(0, args.size() - 1)) {
            var m = flag.matcher(a);
            assertTrue(m.matches(), "a flag: " + a);
            assertTrue(EXPORTER_0_15_0_FLAGS.contains(m.group(1)), "a flag of exporter 0.15.0: " + a);
            assertTrue(BOOLEAN_FLAGS.contains(m.group(1)) || m.group(3) != null, "a value flag carries its value inline: " + a);
        }
        for (String wanted : List.of("-varz", "-connz", "-routez", "-subz", "-healthz", "-port=7777")) {
            assertTrue(args.contains(wanted), wanted + " in " + args);
        }
        assertFalse(args.contains("-connz_detailed"), "no per-connection (per node) series");
        assertEquals(7777, e.getPorts().get(0).getContainerPort());
        assertEquals(MetricsExporter.PORT_NAME, e.getPorts().get(0).getName());
        var sc = e.getSecurityContext();
        assertTrue(sc.getRunAsNonRoot() && sc.getReadOnlyRootFilesystem() && !sc.getAllowPrivilegeEscalation());
        assertEquals(List.of("ALL"), sc.getCapabilities().getDrop());
        assertEquals("64Mi", e.getResources().getLimits().get("memory").toString());
        assertNull(e.getReadinessProbe(), "the broker's readiness does not hang on its metrics");
    }

    @Test
    void theNetworkPolicyAdmitsTheExporterPortFromTheInstallersNamespacesOnly() {
        InstallerSettings installer = new InstallerSettings(InstallerSettings.DEFAULT_SYSCTL_IMAGE, true, "ops",
                Map.of("app.kubernetes.io/name", "nats-operator"), List.of("monitoring"));
        NetworkPolicy off = desired(cluster(false, false), installer).networkPolicy();
        NetworkPolicy on = desired(cluster(true, false), installer).networkPolicy();
        List<NetworkPolicyIngressRule> added = new ArrayList<>(on.getSpec().getIngress());
        added.removeAll(off.getSpec().getIngress());
        assertEquals(off.getSpec().getIngress().size() + 1, on.getSpec().getIngress().size(), "one rule more, the rest (8222 too) as before");
        assertEquals(1, added.size());
        NetworkPolicyIngressRule r = added.get(0);
        assertEquals(7777, r.getPorts().get(0).getPort().getIntVal());
        assertEquals(1, r.getFrom().size());
        var expr = r.getFrom().get(0).getNamespaceSelector().getMatchExpressions().get(0);
        assertEquals("kubernetes.io/metadata.name", expr.getKey());
        assertEquals(List.of("monitoring"), expr.getValues());
        assertNull(r.getFrom().get(0).getPodSelector());

        // No namespace named by the installer nor the spec: no rule at all (an empty "from" would admit everyone).
        NetworkPolicy nobody = desired(cluster(true, false)).networkPolicy();
        assertEquals(off.getSpec().getIngress().size(), nobody.getSpec().getIngress().size());
        assertTrue(nobody.getSpec().getIngress().stream().allMatch(rule -> rule.getFrom() != null || rule.getPorts().get(0).getPort().getIntVal() == 4222));

        // The spec's monitorNamespaceSelector, which may read 8222 already, may scrape too.
        NatsCluster withSelector = cluster(true, false);
        withSelector.getSpec().getNetworkPolicy().setMonitorNamespaceSelector(new LabelSelectorBuilder().withMatchLabels(Map.of("team", "obs")).build());
        NetworkPolicy sel = desired(withSelector).networkPolicy();
        var exporterRule = sel.getSpec().getIngress().stream().filter(x -> x.getPorts().get(0).getPort().getIntVal() == 7777).findFirst().orElseThrow();
        assertEquals(Map.of("team", "obs"), exporterRule.getFrom().get(0).getNamespaceSelector().getMatchLabels());
    }

    /**
     * The PodMonitor against the Prometheus Operator's CRD (prometheus-operator,
     * example/prometheus-operator-crd/monitoring.coreos.com_podmonitors.yaml, v0.91.0): only
     * fields that schema has, selector present, endpoint port a string naming a container port,
     * interval matching its Duration pattern.
     */
    @Test
    @SuppressWarnings("unchecked")
    void podMonitorMatchesThePrometheusOperatorSchema() {
        NatsCluster nc = cluster(true, true);
        nc.getSpec().getMonitoring().getPodMonitor().getLabels().put("release", "kube-prometheus-stack");
        nc.getSpec().getMonitoring().getPodMonitor().getLabels().put("app.kubernetes.io/managed-by", "someone-else");
        GenericKubernetesResource pm = BrokerPodMonitor.of(nc, Names.of(nc, "cluster.local"));
        assertEquals("monitoring.coreos.com/v1", pm.getApiVersion());
        assertEquals("PodMonitor", pm.getKind());
        assertEquals("kube-prometheus-stack", pm.getMetadata().getLabels().get("release"));
        assertEquals("nats-operator", pm.getMetadata().getLabels().get("app.kubernetes.io/managed-by"), "ours win");
        Map<String, Object> spec = (Map<String, Object>) pm.getAdditionalProperties().get("spec");
        Set<String> specFields = Set.of("attachMetadata", "bodySizeLimit", "jobLabel", "namespaceSelector", "podMetricsEndpoints",
                "podTargetLabels", "sampleLimit", "scrapeProtocols", "selector", "targetLimit", "labelLimit");
        assertTrue(specFields.containsAll(spec.keySet()), spec.keySet().toString());
        assertTrue(spec.containsKey("selector"), "required by the CRD");
        Map<String, Object> selector = (Map<String, Object>) spec.get("selector");
        assertEquals(Labels.selector("broker"), selector.get("matchLabels"));
        List<Map<String, Object>> endpoints = (List<Map<String, Object>>) spec.get("podMetricsEndpoints");
        assertEquals(1, endpoints.size());
        Set<String> endpointFields = Set.of("port", "portNumber", "path", "interval", "scrapeTimeout", "scheme", "params",
                "honorLabels", "relabelings", "metricRelabelings");
        assertTrue(endpointFields.containsAll(endpoints.get(0).keySet()), endpoints.get(0).keySet().toString());
        assertEquals(MetricsExporter.PORT_NAME, endpoints.get(0).get("port"));
        assertEquals("/metrics", endpoints.get(0).get("path"));
        String crdDuration = "^(0|(([0-9]+)y)?(([0-9]+)w)?(([0-9]+)d)?(([0-9]+)h)?(([0-9]+)m)?(([0-9]+)s)?(([0-9]+)ms)?)$";
        assertTrue(((String) endpoints.get(0).get("interval")).matches(crdDuration));
        // The pods it selects carry the named port.
        Container e = desired(nc).statefulSet().getSpec().getTemplate().getSpec().getContainers().get(2);
        assertEquals(endpoints.get(0).get("port"), e.getPorts().get(0).getName());
        assertTrue(desired(nc).statefulSet().getSpec().getTemplate().getMetadata().getLabels().entrySet()
                .containsAll(Labels.selector("broker").entrySet()));
    }

    @Test
    void specProblemsAreNamed() {
        NatsCluster clash = cluster(true, false);
        clash.getSpec().getMonitoring().getExporter().setPort(8222);
        assertTrue(SpecValidator.validate(clash).stream().anyMatch(p -> p.message().contains("spec.monitoring.exporter.port")));
        NatsCluster lonely = cluster(false, true);
        assertTrue(SpecValidator.validate(lonely).stream().anyMatch(p -> p.message().contains("needs spec.monitoring.exporter.enabled")));
        NatsCluster interval = cluster(true, true);
        interval.getSpec().getMonitoring().getPodMonitor().setInterval("soon");
        assertTrue(SpecValidator.validate(interval).stream().anyMatch(p -> p.message().contains("podMonitor.interval")));
        assertTrue(SpecValidator.validate(cluster(true, true)).isEmpty());
    }
}
