package io.choria.natsoperator.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.choria.natsoperator.api.CapacitySpec;
import io.choria.natsoperator.api.NatsCluster;
import io.choria.natsoperator.api.TlsSpec;
import io.choria.natsoperator.testing.Examples;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.ResourceRequirementsBuilder;
import java.util.List;
import org.junit.jupiter.api.Test;

/** spec.capacity.nodesPerBroker derives memory, GOMEMLIMIT and max_connections; explicit values win and are checked. */
class BrokerCapacityTest {

    @Test
    void derivedForATableOfCapacities() {
        // nodesPerBroker -> max_connections, request Mi, limit Mi, GOMEMLIMIT (base 16 MiB + 56 KiB per node; limit +25%)
        Object[][] table = {
                {1, 17, 17, 22, "19MiB"},
                {60, 76, 20, 26, "23MiB"},
                {2000, 2500, 126, 191, "171MiB"},
                {5000, 6250, 290, 448, "403MiB"},
                {10000, 12500, 563, 875, "787MiB"},
        };
        for (Object[] row : table) {
            var s = BrokerCapacity.of((Integer) row[0]);
            assertEquals(row[1], s.maxConnections(), "max_connections for " + row[0]);
            assertEquals(((Integer) row[2]).longValue() << 20, s.memoryRequestBytes(), "request for " + row[0]);
            assertEquals(((Integer) row[3]).longValue() << 20, s.memoryLimitBytes(), "limit for " + row[0]);
            assertEquals(row[4], s.goMemLimit(), "GOMEMLIMIT for " + row[0]);
        }
    }

    @Test
    void theCapacityReachesThePodAndNatsConf() {
        NatsCluster nc = withCapacity(2000);
        DesiredCluster d = NatsClusterModel.desired(nc, inputs());
        Container broker = broker(d);
        assertEquals(new Quantity("126Mi"), broker.getResources().getRequests().get("memory"));
        assertEquals(new Quantity("191Mi"), broker.getResources().getLimits().get("memory"));
        assertEquals("171MiB", env(broker, "GOMEMLIMIT"));
        assertTrue(d.config().getData().get(NatsConfig.CONFIG_FILE).contains("max_connections: 2500\n"));
    }

    @Test
    void withoutCapacityThePodIsUnchanged() {
        NatsCluster plain = SpecDefaults.withDefaults(Examples.load(Examples.THREE_BROKERS));
        Container broker = broker(NatsClusterModel.desired(plain, inputs()));
        assertEquals(null, env(broker, "GOMEMLIMIT"), "no GOMEMLIMIT without capacity: enabling it later rolls the pods once");
        assertEquals(List.of("POD_NAME"), broker.getEnv().stream().map(e -> e.getName()).toList());
        assertTrue(NatsClusterModel.desired(plain, inputs()).config().getData().get(NatsConfig.CONFIG_FILE).contains("max_connections: 65536\n"));
    }

    @Test
    void explicitResourcesAndMaxConnectionsWinAndAreCheckedAgainstTheCapacity() {
        NatsCluster nc = withCapacity(8000);
        nc.getSpec().setResources(new ResourceRequirementsBuilder().addToRequests("memory", new Quantity("300Mi"))
                .addToLimits("memory", new Quantity("512Mi")).build());
        nc.getSpec().getLimits().setMaxConnections(7000);
        DesiredCluster d = NatsClusterModel.desired(nc, inputs());
        Container broker = broker(d);
        assertEquals(new Quantity("512Mi"), broker.getResources().getLimits().get("memory"), "explicit resources win");
        assertEquals("460MiB", env(broker, "GOMEMLIMIT"), "GOMEMLIMIT follows the limit in force");
        assertTrue(d.config().getData().get(NatsConfig.CONFIG_FILE).contains("max_connections: 7000\n"), "an explicit maxConnections wins");
        String why = BrokerCapacity.shortfall(nc.getSpec()).orElseThrow();
        assertTrue(why.contains("memory limit 512Mi is below the " + BrokerCapacity.mib(BrokerCapacity.of(8000).memoryLimitBytes())
                + "Mi that 8000 nodes per broker need"), why);
        assertTrue(why.contains("memory request 300Mi is below " + BrokerCapacity.mib(BrokerCapacity.of(8000).memoryRequestBytes()) + "Mi"), why);
        nc.getSpec().setResources(BrokerCapacity.of(8000).resources());
        assertTrue(BrokerCapacity.shortfall(nc.getSpec()).isEmpty(), "resources that fit raise nothing");
    }

