package io.choria.natsoperator.reconciler;

import io.choria.natsoperator.status.Conditions;

import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.choria.natsoperator.api.NatsCluster;
import io.choria.natsoperator.cli.RenderCommandAccess;
import io.choria.natsoperator.inputs.BrokerCertificates;
import io.choria.natsoperator.inputs.InputProblem;
import io.choria.natsoperator.model.SpecDefaults;
import io.choria.natsoperator.testing.Await;
import io.choria.natsoperator.testing.Examples;
import io.choria.natsoperator.testing.MockCluster;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Map;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Many random and malformed specs and PEM blobs: `render` answers each with objects or a clear
 * error, the reconciler with a status (never an exception), the certificate step with objects
 * or an InputProblem. Seeded, so a failure can be replayed.
 */
class RobustnessTest {
    static final long SEED = 20261126L;
    static final int SPECS = 300;
    /** The operator really reconciles these (key generation included), so fewer than {@link #SPECS}. */
    static final int RECONCILED_SPECS = 50;
    static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
    static final KubernetesSerialization KUBE = new KubernetesSerialization();

    @TempDir
    Path dir;

    static JsonNode randomValue(Random r) {
        JsonNodeFactory f = JsonNodeFactory.instance;
        return switch (r.nextInt(12)) {
            case 0 -> f.nullNode();
            case 1 -> f.numberNode(r.nextInt(200_000) - 100_000);
            case 2 -> f.numberNode(0);
            case 3 -> f.numberNode(-1);
            case 4 -> f.textNode("");
            case 5 -> f.textNode("x".repeat(r.nextInt(300)));
            case 6 -> f.textNode(List.of("30s", "1m", "0s", "5", "-3s", "soon", "RSA-2048", "EC-P256", "None", "☃").get(r.nextInt(10)));
            case 7 -> f.booleanNode(r.nextBoolean());
            case 8 -> f.objectNode();
            case 9 -> f.arrayNode().add(f.textNode("a")).add(f.numberNode(1));
            case 10 -> f.numberNode(r.nextDouble() * 1e9);
            default -> f.numberNode(Long.MAX_VALUE);
        };
    }

    /** Replaces or deletes a random field somewhere in the spec, or adds an unknown one. */
    static void mutate(ObjectNode node, Random r) {
        List<String> fields = new ArrayList<>();
        node.fieldNames().forEachRemaining(fields::add);
        if (fields.isEmpty() || r.nextInt(8) == 0) {
            node.set(List.of("size", "tls", "ports", "limits", "pod", "service", "sysctls", "routes", "networkPolicy", "bogus").get(r.nextInt(10)),
                    randomValue(r));
            return;
        }
        String field = fields.get(r.nextInt(fields.size()));
        JsonNode child = node.get(field);
        if (child instanceof ObjectNode o && r.nextBoolean()) {
            mutate(o, r);
        } else if (r.nextInt(5) == 0) {
            node.remove(field);
        } else {
            node.set(field, randomValue(r));
        }
    }

    static List<String> randomSpecs() throws Exception {
        Random r = new Random(SEED);
        JsonNode example = YAML.readTree(Files.readString(Examples.THREE_BROKERS));
        ((ObjectNode) example.get("spec")).putObject("networkPolicy").put("enabled", true).putArray("clientCIDRs").add("10.0.0.0/8");
        List<String> docs = new ArrayList<>();
        for (int i = 0; i < SPECS; i++) {
            ObjectNode doc = example.deepCopy();
            int n = 1 + r.nextInt(4);
            for (int k = 0; k < n; k++) mutate((ObjectNode) doc.get("spec"), r);
            docs.add(YAML.writeValueAsString(doc));
        }
        return docs;
    }

    @Test
    void renderAnswersEverySpecWithObjectsOrAClearError() throws Exception {
        Path ca = dir.resolve("ca.yaml");
        Files.writeString(ca, KUBE.asYaml(caSecret(Examples.PUPPET_CA.certPem(), Examples.PUPPET_CA.pkcs8KeyPem())));
        int ok = 0;
        int refused = 0;
        List<String> docs = randomSpecs();
        for (int i = 0; i < docs.size(); i++) {
            Path f = dir.resolve("nc-" + i + ".yaml");
            Files.writeString(f, docs.get(i));
            RenderCommandAccess.Result result;
            try {
                result = RenderCommandAccess.render("-f", f.toString(), "-f", ca.toString());
            } catch (RuntimeException e) {
                fail("render threw on spec " + i + ":\n" + docs.get(i), e);
                return;
            }
            if (result.exit() == 0) {
                ok++;
            } else {
                refused++;
                assertTrue(result.exit() == 1 && result.err().strip().lines().count() == 1 && result.err().contains("render"),
                        "one clear line for spec " + i + ": " + result.err());
            }
        }
        assertTrue(ok > 20 && refused > 20, "the mutations reach both outcomes: ok=" + ok + " refused=" + refused);
    }

