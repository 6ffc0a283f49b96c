package io.choria.natsoperator.reconciler;

import io.choria.natsoperator.mesh.MeshPolling;
import io.choria.natsoperator.mesh.MeshProbe;
import io.choria.natsoperator.metrics.ClusterMetrics;
import io.choria.natsoperator.model.InstallerSettings;
import java.time.Duration;
import java.util.Set;

/**
 * How the operator runs: the Kubernetes cluster domain (for broker DNS names), the namespaces
 * it watches (empty: all), how often it re-checks a settled cluster, how it checks the mesh
 * (null: not at all, e.g. where the brokers' monitoring ports cannot be reached) and how often
 * (the {@link io.choria.natsoperator.mesh.MeshPoller} beside the reconcile), what the installer
 * chose for every cluster, and where the per-cluster metrics go (served on the operator's /metrics).
 */
public record OperatorSettings(String clusterDomain, Set<String> namespaces, Duration resyncPeriod, MeshProbe meshProbe,
        InstallerSettings installer, ClusterMetrics metrics, MeshPolling meshPolling) {
    public static final Duration DEFAULT_RESYNC = Duration.ofSeconds(60);

    public OperatorSettings {
        if (installer == null) installer = InstallerSettings.DEFAULTS;
        if (metrics == null) metrics = new ClusterMetrics();
        if (meshPolling == null) meshPolling = MeshPolling.DEFAULTS;
    }

    /** Polling the mesh at the default intervals. */
    public OperatorSettings(String clusterDomain, Set<String> namespaces, Duration resyncPeriod, MeshProbe meshProbe,
            InstallerSettings installer, ClusterMetrics metrics) {
        this(clusterDomain, namespaces, resyncPeriod, meshProbe, installer, metrics, null);
    }

    /** With metrics nobody serves (tests that do not look at them). */
    public OperatorSettings(String clusterDomain, Set<String> namespaces, Duration resyncPeriod, MeshProbe meshProbe,
            InstallerSettings installer) {
        this(clusterDomain, namespaces, resyncPeriod, meshProbe, installer, null);
    }

    /** With the installer's defaults. */
    public OperatorSettings(String clusterDomain, Set<String> namespaces, Duration resyncPeriod, MeshProbe meshProbe) {
        this(clusterDomain, namespaces, resyncPeriod, meshProbe, InstallerSettings.DEFAULTS);
    }

    /** Without a mesh check. */
    public OperatorSettings(String clusterDomain, Set<String> namespaces, Duration resyncPeriod) {
        this(clusterDomain, namespaces, resyncPeriod, null);
    }
}
