package io.choria.natsoperator.brokers;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.choria.natsoperator.api.NatsCluster;
import io.choria.natsoperator.api.StreamsSpec;
import io.choria.natsoperator.jetstream.StreamsChecker;
import io.choria.natsoperator.mesh.MeshChecker;
import io.choria.natsoperator.mesh.MeshProbe;
import io.choria.natsoperator.reconciler.OperatorSettings;
import io.choria.natsoperator.runtime.OperatorRuntime;
import io.choria.natsoperator.testing.Await;
import io.choria.natsoperator.testing.Examples;
import io.choria.natsoperator.testing.External;
import io.choria.natsoperator.testing.MockCluster;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.api.model.apps.StatefulSetStatusBuilder;
import java.time.Clock;
import java.time.Duration;
import java.util.Set;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

/**
 * The operator keeps Choria's streams in real brokers and says so in StreamsReady: it runs against the mock API server,
 * and its probe (the production one: /varz, then the streams through the first broker that answers, as the broker whose
 * certificate it wrote into the TLS Secret) asks three loopback brokers rendered with the same spec.
 */
@External
class StreamsReconcileTest {
    private static final Consumer<NatsCluster> STREAMS = nc -> {
        StreamsSpec streams = new StreamsSpec();
        streams.getStorage().setSize("256Mi");
        nc.getSpec().setStreams(streams);
    };

    @Test
    void theOperatorMakesChoriasStreamsAndStreamsReadyFollowsTheBrokers() {
        try (LocalBrokerCluster brokers = LocalBrokerCluster.of(Examples.load(Examples.THREE_BROKERS)).ca(Examples.PUPPET_CA)
                .edit(STREAMS).firstHost(90).start();
             MockCluster api = new MockCluster()) {
            MeshChecker checker = new MeshChecker();
            StreamsChecker streams = new StreamsChecker("cluster.local", host -> brokers.host(brokers.ordinal(host)),
                    OperatorRuntime.brokerIdentity(api.client));
            io.choria.natsoperator.metrics.ClusterMetrics metrics = new io.choria.natsoperator.metrics.ClusterMetrics();
            api.startOperator(new OperatorSettings("cluster.local", Set.of(), Duration.ofMillis(500),
                    MeshProbe.withStreams(nc -> checker.check(nc, brokers::monitorUri), streams),
                    io.choria.natsoperator.model.InstallerSettings.DEFAULTS, metrics), Clock.systemUTC());
            Examples.createPuppetCa(api.client, "choria");
            NatsCluster nc = Examples.toApply(Examples.THREE_BROKERS, null, null);
            STREAMS.accept(nc);
            api.client.resource(nc).create();
            StatefulSet sts = Await.present("StatefulSet", () -> api.client.apps().statefulSets().inNamespace("choria").withName("broker").get());
            assertEquals("data", sts.getSpec().getVolumeClaimTemplates().get(0).getMetadata().getName());
            sts.setStatus(new StatefulSetStatusBuilder().withReplicas(3).withReadyReplicas(3).withUpdatedReplicas(3)
                    .withObservedGeneration(sts.getMetadata().getGeneration()).withCurrentRevision("r1").withUpdateRevision("r1").build());
            api.client.resource(sts).updateStatus();

            var ready = Await.until("StreamsReady True", Duration.ofSeconds(60), () -> MeshReconcileTest.condition(api, "StreamsReady"),
                    c -> c != null && c.getStatus().equals("True"));
            assertEquals("StreamsReady", ready.getReason());
            assertTrue(ready.getMessage().startsWith("5 streams with all replicas current"), ready.getMessage());
            assertTrue(api.client.secrets().inNamespace("choria").withName("broker-system-account").get() != null,
                    "the system account's Secret is there for people");
            // the operator's metrics: each stream's replicas, each broker's store against its limit (90 % of 256Mi)
            String served = Await.until("stream metrics", Duration.ofSeconds(30), metrics::render,
                    m -> m.contains("natscluster_stream_replicas_current{namespace=\"choria\",natscluster=\"broker\",stream=\"CHORIA_EVENTS\"} 3"));
            assertTrue(served.contains("natscluster_broker_jetstream_store_limit_bytes{namespace=\"choria\",natscluster=\"broker\",pod=\"broker-0\"} "
                    + (long) (256L * 1024 * 1024 * 0.9)), served);

            brokers.kill(2);
            try {
                // While the streams the killed broker led elect another leader the message says "no leader"; then two of three.
                var behind = Await.until("StreamsReady False, CHORIA_EVENTS led by one of the two left",
                        Duration.ofSeconds(60), () -> MeshReconcileTest.condition(api, "StreamsReady"),
                        c -> c.getStatus().equals("False") && c.getMessage().contains("CHORIA_EVENTS 2/3 replicas current"));
                assertEquals("StreamReplicasBehind", behind.getReason(), behind.getMessage());
                assertTrue(Ready.isTrue(api), "the brokers' readiness is not the streams' business: Ready stays");
            } finally {
                brokers.start(2, Duration.ofSeconds(120));
            }
            Await.until("StreamsReady again", Duration.ofSeconds(60), () -> MeshReconcileTest.condition(api, "StreamsReady"),
                    c -> c.getStatus().equals("True"));
        }
    }

    /** Ready as the status says it. */
    static final class Ready {
        static boolean isTrue(MockCluster api) {
            var c = MeshReconcileTest.condition(api, "Ready");
            return c != null && c.getStatus().equals("True");
        }
    }
}
