package io.choria.natsoperator.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.choria.natsoperator.pki.TestCa;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A seeded fuzz of {@code render}: a valid NatsCluster, CA Secret and route password Secret,
 * mutated (fields deleted, wrong types, huge numbers, control characters, empty strings, bad
 * base64, empty Secret values, truncated text). Whatever the input, render never shows a stack
 * trace: it renders (exit 0) or says in one line what is wrong and where (exit 1). Fixed seed and
 * bounded iterations, so a failure reproduces and the test takes seconds.
 */
class RenderFuzzTest {
    static final long SEED = 20261126L;
    static final int ITERATIONS = 250;
    static final TestCa CA = TestCa.ecRoot("Puppet CA: fuzz");
    static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
    static final JsonNodeFactory F = JsonNodeFactory.instance;

    @TempDir
    Path dir;

    static String b64(String s) {
        return Base64.getEncoder().encodeToString(s.getBytes(StandardCharsets.UTF_8));
    }

    static List<ObjectNode> validDocuments() throws Exception {
        ObjectNode nc = (ObjectNode) YAML.readTree("""
                apiVersion: choria.io/v1alpha1
                kind: NatsCluster
                metadata: {name: broker, namespace: choria}
                spec:
                  size: 3
                  image: nats:2.10.24-alpine
                  ports: {client: 4222, cluster: 4223, monitor: 8222}
                  routes: {passwordSecretRef: {name: pw, key: password}}
                  tls:
                    caSecretRef: {name: puppet-ca}
                    keyAlgorithm: EC-P256
                    validityDays: 365
                    renewBeforeDays: 30
                    extraSANs: [puppet, nats.example.com, 10.0.0.1]
                  sysctls: {mode: InitContainer, somaxconn: 128, tcpMaxSynBacklog: 8192}
                  limits: {maxConnections: 65536, writeDeadline: 10s, lameDuckDuration: 30s}
                  pod: {labels: {team: choria}, annotations: {a: b}}
                  service: {type: ClusterIP, annotations: {lb: internal}}
                  networkPolicy: {enabled: true, clientCIDRs: [10.0.0.0/8]}
                """);
        ObjectNode ca = (ObjectNode) YAML.readTree("apiVersion: v1\nkind: Secret\nmetadata: {name: puppet-ca, namespace: choria}\n");
        ca.putObject("data").put("ca.crt", b64(CA.certPem())).put("ca.key", b64(CA.pkcs8KeyPem()));
        ObjectNode pw = (ObjectNode) YAML.readTree("apiVersion: v1\nkind: Secret\nmetadata: {name: pw, namespace: choria}\n");
        pw.putObject("data").put("password", b64("route-pass-1234"));
        return List.of(nc, ca, pw);
    }

    @Test
    void renderNeverShowsAStackTraceAndNamesWhatIsWrong() throws Exception {
        Random random = new Random(SEED);
        int rendered = 0, refused = 0;
        List<String> failures = new ArrayList<>();
        List<ObjectNode> originals = validDocuments();
        Path valid = dir.resolve("valid.yaml");
        StringBuilder base = new StringBuilder();
        for (ObjectNode d : originals) base.append(YAML.writeValueAsString(d));
        Files.writeString(valid, base);
        RenderCommandAccess.Result unmutated = RenderCommandAccess.render("-f", valid.toString());
        assertEquals(0, unmutated.exit(), "the unmutated input renders: " + unmutated.err());
        for (int i = 0; i < ITERATIONS; i++) {
            List<ObjectNode> docs = new ArrayList<>();
            for (ObjectNode d : originals) docs.add(d.deepCopy());
            int mutations = random.nextBoolean() ? 1 : 1 + random.nextInt(3);
            List<String> applied = new ArrayList<>();
            for (int m = 0; m < mutations; m++) applied.add(mutate(docs.get(random.nextInt(docs.size())), random));
            StringBuilder text = new StringBuilder();
            for (ObjectNode d : docs) text.append(YAML.writeValueAsString(d));
            String input = text.toString();
            if (random.nextInt(10) == 0) {
                input = input.substring(0, random.nextInt(input.length()));
                applied.add("truncated");
            }
            Path file = dir.resolve("fuzz-" + i + ".yaml");
            Files.writeString(file, input);
            String where = "iteration " + i + " " + applied;
            try {
                if (check(RenderCommandAccess.render("-f", file.toString()), file, where)) rendered++;
                else refused++;
            } catch (AssertionError e) {
                failures.add(e.getMessage());
            } catch (RuntimeException e) {
                // in the real CLI an exception escaping render is a stack trace on the terminal
                failures.add(where + ": render threw " + e);
            }
        }
        assertEquals(List.of(), failures.subList(0, Math.min(20, failures.size())), failures.size() + " failures");
        assertTrue(rendered >= 3 && refused >= 3, "the mutations both pass and fail: " + rendered + " rendered, " + refused + " refused");
    }

