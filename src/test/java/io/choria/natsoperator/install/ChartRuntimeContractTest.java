package io.choria.natsoperator.install;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.choria.natsoperator.runtime.HttpEndpoints;
import io.choria.natsoperator.runtime.RuntimeConfig;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Probe;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** What the chart's Deployment probes, exposes and configures is what the operator serves and reads. */
class ChartRuntimeContractTest {

    /** The container's environment as the kubelet would give it (the downward API resolved). */
    static Map<String, String> env(Container c) {
        Map<String, String> env = new LinkedHashMap<>();
        for (EnvVar e : c.getEnv()) {
            if (e.getValue() != null) env.put(e.getName(), e.getValue());
            else if ("metadata.namespace".equals(e.getValueFrom().getFieldRef().getFieldPath())) env.put(e.getName(), Chart.NAMESPACE);
        }
        return env;
    }

    static void check(String values, int port) {
        List<HasMetadata> objects = Chart.render(values);
        Deployment d = Chart.one(objects, Deployment.class);
        Container c = d.getSpec().getTemplate().getSpec().getContainers().get(0);
        assertEquals("run", c.getArgs().get(0));
        RuntimeConfig config = RuntimeConfig.parse(c.getArgs().subList(1, c.getArgs().size()).toArray(String[]::new), env(c));
        assertEquals(port, config.httpPort(), "the operator listens where the chart says");
        assertTrue(config.leaderElection());
        assertEquals(Chart.NAMESPACE, config.leaseNamespace(), "the Lease is where the chart grants it");

        var containerPort = c.getPorts().stream().filter(p -> p.getName().equals(HttpEndpoints.PORT_NAME)).findFirst().orElseThrow();
        assertEquals(port, containerPort.getContainerPort());
        assertProbe(c.getLivenessProbe(), HttpEndpoints.LIVENESS_PATH);
        assertProbe(c.getStartupProbe(), HttpEndpoints.LIVENESS_PATH);
        assertProbe(c.getReadinessProbe(), HttpEndpoints.READINESS_PATH);
        Service svc = Chart.one(objects, Service.class);
        assertEquals(HttpEndpoints.PORT_NAME, svc.getSpec().getPorts().get(0).getTargetPort().getStrVal());
        assertEquals(d.getSpec().getSelector().getMatchLabels(), svc.getSpec().getSelector());
    }

    static void assertProbe(Probe probe, String path) {
        assertEquals(path, probe.getHttpGet().getPath());
        assertEquals(HttpEndpoints.PORT_NAME, probe.getHttpGet().getPort().getStrVal());
    }

    @Test
    void defaultDeploymentMatchesTheOperator() {
        check(null, RuntimeConfig.DEFAULT_HTTP_PORT);
    }

    @Test
    void scrapeNamespacesReachTheOperator() {
        Deployment d = Chart.one(Chart.render("metrics: {scrapeNamespaces: [monitoring, obs]}"), Deployment.class);
        Container c = d.getSpec().getTemplate().getSpec().getContainers().get(0);
        RuntimeConfig config = RuntimeConfig.parse(c.getArgs().subList(1, c.getArgs().size()).toArray(String[]::new), env(c));
        assertEquals(List.of("monitoring", "obs"), config.installer("x").metricsNamespaces());
        Container byDefault = Chart.one(Chart.render(null), Deployment.class).getSpec().getTemplate().getSpec().getContainers().get(0);
        assertEquals(List.of(), RuntimeConfig.parse(new String[0], env(byDefault)).installer("x").metricsNamespaces());
    }

    @Test
    void anotherPortMovesEverything() {
        check("http: {port: 9090}", 9090);
    }

    @Test
    void imageRunsAsTheUserThePodRequires() throws Exception {
        String dockerfile = Files.readString(Path.of("operator/Dockerfile"));
        String from = dockerfile.lines().filter(l -> l.startsWith("FROM ")).findFirst().orElseThrow();
        assertTrue(from.matches("FROM [a-z0-9./-]+:[0-9][^ ]*(@sha256:[0-9a-f]{64})?"), "pinned base image: " + from);
        assertFalse(from.contains(":latest"));
        assertTrue(dockerfile.contains("target/nats-operator.jar"));
        String user = dockerfile.lines().filter(l -> l.startsWith("USER ")).findFirst().orElseThrow().substring(5).trim();
        Deployment d = Chart.one(Chart.render(null), Deployment.class);
        var podSecurity = d.getSpec().getTemplate().getSpec().getSecurityContext();
        assertEquals(podSecurity.getRunAsUser() + ":" + podSecurity.getRunAsGroup(), user);
        assertFalse(Set.of("0", "root").contains(user.split(":")[0]));
        assertTrue(dockerfile.contains("EXPOSE " + RuntimeConfig.DEFAULT_HTTP_PORT));
    }
}
