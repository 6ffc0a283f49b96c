package io.choria.natsoperator.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.choria.natsoperator.api.LeafNodeRemote;
import io.choria.natsoperator.api.LeafNodesSpec;
import io.choria.natsoperator.api.NatsCluster;
import io.choria.natsoperator.testing.Examples;
import java.util.List;
import org.junit.jupiter.api.Test;

/** spec.leafnodes in the model: the nats.conf block, the Service, the pod, the policy, the certificate, the restart hash. */
class LeafNodesModelTest {
    static final TlsFiles TLS = new TlsFiles("CERT", "KEY", "CA");

    static NatsCluster site(boolean accept, String... remoteUrls) {
        NatsCluster nc = Examples.load(Examples.THREE_BROKERS);
        LeafNodesSpec leaf = new LeafNodesSpec();
        leaf.setAccept(accept);
        for (String url : remoteUrls) {
            LeafNodeRemote r = new LeafNodeRemote();
            r.setUrls(List.of(url));
            leaf.getRemotes().add(r);
        }
        nc.getSpec().setLeafnodes(leaf);
        return SpecDefaults.withDefaults(nc);
    }

    static DesiredCluster desired(NatsCluster nc) {
        return NatsClusterModel.desired(nc, new ModelInputs("cluster.local", "pw", TLS));
    }

    static String annotation(DesiredCluster d) {
        return d.statefulSet().getSpec().getTemplate().getMetadata().getAnnotations().get("choria.io/restart-config");
    }

    @Test
    void aHubAdmitsOnlyTheEdgesItNamesByTheirCertificates() {
        NatsCluster nc = site(true);
        nc.getSpec().getLeafnodes().setEdges(List.of("edge.site-edge.svc", "CN=edge-2,O=Example \"Ltd\""));
        String conf = desired(nc).config().getData().get(NatsConfig.CONFIG_FILE);
        assertTrue(conf.endsWith("""
                leafnodes {
                  port: 7422
                  no_advertise: true
                  tls {
                    cert_file: "/etc/nats/tls/tls.crt"
                    key_file: "/etc/nats/tls/tls.key"
                    ca_file: "/etc/nats/tls/ca.crt"
                    verify: true
                    timeout: 15
                    verify_and_map: true
                  }
                  authorization {
                    users: [
                      {user: "edge.site-edge.svc"}
                      {user: "CN=edge-2,O=Example \\"Ltd\\""}
                    ]
                  }
                }
                """), conf);
    }

    /** nats-server admits every certificate of the CA when the users list is empty: a hub naming no edge admits no one. */
    @Test
    void aHubThatNamesNoEdgeAdmitsNoOne() {
        String conf = desired(site(true)).config().getData().get(NatsConfig.CONFIG_FILE);
        assertTrue(conf.contains("    users: [\n      {user: \"" + NatsConfig.NO_EDGE + "\"}\n    ]\n"), conf);
        assertTrue(NatsConfig.NO_EDGE.contains(" : "), "no DNS name, address or subject has a space before a colon");
    }

    @Test
    void namingAnotherEdgeRestartsTheBrokers() {
        NatsCluster one = site(true);
        one.getSpec().getLeafnodes().setEdges(List.of("edge-a.example.net"));
        NatsCluster two = site(true);
        two.getSpec().getLeafnodes().setEdges(List.of("edge-a.example.net", "edge-b.example.net"));
        assertNotEquals(annotation(desired(one)), annotation(desired(two)), "nats-server cannot reload leaf node authorization");
    }

    @Test
    void anEdgeDialsEachRemoteWithTheBrokersOwnCertificateAndOpensNoPort() {
        DesiredCluster d = desired(site(false, "tls://leaf.hub.example.net:7422", "tls://leaf.hub-2.example.net:7422"));
        String conf = d.config().getData().get(NatsConfig.CONFIG_FILE);
        String remote = """
                    {
                      urls: ["%s"]
                      tls {
                        cert_file: "/etc/nats/tls/tls.crt"
                        key_file: "/etc/nats/tls/tls.key"
                        ca_file: "/etc/nats/tls/ca.crt"
                        timeout: 15
                      }
                    }
                """;
        assertTrue(conf.endsWith("leafnodes {\n  remotes: [\n" + remote.formatted("tls://leaf.hub.example.net:7422")
                + remote.formatted("tls://leaf.hub-2.example.net:7422") + "  ]\n}\n"), conf);
        assertNull(d.leafNodes(), "no Service when not accepting");
        var nats = d.statefulSet().getSpec().getTemplate().getSpec().getContainers().get(0);
        assertTrue(nats.getPorts().stream().noneMatch(p -> p.getName().equals("leafnodes")), nats.getPorts().toString());
        assertTrue(d.networkPolicy().getSpec().getIngress().stream().noneMatch(r -> r.getPorts().get(0).getPort().getIntVal() == 7422));
    }

