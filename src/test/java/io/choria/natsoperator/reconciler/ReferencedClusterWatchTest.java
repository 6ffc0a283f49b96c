package io.choria.natsoperator.reconciler;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.choria.natsoperator.api.NatsCluster;
import io.choria.natsoperator.api.Reason;
import io.choria.natsoperator.model.NatsConfig;
import io.choria.natsoperator.testing.Await;
import io.choria.natsoperator.testing.Examples;
import io.choria.natsoperator.testing.MockCluster;
import io.fabric8.kubernetes.api.model.ConfigMap;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A gateway remote by natsClusterRef follows the NatsCluster it names by events, not by the resync:
 * the operator here resyncs once an hour, so everything a test sees within seconds came from a watch.
 */
class ReferencedClusterWatchTest {
    static MockCluster cluster;

    @BeforeAll
    static void start() {
        cluster = new MockCluster().startOperator(Duration.ofHours(1));
    }

    @AfterAll
    static void stop() {
        cluster.close();
    }

    static String eastConfig() {
        ConfigMap c = cluster.client.configMaps().inNamespace("watch-east").withName("broker-config").get();
        return c == null ? null : c.getData().get(NatsConfig.CONFIG_FILE);
    }

    @Test
    void creatingAndChangingTheReferencedClusterReconcilesTheOneThatNamesIt() {
        Examples.createPuppetCa(cluster.client, "watch-east");
        Examples.createPuppetCa(cluster.client, "watch-west");
        NatsCluster east = cluster.client.resource(GatewayReconcileTest.site("watch-east", "broker", 7222, "watch-west", "watch-west")).create();
        var blocked = Await.until("GatewayRemoteNotFound", Duration.ofSeconds(20), () -> GatewayReconcileTest.ready(cluster.client, "watch-east"),
                c -> c != null && Reason.GatewayRemoteNotFound.name().equals(c.getReason()));
        assertEquals("spec.gateway.remotes[0].natsClusterRef: no NatsCluster watch-west/broker", blocked.getMessage());
        int reconcilesWhileBlocked = cluster.reconciles.finished(east);
        assertNull(eastConfig(), "nothing is written while the reference is missing");

        cluster.client.resource(GatewayReconcileTest.site("watch-west", "broker", 7333, "watch-east", "watch-east")).create();
        String conf = Await.until("east's nats.conf with west's gateway", Duration.ofSeconds(20), ReferencedClusterWatchTest::eastConfig,
                c -> c != null && c.contains("nats://broker-gateway.watch-west.svc.cluster.local:7333"));
        assertTrue(conf.contains("{name: \"watch-west\", urls: [\"nats://broker-gateway.watch-west.svc.cluster.local:7333\"]}"), conf);
        Await.until("east's reconcile (by west's creation) to finish", Duration.ofSeconds(20), () -> cluster.reconciles.finished(east),
                n -> n > reconcilesWhileBlocked);
        Await.until("east Ready no longer blocked", Duration.ofSeconds(20), () -> GatewayReconcileTest.ready(cluster.client, "watch-east"),
                c -> !Reason.GatewayRemoteNotFound.name().equals(c.getReason()));

        // West moves its gateway port: east's remote URL follows.
        Await.retryingConflicts("west's gateway port", () -> cluster.client.resources(NatsCluster.class).inNamespace("watch-west").withName("broker").edit(w -> {
            w.getSpec().getGateway().setPort(7444);
            return w;
        }));
        Await.until("east's nats.conf with west's new port", Duration.ofSeconds(20), ReferencedClusterWatchTest::eastConfig,
                c -> c.contains("nats://broker-gateway.watch-west.svc.cluster.local:7444"));

        // West deleted: east is blocked again, naming the reference.
        cluster.client.resources(NatsCluster.class).inNamespace("watch-west").withName("broker").delete();
        Await.until("GatewayRemoteNotFound again", Duration.ofSeconds(20), () -> GatewayReconcileTest.ready(cluster.client, "watch-east"),
                c -> Reason.GatewayRemoteNotFound.name().equals(c.getReason()));
    }
}
