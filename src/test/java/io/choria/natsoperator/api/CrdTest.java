package io.choria.natsoperator.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.api.model.apiextensions.v1.JSONSchemaProps;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The checked-in CRD is the one generated from the api classes, and it helps kubectl users. */
class CrdTest {
    static final Path CHECKED_IN = Path.of("crds/natsclusters.choria.io-v1.yml");
    static final Path GENERATED = Path.of("target/classes/META-INF/fabric8/natsclusters.choria.io-v1.yml");

    @Test
    void checkedInCrdIsTheGeneratedOne() throws Exception {
        assertTrue(Files.exists(GENERATED), "the crd-generator did not run: " + GENERATED);
        if (!Files.readString(GENERATED).equals(Files.readString(CHECKED_IN))) {
            fail("crds/ is stale: the api classes changed. Run: mvn process-classes && cp " + GENERATED + " " + CHECKED_IN);
        }
    }

    static CustomResourceDefinition crd() throws Exception {
        return new KubernetesSerialization().unmarshal(Files.readString(CHECKED_IN), CustomResourceDefinition.class);
    }

    @Test
    void namesScopeAndStatusSubresource() throws Exception {
        var crd = crd();
        assertEquals("choria.io", crd.getSpec().getGroup());
        assertEquals("NatsCluster", crd.getSpec().getNames().getKind());
        assertEquals("natsclusters", crd.getSpec().getNames().getPlural());
        assertEquals(List.of("nc"), crd.getSpec().getNames().getShortNames());
        assertEquals("Namespaced", crd.getSpec().getScope());
        var version = crd.getSpec().getVersions().get(0);
        assertEquals("v1alpha1", version.getName());
        assertTrue(version.getSubresources() != null && version.getSubresources().getStatus() != null, "status subresource");
        var columns = version.getAdditionalPrinterColumns().stream().map(c -> c.getName() + "=" + c.getJsonPath()).toList();
        assertTrue(columns.containsAll(List.of("Size=.spec.size", "Ready=.status.ready", "Status=.status.phase",
                "Age=.metadata.creationTimestamp")), columns.toString());
    }

    @Test
    void everySpecFieldHasADescription() throws Exception {
        JSONSchemaProps spec = crd().getSpec().getVersions().get(0).getSchema().getOpenAPIV3Schema().getProperties().get("spec");
        assertDescribed("spec", spec, true);
    }

    @Test
    void schemaValidatesRangesAndEnums() throws Exception {
        JSONSchemaProps spec = crd().getSpec().getVersions().get(0).getSchema().getOpenAPIV3Schema().getProperties().get("spec");
        assertEquals(1.0, spec.getProperties().get("size").getMinimum());
        assertEquals(65535.0, spec.getProperties().get("ports").getProperties().get("client").getMaximum());
        var mode = spec.getProperties().get("sysctls").getProperties().get("mode");
        assertEquals(3, mode.getEnum().size());
        assertEquals("InitContainer", mode.getDefault().asText());
        assertEquals(128, spec.getProperties().get("sysctls").getProperties().get("somaxconn").getDefault().asInt());
        assertEquals(8192, spec.getProperties().get("sysctls").getProperties().get("tcpMaxSynBacklog").getDefault().asInt());
        assertEquals(3, spec.getProperties().get("service").getProperties().get("type").getEnum().size());
    }

    @Test
    void crossFieldRulesAreCel() throws Exception {
        var root = crd().getSpec().getVersions().get(0).getSchema().getOpenAPIV3Schema();
        var spec = root.getProperties().get("spec");
        assertEquals(List.of("size(self.metadata.name) <= 52"), rules(root));
        assertEquals(List.of("self.client != self.cluster && self.client != self.monitor && self.cluster != self.monitor"),
                rules(spec.getProperties().get("ports")));
        List<String> tlsRules = rules(spec.getProperties().get("tls"));
        assertTrue(tlsRules.stream().anyMatch(r -> r.contains("self.renewBeforeDays < self.validityDays")), tlsRules.toString());
        assertTrue(tlsRules.contains("has(self.caSecretRef) != has(self.puppet)"), "exactly one of CA-key mode and enrolment: " + tlsRules);
        assertTrue(rules(spec.getProperties().get("limits")).get(0).contains("duration(self.lameDuckDuration) >= duration('30s')"));
        assertEquals(99.0, spec.getProperties().get("size").getMaximum());
        assertEquals(3650.0, spec.getProperties().get("tls").getProperties().get("validityDays").getMaximum());
        assertTrue(spec.getProperties().get("limits").getProperties().get("writeDeadline").getPattern().startsWith("^"));
        var tlsRequired = spec.getProperties().get("tls").getRequired();
        assertTrue(tlsRequired == null || tlsRequired.isEmpty(), "caSecretRef or puppet, by the CEL rule: " + tlsRequired);
        var puppet = spec.getProperties().get("tls").getProperties().get("puppet");
        assertEquals(List.of("caBundleSecretRef", "url"), puppet.getRequired().stream().sorted().toList());
        assertEquals(5.0, puppet.getProperties().get("syncIntervalSeconds").getMinimum());
        assertEquals(10.0, puppet.getProperties().get("maxSyncAgeSeconds").getMinimum());
        assertEquals(null, puppet.getProperties().get("maxSyncAgeSeconds").getDefault(), "follows syncIntervalSeconds: SpecDefaults fills it");
    }

