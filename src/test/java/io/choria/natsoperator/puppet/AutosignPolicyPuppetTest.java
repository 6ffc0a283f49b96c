package io.choria.natsoperator.puppet;

import static io.choria.natsoperator.puppet.AutosignPolicyFixture.LONG_NAMESPACE;
import static io.choria.natsoperator.puppet.AutosignPolicyFixture.PASSWORD;
import static io.choria.natsoperator.puppet.AutosignPolicyFixture.certnameFor;
import static io.choria.natsoperator.puppet.AutosignPolicyFixture.cluster;
import static io.choria.natsoperator.puppet.AutosignPolicyFixture.ecKey;
import static io.choria.natsoperator.puppet.AutosignPolicyFixture.everyName;
import static io.choria.natsoperator.puppet.AutosignPolicyFixture.operatorCsr;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.choria.natsoperator.api.NatsCluster;
import io.choria.natsoperator.api.TlsSpec;
import io.choria.natsoperator.model.Names;
import io.choria.natsoperator.model.NatsClusterModel;
import io.choria.natsoperator.pki.CertificateInfo;
import io.choria.natsoperator.pki.TrustBundle;
import io.choria.natsoperator.puppet.AutosignPolicyFixture.Csr;
import io.choria.natsoperator.puppet.AutosignPolicyFixture.Hostile;
import io.choria.natsoperator.testing.External;
import io.choria.natsoperator.testing.PuppetServer;
import io.choria.natsoperator.testing.SharedPuppet;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;

/**
 * examples/puppet/nats-autosign-policy inside a real Puppet Server 7 ({@code autosign = <the policy>},
 * {@code allow-subject-alt-names: true}, which on its own signs wildcards and any name): the operator's own
 * enrolment is signed at once; CSRs naming the Puppet server, wildcards, another cluster, without the right
 * password or with a certname outside the scheme stay requested, and Puppet's log shows the policy's reason.
 * Its own Puppet Server (target/puppet-autosign, a free port), not {@link SharedPuppet}, whose policy other
 * tests rely on.
 */
