package io.choria.natsoperator.local;

import io.choria.natsoperator.api.NatsCluster;
import io.choria.natsoperator.mesh.MeshProbe;
import io.choria.natsoperator.metrics.ClusterMetrics;
import io.choria.natsoperator.model.InstallerSettings;
import io.choria.natsoperator.model.SpecDefaults;
import io.choria.natsoperator.runtime.OperatorAssembly;
import io.choria.natsoperator.reconciler.OperatorSettings;
import io.choria.natsoperator.runtime.HttpEndpoints;
import io.choria.natsoperator.runtime.OperatorHealth;
import io.choria.natsoperator.runtime.OperatorRuntime;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import io.javaoperatorsdk.operator.Operator;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.time.LocalTime;
import java.time.format.DateTimeFormatter;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The pieces of {@code local}, started and stopped in order: the embedded API server, the pod
 * network, the process kubelet, and the operator itself (the same {@link OperatorAssembly} as
 * {@code run}; only its mesh check asks the brokers by the addresses the kubelet gave them, since
 * this JVM cannot resolve the cluster's DNS names).
 */
public final class LocalCluster implements AutoCloseable {
    private static final KubernetesSerialization JSON = new KubernetesSerialization();
    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("HH:mm:ss");

    private final EmbeddedApiServer api;
    private final PodNetwork network;
    private final ProcessKubelet kubelet;
    private final Operator operator;
    private final HttpEndpoints http; // null without --metrics-address
    private final PrintStream out;
    private final StatusLines statusLines = new StatusLines();
    private final Map<String, List<String>> announced = new HashMap<>();
    private final AtomicBoolean closed = new AtomicBoolean();

    private LocalCluster(EmbeddedApiServer api, PodNetwork network, ProcessKubelet kubelet, Operator operator, HttpEndpoints http, PrintStream out) {
        this.api = api;
        this.network = network;
        this.kubelet = kubelet;
        this.operator = operator;
        this.http = http;
        this.out = out;
    }

    /** What is missing to run, as one sentence that says how to get it; null when nothing is. */
    public static String missingRequirements() {
        if (!"root".equals(System.getProperty("user.name"))) {
            return "needs root: it makes a network namespace and a mount namespace per broker pod (run it with sudo)";
        }
        for (String[] tool : new String[][] {{"nats-server", "apt-get install -y nats-server (Debian, Ubuntu), or a release from https://github.com/nats-io/nats-server/releases"},
                {"ip", "apt-get install -y iproute2"}, {"unshare", "apt-get install -y util-linux"}, {"setsid", "apt-get install -y util-linux"}, {"mount", "apt-get install -y mount"}}) {
            if (!onPath(tool[0])) return tool[0] + " is not on PATH: " + tool[1];
        }
        return null;
    }

    public static LocalCluster start(String clusterDomain, PrintStream out) {
        return start(clusterDomain, null, out);
    }

    /**
     * As above; with a {@code metricsAddress} the operator's HTTP endpoints ({@code /metrics}, {@code /healthz},
     * {@code /readyz}: the same as {@code run} serves, with the same registry and per-cluster gauges) are served
     * on that address alone. The caller checks it is a loopback address.
     */
    public static LocalCluster start(String clusterDomain, InetSocketAddress metricsAddress, PrintStream out) {
        EmbeddedApiServer api = new EmbeddedApiServer();
        PodNetwork network = null;
        ProcessKubelet kubelet = null;
        HttpEndpoints http = null;
        try {
            removeLeftovers(); // by the records of killed runs, before the network's own look by pid alone
            network = PodNetwork.create();
            kubelet = new ProcessKubelet(api.newClient(), network, workDirectory(), clusterDomain,
                    line -> out.println(time() + " kubelet: " + line)).start();
            ClusterMetrics clusterMetrics = new ClusterMetrics(Clock.systemUTC());
            OperatorSettings settings = new OperatorSettings(clusterDomain, Set.of(), OperatorSettings.DEFAULT_RESYNC,
                    MeshProbe.pods(clusterDomain, kubelet::resolve, kubelet::addressesOf, OperatorRuntime.brokerIdentity(api.client())), InstallerSettings.DEFAULTS, clusterMetrics);
            PrometheusMeterRegistry registry = metricsAddress == null ? null : OperatorRuntime.newRegistry();
            Operator operator = OperatorAssembly.create(api.client(), settings, Clock.systemUTC(),
                    registry == null ? null : OperatorRuntime.operatorMetrics(registry), null);
            OperatorHealth health = new OperatorHealth();
            health.attach(operator);
            if (metricsAddress != null) {
                try {
                    http = HttpEndpoints.start(metricsAddress, health, registry, clusterMetrics::render);
                } catch (IOException e) {
                    throw new UncheckedIOException("cannot serve /metrics on " + metricsAddress.getHostString() + ":" + metricsAddress.getPort(), e);
                }
            }
            operator.start();
            health.phase(OperatorHealth.Phase.RUNNING);
            out.println(time() + " operator running against the embedded API server; pods on " + network.gateway() + "/24");
            if (http != null) {
                out.println(time() + " operator's /metrics, /healthz, /readyz on http://" + metricsAddress.getHostString() + ":" + http.port());
            }
            return new LocalCluster(api, network, kubelet, operator, http, out);
        } catch (RuntimeException e) {
            if (http != null) http.close();
            if (kubelet != null) kubelet.close();
            if (network != null) network.close();
            api.close();
            throw e;
        }
    }

    public boolean closed() { return closed.get(); }

    /** Creates the object, or puts the file's version in place of the stored one; says what it did. */
    public String apply(HasMetadata desired) {
        HasMetadata copy = JSON.clone(desired);
        copy.getMetadata().setResourceVersion(null);
        String kind = copy.getKind() + " " + copy.getMetadata().getNamespace() + "/" + copy.getMetadata().getName();
        HasMetadata existing = api.client().resource(copy).get();
        if (existing == null) {
            api.client().resource(copy).create();
            return kind + " created";
        }
        if (copy instanceof NatsCluster nc) {
            NatsCluster stored = (NatsCluster) existing;
            if (JSON.asJson(nc.getSpec()).equals(JSON.asJson(stored.getSpec()))) return kind + " unchanged";
            // A patch of the spec alone, as kubectl apply sends: a whole-object update would carry the status read
            // a moment ago and put it back over one the operator wrote since (seen: Ready's count went back to 0).
            api.client().resources(NatsCluster.class).inNamespace(stored.getMetadata().getNamespace())
                    .withName(stored.getMetadata().getName()).edit(c -> {
                        c.setSpec(nc.getSpec());
                        return c;
                    });
            return kind + " configured";
        }
        if (copy instanceof Secret s) {
            Secret stored = (Secret) existing;
            if (Objects.equals(s.getData(), stored.getData()) && Objects.equals(s.getStringData(), stored.getStringData())) return kind + " unchanged";
            stored.setData(s.getData());
            stored.setStringData(s.getStringData());
            api.client().resource(stored).update();
            return kind + " configured";
        }
        throw new IllegalArgumentException("cannot apply a " + copy.getKind());
    }

    /** Prints each condition change, and the addresses clients use whenever a cluster is ready with a new set of brokers. */
    public void printStatus() {
        for (NatsCluster nc : api.client().resources(NatsCluster.class).inAnyNamespace().list().getItems()) {
            statusLines.changes(nc).forEach(line -> out.println(time() + " " + line));
            String key = nc.getMetadata().getNamespace() + "/" + nc.getMetadata().getName();
            if (!StatusLines.isTrue(nc, "Ready")) {
                announced.remove(key);
                continue;
            }
            List<String> addresses = kubelet.readyAddresses(nc.getMetadata().getNamespace(), nc.getMetadata().getName());
            if (addresses.equals(announced.get(key))) continue;
            announced.put(key, addresses);
            NatsCluster d = SpecDefaults.withDefaults(nc);
            int port = d.getSpec().getPorts().getClient();
            String scheme = d.getSpec().getTls() == null ? "nats" : "tls";
            List<String> hosts = addresses.stream().map(a -> a + ":" + port).toList();
            out.println(time() + " " + key + " is ready with " + addresses.size() + " brokers");
            out.println("    client URLs from this machine: " + String.join(",", hosts.stream().map(h -> scheme + "://" + h).toList()));
            out.println("    a Choria node here: plugin.choria.middleware_hosts = " + String.join(",", hosts));
            if (nc.getStatus() != null && nc.getStatus().getMiddlewareHosts() != null) {
                out.println("    in a Kubernetes cluster (status.middlewareHosts): " + nc.getStatus().getMiddlewareHosts());
            }
            out.println("    broker logs: " + kubelet.logDirectory(nc.getMetadata().getNamespace(), nc.getMetadata().getName() + "-0").getParent());
        }
    }

    /** Stops the operator, every pod (processes, namespaces, files) and the API server; safe to call twice. */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) return;
        out.println(time() + " stopping: the operator, every broker, the pod network");
        try {
            operator.stop();
        } catch (RuntimeException e) {
            out.println(time() + " stopping the operator: " + e.getMessage());
        }
        if (http != null) http.close();
        kubelet.close();
        network.close();
        api.close();
        try {
            Files.deleteIfExists(workBase()); // only when no other local is running
        } catch (IOException e) {
            // another local's directory is in it
        }
        out.println(time() + " stopped");
        out.flush();
    }

    public static String time() {
        return LocalTime.now().format(TIME);
    }

    /** On tmpfs where /run is, readable by root only: the Secret volumes (keys, passwords) are written there, as the kubelet does. */
    private static Path workDirectory() {
        Path base = workBase();
        try {
            Files.createDirectories(base);
            Path dir = base.resolve(String.valueOf(ProcessHandle.current().pid()));
            Files.createDirectories(dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
            return dir;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** What runs killed with SIGKILL left: their processes, namespaces, bridges, mount points and work directories. */
    private static void removeLeftovers() {
        if (Files.isDirectory(workBase())) ProcessKubelet.removeStale(workBase());
    }

    private static Path workBase() {
        return Files.isDirectory(Path.of("/run")) ? Path.of("/run/nats-operator-local") : Path.of(System.getProperty("java.io.tmpdir"), "nats-operator-local");
    }

    private static boolean onPath(String tool) {
        String path = System.getenv().getOrDefault("PATH", "/usr/sbin:/usr/bin:/sbin:/bin");
        for (String dir : path.split(":")) {
            if (Files.isExecutable(Path.of(dir, tool))) return true;
        }
        return false;
    }
}
