package io.choria.natsoperator.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.choria.natsoperator.api.NatsCluster;
import io.choria.natsoperator.api.Reason;
import io.choria.natsoperator.api.SecretKeyReference;
import io.choria.natsoperator.testing.Examples;
import java.util.List;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

class SpecValidatorTest {
    static List<SpecProblem> problems(Consumer<NatsCluster> change) {
        NatsCluster nc = SpecDefaults.withDefaults(Examples.load(Examples.THREE_BROKERS));
        change.accept(nc);
        return SpecValidator.validate(nc);
    }

    static void assertProblem(String fragment, Consumer<NatsCluster> change) {
        List<SpecProblem> p = problems(change);
        assertEquals(1, p.size(), p.toString());
        assertEquals(Reason.InvalidSpec, p.get(0).reason());
        assertTrue(p.get(0).message().contains(fragment), p.get(0).message());
    }

    @Test
    void exampleIsValid() {
        assertEquals(List.of(), problems(nc -> {}));
    }

    @Test
    void eachBadFieldIsNamed() {
        assertProblem("spec.size must be at least 1 (got 0)", nc -> nc.getSpec().setSize(0));
        assertProblem("spec.ports.cluster (4222) is used by another port", nc -> nc.getSpec().getPorts().setCluster(4222));
        assertProblem("spec.ports.monitor must be 1024-65535", nc -> nc.getSpec().getPorts().setMonitor(70000));
        assertProblem("lameDuckDuration must be at least 30s", nc -> nc.getSpec().getLimits().setLameDuckDuration("10s"));
        assertProblem("writeDeadline: not a duration", nc -> nc.getSpec().getLimits().setWriteDeadline("soon"));
        assertProblem("somaxconn", nc -> nc.getSpec().getSysctls().setSomaxconn(1));
        assertProblem("passwordSecretRef.name", nc -> nc.getSpec().getRoutes().setPasswordSecretRef(new SecretKeyReference()));
        assertProblem("at most 52", nc -> nc.getMetadata().setName("b".repeat(55)));
        assertProblem("DNS label", nc -> nc.getMetadata().setName("Broker_1"));
        assertProblem("renewBeforeDays (30) must be at least 1 and less than validityDays (20)",
                nc -> nc.getSpec().getTls().setValidityDays(20));
        assertProblem("caSecretRef.name is required", nc -> nc.getSpec().getTls().getCaSecretRef().setName(""));
    }

    @Test
    void aPinnedCertnamesPatternMustCompile() {
        NatsCluster puppet = SpecDefaults.withDefaults(Examples.load(java.nio.file.Path.of("examples/natscluster-puppet.yaml")));
        puppet.getSpec().getTls().getPuppet().setPinnedCertnames(".+\\.nodes\\.example\\.net");
        assertEquals(List.of(), SpecValidator.validate(puppet));
        puppet.getSpec().getTls().getPuppet().setPinnedCertnames("(.+\\.nodes");
        List<SpecProblem> p = SpecValidator.validate(puppet);
        assertEquals(1, p.size(), p.toString());
        assertTrue(p.get(0).message().contains("spec.tls.puppet.pinnedCertnames '(.+\\.nodes' is not a regular expression"), p.get(0).message());
    }

