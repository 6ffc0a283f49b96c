package io.choria.natsoperator.reconciler;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.javaoperatorsdk.operator.Operator;
import java.time.Clock;
import java.util.function.Consumer;

/**
 * Builds the java-operator-sdk Operator the same way for {@code run} and for the tests.
 * Server-side apply is off for the primary's status: the fabric8 mock server rejects it, and
 * the operator must ship the path its tests exercise (status is written with a JSON patch).
 */
public final class OperatorAssembly {
    private OperatorAssembly() {}

    public static Operator create(KubernetesClient client, OperatorSettings settings, Clock clock) {
        return create(client, settings, clock, o -> {});
    }

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
