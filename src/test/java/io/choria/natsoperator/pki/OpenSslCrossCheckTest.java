package io.choria.natsoperator.pki;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.choria.natsoperator.api.Reason;
import io.choria.natsoperator.api.TlsSpec.KeyAlgorithm;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Independent check of what we issue with the real openssl binary, and of CAs that openssl (like Puppet) made. */
class OpenSslCrossCheckTest {

    static final List<String> NAMES = List.of("broker-0.broker-headless.choria.svc.cluster.local",
            "broker-1.broker-headless.choria.svc.cluster.local", "broker.choria.svc", "puppet", "192.0.2.10");

    @TempDir
    Path dir;

    static TestCa rsa;
    static TestCa chained;

    @BeforeAll
    static void setUp() {
        io.choria.natsoperator.testing.Tools.requireOpenssl(); // fails, never skips, when openssl is missing
        rsa = TestCa.rsaRoot("Puppet CA: puppet.example.com");
        chained = TestCa.rootWithIntermediate(KeyAlgorithm.RSA_2048, KeyAlgorithm.EC_P256);
    }

    @Test
    void leafFromRootCaVerifiesForServerAndClientUse() throws Exception {
        IssuedCertificate issued = rsa.load().issue(new ServerCertificateRequest("broker", NAMES, KeyAlgorithm.EC_P256, 30), Instant.now());
        Path bundle = write("ca.crt", issued.caBundlePem());
        Path leaf = write("tls.crt", issued.certificateChainPem());
        Path key = write("tls.key", issued.privateKeyPem());

        assertVerifies("-CAfile", bundle.toString(), "-purpose", "sslserver", leaf.toString());
        assertVerifies("-CAfile", bundle.toString(), "-purpose", "sslclient", leaf.toString());
        assertSans(leaf);
        assertKeyMatches(key, leaf);
    }

    @Test
    void leafFromIntermediateVerifiesAgainstRootWithServedChain() throws Exception {
        CertificateAuthority ca = CertificateAuthority.load(chained.rootFirstBundlePem(), chained.sec1KeyPem(), Instant.now());
        IssuedCertificate issued = ca.issue(new ServerCertificateRequest("broker", NAMES, KeyAlgorithm.RSA_2048, 30), Instant.now());
        Path root = write("root.pem", chained.root().certPem());
        Path served = write("tls.crt", issued.certificateChainPem());
        Path leafOnly = write("leaf.pem", Pem.certificate(Pem.certificates(issued.certificateChainPem()).get(0)));
        Path bundle = write("ca.crt", issued.caBundlePem());
        Path key = write("tls.key", issued.privateKeyPem());

        // what a client holding only the root sees: the intermediate comes from the served chain
        assertVerifies("-CAfile", root.toString(), "-untrusted", served.toString(), "-purpose", "sslserver", leafOnly.toString());
        assertVerifies("-CAfile", bundle.toString(), leafOnly.toString());
        // and without the served intermediate the root alone is not enough: the chain matters
        Result r = openssl("verify", "-CAfile", root.toString(), leafOnly.toString());
        assertTrue(r.exit != 0, "verification against the root alone should fail without the intermediate: " + r.out);
        assertSans(leafOnly);
        assertKeyMatches(key, leafOnly);
    }

    @Test
    void puppetStyleCaMadeByOpensslWithPkcs1Key() throws Exception {
        Path caKey = dir.resolve("ca_key.pem");
        Path caCrt = dir.resolve("ca_crt.pem");
        run("genrsa", "-traditional", "-out", caKey.toString(), "2048");
        assertTrue(Files.readString(caKey).contains("BEGIN RSA PRIVATE KEY"));
        run("req", "-x509", "-new", "-key", caKey.toString(), "-out", caCrt.toString(), "-days", "30",
                "-subj", "/CN=Puppet CA: puppet.example.com",
                "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign");
        issueFromOpensslCaAndVerify(caCrt, caKey);
    }