    @Test
    void authorizationNeedsThePuppetInventoryAndSaysWhatIsWrongWithIt() {
        NatsCluster good = SpecDefaults.withDefaults(Examples.load(java.nio.file.Path.of("examples/natscluster-puppet-authorization.yaml")));
        assertEquals(List.of(), SpecValidator.validate(good));
        assertProblem("spec.authorization needs spec.tls.puppet with enforceRevocation: true",
                nc -> nc.getSpec().setAuthorization(new io.choria.natsoperator.api.AuthorizationSpec()));
        good.getSpec().getAuthorization().setClientCertnames(List.of("(\\.mcollective"));
        good.getSpec().getAuthorization().setCollectives(List.of("mcollective", "two words"));
        good.getSpec().getAuthorization().getNodes().getSubscribe().add("mcollective reply");
        List<String> messages = SpecValidator.validate(good).stream().map(SpecProblem::message).toList();
        assertEquals(3, messages.size(), messages.toString());
        assertTrue(messages.stream().anyMatch(m -> m.startsWith("spec.authorization.clientCertnames: '(\\.mcollective' is not a regular expression")), messages.toString());
        assertTrue(messages.stream().anyMatch(m -> m.contains("'two words' must be one subject token")), messages.toString());
        assertTrue(messages.stream().anyMatch(m -> m.startsWith("spec.authorization.nodes.subscribe: 'mcollective reply' must be a subject")), messages.toString());
        NatsCluster streams = SpecDefaults.withDefaults(Examples.load(java.nio.file.Path.of("examples/natscluster-puppet-authorization.yaml")));
        streams.getSpec().setStreams(new io.choria.natsoperator.api.StreamsSpec());
        assertEquals(List.of(), SpecValidator.validate(SpecDefaults.withDefaults(streams)), "with Choria Streams the users are choria's");
    }

    /** No spec.tls is a mistake unless the spec says, by an insecure-sounding name, that it means it. */
    @Test
    void zeroNegativeOrAbsurdCapacitiesAreNamed() {
        assertProblem("spec.capacity.nodesPerBroker must be 1-100000 (got 0)", nc -> capacity(nc, 0));
        assertProblem("spec.capacity.nodesPerBroker must be 1-100000 (got -5)", nc -> capacity(nc, -5));
        assertProblem("spec.capacity.nodesPerBroker must be 1-100000 (got 2000000)", nc -> capacity(nc, 2_000_000));
        assertProblem("spec.capacity.nodesPerBroker is required when capacity is set", nc -> capacity(nc, null));
        assertProblem("spec.capacity.warnPercent must be 50-99 (got 100)", nc -> {
            capacity(nc, 2000);
            nc.getSpec().getCapacity().setWarnPercent(100);
        });
        assertEquals(List.of(), problems(nc -> capacity(nc, 2000)));
    }

    private static void capacity(io.choria.natsoperator.api.NatsCluster nc, Integer nodes) {
        var c = new io.choria.natsoperator.api.CapacitySpec();
        c.setNodesPerBroker(nodes);
        nc.getSpec().setCapacity(c);
    }

    @Test
    void plaintextOnlyWhenAskedForByName() {
        List<SpecProblem> p = problems(nc -> nc.getSpec().setTls(null));
        assertEquals(1, p.size(), p.toString());
        assertEquals(Reason.PlaintextNotAllowed, p.get(0).reason());
        assertTrue(p.get(0).message().contains("spec.insecurePlaintext: true"), p.get(0).message());
        assertEquals(List.of(), problems(nc -> {
            nc.getSpec().setTls(null);
            nc.getSpec().setInsecurePlaintext(true);
        }));
        assertEquals(List.of(), problems(nc -> nc.getSpec().setInsecurePlaintext(true)), "ignored when tls is set");
    }

    /** The StatefulSet controller's controller-revision-hash label (<name>-<10-char hash>) must fit in 63. */
    @Test
    void namePastFiftyTwoCharactersIsRefused() {
        assertEquals(52, SpecValidator.MAX_NAME_LENGTH);
        assertProblem("metadata.name '" + "b".repeat(53) + "' is 53 characters; at most 52", nc -> nc.getMetadata().setName("b".repeat(53)));
        assertTrue(problems(nc -> nc.getMetadata().setName("b".repeat(53))).get(0).message().contains("controller-revision-hash"));
        assertEquals(List.of(), problems(nc -> nc.getMetadata().setName("b".repeat(52))));
    }

