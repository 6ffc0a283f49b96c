package io.choria.natsoperator.brokers;

import io.choria.natsoperator.api.CaSecretReference;
import io.choria.natsoperator.api.NatsCluster;
import io.choria.natsoperator.api.TlsSpec;
import io.choria.natsoperator.inputs.BrokerCertificates;
import io.choria.natsoperator.local.ContainerProcess;
import io.choria.natsoperator.model.BrokerPaths;
import io.choria.natsoperator.model.BrokerSecrets;
import io.choria.natsoperator.model.DesiredCluster;
import io.choria.natsoperator.model.ModelInputs;
import io.choria.natsoperator.model.Names;
import io.choria.natsoperator.model.NatsClusterModel;
import io.choria.natsoperator.model.NatsConfig;
import io.choria.natsoperator.model.SpecDefaults;
import io.choria.natsoperator.model.TlsFiles;
import io.choria.natsoperator.pki.CertificateAuthority;
import io.choria.natsoperator.pki.IssuedCertificate;
import io.choria.natsoperator.pki.ServerCertificateRequest;
import io.choria.natsoperator.pki.TestCa;
import io.nats.client.Connection;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import javax.net.ssl.SSLContext;

/**
 * The brokers of a NatsCluster as real Debian {@code nats-server} processes on loopback.
 *
 * <p>Everything a broker reads is what the operator renders: {@code nats.conf} from the model's
 * ConfigMap, {@code routes.conf} from its routes Secret, {@code tls.crt/tls.key/ca.crt} from its
 * TLS Secret (a certificate issued by the real {@link CertificateAuthority} for the model's SANs),
 * laid out under one root per broker as {@link BrokerPaths} expects. Broker {@code i} listens on
 * its own address {@code 127.0.0.(firstHost+i)}, selected by {@link BrokerPaths#listenHost()}, the
 * one documented difference from a pod. The stable DNS names in the route URLs
 * ({@code <name>-<i>.<name>-headless.<ns>.svc.cluster.local}) resolve through a private hosts
 * file, bind-mounted over {@code /etc/hosts} in a mount namespace of each broker
 * ({@code unshare -m}, which needs root). {@code server_name} comes from {@code POD_NAME} as in a pod.
 *
 * <p>Always use in try-with-resources or close in {@code @AfterAll}: {@link #close()} kills every
 * broker (forcibly when SIGTERM is not enough) and deletes the files.
 */
public final class LocalBrokerCluster implements AutoCloseable {
    public static final String NATS_SERVER = "nats-server";
    public static final String CLUSTER_DOMAIN = Names.DEFAULT_CLUSTER_DOMAIN;
    private static final Duration START_TIMEOUT = Duration.ofSeconds(15);
    private static final Duration STOP_TIMEOUT = Duration.ofSeconds(5);

    private NatsCluster nc;
    private final Names names;
    private final int capacity;
    private final String routePassword;
    private final Map<Integer, String> routePasswordOf;
    /** What the model rendered for each broker (with that broker's paths), as last written to its files. */
    private final DesiredCluster[] rendered;
    /** Sidecar processes (config reloaders) started for the brokers; killed on close(). */
    private final List<Process> sidecars = new ArrayList<>();
    private final TestCa ca;
    private final Path dir;
    private final Path hostsFile;
    private final List<BrokerPaths> paths = new ArrayList<>();
    private final Process[] processes;
    private final TestCa.Pems clientCertificate;
    private TlsFiles tlsFiles;
    private String pinnedCerts;
    private io.choria.natsoperator.model.PinnedList pinnedList;
    private io.choria.natsoperator.model.PortPinnedCerts portPinnedCerts = io.choria.natsoperator.model.PortPinnedCerts.NONE;
    // Kills the brokers and deletes their files should the JVM exit without close() (a killed test run, System.exit).
    private final Thread reaper = new Thread(this::destroyAll, "local-broker-reaper");
    private final List<String> launchPrefix;

    /** How to build the cluster. {@code routePasswords} overrides the route password of single brokers. */
    public static final class Builder {
        private final NatsCluster example;
        private TestCa ca;
        private int firstHost = 2;
        private int capacity;
        private String routePassword = BrokerSecrets.newPassword();
        private final Map<Integer, String> routePasswordOf = new HashMap<>();
        private TlsFiles tls;
        private String pinnedCerts;
    private io.choria.natsoperator.model.PortPinnedCerts portPinnedCerts = io.choria.natsoperator.model.PortPinnedCerts.NONE;
        private final StringBuilder extraHosts = new StringBuilder();
        private List<String> addresses;
        private List<String> launchPrefix = List.of();
        private final List<NatsCluster> referenced = new ArrayList<>();

