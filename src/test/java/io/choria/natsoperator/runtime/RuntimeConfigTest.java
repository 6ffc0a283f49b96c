package io.choria.natsoperator.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

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
}
