package io.choria.natsoperator.cli;

import io.choria.natsoperator.model.Names;
import io.choria.natsoperator.reconciler.OperatorAssembly;
import io.choria.natsoperator.reconciler.OperatorSettings;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.javaoperatorsdk.operator.Operator;
import java.time.Clock;
import java.time.Duration;
import java.util.LinkedHashSet;
import java.util.Set;

/** {@code run}: the operator, against the current kubeconfig or the in-cluster config. */
final class RunCommand {
    private RunCommand() {}

    static int run(String[] args) {
        Set<String> namespaces = new LinkedHashSet<>();
        String clusterDomain = Names.DEFAULT_CLUSTER_DOMAIN;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--namespace" -> namespaces.add(value(args, ++i, "--namespace"));
                case "--cluster-domain" -> clusterDomain = value(args, ++i, "--cluster-domain");
                default -> throw new Main.UsageException("run: unknown option '" + args[i] + "'");
            }
        }
        KubernetesClient client = new KubernetesClientBuilder().build();
        OperatorSettings settings = new OperatorSettings(clusterDomain, namespaces, OperatorSettings.defaults().resyncPeriod());
        Operator operator = OperatorAssembly.create(client, settings, Clock.systemUTC());
        operator.installShutdownHook(Duration.ofSeconds(10));
        operator.start();
        try {
            // The shutdown hook stops the operator on SIGTERM; until then, serve.
            Thread.currentThread().join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return 0;
    }

    static String value(String[] args, int i, String option) {
        if (i >= args.length) throw new Main.UsageException(option + " needs a value");
        return args[i];
    }
}
