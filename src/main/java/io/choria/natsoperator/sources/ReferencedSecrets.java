package io.choria.natsoperator.sources;

import io.choria.natsoperator.api.NatsCluster;
import io.choria.natsoperator.api.SecretKeyReference;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.javaoperatorsdk.operator.api.reconciler.IndexedResourceCache;
import io.javaoperatorsdk.operator.processing.event.Event;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import io.javaoperatorsdk.operator.processing.event.source.AbstractEventSource;
import java.util.HashSet;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The user's Secrets that NatsClusters name (the CA, the route password), watched one by one
 * by name (a field selector on {@code metadata.name}), not by a cache of every Secret in the
 * cluster: those carry no label of ours, and a Secret informer without a selector would hold
 * every Secret of every tenant in the operator's heap. A Secret is watched from the first
 * reconcile that names it until no NatsCluster names it any more; a change to it reconciles
 * every cluster in the namespace that names it, so fixing or rotating it is picked up at once.
 */
public final class ReferencedSecrets extends AbstractEventSource<Secret, NatsCluster> {
    private static final Logger LOG = LoggerFactory.getLogger(ReferencedSecrets.class);

    private final KubernetesClient client;
    private final IndexedResourceCache<NatsCluster> clusters;
    private final Map<ResourceID, SharedIndexInformer<Secret>> watches = new ConcurrentHashMap<>();
    /** Named but absent when last read: their creation is news (the first list's adds are not). */
    private final Set<ResourceID> missing = ConcurrentHashMap.newKeySet();

    public ReferencedSecrets(KubernetesClient client, IndexedResourceCache<NatsCluster> clusters) {
        super(Secret.class, "referenced-secrets");
        this.client = client;
        this.clusters = clusters;
    }

    /** The Secret as its watch has it (null when absent); the first call for a name starts the watch and waits for its first list. */
    public Secret get(String namespace, String name) {
        ResourceID id = new ResourceID(name, namespace);
        SharedIndexInformer<Secret> watch = watches.computeIfAbsent(id, this::watch);
        Secret secret = watch.getStore().getByKey(namespace + "/" + name);
        if (secret == null) missing.add(id);
        return secret;
    }

    private SharedIndexInformer<Secret> watch(ResourceID id) {
        String namespace = id.getNamespace().orElseThrow();
        LOG.debug("watching Secret {}/{}", namespace, id.getName());
        return client.secrets().inNamespace(namespace).withName(id.getName()).inform(new ResourceEventHandler<>() {
            @Override
            public void onAdd(Secret s) {
                if (missing.remove(id)) changed(s);
            }

            @Override
            public void onUpdate(Secret before, Secret after) {
                if (!Objects.equals(before.getMetadata().getResourceVersion(), after.getMetadata().getResourceVersion())) changed(after);
            }

            @Override
            public void onDelete(Secret s, boolean finalStateUnknown) {
                changed(s);
            }
        }, 0);
    }

    private void changed(Secret secret) {
        if (!isRunning() || getEventHandler() == null) return;
        String namespace = secret.getMetadata().getNamespace();
        String name = secret.getMetadata().getName();
        clusters.list(namespace).filter(nc -> names(nc).contains(name))
                .forEach(nc -> getEventHandler().handleEvent(new Event(ResourceID.fromResource(nc))));
    }

    /** Stops the watches of Secrets that no NatsCluster names any more (a cluster deleted or changed). */
    /** The uids of the NatsClusters the operator holds now. */
    public Set<String> clusterUids() {
        Set<String> uids = new HashSet<>();
        clusters.list().forEach(nc -> uids.add(nc.getMetadata().getUid()));
        return uids;
    }

    public void prune() {
        Set<ResourceID> named = new HashSet<>();
        clusters.list().forEach(nc -> names(nc).forEach(n -> named.add(new ResourceID(n, nc.getMetadata().getNamespace()))));
        for (ResourceID id : Set.copyOf(watches.keySet())) {
            if (!named.contains(id)) {
                SharedIndexInformer<Secret> watch = watches.remove(id);
                if (watch != null) watch.stop();
                missing.remove(id);
                LOG.debug("no longer watching Secret {}/{}", id.getNamespace().orElse(""), id.getName());
            }
        }
    }

    /** The Secrets a NatsCluster names in its own namespace. */
    public static Set<String> names(NatsCluster nc) {
        if (nc.getSpec() == null) return Set.of();
        Set<String> names = new HashSet<>();
        var routes = nc.getSpec().getRoutes();
        SecretKeyReference ref = routes != null ? routes.getPasswordSecretRef() : null;
        if (ref != null && ref.getName() != null) names.add(ref.getName());
        var tls = nc.getSpec().getTls();
        if (tls != null && tls.getCaSecretRef() != null && tls.getCaSecretRef().getName() != null) names.add(tls.getCaSecretRef().getName());
        var puppet = tls != null ? tls.getPuppet() : null;
        if (puppet != null && puppet.getCaBundleSecretRef() != null && puppet.getCaBundleSecretRef().getName() != null) {
            names.add(puppet.getCaBundleSecretRef().getName());
        }
        if (puppet != null && puppet.getChallengePasswordSecretRef() != null && puppet.getChallengePasswordSecretRef().getName() != null) {
            names.add(puppet.getChallengePasswordSecretRef().getName());
        }
        return names;
    }

    @Override
    public Set<Secret> getSecondaryResources(NatsCluster primary) {
        return names(primary).stream().map(n -> get(primary.getMetadata().getNamespace(), n)).filter(Objects::nonNull)
                .collect(Collectors.toSet());
    }

    @Override
    public void stop() {
        super.stop();
        watches.values().forEach(SharedIndexInformer::stop);
        watches.clear();
    }
}
