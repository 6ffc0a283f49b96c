package io.choria.natsoperator.puppet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.choria.natsoperator.model.Names;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** The certname scheme: one per key, readable when it fits a CN, lower case, at most 64 characters. */
class BrokerEnrolmentTest {
    @Test
    void certnameIsReadableAndFollowsTheKey() {
        Names names = new Names("broker", "choria", "cluster.local");
        String a = BrokerEnrolment.certname(names, "key-a".getBytes(StandardCharsets.UTF_8));
        String b = BrokerEnrolment.certname(names, "key-b".getBytes(StandardCharsets.UTF_8));
        assertTrue(a.matches("broker\\.choria\\.nats-[0-9a-f]{8}"), a);
        assertNotEquals(a, b, "a new key is a new certname: Puppet signs one certificate per certname");
        assertEquals(a, BrokerEnrolment.certname(names, "key-a".getBytes(StandardCharsets.UTF_8)));
        assertTrue(a.matches(".*nats-[0-9a-f]{8}$"), "the auth.conf rule in docs/TLS.md matches it");
    }

    @Test
    void longNamesFallBackToAHashWithinTheCommonNameLimit() {
        Names names = new Names("b".repeat(52), "n".repeat(63), "cluster.local");
        String c = BrokerEnrolment.certname(names, "key".getBytes(StandardCharsets.UTF_8));
        assertTrue(c.length() <= 64, c);
        assertTrue(c.matches("nats-[0-9a-f]{16}-[0-9a-f]{8}"), c);
    }
}
