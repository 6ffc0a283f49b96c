package io.choria.natsoperator.puppet;

import static io.choria.natsoperator.puppet.AutosignPolicyFixture.LONG_NAMESPACE;
import static io.choria.natsoperator.puppet.AutosignPolicyFixture.PASSWORD;
import static io.choria.natsoperator.puppet.AutosignPolicyFixture.certnameFor;
import static io.choria.natsoperator.puppet.AutosignPolicyFixture.cluster;
import static io.choria.natsoperator.puppet.AutosignPolicyFixture.dns;
import static io.choria.natsoperator.puppet.AutosignPolicyFixture.ecKey;
import static io.choria.natsoperator.puppet.AutosignPolicyFixture.everyName;
import static io.choria.natsoperator.puppet.AutosignPolicyFixture.ip;
import static io.choria.natsoperator.puppet.AutosignPolicyFixture.operatorCsr;
import static io.choria.natsoperator.puppet.AutosignPolicyFixture.run;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.choria.natsoperator.api.NatsCluster;
import io.choria.natsoperator.api.TlsSpec;
import io.choria.natsoperator.puppet.AutosignPolicyFixture.Csr;
import io.choria.natsoperator.puppet.AutosignPolicyFixture.Hostile;
import io.choria.natsoperator.puppet.AutosignPolicyFixture.Verdict;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.util.List;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.DERPrintableString;
import org.bouncycastle.asn1.DERUTF8String;
import org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * examples/puppet/nats-autosign-policy run directly, as Puppet Server runs it (certname as $1, CSR on
 * stdin, exit 0 signs), on the operator's own CSRs and on hostile ones. Every refusal is checked for its
 * reason, so a policy that crashes (and so refuses everything) fails here. Needs ruby, no server: the fast
 * run keeps it. AutosignPolicyPuppetTest proves the same policy inside a real Puppet Server.
 */
class AutosignPolicyTest {
    @TempDir
    static Path dir;
    static Path config;

    @BeforeAll
    static void configure() throws Exception {
        config = AutosignPolicyFixture.writeConfig(dir);
    }

    static void signed(Verdict v) {
        assertEquals(0, v.exit(), v.toString());
        assertTrue(v.stdout().contains("signing"), v.toString());
    }

    static void refused(Verdict v, String why) {
        assertEquals(1, v.exit(), v.toString());
        assertTrue(v.stderr().contains(why), "expected the refusal to say '" + why + "': " + v);
        assertEquals(1, v.stderr().strip().lines().count(), "one line saying why: " + v);
    }

    static Verdict judge(Csr csr) throws Exception {
        return run(config, csr.certname(), csr.pem());
    }

    static Verdict judge(String certname, Hostile h) throws Exception {
        return run(config, certname, h.pem());
    }

    // ---------------------------------------------------------------- (a) the operator's own requests

    @Test
    void signsTheOperatorsRequestWithEveryNameItCanAskFor() throws Exception {
        Csr csr = operatorCsr(everyName("choria", "broker"), PASSWORD);
        assertTrue(csr.sans().containsAll(List.of("broker-2.broker-headless.choria.svc.cluster.local", "broker-gateway.choria.svc",
                "broker-leafnodes", "puppet", "puppet.choria.svc.cluster.local", "nats.example.net", "192.0.2.10")), csr.sans().toString());
        signed(judge(csr));
    }

    @Test
    void signsBothKeyAlgorithmsAndThePatternEntries() throws Exception {
        NatsCluster rsa = cluster("choria", "plain");
        rsa.getSpec().getTls().setKeyAlgorithm(TlsSpec.KeyAlgorithm.RSA_2048);
        signed(judge(operatorCsr(rsa, PASSWORD)));
        NatsCluster ec = cluster("edge-paris", "leaf");
        ec.getSpec().getTls().setKeyAlgorithm(TlsSpec.KeyAlgorithm.EC_P256);
        signed(judge(operatorCsr(ec, PASSWORD)));
    }

    @Test
    void signsTheHashedCertnameByTheClusterItsNamesHashTo() throws Exception {
        NatsCluster nc = cluster(LONG_NAMESPACE, "broker");
        nc.getSpec().getTls().setKeyAlgorithm(TlsSpec.KeyAlgorithm.EC_P256);
        Csr csr = operatorCsr(nc, PASSWORD);
        assertTrue(csr.certname().matches("nats-[0-9a-f]{16}-[0-9a-f]{8}"), csr.certname());
        signed(judge(csr));

        NatsCluster other = cluster("other-" + "n".repeat(50), "broker");
        other.getSpec().getTls().setKeyAlgorithm(TlsSpec.KeyAlgorithm.EC_P256);
        Csr otherCsr = operatorCsr(other, PASSWORD);
        assertTrue(otherCsr.certname().startsWith("nats-"), otherCsr.certname());
        refused(judge(otherCsr), "cluster other-nnnn");
        // the hashed certname of an allowed cluster with another cluster's names: no name hashes to it
        KeyPair k = ecKey();
        String hashed = "nats-" + csr.certname().substring(5, 21) + "-" + certnameFor("x", "y", k).substring(9);
        refused(judge(hashed, new Hostile(hashed, k, PASSWORD).dnsNames("broker.other.svc.cluster.local")), "hashes to");
    }

