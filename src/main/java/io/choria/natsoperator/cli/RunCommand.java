package io.choria.natsoperator.cli;

import io.choria.natsoperator.runtime.OperatorRuntime;
import io.choria.natsoperator.runtime.RuntimeConfig;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Clock;

/**
 * {@code run}: the operator, against the current kubeconfig or the in-cluster config, with its
 * HTTP endpoints (probes, metrics) and optional leader election. Flags and environment
 * variables: see {@link RuntimeConfig}.
 */
final class RunCommand {
    private RunCommand() {}

    static int run(String[] args) {
        RuntimeConfig config;
        try {
            config = RuntimeConfig.parse(args, System.getenv());
        } catch (IllegalArgumentException e) {
            throw new Main.UsageException("run: " + e.getMessage());
        }
        // before the first logger is made: slf4j-simple reads its level once
        config.applyLogLevel();
        KubernetesClient client = new KubernetesClientBuilder().build();
        OperatorRuntime runtime = OperatorRuntime.create(client, config, Clock.systemUTC());
        runtime.installShutdownHook();
        try {
            runtime.start();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot serve HTTP on port " + config.httpPort(), e);
        }
        try {
            // The shutdown hook stops the operator and the HTTP endpoints on SIGTERM; until then, serve.
            Thread.currentThread().join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return 0;
    }

    /** The value after an option; shared with {@code render}. */
    static String value(String[] args, int i, String option) {
        if (i >= args.length) throw new Main.UsageException(option + " needs a value");
        return args[i];
    }
}