    @Test
    void acceptingAddsTheServiceThePortAnOpenPolicyRuleAndTheServiceNamesOnTheCertificate() {
        NatsCluster nc = site(true);
        nc.getSpec().getLeafnodes().setServiceType(io.choria.natsoperator.api.ServiceSpec.Type.LoadBalancer);
        DesiredCluster d = desired(nc);
        assertEquals("broker-leafnodes", d.leafNodes().getMetadata().getName());
        assertEquals("LoadBalancer", d.leafNodes().getSpec().getType());
        assertEquals(7422, d.leafNodes().getSpec().getPorts().get(0).getPort());
        assertEquals("leafnodes", d.leafNodes().getSpec().getPorts().get(0).getTargetPort().getStrVal());
        assertTrue(d.inApplyOrder().contains(d.leafNodes()));
        assertEquals(List.of(4222), d.client().getSpec().getPorts().stream().map(p -> p.getPort()).toList(), "the client Service is untouched");
        var nats = d.statefulSet().getSpec().getTemplate().getSpec().getContainers().get(0);
        assertTrue(nats.getPorts().stream().anyMatch(p -> p.getName().equals("leafnodes") && p.getContainerPort() == 7422), nats.getPorts().toString());
        var rule = d.networkPolicy().getSpec().getIngress().stream().filter(r -> r.getPorts().get(0).getPort().getIntVal() == 7422)
                .findFirst().orElseThrow();
        assertNull(rule.getFrom(), "edges dial in from anywhere; TLS with verify guards the port");
        assertTrue(NatsClusterModel.certificateDnsNames(nc, "cluster.local").contains("broker-leafnodes.choria.svc.cluster.local"));
        assertTrue(!NatsClusterModel.certificateDnsNames(site(false, "tls://hub:7422"), "cluster.local").contains("broker-leafnodes.choria.svc.cluster.local"));
    }

    @Test
    void remotesAndPortRollTheBrokersButSizeAndCertificateDoNot() {
        String base = annotation(desired(site(true, "tls://hub:7422")));
        assertNotEquals(base, annotation(desired(site(true, "tls://hub-2:7422"))), "nats-server cannot reload leafnode remotes");
        NatsCluster port = site(true, "tls://hub:7422");
        port.getSpec().getLeafnodes().setPort(7433);
        assertNotEquals(base, annotation(desired(port)));
        NatsCluster bigger = site(true, "tls://hub:7422");
        bigger.getSpec().setSize(5);
        assertEquals(base, annotation(desired(bigger)), "scaling stays a reload");
        assertEquals(base, annotation(NatsClusterModel.desired(site(true, "tls://hub:7422"),
                new ModelInputs("cluster.local", "pw", new TlsFiles("RENEWED", "KEY2", "CA")))), "a renewed certificate stays a reload");
    }

    @Test
    void noSecretInTheConfigMap() {
        String conf = desired(site(true, "tls://hub:7422")).config().getData().get(NatsConfig.CONFIG_FILE);
        assertTrue(!conf.contains("pw") && !conf.contains("KEY") && !conf.contains("CERT"), conf);
    }
    /**
     * nats-server refuses a gateway beside a leaf node port without a system account (GatewayLeafHubTest starts one): the
     * declared $SYS comes exactly then, since it makes the client port ask for authentication; and in the restart hash,
     * since nats-server will not reload a changed system_account.
     */
    @Test
    void aSystemAccountOnlyBesideAGatewayAndALeafNodePort() {
        String sys = "accounts {\n  \"$SYS\": {}\n}\nsystem_account: \"$SYS\"\n";
        NatsCluster hub = site(true);
        hub.getSpec().setGateway(new io.choria.natsoperator.api.GatewaySpec());
        String conf = desired(hub).config().getData().get(NatsConfig.CONFIG_FILE);
        assertTrue(conf.endsWith(sys), conf);
        assertEquals(1, conf.split("system_account", -1).length - 1, conf);

        NatsCluster dialsOnly = site(false, "tls://hub.example.net:7422");
        dialsOnly.getSpec().setGateway(new io.choria.natsoperator.api.GatewaySpec());
        assertTrue(!desired(dialsOnly).config().getData().get(NatsConfig.CONFIG_FILE).contains("system_account"),
                "no leaf node port (remotes only): nats-server needs none");
        assertTrue(!desired(site(true)).config().getData().get(NatsConfig.CONFIG_FILE).contains("system_account"), "no gateway: none");

        NatsCluster noLeaf = SpecDefaults.withDefaults(Examples.load(Examples.THREE_BROKERS));
        noLeaf.getSpec().setGateway(new io.choria.natsoperator.api.GatewaySpec());
        assertTrue(!desired(noLeaf).config().getData().get(NatsConfig.CONFIG_FILE).contains("system_account"), "no leaf nodes: none");
        assertTrue(NatsConfig.restartOnlySettings(Names.of(hub, "cluster.local"), hub.getSpec(), PortPinnedCerts.NONE).endsWith(sys));
    }
}
