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
        assertEquals(4092, spec.getProperties().get("sysctls").getProperties().get("somaxconn").getDefault().asInt());
        assertEquals(8192, spec.getProperties().get("sysctls").getProperties().get("tcpMaxSynBacklog").getDefault().asInt());
        assertEquals(3, spec.getProperties().get("service").getProperties().get("type").getEnum().size());
    }

    @Test
    void crossFieldRulesAreCel() throws Exception {
        var root = crd().getSpec().getVersions().get(0).getSchema().getOpenAPIV3Schema();
        var spec = root.getProperties().get("spec");
        assertEquals(List.of("size(self.metadata.name) <= 54"), rules(root));
        assertEquals(List.of("self.client != self.cluster && self.client != self.monitor && self.cluster != self.monitor"),
                rules(spec.getProperties().get("ports")));
        assertTrue(rules(spec.getProperties().get("tls")).get(0).contains("self.renewBeforeDays < self.validityDays"));
        assertTrue(rules(spec.getProperties().get("limits")).get(0).contains("duration(self.lameDuckDuration) >= duration('30s')"));
        assertEquals(99.0, spec.getProperties().get("size").getMaximum());
        assertEquals(3650.0, spec.getProperties().get("tls").getProperties().get("validityDays").getMaximum());
        assertTrue(spec.getProperties().get("limits").getProperties().get("writeDeadline").getPattern().startsWith("^"));
        assertEquals(List.of("caSecretRef"), spec.getProperties().get("tls").getRequired());
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