    @Test
    void privilegedPortsAreRefused() {
        assertProblem("spec.ports.client must be 1024-65535 (got 80): the broker runs as uid 1000",
                nc -> nc.getSpec().getPorts().setClient(80));
        assertProblem("spec.ports.cluster must be 1024-65535 (got 1023)", nc -> nc.getSpec().getPorts().setCluster(1023));
        assertProblem("spec.ports.monitor must be 1024-65535 (got 443)", nc -> nc.getSpec().getPorts().setMonitor(443));
        assertEquals(List.of(), problems(nc -> nc.getSpec().getPorts().setMonitor(1024)));
    }

    @Test
    void boundsOfNumbersAndDurations() {
        assertProblem("spec.tls.validityDays must be 1-3650 (got 3651)", nc -> nc.getSpec().getTls().setValidityDays(3651));
        assertEquals(List.of(), problems(nc -> nc.getSpec().getTls().setValidityDays(3650)));
        assertProblem("spec.sysctls.somaxconn must be 128-65535 (got 65536)", nc -> nc.getSpec().getSysctls().setSomaxconn(65536));
        assertProblem("spec.sysctls.tcpMaxSynBacklog must be 128-262144 (got 262145)",
                nc -> nc.getSpec().getSysctls().setTcpMaxSynBacklog(262145));
        assertEquals(List.of(), problems(nc -> {
            nc.getSpec().getSysctls().setSomaxconn(65535);
            nc.getSpec().getSysctls().setTcpMaxSynBacklog(262144);
        }));
        assertProblem("spec.limits.lameDuckDuration must be at most 1h (got 61m)", nc -> nc.getSpec().getLimits().setLameDuckDuration("61m"));
        assertProblem("spec.limits.lameDuckDuration must be at most 1h", nc -> nc.getSpec().getLimits().setLameDuckDuration("100000h"));
        assertProblem("spec.limits.lameDuckDuration: duration too long",
                nc -> nc.getSpec().getLimits().setLameDuckDuration("9223372036854775807h"));
        assertProblem("spec.limits.lameDuckDuration must be at least 30s", nc -> nc.getSpec().getLimits().setLameDuckDuration("29s"));
        assertEquals(List.of(), problems(nc -> nc.getSpec().getLimits().setLameDuckDuration("1h")));
        assertProblem("spec.limits.maxConnections must be 1-1048576 (got 0)", nc -> nc.getSpec().getLimits().setMaxConnections(0));
        assertProblem("spec.limits.maxConnections must be 1-1048576 (got -5)", nc -> nc.getSpec().getLimits().setMaxConnections(-5));
        assertProblem("spec.limits.maxConnections must be 1-1048576 (got 1048577)",
                nc -> nc.getSpec().getLimits().setMaxConnections(1048577));
    }

    @Test
    void controlCharactersInStringsAreRefused() {
        assertProblem("spec.image 'nats:2.10\\x0a  - name: evil' must not hold whitespace or control characters",
                nc -> nc.getSpec().setImage("nats:2.10\n  - name: evil"));
        assertProblem("spec.image", nc -> nc.getSpec().setImage("nats:2.10\u0000"));
        assertProblem("spec.pod.labels['team'] must not hold control characters",
                nc -> nc.getSpec().getPod().getLabels().put("team", "a\nb"));
        assertProblem("spec.pod.labels key 'te\\x0dam' must not hold control characters",
                nc -> nc.getSpec().getPod().getLabels().put("te\ram", "a"));
        assertProblem("spec.pod.annotations['note'] must not hold control characters",
                nc -> nc.getSpec().getPod().getAnnotations().put("note", "x\u0000"));
        assertProblem("spec.pod.annotations key", nc -> nc.getSpec().getPod().getAnnotations().put("a\tb", "x"));
        assertProblem("spec.service.annotations['lb'] must not hold control characters",
                nc -> nc.getSpec().getService().getAnnotations().put("lb", "internal\nx: y"));
        assertProblem("spec.service.annotations key", nc -> nc.getSpec().getService().getAnnotations().put("k\n", "v"));
        assertEquals(List.of(), problems(nc -> {
            nc.getSpec().getPod().getAnnotations().put("note", "spaces and unicode é are fine");
            nc.getSpec().getService().getAnnotations().put("service.beta.kubernetes.io/aws-load-balancer-internal", "true");
        }));
    }