    /** What the operator refuses, the API server refuses at admission too. */
    @Test
    void admissionBoundsAndPatterns() throws Exception {
        var spec = crd().getSpec().getVersions().get(0).getSchema().getOpenAPIV3Schema().getProperties().get("spec");
        var p = spec.getProperties();
        for (String port : List.of("client", "cluster", "monitor")) {
            assertEquals(1024.0, p.get("ports").getProperties().get(port).getMinimum(), port);
            assertEquals(65535.0, p.get("ports").getProperties().get(port).getMaximum(), port);
        }
        assertEquals(65535.0, p.get("sysctls").getProperties().get("somaxconn").getMaximum());
        assertEquals(262144.0, p.get("sysctls").getProperties().get("tcpMaxSynBacklog").getMaximum());
        assertEquals(1.0, p.get("limits").getProperties().get("maxConnections").getMinimum());
        assertEquals(1048576.0, p.get("limits").getProperties().get("maxConnections").getMaximum());
        assertTrue(rules(p.get("limits")).contains("!has(self.lameDuckDuration) || duration(self.lameDuckDuration) <= duration('1h')"),
                rules(p.get("limits")).toString());
        assertEquals(SpecPatterns.IMAGE, p.get("image").getPattern());
        for (String map : List.of("labels", "annotations")) {
            assertEquals(SpecPatterns.NO_CONTROL_CHARS, p.get("pod").getProperties().get(map).getAdditionalProperties().getSchema().getPattern());
        }
        assertEquals(SpecPatterns.NO_CONTROL_CHARS,
                p.get("service").getProperties().get("annotations").getAdditionalProperties().getSchema().getPattern());
        assertEquals(SpecPatterns.CIDR, p.get("networkPolicy").getProperties().get("clientCIDRs").getItems().getSchema().getPattern());
        var sans = p.get("tls").getProperties().get("extraSANs");
        assertEquals(100L, sans.getMaxItems());
        assertEquals(253L, sans.getItems().getSchema().getMaxLength());
        assertEquals(1L, sans.getItems().getSchema().getMinLength());
        assertEquals(SpecPatterns.SAN, sans.getItems().getSchema().getPattern());
    }

    /** The schema's patterns, read as the API server would (RE2 and Java agree on these), on good and bad values. */
    @Test
    void schemaPatternsAcceptAndRefuse() {
        var san = java.util.regex.Pattern.compile(SpecPatterns.SAN);
        for (String ok : List.of("puppet", "nats.example.com", "192.0.2.10", "2001:db8::10", "::1", "::ffff:192.0.2.1")) {
            assertTrue(san.matcher(ok).matches(), ok);
        }
        for (String bad : List.of("", "*.example.com", "https://x.example.com", "foo_bar", "Nats.example.com", "a..b", "-a", "a-",
                "b\u00fccher", "a\u0000b", "x.example.com.", "a".repeat(64))) {
            assertTrue(!san.matcher(bad).matches(), bad);
        }
        var cidr = java.util.regex.Pattern.compile(SpecPatterns.CIDR);
        for (String ok : List.of("10.0.0.0/8", "0.0.0.0/0", "2001:db8::/32", "::/0")) assertTrue(cidr.matcher(ok).matches(), ok);
        for (String bad : List.of("10.0.0.0", "10.0.0.0/33", "256.0.0.0/8", "x/8", "10.0.0.0/8\n", "2001:db8::/129")) {
            assertTrue(!cidr.matcher(bad).matches(), bad);
        }
        var text = java.util.regex.Pattern.compile(SpecPatterns.NO_CONTROL_CHARS);
        assertTrue(text.matcher("any text, even unicode \u00e9").matches());
        for (String bad : List.of("a\nb", "a\rb", "a\u0000", "a\tb", "\u007f")) assertTrue(!text.matcher(bad).matches(), bad);
        var image = java.util.regex.Pattern.compile(SpecPatterns.IMAGE);
        assertTrue(image.matcher("registry.example.com:5000/nats@sha256:abc").matches());
        for (String bad : List.of("", "nats latest", "nats\n", "nats\u0000")) assertTrue(!image.matcher(bad).matches(), bad);
    }

    static List<String> rules(JSONSchemaProps props) {
        assertTrue(props.getXKubernetesValidations() != null, "no x-kubernetes-validations");
        return props.getXKubernetesValidations().stream().map(r -> r.getRule()).toList();
    }

    /** Own fields must carry a description; embedded Kubernetes types (affinity, resources) bring theirs. */
    private static void assertDescribed(String path, JSONSchemaProps props, boolean ours) {
        if (props.getProperties() == null) return;
        for (Map.Entry<String, JSONSchemaProps> e : props.getProperties().entrySet()) {
            String p = path + "." + e.getKey();
            if (ours) {
                String d = e.getValue().getDescription();
                assertTrue(d != null && !d.isBlank(), "no description on " + p);
            }
            boolean embedded = List.of("resources", "affinity", "tolerations", "topologySpreadConstraints",
                    "clientNamespaceSelector", "monitorNamespaceSelector").contains(e.getKey());
            if (!embedded) assertDescribed(p, e.getValue(), ours);
        }
    }
}