        private Builder(NatsCluster example) {
            this.example = example;
        }

        public Builder ca(TestCa ca) { this.ca = ca; return this; }
        /** Serves these files (e.g. the operator's TLS Secret) instead of a certificate from the test CA. */
        public Builder tls(TlsFiles files) { this.tls = files; return this; }
        /** Renders the client tls block with this pinned_certs file (the operator's, from its config ConfigMap). */
        public Builder pinnedCerts(String file) { this.pinnedCerts = file; return this; }
        /**
         * Renders the pinned list in parts, as the operator does: nothing is written to the assembled file's place; the test
         * lays out the parts ({@link #writePinnedParts}) and runs the rendered assembler ({@link #runInitContainer}, the reloader).
         */
        public Builder pinnedList(io.choria.natsoperator.model.PinnedList list) { this.pinnedList = list; return this; }
        private io.choria.natsoperator.model.PinnedList pinnedList;
        /** Renders the leafnode and gateway tls blocks with these pinned_certs files (the operator's, from its config ConfigMap). */
        public Builder portPinnedCerts(io.choria.natsoperator.model.PortPinnedCerts files) { this.portPinnedCerts = files; return this; }
        /** Broker i gets 127.0.0.(firstHost+i); give clusters in one JVM disjoint ranges. */
        public Builder firstHost(int firstHost) { this.firstHost = firstHost; return this; }
        /**
         * Broker i listens on {@code addresses.get(i)} instead of a loopback address: an address in a
         * network namespace the caller made (a benchmark), so the harness does not check from here that the ports are free.
         */
        public Builder addresses(List<String> addresses) { this.addresses = List.copyOf(addresses); return this; }
        /** Runs every broker under this command prefix, e.g. {@code ip netns exec NS taskset -c 0}; it must exec, not fork. */
        public Builder launchPrefix(List<String> prefix) { this.launchPrefix = List.copyOf(prefix); return this; }
        /** Adds a private hosts entry for every broker: e.g. another site's gateway Service name on that site's broker addresses. */
        public Builder host(String name, List<String> addresses) {
            for (String a : addresses) extraHosts.append(a).append(' ').append(name).append('\n');
            return this;
        }
        public Builder routePassword(String password) { this.routePassword = password; return this; }
        /** Reserves addresses, files and hosts entries for this many brokers, so that {@link #scaleTo(int)} can grow the cluster. */
        public Builder capacity(int brokers) { this.capacity = brokers; return this; }
        /** Overrides spec fields of the example before rendering (e.g. limits), as a user's edit would. */
        public Builder edit(java.util.function.Consumer<NatsCluster> edit) { edit.accept(example); return this; }
        /** Renders broker {@code i} with another route password, as if its Secret were wrong. */
        public Builder routePasswordOf(int broker, String password) { routePasswordOf.put(broker, password); return this; }
        /** Another site's NatsCluster, which a gateway remote names by natsClusterRef: resolved to its port, as the operator does. */
        public Builder referenced(NatsCluster other) { referenced.add(other); return this; }

        /** Renders and writes every broker's files, then starts them all and waits for /healthz. */
        public LocalBrokerCluster start() {
            return new LocalBrokerCluster(this).startAll();
        }

        /** Renders and writes every broker's files (its certificate issued), and starts none: {@link #startAll}. */
        public LocalBrokerCluster render() {
            return new LocalBrokerCluster(this);
        }
    }

    /** Starts every broker and waits for /healthz; on failure closes the cluster. */
    public LocalBrokerCluster startAll() {
        try {
            for (int i = 0; i < size(); i++) launch(i);
            for (int i = 0; i < size(); i++) awaitHealthy(i);
            return this;
        } catch (RuntimeException | Error e) {
            close();
            throw e;
        }
    }

    public static Builder of(NatsCluster example) {
        return new Builder(example);
    }