    /** True when rendered; asserts what a refusal must look like. */
    static boolean check(RenderCommandAccess.Result r, Path file, String where) {
        where = where + ": " + r.err();
        String all = r.out() + r.err();
        assertFalse(all.contains("Exception"), where);
        assertFalse(all.contains("\tat "), where);
        if (r.exit() == 0) return true;
        assertEquals(1, r.exit(), where);
        assertEquals("", r.out(), where);
        assertEquals(1, r.err().strip().lines().count(), "one line: " + where);
        assertTrue(r.err().startsWith("nats-operator render: "), where);
        assertFalse(r.err().contains("internal error"), "a bad input is diagnosed, not an internal error: " + where);
        assertTrue(r.err().contains(file.toString()) || r.err().contains("NatsCluster "), "names the document: " + where);
        return false;
    }

    /** One random mutation somewhere in {@code doc}; returns what it did. */
    static String mutate(ObjectNode doc, Random random) {
        List<Map.Entry<ObjectNode, String>> fields = new ArrayList<>();
        collect(doc, fields);
        var target = fields.get(random.nextInt(fields.size()));
        ObjectNode parent = target.getKey();
        String key = target.getValue();
        String what = key;
        switch (random.nextInt(9)) {
            case 0 -> {
                parent.remove(key);
                return "deleted " + what;
            }
            case 1 -> parent.set(key, wrongType(random));
            case 2 -> parent.set(key, F.numberNode(List.of(new BigInteger("2147483648"), new BigInteger("9223372036854775808"),
                    new BigInteger("1" + "0".repeat(400)), BigInteger.valueOf(-1), BigInteger.ZERO).get(random.nextInt(5))));
            case 3 -> parent.put(key, List.of("\u0000", "a\nb", "\t", "\u007f", "x\u202ey", "ü", "-----BEGIN").get(random.nextInt(7)));
            case 4 -> parent.put(key, "");
            case 5 -> parent.put(key, List.of("!!!not-base64", "YQ", "====", "a b c", "%%%").get(random.nextInt(5)));
            case 6 -> parent.put(key, "x".repeat(1 + random.nextInt(5000)));
            case 7 -> parent.set(key, F.nullNode());
            default -> {
                // an empty Secret value, or an empty object
                parent.set(key, random.nextBoolean() ? F.textNode("") : F.objectNode());
            }
        }
        return what + "=" + abbreviate(parent.get(key));
    }

    static String abbreviate(JsonNode n) {
        String s = n == null ? "null" : n.toString();
        return s.length() > 40 ? s.substring(0, 40) + "..." : s;
    }

    static JsonNode wrongType(Random random) {
        return switch (random.nextInt(5)) {
            case 0 -> F.textNode("not-a-number");
            case 1 -> F.numberNode(42);
            case 2 -> F.arrayNode().add("a").add(1);
            case 3 -> F.objectNode().put("k", "v");
            default -> F.booleanNode(true);
        };
    }

    /** Every (object, field name) pair in the tree, so any field can be hit, nested ones too. */
    static void collect(JsonNode node, List<Map.Entry<ObjectNode, String>> out) {
        if (node instanceof ObjectNode o) {
            for (Iterator<String> it = o.fieldNames(); it.hasNext(); ) {
                String name = it.next();
                out.add(Map.entry(o, name));
                collect(o.get(name), out);
            }
        } else if (node instanceof ArrayNode a) {
            for (JsonNode e : a) collect(e, out);
        }
    }
}
