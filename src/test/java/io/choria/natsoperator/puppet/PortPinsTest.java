package io.choria.natsoperator.puppet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.choria.natsoperator.api.GatewayRemote;
import io.choria.natsoperator.api.GatewaySpec;
import io.choria.natsoperator.api.LeafNodeRemote;
import io.choria.natsoperator.api.LeafNodesSpec;
import io.choria.natsoperator.api.NatsCluster;
import io.choria.natsoperator.model.BrokerStatefulSet;
import io.choria.natsoperator.model.BrokerPaths;
import io.choria.natsoperator.model.InstallerSettings;
import io.choria.natsoperator.model.Names;
import io.choria.natsoperator.model.NatsConfig;
import io.choria.natsoperator.model.PortPinnedCerts;
import io.choria.natsoperator.model.SpecDefaults;
import io.choria.natsoperator.pki.TestCa;
import io.choria.natsoperator.pki.TrustBundle;
import io.choria.natsoperator.testing.Examples;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Which keys the leafnode and gateway ports pin, cut from a Puppet inventory, and how they reach nats.conf. */
class PortPinsTest {
    static final TestCa CA = TestCa.ecRoot("Test Puppet CA");

    static X509Certificate cert(TestCa.Pems pems) throws Exception {
        return (X509Certificate) CertificateFactory.getInstance("X.509")
                .generateCertificate(new ByteArrayInputStream(pems.certPem().getBytes(StandardCharsets.US_ASCII)));
    }

    /** An inventory entry: key pin and names, as InventorySync keeps them for signed, unrevoked certificates. */
    static Map.Entry<String, Set<String>> entry(String dnsName) throws Exception {
        X509Certificate c = cert(CA.issueClientCertificate(dnsName));
        return Map.entry(TrustBundle.publicKeyPin(c), CertificateNames.of(c));
    }

    static NatsCluster hub() {
        NatsCluster nc = Examples.load(Examples.ONE_BROKER);
        nc.getMetadata().setName("hub");
        nc.getMetadata().setNamespace("site-hub");
        LeafNodesSpec leaf = new LeafNodesSpec();
        leaf.setEdges(List.of("edge.site-edge.svc", "CN=legacy-edge"));
        LeafNodeRemote up = new LeafNodeRemote();
        up.setUrls(List.of("tls://core.example.net:7422"));
        leaf.setRemotes(List.of(up));
        nc.getSpec().setLeafnodes(leaf);
        GatewaySpec gw = new GatewaySpec();
        GatewayRemote b = new GatewayRemote();
        b.setName("site-b");
        b.setUrls(List.of("nats://gw.site-b.example.net:7222"));
        gw.setRemotes(List.of(b));
        nc.getSpec().setGateway(gw);
        return SpecDefaults.withDefaults(nc);
    }

    @Test
    void eachPortPinsOnlyTheKeysWhoseCertificatesCarryANameItAdmitsOrAHostItDials() throws Exception {
        var edge = entry("edge.site-edge.svc");
        var edgeRenewed = entry("edge.site-edge.svc");
        var legacy = Map.entry("a".repeat(64), Set.of("CN=legacy-edge", "legacy-edge"));
        var core = entry("core.example.net");
        var siteB = entry("gw.site-b.example.net");
        var wildcardSite = Map.entry("b".repeat(64), Set.of("*.site-b.example.net"));
        var node = entry("node1.example.net");
        var lookalike = entry("edge.site-edge.svc.evil.example");
        NatsCluster nc = hub();
        Names names = Names.of(nc, "cluster.local");
        PortPins pins = PortPins.of(nc.getSpec(), names, Map.ofEntries(edge, edgeRenewed, legacy, core, siteB, wildcardSite, node, lookalike));
        assertEquals(Set.of(edge.getKey(), edgeRenewed.getKey(), legacy.getKey(), core.getKey()), pins.leafnodes(),
                "the named edges (every signed certificate carrying the name), and the hub the remote dials");
        assertEquals(Set.of(siteB.getKey(), wildcardSite.getKey()), pins.gateway(), "the listed site's host, by name or left-most wildcard");
    }

    @Test
    void aRevokedCertificateIsNotInTheInventoryAndSoNotPinned() throws Exception {
        // InventorySync leaves revoked certificates out of namesByKey; an edge whose only certificate is revoked gets nothing.
        NatsCluster nc = hub();
        PortPins pins = PortPins.of(nc.getSpec(), Names.of(nc, "cluster.local"), Map.ofEntries(entry("node1.example.net")));
        assertTrue(pins.leafnodes().isEmpty());
        PortPinnedCerts files = pins.render("site-hub", "hub");
        assertEquals(1, count(files.leafnodes()), "only the entry that matches no key: the port admits no one, not everyone");
        assertEquals(1, count(files.gateway()));
    }

    @Test
    void portsNotInUseHaveNoList() {
        NatsCluster nc = SpecDefaults.withDefaults(Examples.load(Examples.ONE_BROKER));
        PortPins pins = PortPins.of(nc.getSpec(), Names.of(nc, "cluster.local"), Map.of("c".repeat(64), Set.of("x")));
        assertNull(pins.leafnodes());
        assertNull(pins.gateway());
        assertEquals(PortPinnedCerts.NONE, pins.render("ns", "broker"));
    }