    @Test
    void theReconcilerAnswersEverySpecWithAStatus() throws Exception {
        try (MockCluster api = new MockCluster()) {
            Examples.createPuppetCa(api.client, "choria");
            api.startOperator(java.time.Duration.ofMinutes(1));
            List<NatsCluster> created = new ArrayList<>();
            Map<String, String> docs = new HashMap<>();
            for (String doc : randomSpecs()) {
                if (created.size() == RECONCILED_SPECS) break;
                NatsCluster nc;
                try {
                    nc = KUBE.unmarshal(doc, NatsCluster.class);
                } catch (RuntimeException typeMismatch) {
                    continue; // the API server's schema would refuse it before any reconcile
                }
                nc.getMetadata().setName("fuzz-" + created.size());
                nc.getMetadata().setNamespace("choria");
                created.add(api.client.resource(nc).create());
                docs.put(nc.getMetadata().getName(), doc);
            }
            // A reconcile that throws never writes a status (java-operator-sdk retries it), so every
            // cluster answered with a Ready condition means no spec made the reconciler throw.
            for (NatsCluster nc : created) {
                String name = nc.getMetadata().getName();
                try {
                    Await.until("a Ready condition for " + name, java.time.Duration.ofSeconds(60),
                            () -> api.client.resources(NatsCluster.class).inNamespace("choria").withName(name).get(),
                            c -> c.getStatus() != null && Conditions.find(c.getStatus().getConditions(), "Ready").isPresent());
                } catch (AssertionError e) {
                    fail("no status for:\n" + docs.get(name), e);
                }
            }
            assertTrue(created.size() == RECONCILED_SPECS, "specs reconciled: " + created.size());
        }
    }

    static Secret caSecret(String cert, String key) {
        return new SecretBuilder().withNewMetadata().withName("puppet-ca").withNamespace("choria").endMetadata()
                .addToStringData("ca.crt", cert).addToStringData("ca.key", key).build();
    }

    @Test
    void malformedPemNeverEscapesAsAnythingButAnInputProblem() {
        Random r = new Random(SEED);
        String cert = Examples.PUPPET_CA.certPem();
        String key = Examples.PUPPET_CA.pkcs8KeyPem();
        NatsCluster nc = SpecDefaults.withDefaults(Examples.load(Examples.THREE_BROKERS));
        int problems = 0;
        for (int i = 0; i < 300; i++) {
            String c = cert;
            String k = key;
            switch (r.nextInt(7)) {
                case 0 -> c = c.substring(0, r.nextInt(c.length()));
                case 1 -> k = k.substring(0, r.nextInt(k.length()));
                case 2 -> c = flip(c, r);
                case 3 -> k = flip(k, r);
                case 4 -> c = c + "\n-----BEGIN CERTIFICATE-----\n" + "QUJD".repeat(r.nextInt(40)) + "\n-----END CERTIFICATE-----\n";
                case 5 -> k = k.replace("PRIVATE KEY", List.of("RSA PRIVATE KEY", "EC PRIVATE KEY", "ENCRYPTED PRIVATE KEY", "PUBLIC KEY").get(r.nextInt(4)));
                default -> c = new String(randomBytes(r), java.nio.charset.StandardCharsets.ISO_8859_1);
            }
            try {
                assertNotNull(BrokerCertificates.plan(nc, caSecret(c, k), null, "cluster.local", Instant.now()).files());
            } catch (InputProblem expected) {
                problems++;
                assertTrue(expected.reason().name().startsWith("Ca"), expected.reason().name());
                String body = SecretLeakTest.keyBody(key);
                assertTrue(!expected.getMessage().contains(body.substring(0, 40)) && !expected.getMessage().contains(body.substring(body.length() - 40)),
                        "no key material in: " + expected.getMessage());
            } catch (RuntimeException e) {
                fail("case " + i + " escaped as " + e, e);
            }
        }
        assertTrue(problems > 150, "most blobs are refused: " + problems);
    }

    static String flip(String s, Random r) {
        char[] chars = s.toCharArray();
        for (int n = 0; n < 1 + r.nextInt(5); n++) {
            int at = r.nextInt(chars.length);
            chars[at] = (char) ('A' + r.nextInt(58));
        }
        return new String(chars);
    }

    static byte[] randomBytes(Random r) {
        byte[] b = new byte[r.nextInt(2000)];
        r.nextBytes(b);
        return b;
    }

}
