package io.choria.natsoperator.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.choria.natsoperator.testing.Examples;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The README's path end to end, checked by a tool that is not ours: a Puppet-style CA made by
 * openssl (examples/make-test-ca.sh), `render` of the 3-broker example, and `openssl verify`
 * and `openssl x509` on the certificate it issued.
 */
class ExampleCertificateOpenSslTest {
    @TempDir
    Path dir;

    static String run(Path cwd, String... command) throws Exception {
        Process p = new ProcessBuilder(command).directory(cwd.toFile()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "timed out: " + String.join(" ", command));
        assertEquals(0, p.exitValue(), String.join(" ", command) + ":\n" + out);
        return out;
    }

    @Test
    void issuedCertificateVerifiesAndNamesEveryBroker() throws Exception {
        io.choria.natsoperator.testing.Tools.requireOpenssl(); // fails, never skips, when openssl is missing
        run(Path.of("."), "bash", "examples/make-test-ca.sh", dir.toString());
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int exit = RenderCommand.run(new String[] {"-f", Examples.THREE_BROKERS.toString(), "-f",
                dir.resolve("puppet-ca-secret.yaml").toString(), "--reveal-secrets"}, new PrintStream(out, true, StandardCharsets.UTF_8), System.err);
        assertEquals(0, exit);
        List<HasMetadata> objects = new KubernetesSerialization().unmarshal(out.toString(StandardCharsets.UTF_8));
        Secret tls = (Secret) objects.stream().filter(o -> o.getMetadata().getName().equals("broker-tls")).findFirst().orElseThrow();
        Path leaf = dir.resolve("tls.crt");
        Path bundle = dir.resolve("ca.crt");
        Files.writeString(leaf, new String(java.util.Base64.getDecoder().decode(tls.getData().get("tls.crt")), StandardCharsets.UTF_8));
        Files.writeString(bundle, new String(java.util.Base64.getDecoder().decode(tls.getData().get("ca.crt")), StandardCharsets.UTF_8));

        assertTrue(run(dir, "openssl", "verify", "-CAfile", "ca.crt", "-purpose", "sslserver", "tls.crt").contains("tls.crt: OK"));
        run(dir, "openssl", "verify", "-CAfile", "ca_crt.pem", "-purpose", "sslclient", "tls.crt");
        String sans = run(dir, "openssl", "x509", "-in", "tls.crt", "-noout", "-ext", "subjectAltName");
        for (int i = 0; i < 3; i++) {
            assertTrue(sans.contains("DNS:broker-" + i + ".broker-headless.choria.svc.cluster.local"), sans);
            assertTrue(sans.contains("DNS:broker-" + i + ".broker-headless.choria.svc,"), sans);
        }
        assertTrue(sans.contains("DNS:broker.choria.svc") && sans.contains("DNS:puppet"), sans);
    }
}
