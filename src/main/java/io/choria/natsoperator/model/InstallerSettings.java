package io.choria.natsoperator.model;

import io.choria.natsoperator.api.NatsClusterSpec;
import java.util.Collections;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * What the operator's installer decided (Helm values, {@code run} and {@code render} flags), never
 * a NatsCluster's author: a NatsCluster must not grant its creator powers they lack.
 *
 * <ul>
 * <li>{@code sysctlImage}: the image of the privileged sysctl init container. It runs as uid 0
 *   with every capability, so it is the installer's choice; {@code spec.image} (the user's) runs
 *   only unprivileged containers.
 * <li>{@code allowPrivilegedSysctls}: false leaves the privileged init container out of every
 *   StatefulSet, whatever the NatsClusters ask.
 * <li>{@code operatorNamespace} and {@code operatorPodLabels}: who the operator is, so the
 *   brokers' NetworkPolicy admits the operator's own pods (in its own namespace) to the
 *   monitoring port, and no look-alike elsewhere.
 * <li>{@code metricsNamespaces}: the namespaces (Prometheus') whose pods may scrape the
 *   exporter sidecar's port. Never the monitoring port: the exporter reads that on localhost.
 * </ul>
 */
public record InstallerSettings(String sysctlImage, boolean allowPrivilegedSysctls, String operatorNamespace,
        Map<String, String> operatorPodLabels, java.util.List<String> metricsNamespaces) {

    /** Without metrics namespaces: the exporter port admits only spec.networkPolicy.monitorNamespaceSelector. */
    public InstallerSettings(String sysctlImage, boolean allowPrivilegedSysctls, String operatorNamespace,
            Map<String, String> operatorPodLabels) {
        this(sysctlImage, allowPrivilegedSysctls, operatorNamespace, operatorPodLabels, java.util.List.of());
    }

    // before DEFAULTS: static fields are initialised in order
    /** An image reference: no whitespace, no control characters, nothing that could break the pod spec. */
    private static final Pattern IMAGE = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._/:@+-]*");
    /** RFC 1123 label, as Kubernetes namespaces are. */
    private static final Pattern NAMESPACE = Pattern.compile("[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?");

    /**
     * The pinned broker image the NatsClusters default to: its busybox has the {@code sh} and
     * {@code cat} the sysctl script needs, and nodes that run default brokers already hold it,
     * so the init container costs no extra pull nor an extra image to mirror.
     */
    public static final String DEFAULT_SYSCTL_IMAGE = NatsClusterSpec.DEFAULT_IMAGE;
    /** The chart's default release namespace. */
    public static final String DEFAULT_OPERATOR_NAMESPACE = "nats-operator";
    public static final Map<String, String> DEFAULT_OPERATOR_POD_LABELS = Map.of(Labels.NAME, Labels.MANAGER);
    public static final InstallerSettings DEFAULTS = new InstallerSettings(DEFAULT_SYSCTL_IMAGE, true,
            DEFAULT_OPERATOR_NAMESPACE, DEFAULT_OPERATOR_POD_LABELS);

    public InstallerSettings {
        if (sysctlImage == null || !IMAGE.matcher(sysctlImage).matches() || sysctlImage.length() > 512) {
            throw new IllegalArgumentException("sysctl image '" + sysctlImage + "' is not an image reference");
        }
        if (operatorNamespace == null || !NAMESPACE.matcher(operatorNamespace).matches()) {
            throw new IllegalArgumentException("operator namespace '" + operatorNamespace + "' is not a namespace name");
        }
        // Empty would make the NetworkPolicy peer "every pod of the operator's namespace".
        if (operatorPodLabels == null || operatorPodLabels.isEmpty()) {
            throw new IllegalArgumentException("the operator's pod labels are empty: the NetworkPolicy needs them to admit the operator only");
        }
        // sorted: the NetworkPolicy's hash must not change with a JVM's Map.of iteration order
        operatorPodLabels = Collections.unmodifiableMap(new TreeMap<>(operatorPodLabels));
        if (metricsNamespaces == null) metricsNamespaces = java.util.List.of();
        for (String ns : metricsNamespaces) {
            if (ns == null || !NAMESPACE.matcher(ns).matches()) {
                throw new IllegalArgumentException("metrics namespace '" + ns + "' is not a namespace name");
            }
        }
        // sorted and without repeats, for the same reason
        metricsNamespaces = java.util.List.copyOf(new java.util.TreeSet<>(metricsNamespaces));
    }
}
