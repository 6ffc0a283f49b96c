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
    /**
     * Reconciles at once. A reconcile no longer waits on the network (brokers and Puppet are asked beside it), so it is
     * CPU: java-operator-sdk's default of 50 made 500 new clusters share two cores fifty ways, and the first waited 9.1 s;
     * with 8 it took 4.6 s and all 500 the same 37 s (docs/BENCHMARKS.md, "Start-up at fleet size").
     */
    static final int RECONCILE_THREADS = Math.max(4, 4 * Runtime.getRuntime().availableProcessors());

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
                    .withCloseClientOnStop(false)
                    .withConcurrentReconciliationThreads(RECONCILE_THREADS);
            more.accept(o);
        });
        operator.register(new NatsClusterReconciler(client, settings, new EventRecorder(client), clock), c -> {
            if (!settings.namespaces().isEmpty()) c.settingNamespaces(settings.namespaces());
        });
        return operator;
    }
}