    @Test
    void ecCaMadeByOpensslWithEcParametersBlock() throws Exception {
        Path caKey = dir.resolve("ec.key");
        Path caCrt = dir.resolve("ec.crt");
        // `ecparam -genkey` writes an EC PARAMETERS block before the SEC1 key
        run("ecparam", "-name", "prime256v1", "-genkey", "-out", caKey.toString());
        String keyText = Files.readString(caKey);
        assertTrue(keyText.contains("BEGIN EC PARAMETERS") && keyText.contains("BEGIN EC PRIVATE KEY"), keyText.lines().findFirst().orElse(""));
        run("req", "-x509", "-new", "-key", caKey.toString(), "-out", caCrt.toString(), "-days", "30", "-subj", "/CN=EC CA",
                "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign");
        issueFromOpensslCaAndVerify(caCrt, caKey);
    }

    @Test
    void opensslEncryptedKeyIsReportedAsEncrypted() throws Exception {
        Path plain = dir.resolve("plain.key");
        Path enc = dir.resolve("enc.key");
        run("ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", plain.toString());
        run("pkey", "-in", plain.toString(), "-aes256", "-passout", "pass:secret", "-out", enc.toString());
        PkiException e = org.junit.jupiter.api.Assertions.assertThrows(PkiException.class,
                () -> CertificateAuthority.load(rsa.certPem(), Files.readString(enc), Instant.now()));
        assertEquals(Reason.CaKeyEncrypted, e.reason());
    }

    private void issueFromOpensslCaAndVerify(Path caCrt, Path caKey) throws Exception {
        CertificateAuthority ca = CertificateAuthority.load(Files.readString(caCrt), Files.readString(caKey), Instant.now());
        IssuedCertificate issued = ca.issue(new ServerCertificateRequest("broker", NAMES, KeyAlgorithm.EC_P256, 30), Instant.now());
        Path leaf = write("tls.crt", issued.certificateChainPem());
        Path key = write("tls.key", issued.privateKeyPem());
        assertVerifies("-CAfile", caCrt.toString(), "-purpose", "sslserver", leaf.toString());
        assertSans(leaf);
        assertKeyMatches(key, leaf);
    }

    private void assertVerifies(String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("verify"));
        cmd.addAll(List.of(args));
        Result r = openssl(cmd.toArray(String[]::new));
        assertEquals(0, r.exit, "openssl verify failed: " + r.out);
        assertTrue(r.out.contains(": OK"), r.out);
    }

    private void assertSans(Path cert) throws Exception {
        String text = run("x509", "-in", cert.toString(), "-noout", "-ext", "subjectAltName");
        for (String name : NAMES) {
            String expected = Character.isDigit(name.charAt(0)) ? "IP Address:" + name : "DNS:" + name;
            assertTrue(text.contains(expected), "missing " + expected + " in " + text);
        }
        String usage = run("x509", "-in", cert.toString(), "-noout", "-ext", "extendedKeyUsage,basicConstraints");
        assertTrue(usage.contains("TLS Web Server Authentication") && usage.contains("TLS Web Client Authentication"), usage);
        assertTrue(usage.contains("CA:FALSE"), usage);
    }

    private void assertKeyMatches(Path key, Path cert) throws Exception {
        String fromKey = run("pkey", "-in", key.toString(), "-pubout");
        String fromCert = run("x509", "-in", cert.toString(), "-noout", "-pubkey");
        assertEquals(fromCert, fromKey);
    }

    private Path write(String name, String content) throws IOException {
        return Files.writeString(dir.resolve(name), content);
    }

    private record Result(int exit, String out) {
    }

    private String run(String... args) throws Exception {
        Result r = openssl(args);
        assertEquals(0, r.exit, "openssl " + String.join(" ", args) + " failed: " + r.out);
        return r.out;
    }

    private Result openssl(String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("openssl"));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).directory(dir.toFile()).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(30, TimeUnit.SECONDS), "openssl timed out");
        return new Result(p.exitValue(), out);
    }

}
