package io.choria.natsoperator.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.StringWriter;
import java.math.BigInteger;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.cert.CertificateFactory;
import java.security.cert.X509CRL;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.List;

import org.bouncycastle.asn1.DERPrintableString;
import org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.Extensions;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.pkcs.jcajce.JcaPKCS10CertificationRequestBuilder;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/** The PuppetServer fixture against a real Puppet Server 7: CA API, signing, revocation, policy autosigning. */
@External
class PuppetServerFixtureTest {
    static final String PASSWORD = SharedPuppet.CHALLENGE;
    static final String OPERATOR = SharedPuppet.STATUS_CLIENT;
    static PuppetServer puppet;
    static PuppetServer.Credentials operator;
    static HttpClient anonymous;
    static HttpClient asOperator;

    @BeforeAll
    static void start() throws Exception {
        // The suite's one Puppet Server (policy autosign with PASSWORD, OPERATOR may read statuses): it is slow to start.
        puppet = SharedPuppet.get();
        long t0 = System.nanoTime();
        operator = puppet.generate(OPERATOR);
        System.out.println("ca generate took " + (System.nanoTime() - t0) / 1_000_000 + " ms");
        anonymous = puppet.httpClient();
        asOperator = puppet.httpClient(operator);
    }


    @Test
    void caApiServesTheCaCertificate() throws Exception {
        HttpResponse<String> r = get(anonymous, "/puppet-ca/v1/certificate/ca");
        assertEquals(200, r.statusCode(), r.body());
        assertTrue(r.headers().firstValue("Content-Type").orElse("").startsWith("text/plain"), r.headers().toString());
        List<X509Certificate> chain = certs(r.body());
        List<X509Certificate> bundle = certs(puppet.caCertPem());
        assertEquals(2, bundle.size(), "ca_crt.pem: intermediate + root");
        assertEquals(bundle, chain);
    }

    @Test
    void requestedThenSignedThenRevoked() throws Exception {
        String name = "broker-a";
        KeyPair kp = rsa();
        HttpResponse<String> put = putCsr(name, csr(name, kp, "wrong-password", "broker-a.nats.example", "nats.example"));
        assertEquals(200, put.statusCode(), put.body());
        assertEquals("requested", status(name).path("state").asText());
        assertEquals(200, get(anonymous, "/puppet-ca/v1/certificate_request/" + name).statusCode());
        assertEquals(404, get(anonymous, "/puppet-ca/v1/certificate/" + name).statusCode());

        puppet.sign(name);
        HttpResponse<String> cert = get(anonymous, "/puppet-ca/v1/certificate/" + name);
        assertEquals(200, cert.statusCode(), cert.body());
        X509Certificate c = certs(cert.body()).get(0);
        assertEquals(kp.getPublic(), c.getPublicKey());
        assertTrue(c.getSubjectAlternativeNames().stream().map(l -> l.get(1)).toList()
                .containsAll(List.of("broker-a.nats.example", "nats.example")), String.valueOf(c.getSubjectAlternativeNames()));
        c.verify(certs(puppet.caCertPem()).get(0).getPublicKey());
        JsonNode signed = status(name);
        assertEquals("signed", signed.path("state").asText());
        System.out.println("certificate_status: " + signed);

        BigInteger crlNumberBefore = crlNumber(crls().get(0));
        puppet.revoke(name);
        List<X509CRL> crls = crls();
        assertTrue(crls.get(0).isRevoked(c), "serial " + c.getSerialNumber() + " not in the CRL");
        assertTrue(crlNumber(crls.get(0)).compareTo(crlNumberBefore) > 0, "CRL number did not grow");
        assertTrue(crlsOf(puppet.crlPem()).get(0).isRevoked(c), "ca_crl.pem on disk");

        HttpResponse<String> all = get(asOperator, "/puppet-ca/v1/certificate_statuses/any_key");
        assertEquals(200, all.statusCode(), all.body());
        JsonNode entry = null;
        for (JsonNode n : new ObjectMapper().readTree(all.body())) {
            if (n.path("name").asText().equals(name)) {
                entry = n;
            }
        }
        assertTrue(entry != null, all.body());
        assertEquals("revoked", entry.path("state").asText());
        HttpResponse<String> revoked = get(asOperator, "/puppet-ca/v1/certificate_statuses/any_key?state=revoked");
        assertEquals(200, revoked.statusCode(), revoked.body());
        for (JsonNode n : new ObjectMapper().readTree(revoked.body())) {
            assertEquals("revoked", n.path("state").asText(), revoked.body());
        }
        assertTrue(revoked.body().contains("\"" + name + "\""), revoked.body());
        // a revoked (or signed) certname refuses a new CSR until `clean`
        HttpResponse<String> again = putCsr(name, csr(name, rsa(), PASSWORD));
        assertEquals(400, again.statusCode(), again.body());
        puppet.clean(name);
        assertEquals(404, get(anonymous, "/puppet-ca/v1/certificate/" + name).statusCode());
        assertTrue(crls().get(0).isRevoked(c), "clean keeps the serial in the CRL");
        assertEquals(200, putCsr(name, csr(name, rsa(), "nope")).statusCode());
    }