@External
@Timeout(value = 10, unit = TimeUnit.MINUTES)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class AutosignPolicyPuppetTest {
    static PuppetServer puppet;
    static PuppetCaClient ca;
    /** certname -> the reason the policy must log for it; every one must stay requested. */
    static final Map<String, String> refused = new HashMap<>();
    static final List<String> signed = new ArrayList<>();

    @BeforeAll
    static void start() throws Exception {
        Path config = AutosignPolicyFixture.writeConfig(Path.of("target/puppet-autosign-policy").toAbsolutePath());
        puppet = PuppetServer.start(Path.of("target/puppet-autosign"), PuppetServer.Options.defaults()
                .allowSubjectAltNames(true)
                .autosignPolicy(AutosignPolicyFixture.POLICY)
                .environment("NATS_AUTOSIGN_CONFIG", config.toString()));
        System.out.println("[puppet] autosign-policy puppetserver up on " + puppet.url() + " after " + puppet.startupTime().toMillis() + " ms");
        String conf = Files.readString(puppet.puppetConf());
        assertTrue(conf.contains("autosign = " + AutosignPolicyFixture.POLICY), conf);
        assertTrue(Files.readString(puppet.confDir().resolve("ca.conf")).contains("allow-subject-alt-names: true"));
        ca = PuppetCaClient.anonymous(puppet.url(), puppet.caCertPem());
    }

    @AfterAll
    static void stop() {
        if (puppet != null) puppet.close();
    }

    // ---------------------------------------------------------------- (a) signed

    @Test
    @Order(1)
    void theOperatorsOwnEnrolmentIsSignedAtOnce() throws Exception {
        NatsCluster nc = everyName("choria", "broker");
        nc.getSpec().getTls().setKeyAlgorithm(TlsSpec.KeyAlgorithm.EC_P256);
        Names names = Names.of(nc, AutosignPolicyFixture.DOMAIN);
        List<String> sans = NatsClusterModel.certificateDnsNames(nc, AutosignPolicyFixture.DOMAIN);
        List<Map<String, String>> persisted = new ArrayList<>();
        BrokerEnrolment.Outcome o = BrokerEnrolment.plan(names, nc.getSpec().getTls(), TrustBundle.parse(puppet.caCertPem()), null, null,
                Optional.of(PASSWORD), sans, Instant.now(), askedNow(ca), persisted::add);
        assertTrue(o.ready(), o.reason() + ": " + o.message() + "\n" + puppet.logTail(20));
        assertNotNull(o.serve(), o.message());
        String certname = persisted.get(0).get(BrokerEnrolment.CERTNAME);
        signed.add(certname);
        CertificateInfo info = CertificateInfo.parse(ca.certificate(certname).orElseThrow());
        assertTrue(info.subjectAltNames().containsAll(List.of("puppet", "nats.example.net", "192.0.2.10",
                "broker-2.broker-headless.choria.svc.cluster.local")), info.subjectAltNames().toString());

        // the hashed certname (long namespace, matched by the pattern long-*/broker), RSA as the example has it
        Csr hashed = operatorCsr(cluster(LONG_NAMESPACE, "broker"), PASSWORD);
        assertTrue(hashed.certname().matches("nats-[0-9a-f]{16}-[0-9a-f]{8}"), hashed.certname());
        ca.submitRequest(hashed.certname(), hashed.pem());
        assertTrue(ca.certificate(hashed.certname()).isPresent(), "signed on submission\n" + puppet.logTail(20));
        signed.add(hashed.certname());
    }

    // ---------------------------------------------------------------- (b)-(f) left requested

    @Test
    @Order(2)
    void aSanNamingThePuppetServerIsNotSigned() throws Exception {
        for (String name : List.of(PuppetServer.SERVER_CERTNAME, "puppet")) {
            KeyPair k = ecKey();
            String cn = certnameFor("choria", "plain", k); // choria/plain: no puppet alias
            submitRefused(cn, new Hostile(cn, k, PASSWORD).dnsNames("plain.choria.svc", name),
                    "SAN " + name + " is not a name of cluster choria/plain");
        }
    }

    @Test
    @Order(3)
    void aWildcardSanIsNotSigned() throws Exception {
        for (String name : List.of("*", "*.svc.cluster.local")) {
            KeyPair k = ecKey();
            String cn = certnameFor("choria", "broker", k);
            submitRefused(cn, new Hostile(cn, k, PASSWORD).dnsNames("broker.choria.svc", name), "wildcard SAN \"" + name + "\"");
        }
    }

    @Test
    @Order(4)
    void anotherClustersNamesAreNotSigned() throws Exception {
        Csr other = operatorCsr(cluster("other", "broker"), PASSWORD);
        submitRefused(other.certname(), other.pem(), "cluster other/broker is not allowed");
        KeyPair k = ecKey();
        String cn = certnameFor("choria", "broker", k);
        submitRefused(cn, new Hostile(cn, k, PASSWORD).dnsNames("broker.choria.svc", "broker.other.svc.cluster.local"),
                "SAN broker.other.svc.cluster.local is not a name of cluster choria/broker");
    }

    @Test
    @Order(5)
    void aWrongOrMissingPasswordIsNotSigned() throws Exception {
        NatsCluster nc = cluster("choria", "plain");
        nc.getSpec().getTls().setKeyAlgorithm(TlsSpec.KeyAlgorithm.EC_P256);
        Csr wrong = operatorCsr(nc, PASSWORD + "x");
        submitRefused(wrong.certname(), wrong.pem(), "wrong challengePassword");
        Csr none = operatorCsr(nc, null);
        submitRefused(none.certname(), none.pem(), "the CSR carries no challengePassword");
    }

    @Test
    @Order(6)
    void aCertnameOutsideTheSchemeIsNotSigned() throws Exception {
        KeyPair k = ecKey();
        submitRefused("node1.example.net", new Hostile("node1.example.net", k, PASSWORD).dnsNames("broker.choria.svc"),
                "is not <name>.<namespace>.nats-<8 hex>");
        KeyPair k2 = ecKey();
        String notItsKey = certnameFor("choria", "broker", ecKey());
        submitRefused(notItsKey, new Hostile(notItsKey, k2, PASSWORD).dnsNames("broker.choria.svc"), "names key");
    }

    /** Puppet's own view at the end: exactly the refused certnames are requested, the signed ones signed. */
    @Test
    @Order(7)
    void puppetListsTheRefusedAsRequested() throws Exception {
        assertEquals(10, refused.size(), refused.keySet().toString());
        JsonNode list = new ObjectMapper().readTree(puppet.list());
        TreeSet<String> requested = new TreeSet<>();
        list.path("requested").forEach(n -> requested.add(n.path("name").asText()));
        TreeSet<String> signedNow = new TreeSet<>();
        list.path("signed").forEach(n -> signedNow.add(n.path("name").asText()));
        assertEquals(new TreeSet<>(refused.keySet()), requested, list.toString());
        assertTrue(signedNow.containsAll(signed), list.toString());
        for (String cn : refused.keySet()) assertFalse(signedNow.contains(cn), cn + " signed: " + list);
    }

    // ---------------------------------------------------------------- helpers

    /** The CA asked on this thread, as the operator's EnrolmentPoller asks it beside the reconcile (one poll). */
    static BrokerEnrolment.Ca askedNow(PuppetCaClient client) {
        return new BrokerEnrolment.Ca() {
            @Override
            public java.net.URI url() {
                return client.base();
            }

            @Override
            public Optional<EnrolmentPoller.Answer> answer(String certname, String csrPem) {
                return Optional.of(EnrolmentPoller.ask(client, certname, csrPem, java.time.Clock.systemUTC()));
            }
        };
    }

    static void submitRefused(String certname, Hostile csr, String why) throws Exception {
        submitRefused(certname, csr.pem(), why);
    }

    /** Submits the CSR (Puppet answers 200 either way), then: no certificate, the request pending, the policy's reason logged. */
    static void submitRefused(String certname, String pem, String why) throws Exception {
        ca.submitRequest(certname, pem);
        refused.put(certname, why);
        assertTrue(ca.certificate(certname).isEmpty(), certname + " was signed\n" + puppet.logTail(20));
        assertTrue(ca.requestPending(certname), certname + " is not pending\n" + puppet.logTail(20));
        String line = "nats-autosign-policy: refusing \"" + certname + "\": ";
        String log = Files.readString(puppet.logFile());
        int at = log.lastIndexOf(line);
        assertTrue(at >= 0, "Puppet's log has no refusal for " + certname + "\n" + puppet.logTail(20));
        String reason = log.substring(at + line.length(), log.indexOf('\n', at));
        assertTrue(reason.contains(why), "refused " + certname + " for '" + reason + "', expected '" + why + "'");
    }
}