    @Test
    void clientCidrsMustParse() {
        assertProblem("spec.networkPolicy.clientCIDRs[1] '10.0.0.0' is not a CIDR: no prefix length",
                nc -> nc.getSpec().getNetworkPolicy().setClientCIDRs(List.of("10.0.0.0/8", "10.0.0.0")));
        assertProblem("clientCIDRs[0] '10.0.0.0/33' is not a CIDR: the prefix length must be 0-32",
                nc -> nc.getSpec().getNetworkPolicy().setClientCIDRs(List.of("10.0.0.0/33")));
        assertProblem("clientCIDRs[0] '300.0.0.0/8' is not a CIDR", nc -> nc.getSpec().getNetworkPolicy().setClientCIDRs(List.of("300.0.0.0/8")));
        assertProblem("clientCIDRs[0] 'nodes.example.com/24' is not a CIDR",
                nc -> nc.getSpec().getNetworkPolicy().setClientCIDRs(List.of("nodes.example.com/24")));
        assertProblem("clientCIDRs[0] '2001:db8::/129' is not a CIDR", nc -> nc.getSpec().getNetworkPolicy().setClientCIDRs(List.of("2001:db8::/129")));
        assertProblem("spec.networkPolicy.leafnodeCIDRs[0] '10.0.0.0' is not a CIDR", nc -> nc.getSpec().getNetworkPolicy().setLeafnodeCIDRs(List.of("10.0.0.0")));
        assertProblem("spec.networkPolicy.gatewayCIDRs[1] 'site-b' is not a CIDR",
                nc -> nc.getSpec().getNetworkPolicy().setGatewayCIDRs(List.of("10.0.0.0/8", "site-b")));
        assertProblem("clientCIDRs[0] '10.0.0.0/8\\x0a' is not a CIDR", nc -> nc.getSpec().getNetworkPolicy().setClientCIDRs(List.of("10.0.0.0/8\n")));
        assertProblem("clientCIDRs[0] '' is not a CIDR: empty", nc -> nc.getSpec().getNetworkPolicy().setClientCIDRs(List.of("")));
        assertEquals(List.of(), problems(nc -> nc.getSpec().getNetworkPolicy()
                .setClientCIDRs(List.of("10.0.0.0/8", "192.168.1.7/32", "0.0.0.0/0", "2001:db8::/32", "::/0", "fe80::1/128"))));
    }

    @Test
    void extraSansAreDnsNamesOrIpAddresses() {
        assertProblem("spec.tls.extraSANs[2] 'foo_bar' is not a DNS name (RFC 1123",
                nc -> nc.getSpec().getTls().setExtraSANs(List.of("puppet", "nats.example.com", "foo_bar")));
        for (String bad : List.of("*.example.com", "https://nats.example.com", "Nats.Example.com", "nats..example.com", "-nats",
                "nats-.example.com", "nats.example.com.", "bücher.example", "nats\u0000.example.com", "a b", "10.0.0.0/8",
                "a".repeat(64) + ".example.com")) {
            assertProblem("spec.tls.extraSANs[0]", nc -> nc.getSpec().getTls().setExtraSANs(List.of(bad)));
        }
        assertProblem("spec.tls.extraSANs[0] is empty", nc -> nc.getSpec().getTls().setExtraSANs(List.of("")));
        String long254 = ("a".repeat(62) + ".").repeat(4) + "ab";
        assertEquals(254, long254.length());
        assertProblem("spec.tls.extraSANs[0] is 254 characters; a DNS name holds at most 253",
                nc -> nc.getSpec().getTls().setExtraSANs(List.of(long254)));
        assertEquals(List.of(), problems(nc -> nc.getSpec().getTls().setExtraSANs(List.of("puppet", "nats.example.com",
                "a".repeat(63) + ".example.com", long254.substring(1), "192.0.2.10", "2001:db8::10", "::1"))));
        var tooMany = new java.util.ArrayList<String>();
        for (int i = 0; i <= 100; i++) tooMany.add("n" + i + ".example.com");
        assertProblem("spec.tls.extraSANs has 101 entries; at most 100", nc -> nc.getSpec().getTls().setExtraSANs(tooMany));
    }

