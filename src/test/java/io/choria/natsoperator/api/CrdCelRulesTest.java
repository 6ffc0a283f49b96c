package io.choria.natsoperator.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.cel.runtime.CelEvaluationException;
import io.choria.natsoperator.testing.KubeCel;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The CRD's x-kubernetes-validations rules, evaluated with cel-java as the API server would: on
 * the object after the schema's defaults, each rule at its node with {@code self} the value there,
 * only where that value exists. The examples pass; broken NatsClusters fail, each on the rule
 * meant for it; and every rule in the CRD is evaluated at least once.
 */
class CrdCelRulesTest {
    static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
    static final KubeCel CEL = KubeCel.crdRule();
    static final Path CRD = Path.of("crds/natsclusters.choria.io-v1.yml");

    @SuppressWarnings("unchecked")
    static Map<String, Object> read(String yaml) {
        try {
            return (Map<String, Object>) KubeCel.normalise(YAML.readValue(yaml, Map.class));
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> schema() throws IOException {
        Map<String, Object> crd = read(Files.readString(CRD));
        List<Map<String, Object>> versions = (List<Map<String, Object>>) ((Map<String, Object>) crd.get("spec")).get("versions");
        assertEquals(1, versions.size());
        return (Map<String, Object>) ((Map<String, Object>) versions.get(0).get("schema")).get("openAPIV3Schema");
    }

    record Failure(String path, String message, String error) {}

    /** Applies the schema's defaults under {@code value} and evaluates every rule on the way; returns the failures. */
    @SuppressWarnings("unchecked")
    static void check(Map<String, Object> schema, Object value, String path, List<Failure> failures, Set<String> evaluated) {
        if (value == null) return;
        if (value instanceof Map<?, ?> && schema.get("properties") instanceof Map<?, ?> props) {
            Map<String, Object> object = (Map<String, Object>) value;
            for (var e : ((Map<String, Object>) props).entrySet()) {
                Map<String, Object> child = (Map<String, Object>) e.getValue();
                if (!object.containsKey(e.getKey()) && child.containsKey("default")) object.put(e.getKey(), KubeCel.copy(child.get("default")));
                check(child, object.get(e.getKey()), path + "." + e.getKey(), failures, evaluated);
            }
        }
        if (value instanceof Map<?, ?> m && schema.get("additionalProperties") instanceof Map<?, ?> additional) {
            for (var e : m.entrySet()) check((Map<String, Object>) additional, e.getValue(), path + "[" + e.getKey() + "]", failures, evaluated);
        }
        if (value instanceof List<?> l && schema.get("items") instanceof Map<?, ?> items) {
            for (int i = 0; i < l.size(); i++) check((Map<String, Object>) items, l.get(i), path + "[" + i + "]", failures, evaluated);
        }
        for (Map<String, Object> rule : (List<Map<String, Object>>) schema.getOrDefault("x-kubernetes-validations", List.of())) {
            String text = (String) rule.get("rule");
            assertTrue(!text.contains("oldSelf"), "transition rules need an update to test: " + text);
            evaluated.add(text);
            try {
                Object result = CEL.eval(CEL.compile(text), Map.of("self", value));
                if (!Boolean.TRUE.equals(result)) failures.add(new Failure(path, (String) rule.get("message"), null));
            } catch (CelEvaluationException e) {
                failures.add(new Failure(path, (String) rule.get("message"), e.getMessage()));
            }
        }
    }

    static List<Failure> validate(String yaml, Set<String> evaluated) throws IOException {
        List<Failure> failures = new ArrayList<>();
        check(schema(), read(yaml), "", failures, evaluated);
        return failures;
    }

    @SuppressWarnings("unchecked")
    static Set<String> allRules(Map<String, Object> schema, Set<String> into) {
        for (Map<String, Object> rule : (List<Map<String, Object>>) schema.getOrDefault("x-kubernetes-validations", List.of())) into.add((String) rule.get("rule"));
        for (Object v : schema.values()) {
            if (v instanceof Map<?, ?> m) allRules((Map<String, Object>) m, into);
        }
        if (schema.get("properties") instanceof Map<?, ?> props) for (Object v : props.values()) allRules((Map<String, Object>) v, into);
        return into;
    }

    static final String BASE = """
            apiVersion: choria.io/v1alpha1
            kind: NatsCluster
            metadata: {name: broker, namespace: choria}
            spec:
              size: 3
              tls: {caSecretRef: {name: puppet-ca}, validityDays: 365, renewBeforeDays: 30}
              ports: {client: 4222, cluster: 4223, monitor: 8222}
              limits: {lameDuckDuration: 2m}
              gateway:
                remotes:
                  - {name: edge, natsClusterRef: {name: edge}}
                  - {name: vm, urls: ["tls://vm.example.net:7222"]}
            """;

    @Test
    void theExamplesPass() throws IOException {
        Set<String> evaluated = new TreeSet<>();
        try (Stream<Path> files = Files.list(Path.of("examples"))) {
            List<Path> yamls = files.filter(f -> f.toString().endsWith(".yaml")).sorted().toList();
            assertTrue(yamls.size() >= 3, yamls.toString());
            for (Path f : yamls) assertEquals(List.of(), validate(Files.readString(f), evaluated), f.toString());
        }
        assertEquals(List.of(), validate(BASE, evaluated), "a cluster with every rule's field");
        assertEquals(allRules(schema(), new TreeSet<>()), evaluated, "every rule of the CRD is evaluated");
    }

    @Test
    void brokenClustersFailOnTheirRule() throws IOException {
        Map<String, String> broken = new java.util.LinkedHashMap<>();
        broken.put("metadata.name must be at most 52 characters", BASE.replace("name: broker,", "name: " + "b".repeat(53) + ","));
        broken.put("client, cluster and monitor ports must all differ", BASE.replace("cluster: 4223", "cluster: 4222"));
        broken.put("lameDuckDuration must be at least 30s", BASE.replace("lameDuckDuration: 2m", "lameDuckDuration: 10s"));
        broken.put("lameDuckDuration must be at most 1h", BASE.replace("lameDuckDuration: 2m", "lameDuckDuration: 61m"));
        broken.put("give exactly one of caSecretRef", BASE.replace("caSecretRef: {name: puppet-ca}",
                "caSecretRef: {name: puppet-ca}, puppet: {url: 'https://puppet:8140', caBundleSecretRef: {name: b, key: ca.crt}}"));
        broken.put("give exactly one of caSecretRef ", BASE.replace("caSecretRef: {name: puppet-ca}, ", ""));
        broken.put("maxSyncAgeSeconds must be at least twice syncIntervalSeconds", BASE.replace("caSecretRef: {name: puppet-ca}",
                "puppet: {url: 'https://puppet:8140', caBundleSecretRef: {name: b, key: ca.crt}, syncIntervalSeconds: 60, maxSyncAgeSeconds: 100}"));
        broken.put("renewBeforeDays must be less than validityDays", BASE.replace("renewBeforeDays: 30", "renewBeforeDays: 365"));
        broken.put("a gateway remote needs exactly one of urls and natsClusterRef",
                BASE.replace("{name: edge, natsClusterRef: {name: edge}}", "{name: edge, natsClusterRef: {name: edge}, urls: ['tls://e:7222']}"));
        broken.put("a gateway remote needs exactly one of urls and natsClusterRef ", BASE.replace("{name: edge, natsClusterRef: {name: edge}}", "{name: edge}"));
        broken.forEach((expected, yaml) -> {
            assertTrue(!yaml.equals(BASE), "the change applied: " + expected);
            try {
                List<Failure> failures = validate(yaml, new TreeSet<>());
                assertEquals(1, failures.size(), expected + ": " + failures);
                assertTrue(failures.get(0).message().startsWith(expected.strip()), expected + ": " + failures);
                assertEquals(null, failures.get(0).error(), "false, not an evaluation error: " + failures);
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        });
    }
}
