package io.choria.natsoperator.puppet;

import io.choria.natsoperator.api.GatewaySpec;
import io.choria.natsoperator.api.LeafNodesSpec;
import io.choria.natsoperator.api.NatsCluster;
import io.choria.natsoperator.api.TlsSpec;
import io.choria.natsoperator.model.Names;
import io.choria.natsoperator.model.NatsClusterModel;
import io.choria.natsoperator.model.SpecDefaults;
import io.choria.natsoperator.pki.CertificateSigningRequests;
import io.choria.natsoperator.testing.Examples;
import io.choria.natsoperator.testing.Tools;
import java.io.IOException;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.spec.ECGenParameterSpec;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.bouncycastle.asn1.ASN1Encodable;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.DERPrintableString;
import org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.ExtensionsGenerator;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.pkcs.jcajce.JcaPKCS10CertificationRequestBuilder;

/**
 * examples/puppet/nats-autosign-policy, a configuration for it, and the CSRs it judges: the operator's own
 * (its certname, names and CSR code) and hostile ones built with BouncyCastle.
 */
final class AutosignPolicyFixture {
    static final Path POLICY = Path.of("examples/puppet/nats-autosign-policy").toAbsolutePath();
    static final String DOMAIN = "cluster.local";
    static final String PASSWORD = "s3cret enrolment, 7";
    /** Long enough that <name>.<namespace>.nats-<8 hex> passes 64 characters: the hashed certname. */
    static final String LONG_NAMESPACE = "long-" + "n".repeat(50);

    /**
     * choria/broker with the puppet alias and two extra names; choria/plain; every edge-* namespace's "leaf";
     * the long-* namespaces' "broker". Not allowed: any other namespace/name (other/broker, choria/intruder).
     */
    static final String CONFIG = """
            challenge_password_file: %s
            cluster_domain: cluster.local
            clusters:
              - cluster: choria/broker
                puppet_alias: true
                extra_sans: [nats.example.net, 192.0.2.10]
              - choria/plain
              - edge-*/leaf
              - cluster: long-*/broker
            extra_sans: [nats-global.example.net]
            """;

    private AutosignPolicyFixture() {}

    /** Writes the password file and {@link #CONFIG} into {@code dir}; returns the config's path. */
    static Path writeConfig(Path dir) throws IOException {
        Files.createDirectories(dir);
        Path password = dir.resolve("nats-challenge");
        Files.writeString(password, PASSWORD + "\n");
        Path config = dir.resolve("nats-autosign.yaml");
        Files.writeString(config, CONFIG.formatted(password.toAbsolutePath()));
        return config.toAbsolutePath();
    }

    record Verdict(int exit, String stdout, String stderr) {
        boolean signed() {
            return exit == 0;
        }

        @Override
        public String toString() {
            return "exit " + exit + ", stdout: " + stdout.strip() + ", stderr: " + stderr.strip();
        }
    }