    /** 100,000 names took 46 s when each was compared with the names before it; refused, or accepted, in well under a second. */
    @Test
    void manyExtraSansAreHandledInLinearTime() {
        var many = new java.util.ArrayList<String>();
        for (int i = 0; i < 100_000; i++) many.add("n" + i + ".example.com");
        NatsCluster nc = SpecDefaults.withDefaults(Examples.load(Examples.THREE_BROKERS));
        nc.getSpec().getTls().setExtraSANs(many);
        long start = System.nanoTime();
        List<SpecProblem> p = SpecValidator.validate(nc);
        List<String> sans = NatsClusterModel.certificateDnsNames(nc, Names.DEFAULT_CLUSTER_DOMAIN);
        long millis = (System.nanoTime() - start) / 1_000_000;
        assertEquals(1, p.size(), p.toString());
        assertEquals(100_000 + Names.of(nc, Names.DEFAULT_CLUSTER_DOMAIN).brokerDnsNames(3, false).size(), sans.size());
        // Not a speed target (those are in bench/): a guard against the quadratic version, which took 46 s. The
        // linear one takes well under a second; the bound sits far from both, so a busy machine cannot flip it.
        assertTrue(millis < 15_000, "took " + millis + " ms: quadratic again?");
    }

    @Test
    void ipSansBecomeIpAddressesOnTheCertificate() {
        NatsCluster nc = SpecDefaults.withDefaults(Examples.load(Examples.THREE_BROKERS));
        nc.getSpec().getTls().setExtraSANs(List.of("192.0.2.10", "nats.example.com", "nats.example.com"));
        List<String> sans = NatsClusterModel.certificateDnsNames(nc, Names.DEFAULT_CLUSTER_DOMAIN);
        assertEquals(1, sans.stream().filter("nats.example.com"::equals).count(), "repeats dropped");
        assertTrue(sans.contains("192.0.2.10"));
    }

    @Test
    void longestNameStillFits() {
        assertEquals(List.of(), problems(nc -> nc.getMetadata().setName("b".repeat(SpecValidator.MAX_NAME_LENGTH))));
    }

    @Test
    void durations() {
        assertEquals(90_000, Durations.millis("1m30s"));
        assertEquals(500, Durations.millis("500ms"));
        assertEquals(1, Durations.seconds("500ms"));
    }

    static io.choria.natsoperator.api.GatewayRemote remote(String name, String url) {
        var r = new io.choria.natsoperator.api.GatewayRemote();
        r.setName(name);
        if (url != null) r.setUrls(List.of(url));
        return r;
    }

    static void gateway(NatsCluster nc, io.choria.natsoperator.api.GatewayRemote... remotes) {
        var gw = new io.choria.natsoperator.api.GatewaySpec();
        gw.setRemotes(new java.util.ArrayList<>(List.of(remotes)));
        nc.getSpec().setGateway(gw);
        nc.getSpec().setClusterName("site-a");
    }

