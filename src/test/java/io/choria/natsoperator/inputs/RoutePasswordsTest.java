package io.choria.natsoperator.inputs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.choria.natsoperator.api.NatsCluster;
import io.choria.natsoperator.api.Reason;
import io.choria.natsoperator.api.SecretKeyReference;
import io.choria.natsoperator.model.Owned;
import io.choria.natsoperator.model.SpecDefaults;
import io.choria.natsoperator.testing.Examples;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import org.junit.jupiter.api.Test;

/** What spec.routes.passwordSecretRef may name: a plain password in a Secret of its own. */
class RoutePasswordsTest {
    static NatsCluster cluster(String secret, String key) {
        NatsCluster nc = SpecDefaults.withDefaults(Examples.load(Examples.THREE_BROKERS)); // broker, ns choria, CA puppet-ca
        nc.getSpec().getRoutes().setPasswordSecretRef(new SecretKeyReference(secret, key));
        return nc;
    }

    static Secret secret(String name, byte[] value) {
        return new SecretBuilder().withNewMetadata().withName(name).withNamespace("choria").endMetadata()
                .addToData("password", Base64.getEncoder().encodeToString(value)).build();
    }

    static Secret secret(String name, String value) {
        return secret(name, value.getBytes(StandardCharsets.UTF_8));
    }

    static InputProblem refused(NatsCluster nc, Secret s) {
        return assertThrows(InputProblem.class, () -> RoutePasswords.fromUserSecret(nc,
                n -> n.equals(s.getMetadata().getName()) ? s : null));
    }

    static void notAPassword(String value, String why) {
        InputProblem p = refused(cluster("pw", null), secret("pw", value));
        assertEquals(Reason.RoutePasswordNotAPassword, p.reason());
        assertTrue(p.getMessage().contains(why), p.getMessage());
        assertTrue(p.getMessage().contains("'pw'") && p.getMessage().contains("'password'"), "names Secret and key: " + p.getMessage());
        assertFalse(p.getMessage().contains(value.strip()), "never the value: " + p.getMessage());
    }

    @Test
    void aPlainPasswordIsRead() {
        assertEquals("s3cret-Route/pass:w@rd!", RoutePasswords.fromUserSecret(cluster("pw", null),
                n -> secret("pw", "s3cret-Route/pass:w@rd!\n")), "the newline of `echo pw > file` is not part of it");
        String longest = "x".repeat(RoutePasswords.MAX_LENGTH);
        assertEquals(longest, RoutePasswords.fromUserSecret(cluster("pw", null), n -> secret("pw", longest)));
    }

    @Test
    void aKeyOrCertificateIsNotAPassword() {
        notAPassword(Examples.PUPPET_CA.pkcs8KeyPem(), "PEM block");
        notAPassword(Examples.PUPPET_CA.certPem(), "PEM block");
        notAPassword("-----BEGIN-----", "PEM block");
    }

    @Test
    void binaryOrNonAsciiIsNotAPassword() {
        InputProblem p = refused(cluster("pw", null), secret("pw", new byte[] {'a', 'b', 0, 1, (byte) 0xff, (byte) 0xfe, 'c'}));
        assertEquals(Reason.RoutePasswordNotAPassword, p.reason());
        assertTrue(p.getMessage().contains("non-printable or non-ASCII"), p.getMessage());
        notAPassword("pass\u0007word", "non-printable or non-ASCII");
        notAPassword("pässword", "non-printable or non-ASCII");
        notAPassword("pass\u00a0word", "non-printable or non-ASCII");
    }

    @Test
    void whitespaceInsideIsNotAPassword() {
        notAPassword("two words", "whitespace");
        notAPassword("line1\nline2", "whitespace");
        notAPassword("tab\there", "whitespace");
    }

    @Test
    void tooLongIsNotAPassword() {
        // a service account token is a JWT of hundreds of characters: printable, no whitespace
        notAPassword("eyJhbGciOiJSUzI1NiJ9." + "a".repeat(RoutePasswords.MAX_LENGTH), "longer than 128 characters");
    }

    @Test
    void theCaSecretIsInUse() {
        Secret ca = new SecretBuilder().withNewMetadata().withName("puppet-ca").withNamespace("choria").endMetadata()
                .addToStringData("ca.key", Examples.PUPPET_CA.pkcs8KeyPem()).build();
        for (String key : new String[] {"ca.key", "ca.crt", null}) {
            InputProblem p = refused(cluster("puppet-ca", key), ca);
            assertEquals(Reason.RoutePasswordSecretInUse, p.reason());
            assertTrue(p.getMessage().contains("CA Secret (spec.tls.caSecretRef)"), p.getMessage());
            assertFalse(p.getMessage().contains("PRIVATE KEY"), p.getMessage());
        }
    }

    @Test
    void secretsTheOperatorWritesAreInUse() {
        for (String name : new String[] {"broker-tls", "broker-routes-config"}) {
            NatsCluster named = cluster(name, "password");
            // refused by name, before it is even looked up
            InputProblem p = assertThrows(InputProblem.class, () -> RoutePasswords.fromUserSecret(named, n -> {
                throw new AssertionError("looked up " + n);
            }));
            assertEquals(Reason.RoutePasswordSecretInUse, p.reason());
            assertTrue(p.getMessage().contains("'" + name + "'"), p.getMessage());
        }
        // another NatsCluster's Secret, other than its generated password
        NatsCluster other = SpecDefaults.withDefaults(Examples.load(Examples.THREE_BROKERS));
        other.getMetadata().setName("other");
        Secret otherTls = secret("other-tls", "looks-like-a-password");
        otherTls.setMetadata(Owned.meta(other, "other-tls", "tls"));
        InputProblem p = refused(cluster("other-tls", null), otherTls);
        assertEquals(Reason.RoutePasswordSecretInUse, p.reason());
        assertTrue(p.getMessage().contains("owned by NatsCluster 'other'"), p.getMessage());
        assertFalse(p.getMessage().contains("looks-like-a-password"), p.getMessage());
    }

    @Test
    void aGeneratedRoutePasswordMayBeNamed() {
        for (String owner : new String[] {"broker", "other"}) {
            NatsCluster o = SpecDefaults.withDefaults(Examples.load(Examples.THREE_BROKERS));
            o.getMetadata().setName(owner);
            Secret generated = secret(owner + "-routes", "Generated32CharsPassword23456789");
            generated.setMetadata(Owned.meta(o, owner + "-routes", "routes"));
            assertEquals("Generated32CharsPassword23456789", RoutePasswords.fromUserSecret(cluster(owner + "-routes", null),
                    n -> generated));
        }
    }

    @Test
    void notAPasswordNeverQuotesTheValue() {
        for (String v : new String[] {"a b", "-----BEGIN x", "é", "y".repeat(200)}) {
            String why = RoutePasswords.notAPassword(v);
            assertTrue(why != null && !why.contains(v), v + " -> " + why);
        }
        assertEquals(null, RoutePasswords.notAPassword("Route-Pa55word-Of-The-User"));
    }
}
