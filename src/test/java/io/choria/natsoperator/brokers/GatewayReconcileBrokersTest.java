package io.choria.natsoperator.brokers;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.choria.natsoperator.api.NatsCluster;
import io.choria.natsoperator.api.Reason;
import io.choria.natsoperator.mesh.LeafChecker;
import io.choria.natsoperator.mesh.MeshProbe;
import io.choria.natsoperator.pki.TestCa;
import io.choria.natsoperator.status.Conditions;
import io.choria.natsoperator.reconciler.OperatorSettings;
import io.choria.natsoperator.testing.Await;
import io.choria.natsoperator.testing.Examples;
import io.choria.natsoperator.testing.External;
import io.choria.natsoperator.testing.MockCluster;
import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.api.model.apps.StatefulSetStatusBuilder;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * GatewaysConnected as the operator computes it: the reconciler runs against the mock API server,
 * its mesh probe (the production path, {@link MeshProbe#monitoring}) asks the /varz and /gatewayz
 * of real brokers: two sites of one broker each (127.0.0.220 and .221), joined by gateways.
 */
@External
class GatewayReconcileBrokersTest {
    static final List<String> SITES = List.of("gw-a", "gw-b");
    static final int[] FIRST_HOST = {220, 221};

    static final TwoSites TWO = new TwoSites(SITES, FIRST_HOST, nc -> {});

    @Test
    void gatewaysConnectedFollowsTheRealBrokers() {
        TestCa ca = TestCa.rsaRoot("Test Puppet CA");
        LocalBrokerCluster[] site = new LocalBrokerCluster[2];
        try (MockCluster api = new MockCluster()) {
            for (int s = 0; s < 2; s++) {
                site[s] = TWO.brokers(ca, s).start();
            }
            MeshProbe probe = MeshProbe.monitoring(nc -> site[SITES.indexOf(nc.getMetadata().getNamespace())]::monitorUri, new LeafChecker());
            api.startOperator(new OperatorSettings("cluster.local", Set.of(), Duration.ofMillis(500), probe), Clock.systemUTC());
            for (int s = 0; s < 2; s++) {
                Examples.createPuppetCa(api.client, SITES.get(s));
                NatsCluster nc = Examples.toApply(Examples.ONE_BROKER, SITES.get(s), "broker");
                TWO.configure(nc, s);
                api.client.resource(nc).create();
            }
            for (String ns : SITES) brokersReady(api, ns);

            Condition up = Await.until("gw-a GatewaysConnected True", Duration.ofSeconds(30), () -> condition(api, "gw-a"),
                    c -> c != null && "True".equals(c.getStatus()));
            assertEquals(Reason.AllGatewaysConnected.name(), up.getReason());
            assertEquals("each of the 1 brokers has a gateway to gw-b", up.getMessage());

            site[1].stop(0);
            Condition down = Await.until("gw-a names gw-b as missing", Duration.ofSeconds(30), () -> condition(api, "gw-a"),
                    c -> "False".equals(c.getStatus()));
            assertEquals(Reason.GatewayMissing.name(), down.getReason());
            assertEquals("gw-b missing at broker-0", down.getMessage());

            site[1].start(0);
            Await.until("gw-a GatewaysConnected True again", Duration.ofSeconds(30), () -> condition(api, "gw-a"), c -> "True".equals(c.getStatus()));
        } finally {
            for (LocalBrokerCluster c : site) if (c != null) c.close();
        }
    }

    static void brokersReady(MockCluster api, String ns) {
        StatefulSet sts = Await.present("StatefulSet " + ns, () -> api.client.apps().statefulSets().inNamespace(ns).withName("broker").get());
        sts.setStatus(new StatefulSetStatusBuilder().withReplicas(1).withReadyReplicas(1).withUpdatedReplicas(1)
                .withObservedGeneration(sts.getMetadata().getGeneration()).withCurrentRevision("r1").withUpdateRevision("r1").build());
        api.client.resource(sts).updateStatus();
    }

    static Condition condition(MockCluster api, String ns) {
        NatsCluster nc = api.client.resources(NatsCluster.class).inNamespace(ns).withName("broker").get();
        if (nc == null || nc.getStatus() == null) return null;
        return Conditions.find(nc.getStatus().getConditions(), Conditions.GATEWAYS_CONNECTED).orElse(null);
    }
}