    // ---------------------------------------------------------------- (b) the Puppet server's own names

    @Test
    void refusesThePuppetServersOwnNames() throws Exception {
        for (String name : List.of("localhost", "puppet.example.net", "puppet")) {
            KeyPair k = ecKey();
            String cn = certnameFor("choria", "plain", k); // choria/plain has no puppet alias
            refused(judge(cn, new Hostile(cn, k, PASSWORD).dnsNames("plain.choria.svc", name)),
                    "SAN " + name + " is not a name of cluster choria/plain");
        }
        // the shipped example's extraSANs [puppet], for a cluster whose entry does not say puppet_alias
        NatsCluster example = cluster("choria", "plain");
        example.getSpec().getTls().setExtraSANs(List.of("puppet"));
        refused(judge(operatorCsr(example, PASSWORD)), "SAN puppet is not a name of cluster choria/plain");
        KeyPair k = ecKey();
        String cn = certnameFor("choria", "broker", k);
        refused(judge(cn, new Hostile(cn, k, PASSWORD).dnsNames("broker.choria.svc").san(ip("127.0.0.1"))),
                "IP SAN 127.0.0.1 is not on the extra_sans allow-list");
    }

    // ---------------------------------------------------------------- (c) wildcards

    @Test
    void refusesEveryWildcard() throws Exception {
        for (String name : List.of("*", "*.svc.cluster.local", "*.choria.svc.cluster.local", "broker-*.broker-headless", "*.nats.example.net")) {
            KeyPair k = ecKey();
            String cn = certnameFor("choria", "broker", k);
            refused(judge(cn, new Hostile(cn, k, PASSWORD).dnsNames("broker.choria.svc", name)), "wildcard SAN \"" + name + "\"");
        }
    }

    // ---------------------------------------------------------------- (d) other clusters

    @Test
    void refusesAnotherClustersNames() throws Exception {
        refused(judge(operatorCsr(cluster("other", "broker"), PASSWORD)), "cluster other/broker is not allowed");
        refused(judge(operatorCsr(cluster("choria", "intruder"), PASSWORD)), "cluster choria/intruder is not allowed");
        refused(judge(operatorCsr(cluster("edgy", "leaf"), PASSWORD)), "cluster edgy/leaf is not allowed");
        for (String name : List.of("broker.other.svc.cluster.local", "plain.choria.svc", "broker-0.plain-headless.choria.svc",
                "broker.choria.svc.other.domain", "broker-99.broker-headless", "leaf-gateway.edge-paris.svc")) {
            KeyPair k = ecKey();
            String cn = certnameFor("choria", "broker", k);
            refused(judge(cn, new Hostile(cn, k, PASSWORD).dnsNames("broker.choria.svc", name)), "SAN " + name + " is not a name of cluster choria/broker");
        }
        // choria/plain may not use choria/broker's extra names, nor its puppet alias
        for (String name : List.of("nats.example.net", "puppet.choria.svc")) {
            KeyPair k = ecKey();
            String cn = certnameFor("choria", "plain", k);
            refused(judge(cn, new Hostile(cn, k, PASSWORD).dnsNames(name)), "SAN " + name + " is not a name of cluster choria/plain");
        }
        KeyPair k = ecKey();
        String cn = certnameFor("choria", "plain", k);
        refused(judge(cn, new Hostile(cn, k, PASSWORD).dnsNames("plain").san(ip("192.0.2.10"))), "IP SAN 192.0.2.10 is not on the extra_sans");
        // the highest ordinal spec.size allows is signed
        KeyPair k98 = ecKey();
        String cn98 = certnameFor("choria", "broker", k98);
        signed(judge(cn98, new Hostile(cn98, k98, PASSWORD).dnsNames("broker-98.broker-headless.choria.svc.cluster.local")));
    }

    // ---------------------------------------------------------------- (e) the challenge password

    @Test
    void refusesAWrongOrMissingPassword() throws Exception {
        NatsCluster nc = cluster("choria", "plain");
        nc.getSpec().getTls().setKeyAlgorithm(TlsSpec.KeyAlgorithm.EC_P256);
        refused(judge(operatorCsr(nc, null)), "the CSR carries no challengePassword");
        for (String wrong : List.of("wrong", PASSWORD + "x", PASSWORD.substring(0, PASSWORD.length() - 1), PASSWORD + "\n", " " + PASSWORD, "")) {
            refused(judge(operatorCsr(nc, wrong)), "wrong challengePassword");
        }
        KeyPair k = ecKey();
        String cn = certnameFor("choria", "plain", k);
        refused(judge(cn, new Hostile(cn, k, PASSWORD).dnsNames("plain").attribute(PKCSObjectIdentifiers.pkcs_9_at_challengePassword,
                new DERUTF8String("second"))), "more than one challengePassword");
    }

