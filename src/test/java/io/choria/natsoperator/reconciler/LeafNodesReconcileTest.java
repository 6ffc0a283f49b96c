package io.choria.natsoperator.reconciler;

import io.choria.natsoperator.status.Conditions;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.choria.natsoperator.api.LeafNodeRemote;
import io.choria.natsoperator.api.LeafNodesSpec;
import io.choria.natsoperator.api.NatsCluster;
import io.choria.natsoperator.api.Reason;
import io.choria.natsoperator.mesh.LeafChecker;
import io.choria.natsoperator.mesh.MeshObservation;
import io.choria.natsoperator.mesh.MonitorClient.LeafConnection;
import io.choria.natsoperator.model.Names;
import io.choria.natsoperator.testing.Await;
import io.choria.natsoperator.testing.Examples;
import io.choria.natsoperator.testing.MockCluster;
import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.api.model.apps.StatefulSetStatusBuilder;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * spec.leafnodes through the operator against the mock API server. The mesh probe stands in for the
 * brokers' monitoring ports: every broker's /leafz lists one dialled connection, to 10.0.0.1:7422
 * (hub-a), so a remote at hub-b is missing. The real /leafz path is LeafNodeSiteTest's.
 */
class LeafNodesReconcileTest {
    static final Map<String, Set<String>> DNS = Map.of("hub-a.example.net", Set.of("10.0.0.1"), "hub-b.example.net", Set.of("10.0.0.2"));
    static MockCluster cluster;
    static KubernetesClient client;

    @BeforeAll
    static void start() {
        cluster = new MockCluster().startOperator(new OperatorSettings("cluster.local", Set.of(), Duration.ofMillis(500), LeafNodesReconcileTest::probe),
                Clock.systemUTC());
        client = cluster.client;
    }

    @AfterAll
    static void stop() {
        cluster.close();
    }

    static MeshObservation probe(NatsCluster nc) {
        Names names = Names.of(nc, "cluster.local");
        List<LeafChecker.BrokerLeafs> views = new ArrayList<>();
        for (int i = 0; i < nc.getSpec().getSize(); i++) {
            views.add(new LeafChecker.BrokerLeafs(names.pod(i), List.of(new LeafConnection("10.0.0.1", 7422)), null));
        }
        var remotes = nc.getSpec().getLeafnodes() == null ? null : nc.getSpec().getLeafnodes().getRemotes().stream().map(LeafNodeRemote::getUrls).toList();
        MeshObservation mesh = new MeshObservation(true, Reason.FullMesh, "every broker sees its peers");
        return remotes == null ? mesh : mesh.withLeafNodes(LeafChecker.judge(remotes, DNS, views));
    }

    static NatsCluster edge(String ns, String... urls) {
        NatsCluster nc = Examples.toApply(Examples.THREE_BROKERS, ns, "broker");
        LeafNodesSpec leaf = new LeafNodesSpec();
        for (String url : urls) {
            LeafNodeRemote r = new LeafNodeRemote();
            r.setUrls(List.of(url));
            leaf.getRemotes().add(r);
        }
        nc.getSpec().setLeafnodes(leaf);
        return nc;
    }

    static Condition condition(String ns, String type) {
        NatsCluster nc = client.resources(NatsCluster.class).inNamespace(ns).withName("broker").get();
        if (nc == null || nc.getStatus() == null) return null;
        return Conditions.find(nc.getStatus().getConditions(), type).orElse(null);
    }

    static void brokersReady(String ns) {
        StatefulSet sts = Await.present("StatefulSet", () -> client.apps().statefulSets().inNamespace(ns).withName("broker").get());
        sts.setStatus(new StatefulSetStatusBuilder().withReplicas(3).withReadyReplicas(3).withUpdatedReplicas(3)
                .withObservedGeneration(sts.getMetadata().getGeneration()).withCurrentRevision("r1").withUpdateRevision("r1").build());
        client.resource(sts).updateStatus();
    }

