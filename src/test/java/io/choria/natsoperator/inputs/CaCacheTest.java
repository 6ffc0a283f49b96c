package io.choria.natsoperator.inputs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.choria.natsoperator.api.Reason;
import io.choria.natsoperator.pki.PkiException;
import io.choria.natsoperator.pki.TestCa;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import org.junit.jupiter.api.Test;

class CaCacheTest {
    private static final TestCa CA = TestCa.rsaRoot("Cache CA");

    @Test
    void oneLoadPerSecretVersion() throws Exception {
        CaCache cache = new CaCache();
        Instant now = Instant.now();
        var first = cache.load(secret("1", CA), null, null, now);
        assertSame(first, cache.load(secret("1", CA), null, null, now), "same version: the CA loaded before");
        var second = cache.load(secret("2", CA), null, null, now);
        assertNotSame(first, second, "a new resourceVersion is loaded again");
        assertEquals(first.fingerprint(), second.fingerprint());
        assertSame(second, cache.load(secret("2", CA), null, null, now), "the newer version replaced the older");
    }

    @Test
    void aCaThatExpiresWhileCachedIsReportedAsExpired() throws Exception {
        CaCache cache = new CaCache();
        Instant now = Instant.now();
        var ca = cache.load(secret("1", CA), null, null, now);
        Instant later = CA.certificate().getNotAfter().toInstant().plus(Duration.ofDays(1));
        PkiException e = assertThrows(PkiException.class, () -> cache.load(secret("1", CA), null, null, later));
        assertEquals(Reason.CaExpired, e.reason());
    }

    private static Secret secret(String resourceVersion, TestCa ca) {
        return new SecretBuilder().withNewMetadata().withName("puppet-ca").withNamespace("choria").withUid("u-1")
                .withResourceVersion(resourceVersion).endMetadata()
                .addToData("ca.crt", b64(ca.certPem())).addToData("ca.key", b64(ca.pkcs1KeyPem())).build();
    }

    private static String b64(String s) {
        return Base64.getEncoder().encodeToString(s.getBytes(StandardCharsets.UTF_8));
    }
}
