package io.choria.natsoperator.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.choria.natsoperator.pki.IssuedCertificate;
import io.choria.natsoperator.pki.ServerCertificateRequest;
import io.choria.natsoperator.pki.TestCa;
import io.choria.natsoperator.api.TlsSpec.KeyAlgorithm;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

/** render with Puppet enrolment (examples/natscluster-puppet.yaml): it does no network I/O, so it renders around the certificate the operator holds. */
class RenderEnrolmentTest {
    static final Path EXAMPLE = Path.of("examples/natscluster-puppet.yaml");

    @Test
    void withoutTheHeldCertificateItSaysWhatToPassAndExitsNonZero() {
        RenderCommandAccess.Result r = RenderCommandAccess.render("-f", EXAMPLE.toString());
        assertEquals(1, r.exit(), r.err());
        assertTrue(r.err().contains("spec.tls.puppet") && r.err().contains("broker-tls"), r.err());
        assertFalse(r.err().contains("\tat "), "no stack trace: " + r.err());
    }

    @Test
    void withTheHeldCertificateItRendersTheFailClosedAllowList() throws Exception {
        TestCa ca = TestCa.rsaRoot("Puppet CA: render");
        IssuedCertificate cert = ca.load().issue(new ServerCertificateRequest("broker.choria.nats-00000000", List.of("broker.choria.svc"),
                KeyAlgorithm.EC_P256, 30), Instant.now());
        Path held = Files.createTempFile("broker-tls", ".yaml");
        Files.writeString(held, """
                apiVersion: v1
                kind: Secret
                metadata: {name: broker-tls, namespace: choria}
                stringData:
                  tls.crt: |
                %s
                  tls.key: |
                %s
                  ca.crt: |
                %s
                """.formatted(indent(cert.certificateChainPem()), indent(cert.privateKeyPem()), indent(ca.certPem())));
        RenderCommandAccess.Result r = RenderCommandAccess.render("-f", EXAMPLE.toString(), "-f", held.toString());
        assertEquals(0, r.exit(), r.err());
        assertTrue(r.out().contains("include \\\"../pinned/pinned_certs.conf\\\"") || r.out().contains("include \"../pinned/pinned_certs.conf\""),
                "nats.conf includes the list the pod assembles: " + r.out());
        assertTrue(r.out().contains("name: \"broker-pinned\"") && r.out().contains("name: \"broker-pinned-f\""), "the manifest and the parts are rendered");
        assertTrue(r.out().contains("# epoch 0") && r.out().contains("0 keys in 16 parts"),
                "render cannot read Puppet's inventory: the list holds only the epoch entry and admits nobody (fail closed)");
        assertFalse(r.out().contains(cert.privateKeyPem().lines().skip(1).findFirst().orElseThrow()), "the key stays redacted");
    }

    private static String indent(String pem) {
        return pem.lines().map(l -> "    " + l).reduce((a, b) -> a + "\n" + b).orElse("");
    }
}
