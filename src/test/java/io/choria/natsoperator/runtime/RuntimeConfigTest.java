package io.choria.natsoperator.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.choria.natsoperator.model.InstallerSettings;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class RuntimeConfigTest {
    @Test
    void defaultsWatchEveryNamespaceWithoutLeaderElection() {
        RuntimeConfig c = RuntimeConfig.parse(new String[0], java.util.Map.of());
        assertEquals(Set.of(), c.namespaces());
        assertEquals("cluster.local", c.clusterDomain());
        assertEquals("info", c.logLevel());
        assertEquals(8080, c.httpPort());
        assertFalse(c.leaderElection());
        assertEquals("nats-operator-leader", c.leaseName());
        assertNull(c.leaseNamespace());
    }

    @Test
    void environmentAsTheDeploymentSetsIt() {
        RuntimeConfig c = RuntimeConfig.parse(new String[0], Map.of(
                "WATCH_NAMESPACES", "choria, brokers ,", "LOG_LEVEL", "DEBUG", "HTTP_PORT", "9090",
                "LEADER_ELECTION", "true", "LEASE_NAME", "my-lock", "POD_NAMESPACE", "nats-operator",
                "CLUSTER_DOMAIN", "example.internal"));
        assertEquals(Set.of("choria", "brokers"), c.namespaces());
        assertEquals("debug", c.logLevel());
        assertEquals(9090, c.httpPort());
        assertTrue(c.leaderElection());
        assertEquals("my-lock", c.leaseName());
        assertEquals("nats-operator", c.leaseNamespace());
        assertEquals("example.internal", c.clusterDomain());
    }

    @Test
    void flagsWinOverEnvironment() {
        RuntimeConfig c = RuntimeConfig.parse(new String[] {"--namespace", "a", "--namespace=b,c", "--log-level", "warn",
                "--http-port=8081", "--no-leader-election", "--lease-name", "x", "--lease-namespace", "ops"},
                Map.of("WATCH_NAMESPACES", "z", "LEADER_ELECTION", "true", "HTTP_PORT", "9090"));
        assertEquals(Set.of("a", "b", "c"), c.namespaces());
        assertEquals("warn", c.logLevel());
        assertEquals(8081, c.httpPort());
        assertFalse(c.leaderElection());
        assertEquals("x", c.leaseName());
        assertEquals("ops", c.leaseNamespace());
        assertTrue(RuntimeConfig.parse(new String[] {"--leader-election"}, Map.of()).leaderElection());
    }

    @Test
    void badValuesAreUsageErrors() {
        assertThrows(IllegalArgumentException.class, () -> RuntimeConfig.parse(new String[] {"--log-level", "loud"}, Map.of()));
        assertThrows(IllegalArgumentException.class, () -> RuntimeConfig.parse(new String[] {"--http-port", "http"}, Map.of()));
        assertThrows(IllegalArgumentException.class, () -> RuntimeConfig.parse(new String[] {"--http-port", "70000"}, Map.of()));
        assertThrows(IllegalArgumentException.class, () -> RuntimeConfig.parse(new String[0], Map.of("LEADER_ELECTION", "maybe")));
        assertThrows(IllegalArgumentException.class, () -> RuntimeConfig.parse(new String[] {"--frobnicate"}, Map.of()));
        assertThrows(IllegalArgumentException.class, () -> RuntimeConfig.parse(new String[] {"--namespace"}, Map.of()));
    }

    /** The installer's choices for every NatsCluster: sysctl image, privileged sysctls, who the operator is. */
    @Test
    void installerSettingsFromEnvironmentAndFlags() {
        InstallerSettings defaults = RuntimeConfig.parse(new String[0], Map.of()).installer("from-kubeconfig");
        assertEquals(InstallerSettings.DEFAULT_SYSCTL_IMAGE, defaults.sysctlImage());
        assertTrue(defaults.allowPrivilegedSysctls());
        assertEquals("from-kubeconfig", defaults.operatorNamespace(), "outside a pod: the kubeconfig's namespace");
        assertEquals(Map.of("app.kubernetes.io/name", "nats-operator"), defaults.operatorPodLabels());

        InstallerSettings env = RuntimeConfig.parse(new String[0], Map.of("SYSCTL_IMAGE", "registry.example/busybox:1.36.1",
                "ALLOW_PRIVILEGED_SYSCTLS", "false", "POD_NAMESPACE", "platform",
                "OPERATOR_POD_LABELS", "app.kubernetes.io/name=nats-operator,app.kubernetes.io/instance=natsop")).installer("ignored");
        assertEquals("registry.example/busybox:1.36.1", env.sysctlImage());
        assertFalse(env.allowPrivilegedSysctls());
        assertEquals("platform", env.operatorNamespace());
        assertEquals(Map.of("app.kubernetes.io/name", "nats-operator", "app.kubernetes.io/instance", "natsop"), env.operatorPodLabels());

        InstallerSettings flags = RuntimeConfig.parse(new String[] {"--sysctl-image", "busybox@sha256:abc", "--allow-privileged-sysctls=false",
                "--operator-namespace=ops", "--operator-pod-labels", "team=platform"},
                Map.of("ALLOW_PRIVILEGED_SYSCTLS", "true", "POD_NAMESPACE", "platform")).installer("ignored");
        assertEquals("busybox@sha256:abc", flags.sysctlImage());
        assertFalse(flags.allowPrivilegedSysctls());
        assertEquals("ops", flags.operatorNamespace());
        assertEquals(Map.of("team", "platform"), flags.operatorPodLabels());
        assertTrue(RuntimeConfig.parse(new String[] {"--allow-privileged-sysctls"}, Map.of("ALLOW_PRIVILEGED_SYSCTLS", "false"))
                .allowPrivilegedSysctls());
    }

    @Test
    void metricsNamespacesFromEnvOrFlag() {
        assertEquals(List.of(), RuntimeConfig.parse(new String[0], Map.of()).installer("x").metricsNamespaces(), "none by default");
        assertEquals(List.of("monitoring", "obs"), RuntimeConfig.parse(new String[0], Map.of("METRICS_NAMESPACES", "obs,monitoring"))
                .installer("x").metricsNamespaces());
        assertEquals(List.of("prom"), RuntimeConfig.parse(new String[] {"--metrics-namespaces=prom"}, Map.of("METRICS_NAMESPACES", "obs"))
                .installer("x").metricsNamespaces(), "the flag wins");
    }

    @Test
    void badInstallerSettingsAreUsageErrors() {
        for (String[] bad : new String[][] {
                {"--sysctl-image", "busybox\nrm -rf /"}, {"--sysctl-image", " "}, {"--sysctl-image", "a b"},
                {"--allow-privileged-sysctls=perhaps"}, {"--operator-namespace", "Not_A_Namespace"},
                {"--operator-pod-labels", "novalue"}, {"--operator-pod-labels", ","}, {"--operator-pod-labels", "a=b c"},
                {"--metrics-namespaces", "Not_A_Namespace"}, {"--metrics-namespaces", "ok,bad ns"}}) {
            assertThrows(IllegalArgumentException.class, () -> RuntimeConfig.parse(bad, Map.of()), String.join(" ", bad));
        }
    }
}
