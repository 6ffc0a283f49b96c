package io.choria.natsoperator.sources;

import io.choria.natsoperator.api.NatsCluster;
import io.javaoperatorsdk.operator.api.config.informer.InformerEventSourceConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.EventSourceContext;
import io.javaoperatorsdk.operator.api.reconciler.IndexedResourceCache;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import io.javaoperatorsdk.operator.processing.event.source.informer.InformerEventSource;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * The NatsClusters that other NatsClusters name (a gateway remote's natsClusterRef), as an event
 * source: when one is created, deleted or its spec changes, every NatsCluster that references it is
 * reconciled at once, not at the next resync. References are resolved from this informer's own
 * cache, the one whose event triggered the reconcile, so the reconcile sees what the event announced
 * (the controller's cache of primaries is a separate informer and may lag behind it). Status-only
 * updates (same generation) are not news: a referencing cluster reads only the spec.
 */
public final class ReferencedClusters {
    private final InformerEventSource<NatsCluster, NatsCluster> source;

    public ReferencedClusters(EventSourceContext<NatsCluster> ctx) {
        IndexedResourceCache<NatsCluster> primaries = ctx.getPrimaryCache();
        this.source = new InformerEventSource<>(InformerEventSourceConfiguration.from(NatsCluster.class, NatsCluster.class)
                .withName("referenced-natsclusters")
                .withNamespacesInheritedFromController()
                .withOnUpdateFilter((after, before) -> !Objects.equals(after.getMetadata().getGeneration(), before.getMetadata().getGeneration()))
                .withSecondaryToPrimaryMapper(referenced -> referencing(primaries, referenced))
                .build(), ctx);
    }

    public InformerEventSource<NatsCluster, NatsCluster> eventSource() {
        return source;
    }

    public Optional<NatsCluster> get(String namespace, String name) {
        return source.get(new ResourceID(name, namespace));
    }

    /** The clusters whose gateway remotes name {@code referenced}. */
    public static Set<ResourceID> referencing(IndexedResourceCache<NatsCluster> primaries, NatsCluster referenced) {
        String name = referenced.getMetadata().getName();
        String namespace = referenced.getMetadata().getNamespace();
        return primaries.list().filter(nc -> references(nc, namespace, name)).map(ResourceID::fromResource).collect(Collectors.toSet());
    }

    public static boolean references(NatsCluster nc, String namespace, String name) {
        var gw = nc.getSpec() == null ? null : nc.getSpec().getGateway();
        if (gw == null || gw.getRemotes() == null) return false;
        return gw.getRemotes().stream().map(r -> r.getNatsClusterRef()).filter(Objects::nonNull).anyMatch(ref -> name.equals(ref.getName())
                && namespace.equals(ref.getNamespace() == null || ref.getNamespace().isEmpty() ? nc.getMetadata().getNamespace() : ref.getNamespace()));
    }
}