    private LocalBrokerCluster(Builder b) {
        requireTools();
        this.ca = b.ca != null ? b.ca : TestCa.rsaRoot("Test Puppet CA");
        NatsCluster withTls = SpecDefaults.withDefaults(b.example);
        if (withTls.getSpec().getTls() == null) {
            TlsSpec tls = new TlsSpec();
            CaSecretReference ref = new CaSecretReference();
            ref.setName("puppet-ca");
            tls.setCaSecretRef(ref);
            withTls.getSpec().setTls(tls);
        }
        this.nc = SpecDefaults.withDefaults(withTls);
        this.names = Names.of(nc, CLUSTER_DOMAIN);
        io.choria.natsoperator.inputs.ClusterInputs.resolveGatewayRemotes(nc, names, (ns, name) -> b.referenced.stream()
                .filter(o -> o.getMetadata().getNamespace().equals(ns) && o.getMetadata().getName().equals(name)).findFirst());
        int size = nc.getSpec().getSize();
        this.capacity = Math.max(size, b.capacity);
        if (b.addresses == null && (b.firstHost < 2 || b.firstHost + capacity > 255)) {
            throw new IllegalArgumentException("firstHost out of 127.0.0.2..254");
        }
        if (b.addresses != null && b.addresses.size() < capacity) throw new IllegalArgumentException("fewer addresses than brokers");
        this.launchPrefix = b.launchPrefix;
        this.processes = new Process[capacity];
        this.rendered = new DesiredCluster[capacity];
        this.routePassword = b.routePassword;
        this.routePasswordOf = Map.copyOf(b.routePasswordOf);
        try {
            this.dir = Files.createTempDirectory("brokers-" + names.cluster() + "-");
            StringBuilder hosts = new StringBuilder("127.0.0.1 localhost\n::1 localhost\n");
            for (int i = 0; i < capacity; i++) {
                String host = b.addresses != null ? b.addresses.get(i) : "127.0.0." + (b.firstHost + i);
                String root = dir.resolve(names.pod(i)).toString();
                BrokerPaths p = new BrokerPaths(root, root + "/run/nats.pid", host);
                if (b.addresses == null) requirePortsFree(host);
                Files.createDirectories(Path.of(p.pidDir()));
                paths.add(p);
                // Every name of broker i: short, namespaced, .svc and fully qualified.
                String base = names.pod(i) + "." + names.headlessService();
                hosts.append(host).append(' ').append(String.join(" ", List.of(names.podFqdn(i), base + "." + names.namespace() + ".svc",
                        base + "." + names.namespace(), base))).append('\n');
            }
            hosts.append(b.extraHosts);
            this.hostsFile = dir.resolve("hosts");
            write(hostsFile.toString(), hosts.toString());
            this.pinnedCerts = b.pinnedCerts;
            this.pinnedList = b.pinnedList;
            this.portPinnedCerts = b.portPinnedCerts;
            TlsFiles tls = b.tls != null ? b.tls : asFiles(serverCertificate());
            for (int i = 0; i < size; i++) render(i, tls);
            this.clientCertificate = ca.issueClientCertificate("node-0.example.net");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Renders broker i through the model (current spec, its route password, these TLS files) and writes what its pod would mount. */
    private DesiredCluster render(int i, TlsFiles tls) {
        BrokerPaths p = paths.get(i);
        String password = routePasswordOf.getOrDefault(i, routePassword);
        // The pinned list as the pod assembles it (PinnedListAssembler) from the parts; here given whole, as a test wants it.
        var pinnedList = this.pinnedList != null ? this.pinnedList : pinnedCerts == null ? null
                : io.choria.natsoperator.puppet.PinnedKeys.none().list(nc.getMetadata().getNamespace(), nc.getMetadata().getName());
        DesiredCluster desired = NatsClusterModel.desired(nc, new ModelInputs(CLUSTER_DOMAIN, password, tls, null, pinnedList, null, portPinnedCerts), p);
        // Every file of the config ConfigMap, as the kubelet mounts it.
        desired.config().getData().forEach((file, content) -> write(p.configDir() + "/" + file, content));
        if (pinnedCerts != null) write(p.pinnedFile(), pinnedCerts);
        // Every file of the routes Secret (routes.conf; accounts.conf with spec.streams), as the kubelet mounts it.
        for (String file : desired.routesConfig().getData().keySet()) {
            write(p.routesDir() + "/" + file, BrokerSecrets.decode(desired.routesConfig(), file));
        }
        if (desired.tls() != null) {
            for (String key : List.of("tls.crt", "tls.key", "ca.crt")) {
                write(p.tlsDir() + "/" + key, BrokerSecrets.decode(desired.tls(), key));
            }
        }
        rendered[i] = desired;
        tlsFiles = tls;
        return desired;
    }

    /**
     * Writes a new pinned_certs file for every broker, as the kubelet updates the mounted config
     * ConfigMap; the reloader (or {@link #reload}) makes the brokers take it.
     */
    public void updatePinnedCerts(String file) {
        this.pinnedCerts = file;
        for (int i = 0; i < size(); i++) render(i, tlsFiles);
    }

    /** New leafnode and gateway pinned_certs files for every broker; nats-server reads them only at start ({@link #stop}, {@link #start}). */
    public void updatePortPinnedCerts(io.choria.natsoperator.model.PortPinnedCerts files) {
        this.portPinnedCerts = files;
        for (int i = 0; i < size(); i++) render(i, tlsFiles);
    }

    private static TlsFiles asFiles(IssuedCertificate cert) {
        return new TlsFiles(cert.certificateChainPem(), cert.privateKeyPem(), cert.caBundlePem());
    }

    // ---- day 2: what the operator changes in a running cluster -----------------------------------

    /**
     * Scales the spec to {@code newSize} and renders it as the operator would: the certificate decided by
     * {@link BrokerCertificates#plan} (the CA Secret, the current TLS Secret; new SANs mean a new certificate),
     * the same route password, and the new routes. Writes the files of brokers {@code 0..newSize-1}, as the
     * kubelet updates the mounted ConfigMap and Secrets of every pod that stays or starts. Starts and stops nothing.
     */
    public BrokerCertificates.Plan scaleTo(int newSize) {
        if (newSize < 1 || newSize > capacity) throw new IllegalArgumentException("size " + newSize + " outside 1.." + capacity);
        NatsCluster next = SpecDefaults.withDefaults(nc);
        next.getSpec().setSize(newSize);
        BrokerCertificates.Plan plan = BrokerCertificates.plan(next, caSecret(), rendered[0].tls(), CLUSTER_DOMAIN, Instant.now());
        this.nc = next;
        for (int i = 0; i < newSize; i++) render(i, plan.files());
        return plan;
    }

    /** A new broker certificate (new serial, same CA and SANs) written to every broker's tls files, as a renewal would. */
    public IssuedCertificate renewCertificate() {
        IssuedCertificate cert = serverCertificate();
        for (int i = 0; i < size(); i++) render(i, asFiles(cert));
        return cert;
    }

    /** The CA Secret as the user creates it ({@code ca.crt} + {@code ca.key}). */
    private io.fabric8.kubernetes.api.model.Secret caSecret() {
        java.util.Base64.Encoder b64 = java.util.Base64.getEncoder();
        return new io.fabric8.kubernetes.api.model.SecretBuilder().withNewMetadata().withName("puppet-ca").withNamespace(names.namespace())
                .endMetadata()
                .addToData("ca.crt", b64.encodeToString(ca.chainPem().getBytes(StandardCharsets.UTF_8)))
                .addToData("ca.key", b64.encodeToString(ca.traditionalKeyPem().getBytes(StandardCharsets.UTF_8)))
                .build();
    }

    /**
     * The files of broker i's projected pinned-parts volume for {@code list}, as the kubelet writes them (path in the volume
     * -> content): the model's ConfigMaps through the rendered volume's sources ({@code PodSpecs.volumeFiles}, what
     * {@code local} uses).
     */
    public Map<String, String> pinnedPartFiles(int i, io.choria.natsoperator.model.PinnedList list) {
        Map<String, io.fabric8.kubernetes.api.model.ConfigMap> byName = new HashMap<>();
        BrokerSecrets.pinnedList(nc, names, list, routePassword).forEach(cm -> byName.put(cm.getMetadata().getName(), cm));
        var volume = renderedStatefulSet(i).getSpec().getTemplate().getSpec().getVolumes().stream()
                .filter(v -> v.getProjected() != null).findFirst().orElseThrow(() -> new IllegalStateException("no projected volume rendered"));
        Map<String, String> files = new java.util.TreeMap<>();
        io.choria.natsoperator.local.PodSpecs.volumeFiles(volume, (ns, name) -> byName.get(name), (ns, name) -> null, names.namespace())
                .forEach(f -> files.put(f.path(), new String(f.content(), StandardCharsets.UTF_8)));
        return files;
    }

    /** Writes files of broker i's pinned-parts volume, each atomically (as the kubelet swaps a ConfigMap's files). */
    public void writePinnedParts(int i, Map<String, String> files) {
        files.forEach((path, content) -> {
            Path target = Path.of(paths.get(i).pinnedPartsDir(), path);
            Path tmp = target.resolveSibling("." + path + ".tmp");
            write(tmp.toString(), content);
            try {
                Files.move(tmp, target, java.nio.file.StandardCopyOption.REPLACE_EXISTING, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
    }

    /** Runs broker i's rendered init container {@code name} (its command, on the host) to the end; its exit code and output. */
    public Map.Entry<Integer, String> runInitContainer(int i, String name, Duration timeout) {
        var c = renderedStatefulSet(i).getSpec().getTemplate().getSpec().getInitContainers().stream().filter(x -> x.getName().equals(name))
                .findFirst().orElseThrow(() -> new IllegalStateException("no init container " + name + " rendered"));
        try {
            Process p = new ProcessBuilder(c.getCommand()).redirectErrorStream(true).start();
            byte[][] out = new byte[1][];
            Thread reader = new Thread(() -> {
                try {
                    out[0] = p.getInputStream().readAllBytes();
                } catch (IOException e) {
                    out[0] = new byte[0];
                }
            });
            reader.start();
            if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                p.destroyForcibly();
                reader.join(2000);
                return Map.entry(-1, "timed out: " + (out[0] == null ? "" : new String(out[0], StandardCharsets.UTF_8)));
            }
            reader.join(5000);
            return Map.entry(p.exitValue(), out[0] == null ? "" : new String(out[0], StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** The StatefulSet the model rendered for broker i (with broker i's paths). */
    public io.fabric8.kubernetes.api.model.apps.StatefulSet renderedStatefulSet(int i) {
        return rendered[i].statefulSet();
    }

    private io.fabric8.kubernetes.api.model.Container renderedContainer(int i, String name) {
        return rendered[i].statefulSet().getSpec().getTemplate().getSpec().getContainers().stream()
                .filter(c -> c.getName().equals(name)).findFirst()
                .orElseThrow(() -> new IllegalStateException("no container " + name + " in the rendered StatefulSet"));
    }

    /** The preStop exec command of the rendered broker container, for broker i. */
    public List<String> renderedPreStop(int i) {
        return renderedContainer(i, io.choria.natsoperator.model.BrokerStatefulSet.CONTAINER).getLifecycle().getPreStop().getExec().getCommand();
    }

    /** Runs broker i's rendered preStop command (what the kubelet runs before it stops the pod); returns its exit code. */
    public int runPreStop(int i) {
        return run(renderedPreStop(i));
    }

    /**
     * Starts the rendered config-reloader sidecar of broker i: the command of the {@code reloader} container
     * ({@code sh -c <script>}) with {@code RELOAD_INTERVAL} seconds between checks; its output goes to
     * {@link #reloaderLog(int)}. In the pod it shares the process namespace with the broker; here it shares the host's.
     */
    public void startReloader(int i, int intervalSeconds) {
        List<String> command = renderedContainer(i, io.choria.natsoperator.model.ConfigReloader.CONTAINER).getCommand();
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(reloaderLogFile(i).toFile()));
        pb.environment().put("RELOAD_INTERVAL", String.valueOf(intervalSeconds));
        try {
            synchronized (sidecars) {
                sidecars.add(pb.start());
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start the reloader of " + names.pod(i), e);
        }
    }

    public String reloaderLog(int i) {
        return Files.exists(reloaderLogFile(i)) ? read(reloaderLogFile(i).toString()) : "";
    }

    private Path reloaderLogFile(int i) { return Path.of(paths.get(i).root(), "reloader.log"); }

    /** How many times broker i's log says it reloaded its configuration. */
    public int reloads(int i) {
        return log(i).split(java.util.regex.Pattern.quote("Reloaded server configuration"), -1).length - 1;
    }

    /** SIGTERM only, as the kubelet sends it after the preStop hook; does not wait. False when the broker had already exited. */
    public boolean sigterm(int i) {
        if (processes[i] == null) throw new IllegalStateException(names.pod(i) + " was not started");
        if (!processes[i].isAlive()) return false;
        processes[i].destroy();
        return true;
    }

    /** Waits (bounded) until broker i exits by itself; returns its exit code. */
    public int awaitExit(int i, Duration timeout) {
        Process p = processes[i];
        if (p == null) throw new IllegalStateException(names.pod(i) + " was not started");
        try {
            if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                throw new AssertionError(names.pod(i) + " still running after " + timeout + ":\n" + logTail(i));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
        processes[i] = null;
        return p.exitValue();
    }

    /** Broker i's process environment, as the kernel holds it (/proc/pid/environ). */
    public java.util.Map<String, String> processEnvironment(int i) {
        try {
            java.util.Map<String, String> env = new java.util.LinkedHashMap<>();
            for (String kv : Files.readString(Path.of("/proc/" + pid(i) + "/environ")).split("\0")) {
                int eq = kv.indexOf('=');
                if (eq > 0) env.put(kv.substring(0, eq), kv.substring(eq + 1));
            }
            return env;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The kernel's start time of broker i's process (clock ticks since boot, field 22 of /proc/pid/stat). */
    public long processStartTicks(int i) {
        String stat = read("/proc/" + pid(i) + "/stat");
        String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        return Long.parseLong(f[19]); // field 22 overall; fields after ')' start at 3
    }

    /** The certificate the operator would put in the TLS Secret: one for all brokers, SANs from the model. */
    private IssuedCertificate serverCertificate() {
        CertificateAuthority authority = ca.load();
        TlsSpec t = nc.getSpec().getTls();
        List<String> sans = NatsClusterModel.certificateDnsNames(nc, CLUSTER_DOMAIN);
        return authority.issue(new ServerCertificateRequest(names.clientService() + "." + names.namespace() + ".svc",
                sans, t.getKeyAlgorithm(), t.getValidityDays()), Instant.now());
    }

    // ---- lifecycle -------------------------------------------------------------------------------

    /** Starts broker i (again) from its files and waits until /healthz answers 200. */
    public void start(int i) {
        start(i, START_TIMEOUT);
    }

    /**
     * The same, waiting up to {@code healthyWithin}: with JetStream the whole /healthz holds until the broker's streams are
     * current again (what the startup probe waits 15 minutes for in a pod), which can take longer than a plain start.
     */
    public void start(int i, Duration healthyWithin) {
        launch(i);
        awaitHealthy(i, healthyWithin);
    }

    /** Starts broker i (again) without waiting: a benchmark times how long the broker takes under a storm. */
    public void startWithoutWaiting(int i) {
        launch(i);
    }

    /** SIGTERM, then SIGKILL after 5 s; waits until the process is gone. */
    public void stop(int i) {
        end(i, false);
    }

    /** SIGKILL, as the kernel's OOM killer or a node failure ends a broker; waits until the process is gone. */
    public void kill(int i) {
        end(i, true);
    }

    private void end(int i, boolean forcibly) {
        Process p = processes[i];
        processes[i] = null;
        if (p == null) return;
        if (forcibly) p.destroyForcibly();
        ContainerProcess.stop(p, STOP_TIMEOUT); // waits until it is gone (SIGKILL after 5 s)
    }

    /** Live config reload, as the config-reloader sidecar does it: {@code nats-server --signal reload=<pidfile>}. */
    public void reload(int i) {
        run(List.of(NATS_SERVER, "--signal", "reload=" + paths.get(i).pidFile()));
    }

    /** Rewrites broker i's routes.conf (e.g. another password), to be picked up by {@link #reload(int)} or a restart. */
    public void rewriteRoutes(int i, String routePassword) {
        write(paths.get(i).routesDir() + "/" + NatsConfig.ROUTES_FILE,
                NatsConfig.routesConfig(names, size(), nc.getSpec().getPorts().getCluster(), routePassword));
    }

    private void launch(int i) {
        if (i == 0 || processes[i] == null) {
            try {
                Runtime.getRuntime().addShutdownHook(reaper);
            } catch (IllegalArgumentException alreadyAdded) {
                // fine
            }
        }
        if (processes[i] != null && processes[i].isAlive()) throw new IllegalStateException(names.pod(i) + " is running");
        BrokerPaths p = paths.get(i);
        // The same way `local`'s kubelet starts a container: a private mount namespace with the hosts file over /etc/hosts.
        Map<String, String> env = new HashMap<>();
        env.put(NatsConfig.POD_NAME_ENV, names.pod(i));
        // The rendered container's literal env (e.g. GOMEMLIMIT), as the kubelet sets it.
        renderedContainer(i, io.choria.natsoperator.model.BrokerStatefulSet.CONTAINER).getEnv().stream()
                .filter(e -> e.getValue() != null).forEach(e -> env.put(e.getName(), e.getValue()));
        // What the kubelet composes from the StatefulSet's env ($(POD_NAME) after the prefix).
        env.put(NatsConfig.SERVER_NAME_ENV, nc.getSpec().getServerNamePrefix() + names.pod(i));
        processes[i] = ContainerProcess.start(launchPrefix, List.of(new ContainerProcess.Mount(hostsFile.toString(), "/etc/hosts", true)),
                List.of(NATS_SERVER, "-c", p.configFile()), env, logFile(i));
    }

    private void awaitHealthy(int i) {
        awaitHealthy(i, START_TIMEOUT);
    }

    /** Waits until broker i's whole /healthz answers 200 (with JetStream: a meta leader known and its streams current). */
    public void awaitHealthy(int i, Duration within) {
        long deadline = System.nanoTime() + within.toNanos();
        while (System.nanoTime() < deadline) {
            Process p = processes[i];
            if (p == null || !p.isAlive()) {
                throw new IllegalStateException(names.pod(i) + " exited (" + (p == null ? "?" : p.exitValue()) + "):\n" + logTail(i));
            }
            if (io.choria.natsoperator.mesh.Monitors.healthy(monitorUri(i), Duration.ofSeconds(1))) return;
            sleep(50);
        }
        throw new IllegalStateException(names.pod(i) + " not healthy after " + within + ":\n" + logTail(i));
    }

    @Override
    public void close() {
        synchronized (sidecars) {
            for (Process p : sidecars) p.destroyForcibly();
            sidecars.clear();
        }
        for (int i = 0; i < processes.length; i++) {
            try {
                stop(i);
            } catch (RuntimeException e) {
                if (processes[i] != null) processes[i].destroyForcibly();
            }
        }
        try {
            Runtime.getRuntime().removeShutdownHook(reaper);
        } catch (IllegalArgumentException | IllegalStateException ignored) {
            // not added, or the JVM is exiting
        }
        if (dir != null && !Boolean.getBoolean("brokers.keep")) deleteTree(dir);
    }

    private void destroyAll() {
        synchronized (sidecars) {
            for (Process p : sidecars) p.destroyForcibly();
        }
        for (Process p : processes) {
            if (p == null) continue;
            p.destroyForcibly();
            try {
                p.waitFor(STOP_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        if (dir != null && !Boolean.getBoolean("brokers.keep")) deleteTree(dir);
    }

    // ---- what tests need -------------------------------------------------------------------------

    /** The broker certificate, key and CA bundle the brokers serve (the operator holds the same). */
    public TlsFiles tlsFiles() { return tlsFiles; }

    /** What the model rendered for broker i, as last written to its files. */
    public DesiredCluster rendered(int i) { return rendered[i]; }

    /** The defaulted NatsCluster the brokers were rendered from (with spec.tls). */
    public NatsCluster cluster() { return nc; }
    public Names names() { return names; }
    public int size() { return nc.getSpec().getSize(); }
    /** The broker whose pod has this DNS name (how the operator's checkers name a broker). */
    public int ordinal(String podFqdn) {
        for (int i = 0; i < size(); i++) if (names.podFqdn(i).equals(podFqdn)) return i;
        throw new IllegalArgumentException(podFqdn);
    }
    public TestCa ca() { return ca; }
    public String host(int i) { return paths.get(i).listenHost(); }
    /** The addresses of all brokers (capacity), e.g. for another site's hosts entry of this site's gateway Service. */
    public static List<String> hosts(int firstHost, int count) {
        List<String> h = new ArrayList<>();
        for (int i = 0; i < count; i++) h.add("127.0.0." + (firstHost + i));
        return h;
    }
    public BrokerPaths paths(int i) { return paths.get(i); }
    public boolean running(int i) { return processes[i] != null && processes[i].isAlive(); }

    public long pid(int i) {
        if (!running(i)) throw new IllegalStateException(names.pod(i) + " is not running");
        return processes[i].pid();
    }

    /** The client URL of broker i by address: the JVM does not see the brokers' private hosts file. */
    public String clientUrl(int i) {
        return "tls://" + host(i) + ":" + nc.getSpec().getPorts().getClient();
    }

    public URI monitorUri(int i) {
        return URI.create("http://" + host(i) + ":" + nc.getSpec().getPorts().getMonitor());
    }

    /** A client certificate from the cluster's CA (CN node-0.example.net), like a Choria node's. */
    public TestCa.Pems clientCertificate() { return clientCertificate; }

    /** The CA bundle clients trust (the one in the TLS Secret's ca.crt). */
    public String caPem() { return read(paths.get(0).tlsCa()); }
    /** The brokers' certificate chain, as served. */
    public String certificatePem() { return read(paths.get(0).tlsCert()); }

    public String log(int i) { return read(logFile(i).toString()); }

    /** How a client's connection attempt on one broker ended, judged by the broker's own word. */
    public enum Attempt {
        ADMITTED,
        /** the broker logged "TLS handshake error: certificate not pinned" for this attempt */
        NOT_PINNED,
        /** anything else: the broker down or slow, another TLS failure */
        FAILED_OTHERWISE
    }

    static final String NOT_PINNED_LOG = "TLS handshake error: certificate not pinned";

    /**
     * One connection attempt on broker i with {@code ctx}. jnats sees a refusal for an unpinned key only as
     * "Unable to connect", the same as for a broker that is down; the broker says which it was, in one log line
     * per refused connection. So a refusal counts only when that line appears once more for this attempt
     * (attempts on one broker are made one at a time by the tests).
     */
    public Attempt attempt(int i, SSLContext ctx) {
        int before = count(log(i), NOT_PINNED_LOG);
        try (Connection c = Clients.connect(clientUrl(i), ctx)) {
            return c.getStatus() == Connection.Status.CONNECTED ? Attempt.ADMITTED : Attempt.FAILED_OTHERWISE;
        } catch (IOException e) {
            long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
            while (System.nanoTime() < deadline) {
                if (count(log(i), NOT_PINNED_LOG) > before) return Attempt.NOT_PINNED;
                io.choria.natsoperator.testing.Await.sleep(50);
            }
            return Attempt.FAILED_OTHERWISE;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private static int count(String text, String what) {
        return text.split(java.util.regex.Pattern.quote(what), -1).length - 1;
    }

    private Path logFile(int i) { return Path.of(paths.get(i).root(), "nats.log"); }

    private String logTail(int i) {
        String log = Files.exists(logFile(i)) ? log(i) : "";
        return log.length() > 4000 ? log.substring(log.length() - 4000) : log;
    }

    // ---- checks and plumbing ---------------------------------------------------------------------

    private static void requireTools() {
        io.choria.natsoperator.testing.Tools.requireNatsServer();
        io.choria.natsoperator.testing.Tools.require("unshare", "util-linux");
        if (!"root".equals(System.getProperty("user.name"))) {
            throw new IllegalStateException("the real-broker harness needs root for unshare -m and mount --bind");
        }
    }

    /** A system nats-server on 0.0.0.0:4222 (Debian starts one) would make every broker fail to bind: say so clearly. */
    private void requirePortsFree(String host) {
        var ports = nc.getSpec().getPorts();
        List<Integer> all = new ArrayList<>(List.of(ports.getClient(), ports.getCluster(), ports.getMonitor()));
        if (nc.getSpec().getGateway() != null) all.add(nc.getSpec().getGateway().getPort());
        if (NatsClusterModel.accepting(nc)) all.add(nc.getSpec().getLeafnodes().getPort());
        for (int port : all) {
            try (ServerSocket s = new ServerSocket()) {
                s.bind(new InetSocketAddress(InetAddress.getByName(host), port));
            } catch (IOException e) {
                throw new IllegalStateException(host + ":" + port + " is taken (" + e.getMessage() + "). Is a system nats-server"
                        + " running on 0.0.0.0? Stop it (systemctl stop nats-server) or find it with: ss -ltnp | grep " + port);
            }
        }
    }

    private static int run(List<String> command) {
        try {
            Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
            if (!p.waitFor(10, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IllegalStateException(command + " timed out");
            }
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (p.exitValue() != 0) throw new IllegalStateException(command + " failed (" + p.exitValue() + "): " + out);
            return p.exitValue();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private static void write(String file, String content) {
        try {
            Path p = Path.of(file);
            Files.createDirectories(p.getParent());
            Files.writeString(p, content);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String read(String file) {
        try {
            return Files.readString(Path.of(file));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void deleteTree(Path root) {
        try (Stream<Path> walk = Files.walk(root)) {
            walk.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException ignored) {
            // best effort: it is a temp dir
        }
    }

    static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