    @Test
    void theCpuRequestBringsTheNodesBackWithinTheRecoveryTime() {
        // nodes x broker CPU per Puppet-shaped connect (EC 2.0 ms, RSA 3.2 ms) x 1.5 / recoverySeconds, at least 250m
        // and at least one backlog of connects per second: 128 x 2.0 ms = 256m, 128 x 3.2 ms = 410m
        Object[][] table = {
                {2000, 30, TlsSpec.KeyAlgorithm.EC_P256, 128, 256},
                {2000, 30, TlsSpec.KeyAlgorithm.EC_P256, 0, 250},
                {5000, 30, TlsSpec.KeyAlgorithm.EC_P256, 128, 500},
                {10000, 30, TlsSpec.KeyAlgorithm.EC_P256, 128, 1000},
                {10000, 15, TlsSpec.KeyAlgorithm.EC_P256, 128, 2000},
                {5000, 30, TlsSpec.KeyAlgorithm.RSA_2048, 128, 800},
                {1000, 30, TlsSpec.KeyAlgorithm.RSA_2048, 128, 410},
                {1000, 7, TlsSpec.KeyAlgorithm.EC_P256, 128, 429},
                {1000, 30, TlsSpec.KeyAlgorithm.EC_P256, 4096, 256},
        };
        for (Object[] row : table) {
            var s = BrokerCapacity.of((Integer) row[0], (Integer) row[1], (TlsSpec.KeyAlgorithm) row[2], (Integer) row[3]);
            assertEquals(row[4], s.cpuMillis(), "millicores for " + List.of(row));
        }
        NatsCluster nc = withCapacity(10000);
        assertEquals(new Quantity("1000m"), broker(NatsClusterModel.desired(nc, inputs())).getResources().getRequests().get("cpu"),
                "the default key (EC-P256) and recoverySeconds (30) reach the pod");
        nc.getSpec().getCapacity().setRecoverySeconds(15);
        assertEquals(new Quantity("2000m"), broker(NatsClusterModel.desired(nc, inputs())).getResources().getRequests().get("cpu"));
    }

    @Test
    void explicitCpuBelowTheStormsNeedIsReported() {
        NatsCluster nc = withCapacity(10000);
        nc.getSpec().setResources(BrokerCapacity.of(10000).resources());
        assertTrue(BrokerCapacity.shortfall(nc.getSpec()).isEmpty(), "the derived resources fit");
        nc.getSpec().getResources().getRequests().put("cpu", new Quantity("500m"));
        String why = BrokerCapacity.shortfall(nc.getSpec()).orElseThrow();
        assertEquals("spec.resources: cpu 500m is below the 1000m that brings 10000 nodes back within 30 s after a broker restarts", why);
        nc.getSpec().getResources().getRequests().put("cpu", new Quantity("2"));
        nc.getSpec().getResources().setLimits(new java.util.HashMap<>(java.util.Map.of("memory", new Quantity("875Mi"), "cpu", new Quantity("0.5"))));
        assertTrue(BrokerCapacity.shortfall(nc.getSpec()).orElseThrow().contains("cpu 0.5 is below the 1000m"), "a CPU limit is what the broker is sure of");
    }

    static NatsCluster withCapacity(int nodes) {
        NatsCluster nc = Examples.load(Examples.THREE_BROKERS);
        nc.getSpec().setResources(null); // the example sets them; here the capacity decides
        CapacitySpec c = new CapacitySpec();
        c.setNodesPerBroker(nodes);
        nc.getSpec().setCapacity(c);
        return SpecDefaults.withDefaults(nc);
    }

    private static ModelInputs inputs() {
        return new ModelInputs("cluster.local", "pw", new TlsFiles("cert", "key", "ca"));
    }

    private static Container broker(DesiredCluster d) {
        return d.statefulSet().getSpec().getTemplate().getSpec().getContainers().stream()
                .filter(c -> c.getName().equals(BrokerStatefulSet.CONTAINER)).findFirst().orElseThrow();
    }

    private static String env(Container c, String name) {
        return c.getEnv().stream().filter(e -> e.getName().equals(name)).map(e -> e.getValue()).findFirst().orElse(null);
    }
}