    /** Runs the policy as Puppet Server does: the executable itself, certname as $1, the CSR on stdin. */
    static Verdict run(Path config, String certname, String csrPem) throws IOException, InterruptedException {
        Tools.requireRuby();
        ProcessBuilder pb = new ProcessBuilder(POLICY.toString(), certname);
        pb.environment().put("NATS_AUTOSIGN_CONFIG", config == null ? "" : config.toString());
        Process p = pb.start();
        try (var in = p.getOutputStream()) {
            in.write(csrPem.getBytes(StandardCharsets.US_ASCII));
        } catch (IOException closedEarly) {
            // the policy may refuse before reading all of stdin
        }
        var out = p.getInputStream().readAllBytes();
        var err = p.getErrorStream().readAllBytes();
        if (!p.waitFor(30, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("the policy did not finish in 30 s");
        }
        return new Verdict(p.exitValue(), new String(out, StandardCharsets.UTF_8), new String(err, StandardCharsets.UTF_8));
    }

    // ---------------------------------------------------------------- the operator's own CSRs

    /** The shipped Puppet example in {@code namespace} as {@code name}, defaulted, without its extraSANs. */
    static NatsCluster cluster(String namespace, String name) {
        NatsCluster nc = SpecDefaults.withDefaults(Examples.toApply(Path.of("examples/natscluster-puppet.yaml"), namespace, name));
        nc.getSpec().getTls().setExtraSANs(new ArrayList<>());
        return nc;
    }

    /** The same with every name the operator can ask for: gateway (advertised host), leaf nodes, puppet alias, an IP extraSAN. */
    static NatsCluster everyName(String namespace, String name) {
        NatsCluster nc = cluster(namespace, name);
        GatewaySpec gateway = new GatewaySpec();
        gateway.setAdvertise("nats.example.net:7222");
        nc.getSpec().setGateway(gateway);
        nc.getSpec().setLeafnodes(new LeafNodesSpec());
        nc.getSpec().getService().setPuppetAlias(true);
        nc.getSpec().getTls().setExtraSANs(new ArrayList<>(List.of("192.0.2.10", "nats-global.example.net")));
        return nc;
    }

    record Csr(String certname, String pem, KeyPair keys, List<String> sans) {}

    /** What BrokerEnrolment sends for {@code nc}: its key algorithm, certname, names and challenge password. */
    static Csr operatorCsr(NatsCluster nc, String password) throws Exception {
        TlsSpec tls = nc.getSpec().getTls();
        KeyPair keys = CertificateSigningRequests.newKeyPair(tls.getKeyAlgorithm());
        String certname = BrokerEnrolment.certname(Names.of(nc, DOMAIN), keys.getPublic().getEncoded());
        List<String> sans = NatsClusterModel.certificateDnsNames(nc, DOMAIN);
        return new Csr(certname, CertificateSigningRequests.csrPem(keys, certname, sans, Optional.ofNullable(password)), keys, sans);
    }

    // ---------------------------------------------------------------- hostile CSRs

    static KeyPair ecKey() throws GeneralSecurityException {
        KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
        g.initialize(new ECGenParameterSpec("secp256r1"));
        return g.generateKeyPair();
    }

    /** The certname the operator would give {@code keys} for namespace/name. */
    static String certnameFor(String namespace, String name, KeyPair keys) {
        return BrokerEnrolment.certname(new Names(name, namespace, DOMAIN), keys.getPublic().getEncoded());
    }

    static GeneralName dns(String name) {
        return new GeneralName(GeneralName.dNSName, name);
    }

    static GeneralName ip(String address) {
        return new GeneralName(GeneralName.iPAddress, address);
    }

    /** A CSR as anyone with the password could send it. Null password: no challengePassword attribute. */
    static final class Hostile {
        private X500Name subject;
        private final KeyPair keys;
        private String password;
        private final List<GeneralName> sans = new ArrayList<>();
        private final List<Extension> extensions = new ArrayList<>();
        private final List<Map.Entry<ASN1ObjectIdentifier, ASN1Encodable>> attributes = new ArrayList<>();
        private ASN1ObjectIdentifier extReqOid = PKCSObjectIdentifiers.pkcs_9_at_extensionRequest;

        Hostile(String certname, KeyPair keys, String password) {
            this.subject = new X500Name("CN=" + certname);
            this.keys = keys;
            this.password = password;
        }

        Hostile subject(String x500) { subject = new X500Name(x500); return this; }
        Hostile dnsNames(String... names) { for (String n : names) sans.add(dns(n)); return this; }
        Hostile san(GeneralName name) { sans.add(name); return this; }
        Hostile extension(Extension e) { extensions.add(e); return this; }
        Hostile attribute(ASN1ObjectIdentifier oid, ASN1Encodable value) { attributes.add(Map.entry(oid, value)); return this; }
        /** Puts the extensions under Microsoft's extension-request OID instead of PKCS#9's. */
        Hostile msExtReq() { extReqOid = new ASN1ObjectIdentifier("1.3.6.1.4.1.311.2.1.14"); return this; }

        String pem() throws Exception {
            var b = new JcaPKCS10CertificationRequestBuilder(subject, keys.getPublic());
            if (password != null) b.addAttribute(PKCSObjectIdentifiers.pkcs_9_at_challengePassword, new DERPrintableString(password));
            ExtensionsGenerator ext = new ExtensionsGenerator();
            if (!sans.isEmpty()) ext.addExtension(Extension.subjectAlternativeName, false, new GeneralNames(sans.toArray(GeneralName[]::new)));
            for (Extension e : extensions) ext.addExtension(e);
            if (!ext.isEmpty()) b.addAttribute(extReqOid, ext.generate());
            for (var a : attributes) b.addAttribute(a.getKey(), a.getValue());
            String alg = keys.getPrivate().getAlgorithm().equals("EC") ? "SHA256withECDSA" : "SHA256withRSA";
            var req = b.build(new JcaContentSignerBuilder(alg).build(keys.getPrivate()));
            StringWriter out = new StringWriter();
            try (JcaPEMWriter w = new JcaPEMWriter(out)) {
                w.writeObject(req);
            }
            return out.toString();
        }
    }
}
