package io.choria.natsoperator.runtime;

import io.choria.natsoperator.api.NatsCluster;
import io.choria.natsoperator.model.Owned;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.choria.natsoperator.testing.Await;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.authorization.v1.ResourceRuleBuilder;
import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.fabric8.kubernetes.api.model.coordination.v1.LeaseBuilder;
import java.time.Clock;
import java.time.Duration;
import java.time.ZonedDateTime;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Leader election through a Lease: a standby is ready but does not reconcile until it holds the Lease. */
class LeaderElectionTest {
    static final String LEASE_NS = "nats-operator";

    @Test
    void standbyWaitsForTheLeaseThenReconciles() throws Exception {
        var leaseRule = new ResourceRuleBuilder().withApiGroups("coordination.k8s.io").withResources("leases")
                .withVerbs("get", "create", "update").build();
        try (LeaseAwareMockServer api = new LeaseAwareMockServer(List.of(leaseRule))) {
            api.client.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName(LEASE_NS).endMetadata().build()).create();
            ZonedDateTime now = ZonedDateTime.now(java.time.ZoneOffset.UTC);
            Lease held = new LeaseBuilder().withNewMetadata().withName("nats-operator-leader").withNamespace(LEASE_NS).endMetadata()
                    .withNewSpec().withHolderIdentity("the-other-replica").withLeaseDurationSeconds(3600)
                    .withAcquireTime(now).withRenewTime(now).withLeaseTransitions(0).endSpec().build();
            api.client.resource(held).create();

            RuntimeConfig config = RuntimeConfig.parse(new String[] {"--leader-election"},
                    Map.of("HTTP_PORT", "0", "POD_NAMESPACE", LEASE_NS));
            OperatorRuntime runtime = OperatorRuntime.create(api.client, config, Clock.systemUTC());
            try {
                runtime.start();
                int port = runtime.httpPort();
                Await.until("standby ready", Duration.ofSeconds(30),
                        () -> HttpEndpointsTest.get(port, HttpEndpoints.READINESS_PATH), r -> r.status() == 200);
                HttpEndpointsTest.createCluster(api.client, "le", "broker");
                // Proof the standby had something to reconcile: java-operator-sdk's Metrics (the
                // runtime's Micrometer registry) counted the NatsCluster's event, the only primary here.
                Await.until("the standby received the NatsCluster's event", Duration.ofSeconds(30),
                        () -> counted(runtime, "operator.sdk.events.received"), n -> n >= 1);
                // A second event for the same cluster (an object it owns appears), sent after the first
                // was counted: a leader would have submitted the first one's reconcile before taking this one.
                NatsCluster nc = api.client.resources(NatsCluster.class).inNamespace("le").withName("broker").get();
                api.client.configMaps().resource(new io.fabric8.kubernetes.api.model.ConfigMapBuilder()
                        .withMetadata(Owned.meta(nc, "broker-probe", "probe")).build()).create();
                Await.until("the standby received the owned ConfigMap's event", Duration.ofSeconds(30),
                        () -> counted(runtime, "operator.sdk.events.received"), n -> n >= 2);
                assertEquals(0.0, counted(runtime, "operator.sdk.reconciliations.started"), "a standby must not reconcile");
                assertNull(api.client.apps().statefulSets().inNamespace("le").withName("broker").get(),
                        "a standby must not reconcile");

                // the other replica goes away: its Lease expires (here: is deleted); this one takes over
                api.client.resource(held).delete();
                Await.present("the StatefulSet, once leading",
                        () -> api.client.apps().statefulSets().inNamespace("le").withName("broker").get());
                assertTrue(counted(runtime, "operator.sdk.reconciliations.started") >= 1, "reconciled once leading");
                Lease ours = api.client.leases().inNamespace(LEASE_NS).withName("nats-operator-leader").get();
                assertNotEquals("the-other-replica", ours.getSpec().getHolderIdentity());
            } finally {
                runtime.close();
            }
            // our own stop is not a lost lease: the process is not made to exit
            assertEquals(OperatorHealth.Phase.STOPPED, runtime.health().phase());
        }
    }

    /** The sum of a java-operator-sdk counter over its tags (controller, event, action...). */
    static double counted(OperatorRuntime runtime, String name) {
        return runtime.registry().find(name).counters().stream().mapToDouble(c -> c.count()).sum();
    }
}
