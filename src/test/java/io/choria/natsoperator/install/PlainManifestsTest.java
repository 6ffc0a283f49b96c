package io.choria.natsoperator.install;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Namespace;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * operator/ is what the chart renders with its default values ({@code kubectl apply -f crds/ -f
 * operator/} installs the same as {@code helm install}). Regenerate after a chart change with
 * {@code mvn test -Dtest=PlainManifestsTest -Dregenerate.operator=true}.
 */
class PlainManifestsTest {
    static final Path GENERATED = Path.of("operator/nats-operator.yaml");
    static final String HEADER = """
            # GENERATED from helm/nats-operator with its default values (release nats-operator, namespace
            # nats-operator); do not edit. Regenerate: mvn test -Dtest=PlainManifestsTest -Dregenerate.operator=true
            # Install: kubectl apply -f crds/ -f operator/
            """;

    @Test
    void operatorFolderIsTheChartsDefaultRender() throws Exception {
        String expected = HEADER + Chart.template(null);
        if (Boolean.getBoolean("regenerate.operator")) Files.writeString(GENERATED, expected);
        assertEquals(expected, Files.readString(GENERATED),
                "operator/nats-operator.yaml is stale; regenerate: mvn test -Dtest=PlainManifestsTest -Dregenerate.operator=true");
    }

    @Test
    void namespaceComesFirstAndNothingElseIsThere() throws Exception {
        Namespace ns = Chart.SERIALIZATION.unmarshal(Files.readString(Path.of("operator/00-namespace.yaml")), Namespace.class);
        assertEquals(Chart.NAMESPACE, ns.getMetadata().getName());
        List<HasMetadata> objects = Chart.parse(Files.readString(GENERATED));
        for (HasMetadata o : objects) {
            if (o.getMetadata().getNamespace() != null) assertEquals(Chart.NAMESPACE, o.getMetadata().getNamespace(), o.getKind());
        }
        try (Stream<Path> files = Files.list(Path.of("operator"))) {
            // kubectl applies a folder's files in name order: the Namespace before what lives in it
            assertEquals(List.of("00-namespace.yaml", "Dockerfile", "nats-operator.yaml"),
                    files.map(p -> p.getFileName().toString()).sorted().toList());
        }
    }
}