    @Test
    void gatewayBadInputIsNamedByField() {
        assertEquals(List.of(), problems(nc -> gateway(nc, remote("site-b", "tls://gw.site-b.example.net:7222"))));
        assertProblem("spec.gateway.remotes[0].name 'site-a' is this site's own cluster name",
                nc -> gateway(nc, remote("site-a", "tls://gw.example.net:7222")));
        assertProblem("spec.gateway.remotes[1].name 'site-b' repeats spec.gateway.remotes[0].name",
                nc -> gateway(nc, remote("site-b", "tls://b1.example.net:7222"), remote("site-b", "tls://b2.example.net:7222")));
        assertProblem("spec.gateway.port (4223) is used by another port of spec.ports", nc -> {
            gateway(nc, remote("site-b", "tls://gw.site-b.example.net:7222"));
            nc.getSpec().getGateway().setPort(4223);
        });
        assertProblem("spec.gateway.remotes[0] needs exactly one of urls and natsClusterRef", nc -> gateway(nc, remote("site-b", null)));
        assertProblem("spec.gateway.remotes[0].urls[0] 'tls://***@gw:7222' must be nats://host:port or tls://host:port",
                nc -> gateway(nc, remote("site-b", "tls://u:p@gw:7222")));
        assertProblem("spec.gateway.remotes[0].natsClusterRef names this NatsCluster itself", nc -> {
            var r = remote("site-b", null);
            var ref = new io.choria.natsoperator.api.NatsClusterReference();
            ref.setName(nc.getMetadata().getName());
            r.setNatsClusterRef(ref);
            gateway(nc, r);
        });
        assertProblem("spec.clusterName 'a b' must be", nc -> nc.getSpec().setClusterName("a b"));
        assertProblem("spec.serverNamePrefix 'x\\x0a' must be", nc -> nc.getSpec().setServerNamePrefix("x\n"));
    }

    static void leaf(NatsCluster nc, Boolean accept, String... urls) {
        var leaf = new io.choria.natsoperator.api.LeafNodesSpec();
        leaf.setAccept(accept);
        for (String url : urls) {
            var r = new io.choria.natsoperator.api.LeafNodeRemote();
            r.setUrls(url == null ? new java.util.ArrayList<>() : List.of(url));
            leaf.getRemotes().add(r);
        }
        nc.getSpec().setLeafnodes(leaf);
    }

    @Test
    void leafNodeBadInputIsNamedByField() {
        assertEquals(List.of(), problems(nc -> leaf(nc, true)));
        assertEquals(List.of(), problems(nc -> leaf(nc, false, "tls://leaf.hub.example.net:7422", "nats://10.0.0.1:7422")));
        assertProblem("spec.leafnodes.port (4222) is used by another port", nc -> {
            leaf(nc, true);
            nc.getSpec().getLeafnodes().setPort(4222);
        });
        assertProblem("spec.leafnodes.port (7222) is used by another port", nc -> {
            gateway(nc, remote("site-b", "tls://gw.site-b.example.net:7222"));
            leaf(nc, true);
            nc.getSpec().getLeafnodes().setPort(7222);
        });
        assertProblem("spec.leafnodes.port (9222) is used by another port", nc -> {
            nc.getSpec().getMonitoring().getExporter().setEnabled(true);
            nc.getSpec().getMonitoring().getExporter().setPort(9222);
            leaf(nc, true);
            nc.getSpec().getLeafnodes().setPort(9222);
        });
        assertProblem("spec.leafnodes.remotes[0].urls[0] carries credentials", nc -> leaf(nc, false, "tls://edge:s3cret@hub:7422"));
        assertTrue(problems(nc -> leaf(nc, false, "tls://edge:s3cret@hub:7422")).get(0).message().indexOf("s3cret") < 0,
                "the message does not repeat the password");
        assertProblem("spec.leafnodes.remotes[1].urls[0] 'tls://HUB:7422' repeats spec.leafnodes.remotes[0].urls[0]",
                nc -> leaf(nc, false, "tls://hub:7422", "tls://HUB:7422"));
        assertProblem("spec.leafnodes.remotes[0].urls[0] 'https://hub:7422/x' must be nats://host:port or tls://host:port",
                nc -> leaf(nc, false, "https://hub:7422/x"));
        assertProblem("spec.leafnodes.remotes[0].urls[0] 'tls://' must be", nc -> leaf(nc, false, "tls://"));
        assertProblem("spec.leafnodes.remotes[0].urls is empty", nc -> leaf(nc, true, (String) null));
        assertProblem("spec.leafnodes has accept: false and no remotes", nc -> leaf(nc, false));
        assertProblem("spec.leafnodes accepts edges but spec.tls is not set", nc -> {
            leaf(nc, true);
            nc.getSpec().setTls(null);
            nc.getSpec().setInsecurePlaintext(true);
        });
        assertProblem("spec.leafnodes.edges[1] '' must be a name the edge's certificate carries", nc -> {
            leaf(nc, true);
            nc.getSpec().getLeafnodes().setEdges(List.of("edge.site-edge.svc", ""));
        });
    }

