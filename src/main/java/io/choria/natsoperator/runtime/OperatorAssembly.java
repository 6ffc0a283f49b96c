package io.choria.natsoperator.runtime;

import io.choria.natsoperator.reconciler.EventRecorder;
import io.choria.natsoperator.reconciler.NatsClusterReconciler;
import io.choria.natsoperator.reconciler.OperatorSettings;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.javaoperatorsdk.operator.Operator;
import io.javaoperatorsdk.operator.api.config.LeaderElectionConfiguration;
import io.javaoperatorsdk.operator.api.monitoring.Metrics;
import java.time.Clock;
import java.util.function.Consumer;

/**
 * Builds the java-operator-sdk Operator the same way for {@code run} and for the tests.
 * Server-side apply is off for the primary's status: the fabric8 mock server rejects it, and
 * the operator must ship the path its tests exercise (status is written with a JSON patch).
 */
public final class OperatorAssembly {
    private OperatorAssembly() {}

    /**
     * The operator as {@code run} builds it: with java-operator-sdk metrics (reconcile counts,
     * durations, failures) and, when {@code leaderElection} is not null, a Lease so only one
     * replica reconciles.
     */
    public static Operator create(KubernetesClient client, OperatorSettings settings, Clock clock,
            Metrics metrics, LeaderElectionConfiguration leaderElection) {
        return create(client, settings, clock, o -> {
            if (metrics != null) o.withMetrics(metrics);
            if (leaderElection != null) o.withLeaderElectionConfiguration(leaderElection);
        });
    }

    /**
     * With {@code more} to the configuration: tests and benchmarks that run fewer reconciler threads,
     * so that a reconcile holding one shows.
     */
    public static Operator create(KubernetesClient client, OperatorSettings settings, Clock clock,
            Consumer<io.javaoperatorsdk.operator.api.config.ConfigurationServiceOverrider> more) {
        Operator operator = new Operator(o -> {
            o.withKubernetesClient(client)
                    .withUseSSAToPatchPrimaryResource(false)
                    .withSSABasedCreateUpdateMatchForDependentResources(false)
                    .withCloseClientOnStop(false);
            more.accept(o);
        });
        operator.register(new NatsClusterReconciler(client, settings, new EventRecorder(client), clock), c -> {
            if (!settings.namespaces().isEmpty()) c.settingNamespaces(settings.namespaces());
        });
        return operator;
    }
}
