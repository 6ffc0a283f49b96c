package io.choria.natsoperator.model;

import io.choria.natsoperator.api.NatsCluster;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.api.model.OwnerReferenceBuilder;
import java.util.Map;

/** Metadata of an object owned by a NatsCluster: name, labels, controller owner reference. */
public final class Owned {
    private Owned() {}

    public static ObjectMeta meta(NatsCluster nc, String name, String component) {
        return meta(nc, name, component, Map.of());
    }

    public static ObjectMeta meta(NatsCluster nc, String name, String component, Map<String, String> annotations) {
        return new ObjectMetaBuilder()
                .withName(name)
                .withNamespace(nc.getMetadata().getNamespace())
                .withLabels(Labels.of(nc.getMetadata().getName(), component))
                .withAnnotations(annotations.isEmpty() ? null : new java.util.LinkedHashMap<>(annotations))
                .withOwnerReferences(ownerReference(nc))
                .build();
    }

    public static OwnerReference ownerReference(NatsCluster nc) {
        return new OwnerReferenceBuilder()
                .withApiVersion(NatsCluster.API_VERSION)
                .withKind("NatsCluster")
                .withName(nc.getMetadata().getName())
                .withUid(nc.getMetadata().getUid())
                .withController(true)
                .withBlockOwnerDeletion(true)
                .build();
    }

    /** True when {@code meta} names this NatsCluster (by uid) as its controller. */
    public static boolean isOwnedBy(ObjectMeta meta, NatsCluster nc) {
        if (meta == null || meta.getOwnerReferences() == null) return false;
        return meta.getOwnerReferences().stream().anyMatch(r -> Boolean.TRUE.equals(r.getController())
                && "NatsCluster".equals(r.getKind())
                && java.util.Objects.equals(r.getUid(), nc.getMetadata().getUid()));
    }
}
