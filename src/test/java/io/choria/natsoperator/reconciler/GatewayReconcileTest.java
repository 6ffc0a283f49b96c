package io.choria.natsoperator.reconciler;

import io.choria.natsoperator.status.Conditions;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.choria.natsoperator.api.GatewayRemote;
import io.choria.natsoperator.api.GatewaySpec;
import io.choria.natsoperator.api.NatsCluster;
import io.choria.natsoperator.api.NatsClusterReference;
import io.choria.natsoperator.api.Reason;
import io.choria.natsoperator.model.NatsConfig;
import io.choria.natsoperator.testing.Await;
import io.choria.natsoperator.testing.Examples;
import io.choria.natsoperator.testing.MockCluster;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** spec.gateway through the operator against the mock API server: references, the objects, and a missing reference. */
class GatewayReconcileTest {
    static MockCluster cluster;
    static KubernetesClient client;

    @BeforeAll
    static void start() {
        cluster = new MockCluster().startOperator(Duration.ofMillis(500));
        client = cluster.client;
    }

    @AfterAll
    static void stop() {
        cluster.close();
    }

    static NatsCluster site(String ns, String name, int port, String remoteName, String remoteNs) {
        NatsCluster nc = Examples.toApply(Examples.THREE_BROKERS, ns, name);
        GatewaySpec gw = new GatewaySpec();
        gw.setPort(port);
        GatewayRemote r = new GatewayRemote();
        r.setName(remoteName);
        NatsClusterReference ref = new NatsClusterReference();
        ref.setName("broker");
        ref.setNamespace(remoteNs);
        r.setNatsClusterRef(ref);
        gw.setRemotes(List.of(r));
        nc.getSpec().setGateway(gw);
        nc.getSpec().setClusterName(ns);
        return nc;
    }

    static io.fabric8.kubernetes.api.model.Condition ready(String ns) {
        return ready(client, ns);
    }

    static io.fabric8.kubernetes.api.model.Condition ready(KubernetesClient client, String ns) {
        NatsCluster nc = client.resources(NatsCluster.class).inNamespace(ns).withName("broker").get();
        if (nc.getStatus() == null) return null;
        return Conditions.find(nc.getStatus().getConditions(), "Ready").orElse(null);
    }

    @Test
    void aReferenceToAMissingNatsClusterBlocksNamingTheFieldThenResolvesWhenItExists() {
        Examples.createPuppetCa(client, "gw-east");
        NatsCluster east = client.resource(site("gw-east", "broker", 7222, "gw-west", "gw-west")).create();
        var blocked = Await.until("GatewayRemoteNotFound", Duration.ofSeconds(20), () -> ready("gw-east"),
                c -> c != null && Reason.GatewayRemoteNotFound.name().equals(c.getReason()));
        assertEquals("False", blocked.getStatus());
        assertEquals("spec.gateway.remotes[0].natsClusterRef: no NatsCluster gw-west/broker", blocked.getMessage());
        cluster.awaitReconciles(east, 2);
        assertNull(client.apps().statefulSets().inNamespace("gw-east").withName("broker").get(), "nothing is created");
        assertNull(client.services().inNamespace("gw-east").withName("broker-gateway").get());

        // The other site, on another gateway port, listing east back.
        Examples.createPuppetCa(client, "gw-west");
        client.resource(site("gw-west", "broker", 7333, "gw-east", "gw-east")).create();
        // Its creation reconciles east (ReferencedClusters; ReferencedClusterWatchTest proves it without a resync).
        ConfigMap config = Await.until("east's nats.conf", Duration.ofSeconds(20),
                () -> client.configMaps().inNamespace("gw-east").withName("broker-config").get(), c -> c != null);
        String conf = config.getData().get(NatsConfig.CONFIG_FILE);
        assertTrue(conf.contains("gateway {\n  name: \"gw-east\"\n  port: 7222\n"), conf);
        assertTrue(conf.contains("{name: \"gw-west\", urls: [\"nats://broker-gateway.gw-west.svc.cluster.local:7333\"]}"), conf);
        assertTrue(conf.contains("cluster {\n  name: \"gw-east\""), "spec.clusterName names the cluster: " + conf);

        Service gateway = Await.present("east's gateway Service", () -> client.services().inNamespace("gw-east").withName("broker-gateway").get());
        assertEquals(7222, gateway.getSpec().getPorts().get(0).getPort());
        assertEquals("ClusterIP", gateway.getSpec().getType());

        NetworkPolicy np = Await.present("east's NetworkPolicy", () -> client.network().v1().networkPolicies().inNamespace("gw-east").withName("broker").get());
        var rule = np.getSpec().getIngress().stream().filter(r -> r.getPorts().get(0).getPort().getIntVal() == 7222).findFirst().orElseThrow();
        assertEquals(1, rule.getFrom().size(), "only west's brokers may dial east's gateway");
        assertEquals("gw-west", rule.getFrom().get(0).getNamespaceSelector().getMatchLabels().get("kubernetes.io/metadata.name"));
        assertEquals("broker", rule.getFrom().get(0).getPodSelector().getMatchLabels().get("app.kubernetes.io/instance"));

        StatefulSet sts = Await.present("east's StatefulSet", () -> client.apps().statefulSets().inNamespace("gw-east").withName("broker").get());
        var ports = sts.getSpec().getTemplate().getSpec().getContainers().get(0).getPorts();
        assertTrue(ports.stream().anyMatch(p -> "gateway".equals(p.getName()) && p.getContainerPort() == 7222), ports.toString());
        assertNotNull(sts.getSpec().getTemplate().getMetadata().getAnnotations().get("choria.io/restart-config"),
                "gateway settings cannot be reloaded: their hash rolls the brokers");
        var tls = Await.present("east's TLS Secret", () -> client.secrets().inNamespace("gw-east").withName("broker-tls").get());
        String pem = new String(java.util.Base64.getDecoder().decode(tls.getData().get("tls.crt")));
        assertTrue(sanDnsNames(pem).contains("broker-gateway.gw-east.svc.cluster.local"), "other sites verify the gateway Service name");
    }

    static List<String> sanDnsNames(String pem) {
        try {
            var cert = (java.security.cert.X509Certificate) java.security.cert.CertificateFactory.getInstance("X.509")
                    .generateCertificate(new java.io.ByteArrayInputStream(pem.getBytes()));
            return cert.getSubjectAlternativeNames().stream().map(l -> String.valueOf(l.get(1))).toList();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
