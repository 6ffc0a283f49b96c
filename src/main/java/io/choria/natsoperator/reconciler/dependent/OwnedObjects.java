package io.choria.natsoperator.reconciler.dependent;

import io.choria.natsoperator.api.NatsCluster;
import io.choria.natsoperator.model.DesiredCluster;
import io.choria.natsoperator.model.Labels;
import io.choria.natsoperator.model.Names;
import io.choria.natsoperator.model.Owned;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import io.javaoperatorsdk.operator.api.config.informer.InformerEventSourceConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.EventSourceContext;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import io.javaoperatorsdk.operator.processing.event.source.EventSource;
import io.javaoperatorsdk.operator.processing.event.source.informer.InformerEventSource;
import io.javaoperatorsdk.operator.processing.event.source.informer.TransformingItemStore;
import io.javaoperatorsdk.operator.processing.event.source.informer.Mappers;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The objects NatsClusters own: one informer per kind, and how {@link Dependents#ALL} are
 * written.
 *
 * <p>Reads come from the informers, which see only objects labelled
 * {@code app.kubernetes.io/managed-by=nats-operator}: the operator's heap holds what it made,
 * not every Secret in the cluster, and a settled cluster costs the API server no request. An
 * object missing from the cache is looked up directly, once, before it would be created: it
 * may exist without our label (someone else's, or ours with the label edited away).
 *
 * <p>Writes are plain create, update (PUT with the resourceVersion, so a concurrent change is
 * a 409 and the reconcile is retried) and delete, not server-side apply: the fabric8 mock
 * server the tests run against rejects SSA, and the operator ships the path its tests
 * exercise. Each write goes into the informer's temporary cache, so the next reconcile sees it
 * even before the watch does.
 */
public final class OwnedObjects {
    /** Everything the operator creates carries it; its informers see nothing else. */
    public static final String SELECTOR = Labels.MANAGED_BY + "=" + Labels.MANAGER;
    /**
     * The annotation keys the operator set on an object, so that one taken out of the spec (e.g.
     * {@code spec.service.annotations}) is removed on the next write, while what others set stays.
     */
    public static final String APPLIED_ANNOTATIONS = "choria.io/applied-annotations";
    private static final KubernetesSerialization JSON = new KubernetesSerialization();

    /** REPLACING: deleted, its children orphaned, to be created anew by the next reconcile ({@link Dependent#needsReplacement}). */
    public enum Outcome { CREATED, UPDATED, DELETED, REPLACING, UNCHANGED }

    /** What one write did, for the log. */
    public record Change(Outcome outcome, String kind, String name) {}

    /** An object in the way that this NatsCluster does not own; nothing was written. */
    public static final class NotOwned extends RuntimeException {
        NotOwned(HasMetadata actual) {
            super(actual.getKind() + " " + actual.getMetadata().getName() + " already exists and is not owned by this NatsCluster;"
                    + " the operator will not adopt or overwrite it: rename or delete it");
        }
    }

    private final KubernetesClient client;
    private final Map<Class<?>, InformerEventSource<?, NatsCluster>> caches = new ConcurrentHashMap<>();

    public OwnedObjects(KubernetesClient client) {
        this.client = client;
    }

    /** One label-selected informer per owned kind; each event maps back to the owning NatsCluster. */
    public List<EventSource<?, NatsCluster>> eventSources(EventSourceContext<NatsCluster> ctx) {
        List<EventSource<?, NatsCluster>> sources = new ArrayList<>();
        for (Class<? extends HasMetadata> kind : Dependents.kinds()) {
            InformerEventSource<?, NatsCluster> source = informer(kind, ctx);
            caches.put(kind, source);
            sources.add(source);
        }
        return sources;
    }

    @SuppressWarnings("unchecked")
    private static <R extends HasMetadata> InformerEventSource<R, NatsCluster> informer(Class<R> kind, EventSourceContext<NatsCluster> ctx) {
        var config = InformerEventSourceConfiguration.from(kind, NatsCluster.class)
                .withLabelSelector(SELECTOR)
                .withSecondaryToPrimaryMapper(Mappers.fromOwnerReferences(NatsCluster.API_VERSION, "NatsCluster", false));
        if (kind == ConfigMap.class) {
            // the pinned-list parts of clusters enrolled with one Puppet CA are the same text: held once (SharedText)
            config.withItemStore((io.fabric8.kubernetes.client.informers.cache.ItemStore<R>) new TransformingItemStore<ConfigMap>(io.choria.natsoperator.model.SharedText::shareData));
        }
        return new InformerEventSource<>(config.build(), ctx);
    }

    /** The object as the informer (or the operator's own last write) has it; null when absent. */
    public <R extends HasMetadata> R cached(Class<R> kind, String namespace, String name) {
        return cache(kind).get(new ResourceID(name, namespace)).orElse(null);
    }

    /** From the cache, else (rarely: before creating it) from the API server, as it may exist without our label. */
    public <R extends HasMetadata> R find(Class<R> kind, String namespace, String name) {
        R live = cached(kind, namespace, name);
        return live != null ? live : client.resources(kind).inNamespace(namespace).withName(name).get();
    }

    /**
     * Applies every wanted object in the model's order ({@link DesiredCluster#inApplyOrder}, the one order), each through
     * its dependent, then removes the optional ones switched off. {@code createFirst} (absent by the caller's
     * {@link #find}, e.g. a generated password) is created before them. The pinned list is written apart
     * ({@link PinnedListDependent}) and skipped here. Every object in the way is checked first: one that this
     * NatsCluster does not own stops the whole apply before any write ({@link NotOwned}).
     */
    public List<Change> apply(NatsCluster owner, Names names, DesiredCluster desired, List<HasMetadata> createFirst) {
        List<Step<?>> steps = new ArrayList<>();
        for (HasMetadata object : createFirst) steps.add(step(owner, names, null, object, object.getMetadata().getName()));
        Map<String, Dependent<?>> switchedOff = new LinkedHashMap<>();
        for (Dependent<?> d : Dependents.ALL) switchedOff.put(key(d.type().getSimpleName(), d.name(names)), d);
        java.util.Set<String> pinnedList = new java.util.HashSet<>();
        for (Dependent<?> d : PinnedListDependent.ALL) pinnedList.add(key(d.type().getSimpleName(), d.name(names)));
        for (HasMetadata object : desired.inApplyOrder()) {
            String key = key(object.getKind(), object.getMetadata().getName());
            Dependent<?> d = switchedOff.remove(key);
            if (d == null) {
                if (pinnedList.contains(key)) continue;
                throw new IllegalStateException("no Dependent in Dependents.ALL for the model's " + key);
            }
            Step<?> step = step(owner, names, d, object, d.name(names));
            if (step != null) steps.add(step);
        }
        for (Dependent<?> d : switchedOff.values()) {
            if (d.desired(desired) != null) throw new IllegalStateException("DesiredCluster.inApplyOrder leaves out " + d);
            Step<?> step = step(owner, names, d, null, d.name(names));
            if (step != null) steps.add(step);
        }
        List<Change> changes = new ArrayList<>();
        for (Step<?> step : steps) {
            Change change = step.write();
            if (change.outcome() != Outcome.UNCHANGED) changes.add(change);
        }
        return changes;
    }

    private static String key(String kind, String name) {
        return kind + " " + name;
    }

    /**
     * Writes one dependent now, ahead of the rest (a new key must be stored before the CA hears of it); {@code wanted} null
     * removes the one this NatsCluster owns, when {@code d} is removable.
     */
    public Change applyOne(NatsCluster owner, Names names, Dependent<?> d, HasMetadata wanted) {
        Step<?> step = step(owner, names, d, wanted, d.name(names));
        return step == null ? new Change(Outcome.UNCHANGED, wanted != null ? wanted.getKind() : d.type().getSimpleName(), d.name(names))
                : step.write();
    }

    /** What to do with one object (null: nothing), or NotOwned. {@code d} is null for a create-only object. */
    @SuppressWarnings("unchecked")
    private <R extends HasMetadata> Step<R> step(NatsCluster owner, Names names, Dependent<?> d, HasMetadata wantedObject, String name) {
        Dependent<R> dependent = (Dependent<R>) d;
        R wanted = (R) wantedObject;
        Class<R> kind = dependent != null ? dependent.type() : (Class<R>) wanted.getClass();
        // A create-only object's caller has just looked it up (find), so the cache is enough here.
        R live = wanted != null && dependent != null ? find(kind, names.namespace(), name) : cached(kind, names.namespace(), name);
        if (live != null && !Owned.isOwnedBy(live.getMetadata(), owner)) {
            if (wanted != null) throw new NotOwned(live);
            return null; // someone else's, and we want none: leave it alone
        }
        if (wanted == null && (live == null || !dependent.removable())) return null;
        return new Step<>(dependent, wanted, live);
    }

    /** One object's write, decided after every object was checked. */
    private final class Step<R extends HasMetadata> {
        final Dependent<R> dependent; // null: create-only
        final R wanted;
        final R live;

        Step(Dependent<R> dependent, R wanted, R live) {
            this.dependent = dependent;
            this.wanted = wanted;
            this.live = live;
        }

        Change write() {
            if (wanted == null) {
                client.resource(live).delete();
                return new Change(Outcome.DELETED, live.getKind(), live.getMetadata().getName());
            }
            if (dependent == null) return createOnly();
            String hash = hash(wanted);
            if (live != null && dependent.matches(wanted, hash, live)) {
                return new Change(Outcome.UNCHANGED, wanted.getKind(), wanted.getMetadata().getName());
            }
            if (live != null && dependent.needsReplacement(wanted, live)) {
                // The pods stay (orphaned) and run on; the StatefulSet made next adopts them by its selector and rolls
                // them one at a time to the new template. Created by the next reconcile, which the deletion triggers: the
                // API server keeps the name until the garbage collector has orphaned the pods.
                client.resource(live).withPropagationPolicy(io.fabric8.kubernetes.api.model.DeletionPropagation.ORPHAN).delete();
                return new Change(Outcome.REPLACING, live.getKind(), live.getMetadata().getName());
            }
            R toWrite = JSON.clone(wanted);
            annotations(toWrite).put(Dependent.HASH_ANNOTATION, hash);
            annotations(toWrite).put(APPLIED_ANNOTATIONS, String.join(",", new TreeSet<>(annotations(toWrite).keySet())));
            ResourceID id = ResourceID.fromResource(toWrite);
            if (live == null) {
                R created = client.resource(toWrite).create();
                cache(kind()).handleRecentResourceCreate(id, created);
                return new Change(Outcome.CREATED, wanted.getKind(), wanted.getMetadata().getName());
            }
            // Keep what others put on the object's metadata (labels, annotations, finalizers);
            // ours win on a clash. The resourceVersion makes a concurrent change a 409, retried.
            toWrite.getMetadata().setLabels(merged(live.getMetadata().getLabels(), toWrite.getMetadata().getLabels()));
            toWrite.getMetadata().setAnnotations(merged(withoutDropped(live.getMetadata().getAnnotations(), annotations(toWrite)),
                    toWrite.getMetadata().getAnnotations()));
            toWrite.getMetadata().setFinalizers(live.getMetadata().getFinalizers());
            toWrite.getMetadata().setResourceVersion(live.getMetadata().getResourceVersion());
            R updated = client.resource(toWrite).update();
            cache(kind()).handleRecentResourceUpdate(id, updated, live);
            return new Change(Outcome.UPDATED, wanted.getKind(), wanted.getMetadata().getName());
        }

        /** Made once, as given, never updated (a generated password is never rotated behind the user's back). */
        Change createOnly() {
            if (live != null) return new Change(Outcome.UNCHANGED, wanted.getKind(), wanted.getMetadata().getName());
            R created = client.resource(wanted).create();
            cache(kind()).handleRecentResourceCreate(ResourceID.fromResource(created), created);
            return new Change(Outcome.CREATED, wanted.getKind(), wanted.getMetadata().getName());
        }

        @SuppressWarnings("unchecked")
        Class<R> kind() {
            return (Class<R>) (wanted != null ? wanted : live).getClass();
        }
    }

    /** The desired-state hash: same desired object, same hash, no write. Unchanged since the first release, so an upgrade rewrites nothing. */
    public static String hash(HasMetadata desired) {
        return io.choria.natsoperator.pki.Digests.sha256Hex(JSON.asJson(desired)).substring(0, 32);
    }

    @SuppressWarnings("unchecked")
    private <R extends HasMetadata> InformerEventSource<R, NatsCluster> cache(Class<R> kind) {
        InformerEventSource<?, NatsCluster> source = caches.get(kind);
        if (source == null) throw new IllegalStateException("no informer for " + kind.getSimpleName() + ": add it to Dependents");
        return (InformerEventSource<R, NatsCluster>) source;
    }

    /** Their annotations, less those the operator set last time ({@link #APPLIED_ANNOTATIONS}) and no longer sets. */
    static Map<String, String> withoutDropped(Map<String, String> live, Map<String, String> ours) {
        Map<String, String> m = new LinkedHashMap<>(live == null ? Map.of() : live);
        String applied = m.get(APPLIED_ANNOTATIONS);
        if (applied != null && !applied.isEmpty()) {
            for (String key : applied.split(",")) if (!ours.containsKey(key)) m.remove(key);
        }
        return m;
    }

    private static Map<String, String> merged(Map<String, String> theirs, Map<String, String> ours) {
        Map<String, String> m = new LinkedHashMap<>(theirs == null ? Map.of() : theirs);
        if (ours != null) m.putAll(ours);
        return m;
    }

    private static Map<String, String> annotations(HasMetadata o) {
        if (o.getMetadata().getAnnotations() == null) o.getMetadata().setAnnotations(new LinkedHashMap<>());
        return o.getMetadata().getAnnotations();
    }
}
