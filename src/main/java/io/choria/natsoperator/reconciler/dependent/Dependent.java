package io.choria.natsoperator.reconciler.dependent;

import io.choria.natsoperator.model.DesiredCluster;
import io.choria.natsoperator.model.Names;
import io.fabric8.kubernetes.api.model.HasMetadata;
import java.util.Map;
import java.util.Objects;
import java.util.function.Function;

/**
 * One kind of object a NatsCluster owns: which object the model wants (null when the spec
 * switches it off) and whether the live one still matches. {@link Dependents#ALL} lists them;
 * adding an owned object is one such class and one line there (plus its
 * builder in {@code model}, its RBAC and its test).
 *
 * <p>Matching is by a hash of what the operator wants, stored in an annotation, not by
 * comparing fields with the live object: the API server fills defaults and normalises
 * quantities, so a field-by-field comparison would see a change on every reconcile. Kinds
 * whose content the server never rewrites also compare that content ({@link #sameContent}),
 * so a hand edit of it is seen and put back.
 */
public abstract class Dependent<R extends HasMetadata> {
    public static final String HASH_ANNOTATION = "choria.io/desired-hash";

    private final Class<R> type;
    private final Function<DesiredCluster, R> desired;
    private final Function<Names, String> name;
    private final boolean removable;

    /**
     * {@code desired}: the model's object (null when the spec switches it off); {@code name}: its
     * name, also when switched off; {@code removable}: an optional object, deleted (when this
     * NatsCluster owns it) once the spec switches it off.
     */
    protected Dependent(Class<R> type, Function<DesiredCluster, R> desired, Function<Names, String> name, boolean removable) {
        this.type = type;
        this.desired = desired;
        this.name = name;
        this.removable = removable;
    }

    public final Class<R> type() {
        return type;
    }

    public final boolean removable() {
        return removable;
    }

    /** The object the model wants, or null when the spec switches it off. */
    public final R desired(DesiredCluster cluster) {
        return desired.apply(cluster);
    }

    /** Its name, also when it is switched off, so that the one made earlier can be found. */
    public final String name(Names names) {
        return name.apply(names);
    }

    /**
     * True when {@code actual} is what the operator wrote for {@code desired} (carrying {@code hash})
     * and was not edited since. Our labels count too: an object whose label was edited away drops
     * out of the label-selected cache, so it is labelled again.
     */
    public final boolean matches(R desired, String hash, R actual) {
        Map<String, String> annotations = actual.getMetadata().getAnnotations();
        Map<String, String> labels = actual.getMetadata().getLabels();
        Map<String, String> ours = desired.getMetadata().getLabels();
        return annotations != null && Objects.equals(hash, annotations.get(HASH_ANNOTATION))
                && (ours == null || (labels != null && labels.entrySet().containsAll(ours.entrySet())))
                && sameContent(desired, actual);
    }

    /**
     * Whether {@code live} cannot take {@code desired} by an update (a field the API server keeps immutable): it is then
     * deleted, orphaning what it owns, and the next reconcile creates it anew.
     */
    protected boolean needsReplacement(R desired, R live) {
        return false;
    }

    /** Hand edits the hash cannot see; only for content the API server never rewrites. */
    protected boolean sameContent(R desired, R actual) {
        return true;
    }

    @Override
    public String toString() {
        return getClass().getSimpleName();
    }
}
