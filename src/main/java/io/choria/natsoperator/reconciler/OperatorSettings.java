package io.choria.natsoperator.reconciler;

import io.choria.natsoperator.model.Names;
import java.time.Duration;
import java.util.Set;

/**
 * How the operator runs: the Kubernetes cluster domain (for broker DNS names), the namespaces
 * it watches (empty: all), and how often it re-checks a settled cluster.
 */
public record OperatorSettings(String clusterDomain, Set<String> namespaces, Duration resyncPeriod) {
    public static OperatorSettings defaults() {
        return new OperatorSettings(Names.DEFAULT_CLUSTER_DOMAIN, Set.of(), Duration.ofMinutes(5));
    }
}