    static void puppet(NatsCluster nc, String url) {
        var p = new io.choria.natsoperator.api.PuppetEnrolmentSpec();
        p.setUrl(url);
        p.setCaBundleSecretRef(new io.choria.natsoperator.api.SecretKeyReference("puppet-ca-bundle", "ca.crt"));
        nc.getSpec().getTls().setCaSecretRef(null);
        nc.getSpec().getTls().setPuppet(p);
    }

    /** The limit on the age of the revocation list: defaulted from the sync interval, never shorter than two intervals. */
    @Test
    void maxSyncAgeIsDefaultedFromTheSyncIntervalAndCoversTwoIntervals() {
        java.util.function.BiFunction<Integer, Integer, NatsCluster> enrolled = (interval, maxAge) -> {
            NatsCluster nc = Examples.load(Examples.THREE_BROKERS);
            puppet(nc, "https://puppet.example.net:8140");
            nc.getSpec().getTls().getPuppet().setSyncIntervalSeconds(interval);
            nc.getSpec().getTls().getPuppet().setMaxSyncAgeSeconds(maxAge);
            return SpecDefaults.withDefaults(nc);
        };
        assertEquals(600, enrolled.apply(30, null).getSpec().getTls().getPuppet().getMaxSyncAgeSeconds());
        assertEquals(7200, enrolled.apply(3600, null).getSpec().getTls().getPuppet().getMaxSyncAgeSeconds(), "twice a long interval");
        assertEquals(60, enrolled.apply(30, 60).getSpec().getTls().getPuppet().getMaxSyncAgeSeconds(), "a given value is kept");
        assertEquals(List.of(), SpecValidator.validate(enrolled.apply(3600, null)));
        assertEquals(List.of(), SpecValidator.validate(enrolled.apply(30, 60)));
        List<SpecProblem> tooShort = SpecValidator.validate(enrolled.apply(30, 59));
        assertEquals(1, tooShort.size(), tooShort.toString());
        assertTrue(tooShort.get(0).message().startsWith("spec.tls.puppet.maxSyncAgeSeconds (59) must be at least twice syncIntervalSeconds (30)"),
                tooShort.toString());
        List<SpecProblem> tooLong = SpecValidator.validate(enrolled.apply(30, 700_000));
        assertEquals(List.of("spec.tls.puppet.maxSyncAgeSeconds must be 10-604800 (got 700000)"), tooLong.stream().map(SpecProblem::message).toList());
    }

    /** A password in a URL is refused, and no message (status, Event, log) ever repeats it. */
    @Test
    void credentialsInAUrlAreRefusedAndNeverRepeated() {
        assertEquals(List.of(), problems(nc -> puppet(nc, "https://puppet.example.net:8140")));
        for (String url : List.of("https://admin:s3cret@puppet:8140", "https://s3cret@puppet:8140", "https://admin:s3cret@puppet:8140/x?y=1",
                "https://admin:s3cret@")) {
            List<SpecProblem> p = problems(nc -> puppet(nc, url));
            assertTrue(p.stream().anyMatch(x -> x.message().contains("spec.tls.puppet.url") && x.message().contains("credentials")), url + ": " + p);
            assertTrue(p.stream().noneMatch(x -> x.message().contains("s3cret")), "the message repeats the password: " + p);
        }
        List<SpecProblem> gw = problems(nc -> gateway(nc, remote("site-b", "nats://admin:s3cret@b.example.net:7222")));
        assertTrue(!gw.isEmpty() && gw.stream().noneMatch(x -> x.message().contains("s3cret")), gw.toString());
    }
}
