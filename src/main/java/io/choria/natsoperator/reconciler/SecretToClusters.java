package io.choria.natsoperator.reconciler;

import io.choria.natsoperator.api.NatsCluster;
import io.choria.natsoperator.api.SecretKeyReference;
import io.fabric8.kubernetes.api.model.Secret;
import io.javaoperatorsdk.operator.api.reconciler.IndexedResourceCache;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import io.javaoperatorsdk.operator.processing.event.source.SecondaryToPrimaryMapper;
import io.javaoperatorsdk.operator.processing.event.source.informer.Mappers;
import java.util.HashSet;
import java.util.Objects;
import java.util.Set;

/**
 * Which NatsClusters a Secret event concerns: the owner of a Secret the operator made, and
 * every cluster in the namespace that names the Secret (route password, CA), so fixing or
 * rotating a user's Secret is picked up at once.
 */
final class SecretToClusters implements SecondaryToPrimaryMapper<Secret> {
    private final IndexedResourceCache<NatsCluster> clusters;
    private final SecondaryToPrimaryMapper<Secret> byOwner =
            Mappers.fromOwnerReferences(NatsCluster.API_VERSION, "NatsCluster", false);

    SecretToClusters(IndexedResourceCache<NatsCluster> clusters) {
        this.clusters = clusters;
    }

    @Override
    public Set<ResourceID> toPrimaryResourceIDs(Secret secret) {
        Set<ResourceID> ids = new HashSet<>(byOwner.toPrimaryResourceIDs(secret));
        String ns = secret.getMetadata().getNamespace();
        String name = secret.getMetadata().getName();
        clusters.list(ns).filter(nc -> references(nc, name)).forEach(nc -> ids.add(ResourceID.fromResource(nc)));
        return ids;
    }

    static boolean references(NatsCluster nc, String secretName) {
        if (nc.getSpec() == null) return false;
        var routes = nc.getSpec().getRoutes();
        SecretKeyReference ref = routes != null ? routes.getPasswordSecretRef() : null;
        if (ref != null && Objects.equals(ref.getName(), secretName)) return true;
        var tls = nc.getSpec().getTls();
        return tls != null && tls.getCaSecretRef() != null && Objects.equals(tls.getCaSecretRef().getName(), secretName);
    }
}