    @Test
    void aHubAndEdgeGetTheirObjectsAndTheConditionNamesTheMissingRemote() {
        Examples.createPuppetCa(client, "leaf-edge");
        client.resource(edge("leaf-edge", "tls://hub-a.example.net:7422", "tls://hub-b.example.net:7422")).create();
        brokersReady("leaf-edge");
        // the brokers are polled beside the reconcile: Unknown (NotObservedYet) until the first answer
        Condition c = Await.until("LeafNodesConnected", Duration.ofSeconds(20), () -> condition("leaf-edge", Conditions.LEAF_NODES_CONNECTED),
                x -> x != null && !Conditions.UNKNOWN.equals(x.getStatus()));
        assertEquals("False", c.getStatus());
        assertEquals(Reason.LeafRemoteMissing.name(), c.getReason());
        assertEquals("remotes[1] (tls://hub-b.example.net:7422) missing at broker-0, broker-1, broker-2", c.getMessage());
        Await.until("a Warning Event names it", Duration.ofSeconds(20), () -> client.v1().events().inNamespace("leaf-edge").list().getItems(),
                events -> events.stream().anyMatch(e -> e.getReason().equals("LeafRemoteMissing") && e.getType().equals("Warning")));

        Service svc = Await.present("the leaf node Service", () -> client.services().inNamespace("leaf-edge").withName("broker-leafnodes").get());
        assertEquals(7422, svc.getSpec().getPorts().get(0).getPort());
        NetworkPolicy np = client.network().v1().networkPolicies().inNamespace("leaf-edge").withName("broker").get();
        assertTrue(np.getSpec().getIngress().stream().anyMatch(r -> r.getPorts().get(0).getPort().getIntVal() == 7422 && (r.getFrom() == null || r.getFrom().isEmpty())));
        String conf = client.configMaps().inNamespace("leaf-edge").withName("broker-config").get().getData().get("nats.conf");
        assertTrue(conf.contains("urls: [\"tls://hub-b.example.net:7422\"]"), conf);
        assertEquals("True", condition("leaf-edge", Conditions.READY).getStatus(), "a missing remote does not make the site unready");
    }

    @Test
    void changingTheRemotesRollsTheBrokersAndSwitchingAcceptOffRemovesTheService() {
        Examples.createPuppetCa(client, "leaf-roll");
        client.resource(edge("leaf-roll", "tls://hub-a.example.net:7422")).create();
        String before = Await.present("restart hash", () -> restartHash("leaf-roll"));
        Await.present("the leaf node Service", () -> client.services().inNamespace("leaf-roll").withName("broker-leafnodes").get());
        Await.retryingConflicts("new remotes, accept off", () -> client.resources(NatsCluster.class).inNamespace("leaf-roll").withName("broker").edit(n -> {
            n.getSpec().getLeafnodes().getRemotes().get(0).setUrls(List.of("tls://hub-b.example.net:7422"));
            n.getSpec().getLeafnodes().setAccept(false);
            return n;
        }));
        String after = Await.until("a new restart hash", Duration.ofSeconds(20), () -> restartHash("leaf-roll"), h -> !h.equals(before));
        assertNotEquals(before, after, "nats-server cannot reload leafnode remotes: the brokers roll");
        Await.until("the leaf node Service is gone", Duration.ofSeconds(20),
                () -> client.services().inNamespace("leaf-roll").withName("broker-leafnodes").get() == null, gone -> gone);
    }

    @Test
    void credentialsInARemoteUrlAreRefusedNamingTheFieldAndNothingIsWritten() {
        Examples.createPuppetCa(client, "leaf-bad");
        NatsCluster nc = client.resource(edge("leaf-bad", "tls://edge:s3cret@hub-a.example.net:7422")).create();
        Condition ready = Await.until("Ready False", Duration.ofSeconds(20), () -> condition("leaf-bad", Conditions.READY), c -> c != null);
        cluster.awaitReconciles(nc, 2);
        assertEquals(Reason.InvalidSpec.name(), ready.getReason());
        assertTrue(ready.getMessage().startsWith("spec.leafnodes.remotes[0].urls[0] carries credentials"), ready.getMessage());
        assertTrue(!ready.getMessage().contains("s3cret"), "the password is not repeated in status");
        assertNull(client.apps().statefulSets().inNamespace("leaf-bad").withName("broker").get(), "nothing is created");
        assertNull(client.configMaps().inNamespace("leaf-bad").withName("broker-config").get());
        assertTrue(client.v1().events().inNamespace("leaf-bad").list().getItems().stream().noneMatch(e -> e.getMessage().contains("s3cret")));
    }

    static String restartHash(String ns) {
        StatefulSet sts = client.apps().statefulSets().inNamespace(ns).withName("broker").get();
        return sts == null ? null : sts.getSpec().getTemplate().getMetadata().getAnnotations().get("choria.io/restart-config");
    }
}