    @Test
    void statusEndpointsNeedAnAllowedClient() throws Exception {
        assertEquals(403, get(anonymous, "/puppet-ca/v1/certificate_statuses/any_key").statusCode());
        PuppetServer.Credentials other = puppet.generate("someone-else");
        assertEquals(403, get(puppet.httpClient(other), "/puppet-ca/v1/certificate_statuses/any_key").statusCode());
        assertEquals(403, get(puppet.httpClient(other), "/puppet-ca/v1/certificate_status/" + OPERATOR).statusCode());
        assertEquals(200, get(asOperator, "/puppet-ca/v1/certificate_status/" + OPERATOR).statusCode());
        // the operator's cert may read, not sign
        HttpResponse<String> put = asOperator.send(HttpRequest.newBuilder(uri("/puppet-ca/v1/certificate_status/someone-else"))
                .header("Content-Type", "application/json")
                .PUT(HttpRequest.BodyPublishers.ofString("{\"desired_state\":\"revoked\"}")).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(403, put.statusCode(), put.body());
    }

    @Test
    void policyAutosignSignsOnlyTheRightChallengePassword() throws Exception {
        HttpResponse<String> right = putCsr("broker-good", csr("broker-good", rsa(), PASSWORD, "broker-good.nats.example"));
        assertEquals(200, right.statusCode(), right.body());
        assertEquals(200, get(anonymous, "/puppet-ca/v1/certificate/broker-good").statusCode());
        assertEquals("signed", status("broker-good").path("state").asText());

        HttpResponse<String> wrong = putCsr("broker-bad", csr("broker-bad", rsa(), PASSWORD + "x", "broker-bad.nats.example"));
        assertEquals(200, wrong.statusCode(), wrong.body());
        assertEquals(404, get(anonymous, "/puppet-ca/v1/certificate/broker-bad").statusCode());
        assertEquals("requested", status("broker-bad").path("state").asText());

        HttpResponse<String> none = putCsr("broker-none", csr("broker-none", rsa(), null));
        assertEquals(200, none.statusCode(), none.body());
        assertEquals("requested", status("broker-none").path("state").asText());
    }

    /** Surprising, so pinned: Puppet Server 7.9 signs a CSR whose SANs hold a wildcard (the operator must refuse them itself). */
    @Test
    void wildcardSanIsSignedNotRefused() throws Exception {
        HttpResponse<String> r = putCsr("broker-wild", csr("broker-wild", rsa(), PASSWORD, "*.nats.example"));
        assertEquals(200, r.statusCode(), r.body());
        HttpResponse<String> cert = get(anonymous, "/puppet-ca/v1/certificate/broker-wild");
        assertEquals(200, cert.statusCode(), cert.body());
        assertTrue(certs(cert.body()).get(0).getSubjectAlternativeNames().stream().anyMatch(l -> l.get(1).equals("*.nats.example")));
    }

    // ---------------------------------------------------------------- helpers

    static URI uri(String path) {
        return puppet.url().resolve(path);
    }

    static HttpResponse<String> get(HttpClient client, String path) throws Exception {
        return client.send(HttpRequest.newBuilder(uri(path)).timeout(Duration.ofSeconds(30)).GET().build(),
                HttpResponse.BodyHandlers.ofString());
    }

    static HttpResponse<String> putCsr(String certname, String pem) throws Exception {
        return anonymous.send(HttpRequest.newBuilder(uri("/puppet-ca/v1/certificate_request/" + certname))
                .timeout(Duration.ofSeconds(30))
                .header("Content-Type", "text/plain")
                .PUT(HttpRequest.BodyPublishers.ofString(pem)).build(), HttpResponse.BodyHandlers.ofString());
    }

    static JsonNode status(String certname) throws Exception {
        HttpResponse<String> r = get(asOperator, "/puppet-ca/v1/certificate_status/" + certname);
        assertEquals(200, r.statusCode(), r.body());
        return new ObjectMapper().readTree(r.body());
    }

    static KeyPair rsa() throws Exception {
        KeyPairGenerator g = KeyPairGenerator.getInstance("RSA");
        g.initialize(2048);
        return g.generateKeyPair();
    }

    /** A PKCS#10 CSR for CN=certname with a challengePassword (if not null) and DNS SANs (if any). */
    static String csr(String certname, KeyPair kp, String challengePassword, String... dnsNames) throws Exception {
        var b = new JcaPKCS10CertificationRequestBuilder(new X500Name("CN=" + certname), kp.getPublic());
        if (challengePassword != null) {
            b.addAttribute(PKCSObjectIdentifiers.pkcs_9_at_challengePassword, new DERPrintableString(challengePassword));
        }
        if (dnsNames.length > 0) {
            GeneralName[] names = new GeneralName[dnsNames.length + 1];
            names[0] = new GeneralName(GeneralName.dNSName, certname);
            for (int i = 0; i < dnsNames.length; i++) {
                names[i + 1] = new GeneralName(GeneralName.dNSName, dnsNames[i]);
            }
            b.addAttribute(PKCSObjectIdentifiers.pkcs_9_at_extensionRequest,
                    new Extensions(new Extension(Extension.subjectAlternativeName, false, new GeneralNames(names).getEncoded())));
        }
        var req = b.build(new JcaContentSignerBuilder("SHA256withRSA").build(kp.getPrivate()));
        StringWriter out = new StringWriter();
        try (JcaPEMWriter w = new JcaPEMWriter(out)) {
            w.writeObject(req);
        }
        return out.toString();
    }

    @SuppressWarnings("unchecked")
    static List<X509Certificate> certs(String pem) throws Exception {
        return (List<X509Certificate>) (List<?>) List.copyOf(CertificateFactory.getInstance("X.509")
                .generateCertificates(new ByteArrayInputStream(pem.getBytes(StandardCharsets.US_ASCII))));
    }

    static List<X509CRL> crls() throws Exception {
        HttpResponse<String> r = get(anonymous, "/puppet-ca/v1/certificate_revocation_list/ca");
        assertEquals(200, r.statusCode(), r.body());
        return crlsOf(r.body());
    }

    @SuppressWarnings("unchecked")
    static List<X509CRL> crlsOf(String pem) throws Exception {
        return (List<X509CRL>) (List<?>) List.copyOf(CertificateFactory.getInstance("X.509")
                .generateCRLs(new ByteArrayInputStream(pem.getBytes(StandardCharsets.US_ASCII))));
    }

    static BigInteger crlNumber(X509CRL crl) {
        byte[] ext = crl.getExtensionValue(Extension.cRLNumber.getId());
        return org.bouncycastle.asn1.ASN1Integer.getInstance(
                org.bouncycastle.asn1.ASN1OctetString.getInstance(ext).getOctets()).getPositiveValue();
    }
}
