package io.choria.natsoperator.reconciler;

import io.choria.natsoperator.api.NatsCluster;
import io.choria.natsoperator.api.Reason;
import io.choria.natsoperator.inputs.InputProblem;
import io.choria.natsoperator.model.Owned;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * Creates or updates the objects a NatsCluster owns, with plain create and update (PUT), not
 * server-side apply: the fabric8 mock server the tests run against rejects SSA, and the
 * operator ships the path its tests exercise.
 *
 * <p>Whether an object needs an update is decided by a hash of what the operator wants,
 * stored in an annotation, not by comparing with the live object: the API server fills
 * defaults and normalises quantities, so a field-by-field comparison would see a change on
 * every reconcile. Same desired state, same hash, no write. Where the server never rewrites
 * what we send (ConfigMap and Secret content, StatefulSet replicas), a hand edit is also seen
 * and put back.
 */
public final class ResourceApplier {
    public static final String HASH_ANNOTATION = "choria.io/desired-hash";
    private static final KubernetesSerialization JSON = new KubernetesSerialization();

    public enum Outcome { CREATED, UPDATED, UNCHANGED }

    private final KubernetesClient client;

    public ResourceApplier(KubernetesClient client) {
        this.client = client;
    }

    /**
     * Creates the {@code createOnly} objects (absent by the caller's reading; a concurrent
     * creator makes this a 409, retried), then applies {@code desired} in order, after
     * checking that none of them exists without being owned by this NatsCluster: a foreign
     * object in the way stops the whole apply before any write.
     */
    public java.util.List<Outcome> applyAll(java.util.List<HasMetadata> createOnly, java.util.List<HasMetadata> desired,
            NatsCluster owner) {
        for (HasMetadata c : createOnly) {
            HasMetadata actual = client.resource(c).get();
            if (actual != null) requireOwned(actual, owner);
        }
        java.util.List<HasMetadata> actuals = new java.util.ArrayList<>();
        for (HasMetadata d : desired) {
            HasMetadata actual = client.resource(d).get();
            if (actual != null) requireOwned(actual, owner);
            actuals.add(actual);
        }
        for (HasMetadata c : createOnly) client.resource(c).create();
        java.util.List<Outcome> outcomes = new java.util.ArrayList<>();
        for (int i = 0; i < desired.size(); i++) outcomes.add(apply(desired.get(i), actuals.get(i), owner));
        return outcomes;
    }

    private Outcome apply(HasMetadata desired, HasMetadata actual, NatsCluster owner) {
        String hash = hash(desired);
        HasMetadata toWrite = JSON.clone(desired);
        annotations(toWrite).put(HASH_ANNOTATION, hash);
        if (actual == null) {
            client.resource(toWrite).create();
            return Outcome.CREATED;
        }
        requireOwned(actual, owner);
        if (hash.equals(annotations(actual).get(HASH_ANNOTATION)) && !drifted(desired, actual)) return Outcome.UNCHANGED;
        // Keep what others put on the object's metadata (labels, annotations, finalizers);
        // ours win on a clash. The resourceVersion makes a concurrent change a 409, retried.
        Map<String, String> labels = new LinkedHashMap<>(nullSafe(actual.getMetadata().getLabels()));
        labels.putAll(nullSafe(toWrite.getMetadata().getLabels()));
        toWrite.getMetadata().setLabels(labels);
        Map<String, String> merged = new LinkedHashMap<>(annotations(actual));
        merged.putAll(annotations(toWrite));
        toWrite.getMetadata().setAnnotations(merged);
        toWrite.getMetadata().setFinalizers(actual.getMetadata().getFinalizers());
        toWrite.getMetadata().setResourceVersion(actual.getMetadata().getResourceVersion());
        client.resource(toWrite).update();
        return Outcome.UPDATED;
    }

    /** Removes an optional object the operator made earlier and no longer wants; never one it does not own. */
    public <T extends HasMetadata> boolean deleteIfOwned(Class<T> type, String namespace, String name, NatsCluster owner) {
        T actual = client.resources(type).inNamespace(namespace).withName(name).get();
        if (actual == null || !Owned.isOwnedBy(actual.getMetadata(), owner)) return false;
        client.resource(actual).delete();
        return true;
    }

    static void requireOwned(HasMetadata actual, NatsCluster owner) {
        if (!Owned.isOwnedBy(actual.getMetadata(), owner)) {
            throw new InputProblem(Reason.ObjectNotOwned, actual.getKind() + " " + actual.getMetadata().getName()
                    + " already exists and is not owned by this NatsCluster; the operator will not adopt or"
                    + " overwrite it: rename or delete it");
        }
    }

    /**
     * Hand edits the hash cannot see, checked only where the API server never rewrites what we
     * send: the content of a ConfigMap or Secret, and a StatefulSet's replicas (kubectl scale).
     */
    static boolean drifted(HasMetadata desired, HasMetadata actual) {
        if (desired instanceof ConfigMap d && actual instanceof ConfigMap a) return !Objects.equals(d.getData(), a.getData());
        if (desired instanceof Secret d && actual instanceof Secret a) return !Objects.equals(d.getData(), a.getData());
        if (desired instanceof StatefulSet d && actual instanceof StatefulSet a) {
            return !Objects.equals(d.getSpec().getReplicas(), a.getSpec() == null ? null : a.getSpec().getReplicas());
        }
        return false;
    }

    static String hash(HasMetadata desired) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(JSON.asJson(desired).getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(digest, 0, 16);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static Map<String, String> annotations(HasMetadata o) {
        if (o.getMetadata().getAnnotations() == null) o.getMetadata().setAnnotations(new LinkedHashMap<>());
        return o.getMetadata().getAnnotations();
    }

    private static Map<String, String> nullSafe(Map<String, String> m) {
        return m == null ? Map.of() : m;
    }
}
