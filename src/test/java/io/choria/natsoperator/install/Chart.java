package io.choria.natsoperator.install;

import com.marcnuri.helm.Helm;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** The chart under helm/nats-operator, rendered with helm-java (Helm as a library) and parsed with fabric8. */
final class Chart {
    static final Path DIR = Path.of("helm/nats-operator");
    static final String RELEASE = "nats-operator";
    static final String NAMESPACE = "nats-operator";
    static final KubernetesSerialization SERIALIZATION = new KubernetesSerialization();

    private Chart() {}

    /** {@code helm template nats-operator helm/nats-operator -n nats-operator [-f values]}. */
    static String template(String valuesYaml) {
        var cmd = new Helm(DIR).template().withName(RELEASE).withNamespace(NAMESPACE);
        if (valuesYaml != null) {
            try {
                Path f = Files.createTempFile("values", ".yaml");
                Files.writeString(f, valuesYaml);
                f.toFile().deleteOnExit();
                cmd = cmd.withValuesFile(f);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return cmd.call();
    }

    static List<HasMetadata> render(String valuesYaml) {
        return parse(template(valuesYaml));
    }

    static List<HasMetadata> parse(String yaml) {
        List<HasMetadata> objects = new ArrayList<>();
        for (String doc : yaml.split("(?m)^---\\s*$")) {
            if (doc.lines().allMatch(l -> l.isBlank() || l.startsWith("#"))) continue;
            objects.add(SERIALIZATION.unmarshal(doc, HasMetadata.class));
        }
        return objects;
    }

    static <T extends HasMetadata> List<T> all(List<HasMetadata> objects, Class<T> type) {
        return objects.stream().filter(type::isInstance).map(type::cast).toList();
    }

    static <T extends HasMetadata> T one(List<HasMetadata> objects, Class<T> type) {
        List<T> found = all(objects, type);
        if (found.size() != 1) throw new AssertionError("expected one " + type.getSimpleName() + ", found " + found.size());
        return found.get(0);
    }

    static <T extends HasMetadata> Optional<T> named(List<HasMetadata> objects, Class<T> type, String name) {
        return all(objects, type).stream().filter(o -> o.getMetadata().getName().equals(name)).findFirst();
    }
}