    @Test
    void theWrittenListsReadBackAsTheyWere() throws Exception {
        NatsCluster nc = hub();
        Names names = Names.of(nc, "cluster.local");
        PortPins pins = PortPins.of(nc.getSpec(), names, Map.ofEntries(entry("edge.site-edge.svc"), entry("gw.site-b.example.net")));
        PortPinnedCerts files = pins.render("site-hub", "hub");
        PortPins back = PortPins.parse(env(BrokerStatefulSet.of(nc, names, BrokerPaths.POD, InstallerSettings.DEFAULTS, files)), nc.getSpec());
        assertEquals(pins, back);
        assertEquals(PortPins.none(nc.getSpec()), PortPins.parse(Map.of(), nc.getSpec()), "no file written yet: each port admits no one");
    }

    @Test
    void theListsComeFromTheBrokersEnvironmentIntoTheLeafnodeAndGatewayTlsBlocksAndAChangeRollsTheBrokers() throws Exception {
        NatsCluster nc = hub();
        Names names = Names.of(nc, "cluster.local");
        PortPinnedCerts one = PortPins.of(nc.getSpec(), names, Map.ofEntries(entry("edge.site-edge.svc"))).render("site-hub", "hub");
        PortPinnedCerts two = PortPins.of(nc.getSpec(), names, Map.ofEntries(entry("edge.site-edge.svc"))).render("site-hub", "hub");
        String conf = NatsConfig.mainConfig(names, nc.getSpec(), BrokerPaths.POD, true, one);
        String leafBlock = conf.substring(conf.indexOf("leafnodes {"));
        String gatewayBlock = conf.substring(conf.indexOf("gateway {"), conf.indexOf("leafnodes {"));
        assertTrue(leafBlock.contains("verify_and_map: true\n    pinned_certs: $LEAFNODE_PINNED_CERTS\n  }"), leafBlock);
        assertTrue(gatewayBlock.contains("verify_cert_and_check_known_urls: true\n    pinned_certs: $GATEWAY_PINNED_CERTS\n  }"), gatewayBlock);
        assertFalse(NatsConfig.mainConfig(names, nc.getSpec(), BrokerPaths.POD, true, PortPinnedCerts.NONE).contains("PINNED_CERTS"));
        var sts = BrokerStatefulSet.of(nc, names, BrokerPaths.POD, InstallerSettings.DEFAULTS, one);
        assertEquals(one.leafnodes(), env(sts).get("LEAFNODE_PINNED_CERTS"));
        assertEquals(one.gateway(), env(sts).get("GATEWAY_PINNED_CERTS"));
        assertTrue(one.leafnodes().matches("\\[\"[0-9a-f]{64}\"(,\"[0-9a-f]{64}\")*\\]"), "a nats.conf array on one line: " + one.leafnodes());
        var template = sts.getSpec().getTemplate();
        assertEquals(template, BrokerStatefulSet.of(nc, names, BrokerPaths.POD, InstallerSettings.DEFAULTS, one).getSpec().getTemplate());
        assertNotEquals(template, BrokerStatefulSet.of(nc, names, BrokerPaths.POD, InstallerSettings.DEFAULTS, two).getSpec().getTemplate(),
                "another edge key changes the pod template: nats-server must restart to read it");
        assertFalse(io.choria.natsoperator.model.NatsClusterModel.desired(nc, new io.choria.natsoperator.model.ModelInputs("cluster.local", "pw",
                        new io.choria.natsoperator.model.TlsFiles("cert", "key", "ca"), null, null, null, one)).config().getData().values().stream().anyMatch(v -> v.contains(pinOf(one))),
                "not in the mounted ConfigMap: a refused reload would hold back the client port's list");
    }

    static String pinOf(PortPinnedCerts files) {
        return files.leafnodes().substring(files.leafnodes().lastIndexOf(",\"") + 2, files.leafnodes().length() - 2);
    }

    static Map<String, String> env(io.fabric8.kubernetes.api.model.apps.StatefulSet sts) {
        Map<String, String> env = new java.util.HashMap<>();
        sts.getSpec().getTemplate().getSpec().getContainers().get(0).getEnv().stream().filter(e -> e.getValue() != null)
                .forEach(e -> env.put(e.getName(), e.getValue()));
        return env;
    }

    @Test
    void namesAreMatchedAsNatsServerMatchesThem() throws Exception {
        X509Certificate c = cert(CA.issueClientCertificate("edge.site-edge.svc"));
        assertEquals(Set.of("edge.site-edge.svc", "CN=edge.site-edge.svc"), CertificateNames.of(c));
        assertTrue(CertificateNames.covers("*.site-b.example.net", "gw.site-b.example.net"));
        assertFalse(CertificateNames.covers("*.site-b.example.net", "a.gw.site-b.example.net"), "the wildcard spans one label");
        assertFalse(CertificateNames.covers("*.example.net", "example.net"));
        assertTrue(CertificateNames.covers("GW.site-b.example.net", "gw.site-b.example.net"), "DNS names ignore case");
    }

    static int count(String file) {
        return file.split("\"[0-9a-f]{64}\"", -1).length - 1;
    }
}