    // ---------------------------------------------------------------- (f) certnames outside the scheme

    @Test
    void refusesCertnamesOutsideTheScheme() throws Exception {
        KeyPair k = ecKey();
        String good = certnameFor("choria", "broker", k);
        for (String cn : List.of("puppet", "localhost", "node1.example.net", "broker.choria", "broker.choria.nats-1234567",
                "broker.choria.nats-1234567g", "Broker.choria.nats-" + good.substring(good.length() - 8), "a.broker.choria.nats-"
                        + good.substring(good.length() - 8), "nats-0123456789abcdef-" + good.substring(good.length() - 8) + "0")) {
            refused(judge(cn, new Hostile(cn, k, PASSWORD).dnsNames("broker.choria.svc")), "is not <name>.<namespace>.nats-<8 hex>");
        }
        // in the scheme, but the key id is not the CSR's key
        String otherKey = certnameFor("choria", "broker", ecKey());
        refused(judge(otherKey, new Hostile(otherKey, k, PASSWORD).dnsNames("broker.choria.svc")), "names key");
        // the CN is not the certname Puppet passes
        refused(judge(good, new Hostile(otherKey, k, PASSWORD).dnsNames("broker.choria.svc")), "is not the certname");
        refused(judge(good, new Hostile(good, k, PASSWORD).subject("CN=" + good + ",O=Puppet").dnsNames("broker.choria.svc")),
                "the subject must be CN=<certname> only");
    }

    // ---------------------------------------------------------------- what else a CSR may carry

    @Test
    void refusesOtherExtensionsAttributesAndNameTypes() throws Exception {
        KeyPair k = ecKey();
        String cn = certnameFor("choria", "broker", k);
        refused(judge(cn, new Hostile(cn, k, PASSWORD).dnsNames("broker.choria.svc").extension(new Extension(
                new ASN1ObjectIdentifier("1.3.6.1.4.1.34380.1.3.39"), false, new DERUTF8String("true").getEncoded()))),
                "unexpected extension 1.3.6.1.4.1.34380.1.3.39");
        refused(judge(cn, new Hostile(cn, k, PASSWORD).dnsNames("broker.choria.svc").extension(new Extension(
                Extension.basicConstraints, true, new BasicConstraints(true).getEncoded()))), "unexpected extension basicConstraints");
        refused(judge(cn, new Hostile(cn, k, PASSWORD).dnsNames("broker.choria.svc", "localhost").msExtReq()), "unexpected attribute msExtReq");
        refused(judge(cn, new Hostile(cn, k, PASSWORD).dnsNames("broker.choria.svc").attribute(
                PKCSObjectIdentifiers.pkcs_9_at_unstructuredName, new DERPrintableString("x"))), "unexpected attribute");
        refused(judge(cn, new Hostile(cn, k, PASSWORD).san(new GeneralName(GeneralName.uniformResourceIdentifier, "https://puppet:8140/"))),
                "SAN of type 6");
        refused(judge(cn, new Hostile(cn, k, PASSWORD).san(new GeneralName(GeneralName.rfc822Name, "root@puppet"))), "SAN of type 1");
        refused(judge(cn, new Hostile(cn, k, PASSWORD).san(dns("broker.choria.svc.")).san(dns("x"))), "is not a DNS name");
        refused(judge(cn, new Hostile(cn, k, PASSWORD)), "the CSR asks for no names");
        refused(run(config, cn, "-----BEGIN CERTIFICATE REQUEST-----\nnope\n-----END CERTIFICATE REQUEST-----\n"), "not a CSR");
    }

    @Test
    void badOrMissingConfigurationRefusesEverything() throws Exception {
        Csr good = operatorCsr(cluster("choria", "plain"), PASSWORD);
        Verdict none = run(dir.resolve("absent.yaml"), good.certname(), good.pem());
        assertEquals(2, none.exit(), none.toString());
        assertTrue(none.stderr().contains("cannot read"), none.toString());
        Path wild = dir.resolve("wild.yaml");
        Files.writeString(wild, Files.readString(config).replace("[nats-global.example.net]", "['*.example.net']"));
        Verdict w = run(wild, good.certname(), good.pem());
        assertEquals(2, w.exit(), w.toString());
        assertTrue(w.stderr().contains("is a wildcard"), w.toString());
        Path empty = dir.resolve("empty-password");
        Files.writeString(empty, "\n");
        Path emptyConfig = dir.resolve("empty.yaml");
        Files.writeString(emptyConfig, Files.readString(config).replaceFirst("challenge_password_file: .*", "challenge_password_file: " + empty));
        Verdict e = run(emptyConfig, good.certname(), good.pem());
        assertEquals(2, e.exit(), e.toString());
        assertTrue(e.stderr().contains("is empty"), e.toString());
        signed(run(config, good.certname(), good.pem()));
    }
}
