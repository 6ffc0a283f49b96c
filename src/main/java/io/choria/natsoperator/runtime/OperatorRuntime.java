package io.choria.natsoperator.runtime;

import io.choria.natsoperator.mesh.MeshProbe;
import io.choria.natsoperator.metrics.ClusterMetrics;
import io.choria.natsoperator.reconciler.OperatorSettings;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.extended.leaderelection.LeaderCallbacks;
import io.javaoperatorsdk.operator.Operator;
import io.javaoperatorsdk.operator.api.config.LeaderElectionConfiguration;
import io.javaoperatorsdk.operator.api.config.LeaderElectionConfigurationBuilder;
import io.javaoperatorsdk.operator.monitoring.micrometer.MicrometerMetrics;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.time.Clock;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The operator process: java-operator-sdk's Operator with Micrometer metrics and optional
 * leader election, plus the HTTP endpoints, started and stopped together.
 *
 * <p>Start: the HTTP port first (so probes answer while informers sync: live, not ready),
 * then the operator. Stop (SIGTERM through {@link #installShutdownHook()}): not ready, the
 * operator stopped (reconciles under way finish, the leader elector stops renewing the
 * Lease, so a standby takes over once it expires: 15 s), then the HTTP port closed. java-operator-sdk's own installShutdownHook is not
 * used: it refuses to install one when leader election is on.
 *
 * <p>Losing the Lease while running exits the process (status 1) so two replicas never
 * reconcile at once; Kubernetes restarts the pod, which then waits as a standby.
 */
public final class OperatorRuntime implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(OperatorRuntime.class);

    private final RuntimeConfig config;
    private final OperatorHealth health = new OperatorHealth();
    private final PrometheusMeterRegistry registry;
    private final ClusterMetrics clusterMetrics;
    private final Operator operator;
    private final AtomicBoolean stopping = new AtomicBoolean();
    private volatile HttpEndpoints http;

    private OperatorRuntime(KubernetesClient client, RuntimeConfig config, Clock clock) {
        this.config = config;
        this.registry = newRegistry();
        MicrometerMetrics metrics = operatorMetrics(registry);
        // Per NatsCluster and broker: these grow with the clusters, as their users want.
        this.clusterMetrics = new ClusterMetrics(clock);
        OperatorSettings settings = new OperatorSettings(config.clusterDomain(), config.namespaces(),
                OperatorSettings.DEFAULT_RESYNC, MeshProbe.pods(config.clusterDomain(), brokerIdentity(client)),
                // outside a pod (no POD_NAMESPACE) the kubeconfig's namespace stands for the operator's
                config.installer(client.getNamespace() != null ? client.getNamespace() : "default"), clusterMetrics);
        this.operator = OperatorAssembly.create(client, settings, clock, metrics, leaderElection(config));
        health.attach(operator);
    }

    /**
     * With spec.streams the operator speaks to the brokers as a broker: its certificate from the TLS Secret the operator
     * wrote, and as the system user from the system account Secret (two GETs per look of a cluster with Streams, beside
     * the reconcile).
     */
    public static java.util.function.Function<io.choria.natsoperator.api.NatsCluster, io.choria.natsoperator.jetstream.BrokerAccess> brokerIdentity(
            KubernetesClient client) {
        return nc -> {
            var names = io.choria.natsoperator.model.Names.of(nc, io.choria.natsoperator.model.Names.DEFAULT_CLUSTER_DOMAIN);
            var secrets = client.secrets().inNamespace(names.namespace());
            var tls = nc.getSpec().getTls() == null ? null : io.choria.natsoperator.model.BrokerSecrets.tlsFiles(secrets.withName(names.tlsSecret()).get());
            var system = secrets.withName(names.systemAccountSecret()).get();
            return new io.choria.natsoperator.jetstream.BrokerAccess(tls,
                    io.choria.natsoperator.model.BrokerSecrets.decode(system, io.choria.natsoperator.model.BrokerSecrets.PASSWORD_KEY),
                    nkey(io.choria.natsoperator.model.BrokerSecrets.decode(system, io.choria.natsoperator.model.BrokerSecrets.SYSTEM_NKEY_KEY)),
                    nkey(io.choria.natsoperator.model.BrokerSecrets.decode(system, io.choria.natsoperator.model.BrokerSecrets.OPERATOR_NKEY_KEY)));
        };
    }

    /** A seed from the system account Secret (spec.authorization); null when absent or not a seed (the Secret is then rewritten). */
    private static io.choria.natsoperator.pki.NKeys nkey(String seed) {
        try {
            return seed == null ? null : io.choria.natsoperator.pki.NKeys.parseSeed(seed);
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    /** The registry {@code run} serves on /metrics (and {@code local --metrics-address}): the JVM's and the process's meters. */
    public static PrometheusMeterRegistry newRegistry() {
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        new JvmMemoryMetrics().bindTo(registry);
        new JvmGcMetrics().bindTo(registry);
        new JvmThreadMetrics().bindTo(registry);
        new ClassLoaderMetrics().bindTo(registry);
        new ProcessorMetrics().bindTo(registry);
        new UptimeMetrics().bindTo(registry);
        return registry;
    }

    /** java-operator-sdk's metrics in {@code registry}: per controller, not per NatsCluster, so the series do not grow with the clusters. */
    public static MicrometerMetrics operatorMetrics(PrometheusMeterRegistry registry) {
        return MicrometerMetrics.newMicrometerMetricsBuilder(registry).notCollectingMetricsPerResource().build();
    }

    /** Builds the operator; nothing runs until {@link #start()}. */
    public static OperatorRuntime create(KubernetesClient client, RuntimeConfig config, Clock clock) {
        return new OperatorRuntime(client, config, clock);
    }

    private LeaderElectionConfiguration leaderElection(RuntimeConfig config) {
        if (!config.leaderElection()) return null;
        var builder = LeaderElectionConfigurationBuilder.aLeaderElectionConfiguration(config.leaseName())
                .withExitOnStopLeading(false)
                .withLeaderCallbacks(new LeaderCallbacks(
                        () -> LOG.info("leading: lease {}/{}", config.leaseNamespace(), config.leaseName()),
                        this::lostLease,
                        leader -> LOG.info("lease {} held by {}", config.leaseName(), leader)));
        if (config.leaseNamespace() != null) builder.withLeaseNamespace(config.leaseNamespace());
        return builder.build();
    }

    private void lostLease() {
        if (stopping.get()) return; // our own shutdown released the Lease
        LOG.error("lost the lease {}; exiting so that only one replica reconciles", config.leaseName());
        health.phase(OperatorHealth.Phase.FAILED);
        // not from this thread: System.exit runs the shutdown hook, which stops the elector that called us
        Thread exit = new Thread(() -> System.exit(1), "lost-lease-exit");
        exit.start();
    }

    /** Serves the HTTP port, then starts the operator (informers, leader election). */
    public OperatorRuntime start() throws IOException {
        http = HttpEndpoints.start(config.httpPort(), health, registry, clusterMetrics::render);
        LOG.info("serving {}, {} and {} on port {}", HttpEndpoints.LIVENESS_PATH, HttpEndpoints.READINESS_PATH,
                HttpEndpoints.METRICS_PATH, http.port());
        try {
            operator.start();
        } catch (RuntimeException e) {
            health.phase(OperatorHealth.Phase.FAILED);
            throw e;
        }
        health.phase(OperatorHealth.Phase.RUNNING);
        LOG.info("watching {}; leader election {}", config.namespaces().isEmpty() ? "all namespaces" : config.namespaces(),
                config.leaderElection() ? "on (lease " + config.leaseName() + ")" : "off");
        return this;
    }

    /** On SIGTERM (and any normal JVM exit): {@link #close()}. */
    public void installShutdownHook() {
        Runtime.getRuntime().addShutdownHook(new Thread(this::close, "nats-operator-shutdown"));
    }

    public int httpPort() {
        return http.port();
    }

    OperatorHealth health() {
        return health;
    }

    PrometheusMeterRegistry registry() {
        return registry;
    }

    @Override
    public void close() {
        if (!stopping.compareAndSet(false, true)) return;
        health.phase(OperatorHealth.Phase.STOPPING);
        try {
            operator.stop();
        } catch (RuntimeException e) {
            LOG.warn("stopping the operator: {}", e.toString());
        } finally {
            health.phase(OperatorHealth.Phase.STOPPED);
            if (http != null) http.close();
            registry.close();
        }
    }
}
