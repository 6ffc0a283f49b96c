package io.choria.natsoperator.bench;

import com.fasterxml.jackson.databind.JsonNode;
import io.choria.natsoperator.pki.TestCa;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.dsl.base.ResourceDefinitionContext;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.fabric8.mockwebserver.http.MockResponse;
import io.fabric8.mockwebserver.http.RecordedRequest;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.LongAdder;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The real operator ({@code java -jar nats-operator.jar run}, its own process, the chart's JVM
 * flags) against fabric8's CRUD mock server hosted here on 127.0.0.1 (with an index, see
 * {@link IndexedCrudDispatcher}): start-up time, time to reconcile M new TLS NatsClusters of size 3,
 * the writes each one costs, steady-state request rates, and the operator's RSS, heap and CPU.
 *
 * <p>Not a unit test: {@code bench/run OperatorScaleBench M U [--jar PATH] [--steady-seconds N]
 * [--settle-seconds N] [--namespaces N] [--timeout-seconds N] [--label TEXT] [--jvm-options "FLAGS"]} (build the jar first:
 * {@code mvn -q package -DskipTests}). Setup: N namespaces (default 10), each with a Puppet-style CA
 * Secret {@code puppet-ca} (ca.crt/ca.key, one RSA CA), U unrelated ~1.5 KiB Secrets spread over the
 * namespaces; then the operator starts; right after /readyz answers 200, M NatsClusters (copies of
 * examples/natscluster-3.yaml) are created by 4 threads. "Reconciled" means
 * status.observedGeneration == metadata.generation, seen in the mock's store as it is written.
 * Results: a summary, a markdown table row, and JSON under target/bench/.
 *
 * <p>{@code --trickling-puppet true}: before the M NatsClusters, one more ({@code bench-00/slow-puppet}) enrols with a
 * {@link io.choria.natsoperator.testing.PuppetCaStandIn} (20 nodes) that sends its {@code certificate_statuses} answer one
 * byte a second (about an hour for the whole answer), and the M are created once that answer has started. After the steady
 * window each of the M is poked in turn (a spec change: {@code resources.requests.cpu}) and the time until its status shows
 * the new generation is its reconcile time (watch event, reconcile, status write); then the slow cluster is poked the same
 * way (30 s at most). Reported: p50, p99 and max over the M, and the slow cluster's. {@code --puppet-delay-seconds N}: the
 * stand-in sends nothing at all (not even headers) for N seconds first, then one byte a second.
 *
 * <p>{@code --dead-brokers true}: every broker name resolves (jdk.net.hosts.file) to one of three listeners that accept
 * and never answer, and the StatefulSets are marked ready, so the operator's mesh poller asks dead brokers for every
 * cluster. The heap after a full GC is taken at the start and at the end of the steady window: does it grow?
 *
 * <p>{@code --puppet-certificates N [--enrolled K]}: a Puppet CA stand-in holding N signed node certificates, its
 * {@code certificate_statuses} rows shaped as Puppet Server 7's (about 750 bytes each); K of the M clusters (default 10)
 * enrol with it and enforce revocation, syncing every 30 s: the steady window then shows whether a settled fleet writes
 * anything while the syncs go on. {@code --key-algorithm EC-P256}: the clusters' broker key. {@code --jfr FILE}: a JFR
 * recording of the operator (profile settings), summarised by {@code bench/jfr-top FILE}.
 *
 * <p>Which requests are the operator's: the benchmark's own client sends the User-Agent
 * {@value #BENCH_AGENT}; every other request the mock receives is counted as the operator's (the
 * operator's fabric8 client keeps its default agent). Counting happens in the dispatcher, per
 * phase: start-up (launch to /readyz), create (/readyz until all are reconciled plus the settle
 * time), steady (a window after that).
 *
 * <p>JVM flags: the chart's (helm values jvmOptions, operator/nats-operator.yaml):
 * {@code JAVA_TOOL_OPTIONS=-XX:MaxRAMPercentage=60 -XX:+ExitOnOutOfMemoryError} (75 before issue 24's 512Mi run) under a 512Mi
 * container limit; here the limit is stood in for by {@code -XX:MaxRAM=512m}, giving the same 384 MiB
 * max heap. One difference: MaxRAM does not change the JVM's server-class check, so on a 2-core host it
 * picks G1, where a 512Mi container would make JDK 17 pick Serial. {@code --jvm-options "..."}
 * replaces the flags (e.g. add -XX:+UseSerialGC to mimic the container's choice). {@code --memory-limit 512m} instead runs the
 * operator in a memory cgroup of that size ({@link MemoryLimit}), with the chart's flags as they are: the JVM then sizes
 * itself and picks its collector as in the container, and is killed past the limit, as the kubelet would.
 */
public final class OperatorScaleBench {
    static final String BENCH_AGENT = "operator-scale-bench";
    private MemoryLimit memoryLimit;
    static final String DEFAULT_JVM_OPTIONS = "-XX:MaxRAM=512m -XX:MaxRAMPercentage=75 -XX:+ExitOnOutOfMemoryError";
    /** The chart's jvmOptions (helm values), as they are: with --memory-limit the cgroup gives the JVM its limit. */
    static final String CHART_JVM_OPTIONS = "-XX:MaxRAMPercentage=60 -XX:+ExitOnOutOfMemoryError";
    static final ResourceDefinitionContext NATS_CLUSTERS = new ResourceDefinitionContext.Builder().withGroup("choria.io")
            .withVersion("v1alpha1").withPlural("natsclusters").withKind("NatsCluster").withNamespaced(true).build();

    /** Request counts of one phase, "VERB kind" -> n, counted as the mock answers. */
    static final class Counts {
        final Map<String, LongAdder> byVerbKind = new ConcurrentHashMap<>();
        final Map<Integer, LongAdder> byCode = new ConcurrentHashMap<>();
        final long startNanos = System.nanoTime();

        void add(String verb, String kind, int code) {
            byVerbKind.computeIfAbsent(verb + " " + kind, k -> new LongAdder()).increment();
            byCode.computeIfAbsent(code, k -> new LongAdder()).increment();
        }

        Map<String, Long> sorted() {
            Map<String, Long> m = new TreeMap<>();
            byVerbKind.forEach((k, v) -> m.put(k, v.sum()));
            return m;
        }

        long total(String verbs) {
            long n = 0;
            for (var e : byVerbKind.entrySet()) {
                if (verbs.contains(e.getKey().substring(0, e.getKey().indexOf(' ')))) n += e.getValue().sum();
            }
            return n;
        }
    }

    private static final Pattern RSS = Pattern.compile("VmRSS:\\s+(\\d+) kB");
    private static final Pattern HWM = Pattern.compile("VmHWM:\\s+(\\d+) kB");
    private static final Pattern HEAP_USED = Pattern.compile("total \\d+K, used (\\d+)K");

    private final AtomicReference<Counts> phase = new AtomicReference<>(new Counts());
    private final Map<String, Long> reconciledAt = new ConcurrentHashMap<>();
    /** namespace/name -> generation -> when the status first showed it (for the pokes of --trickling-puppet). */
    private final Map<String, Map<Long, Long>> observedAt = new ConcurrentHashMap<>();
    private io.choria.natsoperator.testing.PuppetCaStandIn slowPuppet;
    /** --puppet-certificates N: the stand-in the --enrolled clusters sync with, and when each one's pinned list first held N keys. */
    private io.choria.natsoperator.testing.PuppetCaStandIn bigPuppet;
    private volatile int inventorySize;
    private final Map<String, Long> fullListAt = new ConcurrentHashMap<>();
    private final List<ServerSocket> silentListeners = new ArrayList<>();
    static final String[] DEAD_ADDRESSES = {"127.0.0.91", "127.0.0.92", "127.0.0.93"};
    private final Map<String, Counts> phases = new LinkedHashMap<>();
    // the mock logs every request at INFO through java.util.logging: costly at scale, and noise
    private static final java.util.logging.Logger MOCK_LOG = java.util.logging.Logger.getLogger("io.fabric8.mockwebserver.MockWebServer");
    private Process operator;
    private KubernetesMockServer server;
    private KubernetesClient client;

    public static void main(String[] args) throws Exception {
        if (args.length < 2) {
            System.err.println("usage: bench/run OperatorScaleBench M U [--jar PATH] [--steady-seconds N] [--settle-seconds N]"
                    + " [--namespaces N] [--timeout-seconds N] [--label TEXT] [--jvm-options FLAGS] [--trickling-puppet true]"
                    + " [--puppet-delay-seconds N] [--dead-brokers true] [--puppet-certificates N] [--enrolled K] [--key-algorithm EC-P256]"
                    + " [--jfr FILE]");
            System.exit(2);
        }
        Map<String, String> opts = new HashMap<>();
        for (int i = 2; i < args.length; i++) {
            if (!args[i].startsWith("--") || i + 1 >= args.length) throw new IllegalArgumentException("bad option " + args[i]);
            opts.put(args[i].substring(2), args[++i]);
        }
        OperatorScaleBench bench = new OperatorScaleBench();
        Runtime.getRuntime().addShutdownHook(new Thread(bench::cleanup, "bench-cleanup"));
        int rc = 0;
        try {
            bench.run(Integer.parseInt(args[0]), Integer.parseInt(args[1]), opts);
        } catch (Exception e) {
            e.printStackTrace();
            rc = 1;
        } finally {
            bench.cleanup();
        }
        System.exit(rc);
    }

    void run(int m, int u, Map<String, String> opts) throws Exception {
        Path jar = Path.of(opts.getOrDefault("jar", "target/nats-operator.jar")).toAbsolutePath();
        int steadySeconds = Integer.parseInt(opts.getOrDefault("steady-seconds", "60"));
        int settleSeconds = Integer.parseInt(opts.getOrDefault("settle-seconds", "10"));
        int namespaces = Integer.parseInt(opts.getOrDefault("namespaces", "10"));
        int timeoutSeconds = Integer.parseInt(opts.getOrDefault("timeout-seconds", "900"));
        String label = opts.getOrDefault("label", jar.getFileName().toString());
        // --memory-limit 512m: the operator runs in a memory cgroup of that size, so the JVM sizes itself and picks its collector
        // as in the chart's container (the chart's flags then apply as they are), and is killed past it.
        String memoryLimitOption = opts.get("memory-limit");
        String jvmOptions = opts.getOrDefault("jvm-options", memoryLimitOption != null ? CHART_JVM_OPTIONS : DEFAULT_JVM_OPTIONS);
        boolean trickling = Boolean.parseBoolean(opts.getOrDefault("trickling-puppet", "false"));
        int puppetDelaySeconds = Integer.parseInt(opts.getOrDefault("puppet-delay-seconds", "0"));
        String keyAlgorithm = opts.get("key-algorithm");
        boolean dead = Boolean.parseBoolean(opts.getOrDefault("dead-brokers", "false"));
        int deadSettleSeconds = Integer.parseInt(opts.getOrDefault("dead-settle-seconds", "90"));
        int inventory = Integer.parseInt(opts.getOrDefault("puppet-certificates", "0"));
        int enrolled = Integer.parseInt(opts.getOrDefault("enrolled", inventory > 0 ? "10" : "0"));
        String jfr = opts.get("jfr");
        if (jfr != null) {
            jvmOptions += " -XX:StartFlightRecording=name=bench,settings=profile";
            jfr = Path.of(jfr).toAbsolutePath().toString();
        }
        if (enrolled > m) throw new IllegalArgumentException("--enrolled " + enrolled + " > M " + m);
        if (!Files.isRegularFile(jar)) throw new IllegalArgumentException(jar + " not found (mvn -q package -DskipTests)");
        Path outDir = Path.of("target/bench").toAbsolutePath();
        Files.createDirectories(outDir);
        String stamp = LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss"));
        if (dead) {
            // Every broker's DNS name resolves (the JDK's own hosts file, jdk.net.hosts.file) to one of three listeners that
            // accept and never answer, on the default monitoring port: the operator's mesh poller asks them as it would in a cluster.
            Path hosts = outDir.resolve("hosts-" + stamp);
            StringBuilder h = new StringBuilder("127.0.0.1 localhost\n");
            List<String> clusters = new ArrayList<>();
            for (int i = 0; i < m; i++) clusters.add(String.format("bench-%02d/nc-%04d", i % namespaces, i));
            clusters.add("bench-00/slow-puppet");
            for (String c : clusters) {
                String ns = c.substring(0, c.indexOf('/')), name = c.substring(c.indexOf('/') + 1);
                for (int b = 0; b < 3; b++) {
                    h.append(DEAD_ADDRESSES[b]).append(' ').append(name).append('-').append(b).append('.').append(name)
                            .append("-headless.").append(ns).append(".svc.cluster.local\n");
                }
            }
            Files.writeString(hosts, h);
            jvmOptions += " -Djdk.net.hosts.file=" + hosts;
            for (String a : DEAD_ADDRESSES) {
                ServerSocket silent = new ServerSocket(8222, 512, InetAddress.getByName(a));
                silentListeners.add(silent);
                Thread t = new Thread(() -> DeadBrokersBench.acceptAndStaySilent(silent), "silent-" + a);
                t.setDaemon(true);
                t.start();
            }
        }
        System.out.printf("OperatorScaleBench M=%d U=%d namespaces=%d jar=%s, %d cores, operator JAVA_TOOL_OPTIONS=%s%n", m, u,
                namespaces, jar, Runtime.getRuntime().availableProcessors(), jvmOptions);

        MOCK_LOG.setLevel(java.util.logging.Level.WARNING);
        String loadBefore = loadAverage();
        // ---- the mock API server, loopback only, TLS like a real one
        IndexedCrudDispatcher dispatcher = new IndexedCrudDispatcher();
        server = io.choria.natsoperator.local.EmbeddedApiServer.crudServer(dispatcher);
        server.init(InetAddress.getLoopbackAddress(), 0);
        String masterUrl = "https://127.0.0.1:" + server.getPort() + "/";
        dispatcher.onRequest(this::count);
        dispatcher.onWrite(this::watchReconciled);
        Thread drainer = new Thread(() -> {
            // the mock also queues every request for takeRequest(); drop them so they do not pile up
            try {
                while (true) {
                    if (server.takeRequest(1, TimeUnit.SECONDS) == null) continue;
                }
            } catch (Exception e) {
                // stopped
            }
        }, "request-drain");
        drainer.setDaemon(true);
        drainer.start();
        client = new KubernetesClientBuilder().withConfig(new ConfigBuilder().withMasterUrl(masterUrl).withTrustCerts(true)
                .withUserAgent(BENCH_AGENT).withNamespace("default").withRequestTimeout(60_000).withAutoConfigure(false).build()).build();
        CustomResourceDefinition crd = Serialization.unmarshal(Files.readString(Path.of("crds/natsclusters.choria.io-v1.yml")),
                CustomResourceDefinition.class);
        client.apiextensions().v1().customResourceDefinitions().resource(crd).create();

        // ---- setup: namespaces, CA Secrets, unrelated Secrets
        long t0 = System.nanoTime();
        TestCa ca = TestCa.rsaRoot("Puppet CA: bench.test");
        List<String> nsNames = new ArrayList<>();
        for (int i = 0; i < namespaces; i++) {
            String ns = String.format("bench-%02d", i);
            nsNames.add(ns);
            client.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName(ns).endMetadata().build()).create();
            client.secrets().inNamespace(ns).resource(new SecretBuilder().withNewMetadata().withName("puppet-ca").endMetadata()
                    .addToData("ca.crt", b64(ca.chainPem())).addToData("ca.key", b64(ca.traditionalKeyPem())).build()).create();
        }
        ExecutorService pool = Executors.newFixedThreadPool(4);
        List<Future<?>> futures = new ArrayList<>();
        for (int i = 0; i < u; i++) {
            int n = i;
            futures.add(pool.submit(() -> {
                Random r = new Random(n);
                byte[] a = new byte[600], b = new byte[500], c = new byte[200];
                r.nextBytes(a);
                r.nextBytes(b);
                r.nextBytes(c);
                client.secrets().inNamespace(nsNames.get(n % namespaces)).resource(new SecretBuilder().withNewMetadata()
                        .withName(String.format("unrelated-%05d", n)).addToLabels("app", "something-else").endMetadata()
                        .addToData("token", Base64.getEncoder().encodeToString(a))
                        .addToData("config.json", Base64.getEncoder().encodeToString(b))
                        .addToData("id", Base64.getEncoder().encodeToString(c)).build()).create();
            }));
        }
        for (Future<?> f : futures) f.get();
        futures.clear();
        System.out.printf("setup: %d namespaces, %d unrelated Secrets in %.1f s (mock holds %d objects)%n", namespaces, u,
                secondsSince(t0), dispatcher.size());
        if (inventory > 0) {
            long g = System.nanoTime();
            TestCa inventoryCa = TestCa.ecRoot("Puppet CA: inventory stand-in");
            bigPuppet = io.choria.natsoperator.testing.PuppetCaStandIn.start(inventoryCa);
            bigPuppet.puppet7Rows();
            bigPuppet.addNodes(inventory, "example.net", 2);
            inventorySize = inventory;
            for (String ns : nsNames) {
                client.secrets().inNamespace(ns).resource(new SecretBuilder().withNewMetadata().withName("inventory-ca-bundle").endMetadata()
                        .addToData("ca.crt", b64(inventoryCa.certPem())).build()).create();
            }
            System.out.printf("Puppet CA stand-in: %d signed node certificates (EC P-256, Puppet 7 rows) made in %.1f s; %d of the M enrol%n",
                    inventory, secondsSince(g), enrolled);
        }

        // ---- the operator
        int httpPort;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            httpPort = s.getLocalPort();
        }
        Path kubeconfig = outDir.resolve("kubeconfig-" + server.getPort() + ".yaml");
        Files.writeString(kubeconfig, "apiVersion: v1\nkind: Config\nclusters:\n- name: mock\n  cluster:\n    server: " + masterUrl
                + "\n    insecure-skip-tls-verify: true\nusers:\n- name: bench\n  user:\n    token: bench\ncontexts:\n"
                + "- name: mock\n  context:\n    cluster: mock\n    user: bench\n    namespace: default\ncurrent-context: mock\n");
        Path log = outDir.resolve("operator-" + stamp + ".log");
        String javaBin = ProcessHandle.current().info().command().orElse("java");
        List<String> command = new ArrayList<>();
        if (memoryLimitOption != null) {
            memoryLimit = MemoryLimit.create(memoryLimitOption);
            command.addAll(memoryLimit.launchPrefix());
        }
        command.addAll(List.of(javaBin, "-jar", jar.toString(), "run", "--http-port", Integer.toString(httpPort)));
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile());
        Map<String, String> env = pb.environment();
        for (String k : List.of("WATCH_NAMESPACES", "CLUSTER_DOMAIN", "LOG_LEVEL", "HTTP_PORT", "LEADER_ELECTION", "LEASE_NAME",
                "POD_NAMESPACE", "KUBERNETES_MASTER", "KUBERNETES_SERVICE_HOST", "KUBERNETES_SERVICE_PORT", "_JAVA_OPTIONS",
                "JDK_JAVA_OPTIONS")) {
            env.remove(k);
        }
        env.put("KUBECONFIG", kubeconfig.toString());
        env.put("JAVA_TOOL_OPTIONS", jvmOptions);
        if (memoryLimitOption != null) env.put("MALLOC_ARENA_MAX", "2"); // as the chart's deployment sets it
        phase.set(new Counts());
        phases.put("startup", phase.get());
        long launch = System.nanoTime();
        operator = pb.start();
        long pid = operator.pid();
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).build();
        URI readyz = URI.create("http://127.0.0.1:" + httpPort + "/readyz");
        while (true) {
            if (!operator.isAlive()) throw new IllegalStateException("operator exited with " + operator.exitValue() + ", see " + log);
            try {
                if (http.send(HttpRequest.newBuilder(readyz).timeout(Duration.ofSeconds(1)).build(),
                        HttpResponse.BodyHandlers.discarding()).statusCode() == 200) break;
            } catch (IOException e) {
                // not listening yet
            }
            if (secondsSince(launch) > timeoutSeconds) throw new IllegalStateException("no /readyz within " + timeoutSeconds + " s");
            Thread.sleep(50);
        }
        long ready = System.nanoTime();
        Counts create = new Counts();
        phase.set(create);
        phases.put("create", create);
        double readySeconds = (ready - launch) / 1e9;
        long cpuStartup = cpuTicks(pid);
        long self = ProcessHandle.current().pid();
        long mockCpu0 = cpuTicks(self);
        System.out.printf("readyz after %.2f s (pid %d, CPU %.1f s)%n", readySeconds, pid, cpuStartup / 100.0);

        GenericKubernetesResource template = Serialization.unmarshal(Files.readString(Path.of("examples/natscluster-3.yaml")),
                GenericKubernetesResource.class);
        if (keyAlgorithm != null) {
            @SuppressWarnings("unchecked")
            Map<String, Object> tls = (Map<String, Object>) ((Map<String, Object>) template.getAdditionalProperties().get("spec")).get("tls");
            tls.put("keyAlgorithm", keyAlgorithm);
        }
        if (trickling) startTricklingCluster(template, nsNames.get(0), timeoutSeconds, puppetDelaySeconds);
        // ---- create M NatsClusters as fast as 4 threads go
        for (int i = 0; i < m; i++) {
            int n = i;
            futures.add(pool.submit(() -> {
                GenericKubernetesResource nc = Serialization.clone(template);
                nc.getMetadata().setName(String.format("nc-%04d", n));
                nc.getMetadata().setNamespace(nsNames.get(n % namespaces));
                if (n < enrolled) enrol(nc);
                client.genericKubernetesResources(NATS_CLUSTERS).inNamespace(nc.getMetadata().getNamespace()).resource(nc).create();
            }));
        }
        for (Future<?> f : futures) f.get();
        pool.shutdown();
        double createdSeconds = secondsSince(ready);
        System.out.printf("created %d NatsClusters in %.2f s after readyz%n", m, createdSeconds);
        long lastReport = System.nanoTime();
        while (reconciledAt.size() < m) {
            if (!operator.isAlive()) throw new IllegalStateException("operator exited with " + operator.exitValue() + ", see " + log);
            if (secondsSince(ready) > timeoutSeconds) {
                throw new IllegalStateException("only " + reconciledAt.size() + "/" + m + " reconciled after " + timeoutSeconds + " s");
            }
            if (secondsSince(lastReport) > 10) {
                System.out.printf("  %.0f s: %d/%d reconciled%n", secondsSince(ready), reconciledAt.size(), m);
                lastReport = System.nanoTime();
            }
            Thread.sleep(20);
        }
        long first = reconciledAt.values().stream().min(Long::compare).orElseThrow();
        long all = reconciledAt.values().stream().max(Long::compare).orElseThrow();
        double firstSeconds = (first - ready) / 1e9;
        double allSeconds = (all - ready) / 1e9;
        long cpuCreate = cpuTicks(pid) - cpuStartup;
        // this process (mock server + creating clients): if it nears the operator's, the mock sets the pace
        long mockCpuCreate = cpuTicks(self) - mockCpu0;
        System.out.printf("reconciled: first %.2f s, all %.2f s after readyz (operator CPU %.1f s)%n", firstSeconds, allSeconds,
                cpuCreate / 100.0);
        String jcmd = Path.of(javaBin).resolveSibling("jcmd").toString();
        if (jfr != null) {
            // start-up and create only: dumped once all are reconciled
            System.out.println("JFR: " + exec(jcmd, Long.toString(pid), "JFR.dump", "name=bench", "filename=" + jfr).trim());
            exec(jcmd, Long.toString(pid), "JFR.stop", "name=bench");
        }
        Thread.sleep(settleSeconds * 1000L);
        Map<String, Object> deadBrokers = null;
        if (dead) {
            // the brokers look ready (as a StatefulSet controller would write it), so the mesh poller asks them
            Counts deadPhase = new Counts();
            phase.set(deadPhase);
            phases.put("dead", deadPhase);
            long d0 = System.nanoTime();
            List<String> readyNames = new ArrayList<>();
            for (int i = 0; i < m; i++) readyNames.add(String.format("%s/nc-%04d", nsNames.get(i % namespaces), i));
            if (trickling) readyNames.add(nsNames.get(0) + "/slow-puppet");
            ExecutorService readyPool = Executors.newFixedThreadPool(4);
            List<Future<?>> readies = new ArrayList<>();
            for (String c : readyNames) readies.add(readyPool.submit(() -> { markReady(c); return null; }));
            for (Future<?> f : readies) f.get();
            readyPool.shutdown();
            System.out.printf("dead brokers: %d StatefulSets marked 3/3 ready in %.1f s; waiting %d s for the poller's first round%n",
                    readyNames.size(), secondsSince(d0), deadSettleSeconds);
            Thread.sleep(deadSettleSeconds * 1000L);
            deadBrokers = new LinkedHashMap<>();
            deadBrokers.put("markedReady", readyNames.size());
            deadBrokers.put("settleSeconds", deadSettleSeconds);
            deadBrokers.put("requests", deadPhase.sorted());
            deadBrokers.put("silentConnections", DeadBrokersBench.ACCEPTED.sum());
            System.out.printf("dead brokers: requests while the poller's first round ran: %s; connections to the silent brokers: %d%n",
                    deadPhase.sorted(), DeadBrokersBench.ACCEPTED.sum());
        }

        if (inventory > 0) {
            // Settled means the first sync is done: every enrolled cluster's list holds the inventory (its status follows).
            long w0 = System.nanoTime();
            while (fullListAt.size() < enrolled) {
                if (secondsSince(w0) > timeoutSeconds) throw new IllegalStateException(fullListAt.size() + " of " + enrolled + " lists written");
                if (!operator.isAlive()) {
                    throw new IllegalStateException("operator exited with " + operator.exitValue() + " while " + fullListAt.size() + " of "
                            + enrolled + " lists were written" + (memoryLimit != null ? " (memory cgroup: " + memoryLimit.oomKills()
                            + " OOM kills, peak " + memoryLimit.peakBytes() / 1048576 + " MiB)" : "") + ", see " + log);
                }
                Thread.sleep(200);
            }
            System.out.printf("inventory: every enrolled cluster's list holds it %.1f s after all were reconciled; settling %d s%n",
                    secondsSince(w0) + settleSeconds, settleSeconds);
            Thread.sleep(settleSeconds * 1000L);
        }

        // ---- steady state (heap after a full GC at its start too: does it grow?)
        exec(jcmd, Long.toString(pid), "GC.run");
        long heapStartKb = heapUsedKb(exec(jcmd, Long.toString(pid), "GC.heap_info"));
        long rssStartKb = group(RSS, Files.readString(Path.of("/proc/" + pid + "/status")));
        long silent0 = DeadBrokersBench.ACCEPTED.sum();
        List<long[]> syncs0 = bigPuppet == null ? List.of() : bigPuppet.timings("certificate_statuses");
        Counts steady = new Counts();
        phase.set(steady);
        phases.put("steady", steady);
        long cpuSteady0 = cpuTicks(pid);
        long s0 = System.nanoTime();
        Thread.sleep(steadySeconds * 1000L);
        double steadyElapsed = secondsSince(s0);
        long cpuSteady = cpuTicks(pid) - cpuSteady0;
        long silentInSteady = DeadBrokersBench.ACCEPTED.sum() - silent0;
        phase.set(new Counts());

        // ---- memory
        String status = Files.readString(Path.of("/proc/" + pid + "/status"));
        long rssKb = group(RSS, status);
        long hwmKb = group(HWM, status);
        exec(jcmd, Long.toString(pid), "GC.run");
        String heapInfo = exec(jcmd, Long.toString(pid), "GC.heap_info");
        long heapKb = heapUsedKb(heapInfo);
        System.out.printf("steady window: heap after full GC %.1f MiB at its start, %.1f MiB at its end; RSS %.0f -> %.0f MiB;"
                + " %d connections to silent brokers in it%n", heapStartKb / 1024.0, heapKb / 1024.0, rssStartKb / 1024.0, rssKb / 1024.0,
                silentInSteady);
        Map<String, Object> inventoryResult = bigPuppet == null ? null : inventoryFigures(syncs0, s0, steady, steadyElapsed, log);

        String loadAfter = loadAverage();
        Map<String, Object> pokes = trickling ? poke(m, nsNames) : null;
        if (steadySeconds < 60) {
            // the reconciler wakes each NatsCluster every 60 s (OperatorSettings.DEFAULT_RESYNC); right after the create
            // burst those wake-ups are bunched, so a shorter window over- or under-counts depending on where it falls
            System.out.printf("NOTE: steady window %d s < the operator's 60 s resync: its rates depend on where the window falls%n",
                    steadySeconds);
        }
        // ---- report
        Map<String, Long> writes = new TreeMap<>();
        create.sorted().forEach((k, v) -> {
            if (k.startsWith("POST") || k.startsWith("PUT") || k.startsWith("PATCH") || k.startsWith("DELETE")) writes.put(k, v);
        });
        long writesTotal = writes.values().stream().mapToLong(Long::longValue).sum();
        double perCluster = m == 0 ? 0 : (double) writesTotal / m;
        double gets = steady.total("GET") / steadyElapsed;
        double lists = steady.total("LIST") / steadyElapsed;
        double watches = steady.total("WATCH") / steadyElapsed;
        double steadyWrites = steady.total("POST PUT PATCH DELETE") / steadyElapsed;

        System.out.println();
        System.out.printf("start-up: /readyz after %.2f s%n", readySeconds);
        System.out.printf("create: %d NatsClusters posted in %.2f s; first reconciled %.2f s, all %.2f s after /readyz%n", m,
                createdSeconds, firstSeconds, allSeconds);
        System.out.printf("writes per NatsCluster (readyz .. all reconciled + %d s): %.2f%n", settleSeconds, perCluster);
        writes.forEach((k, v) -> System.out.printf("  %-40s %7d  %6.2f/cluster%n", k, v, m == 0 ? 0.0 : (double) v / m));
        System.out.printf("create-phase operator requests: %s; responses by code %s%n", create.sorted(), codes(create));
        System.out.printf("steady (%.0f s): GET %.2f/s, LIST %.2f/s, WATCH %.2f/s, writes %.2f/s; %s; codes %s%n", steadyElapsed, gets,
                lists, watches, steadyWrites, steady.sorted(), codes(steady));
        System.out.printf("operator: RSS %.0f MiB (peak %.0f MiB), heap after full GC %.1f MiB, CPU start-up %.1f s,"
                + " create %.1f s, steady %.1f s (%.1f%% of a core)%n", rssKb / 1024.0, hwmKb / 1024.0, heapKb / 1024.0,
                cpuStartup / 100.0, cpuCreate / 100.0, cpuSteady / 100.0, cpuSteady / steadyElapsed);
        if (memoryLimit != null) {
            System.out.printf("memory cgroup (%s): peak %.0f MiB, limit hit %d times, OOM kills %d%n", memoryLimitOption,
                    memoryLimit.peakBytes() / 1048576.0, memoryLimit.failures(), memoryLimit.oomKills());
        }
        System.out.printf("benchmark process (mock server): CPU %.1f s over the create phase%n", mockCpuCreate / 100.0);
        System.out.printf("load average (1/5/15 min) before: %s, after: %s (shared machine: timings scale with it)%n", loadBefore, loadAfter);
        System.out.println();
        String header = "| jar | M | U | readyz s | first s | all s | writes/NC | GET/s | LIST/s | WATCH/s | writes/s | RSS MiB | heap MiB"
                + " | CPU create s | CPU steady s |";
        String row = String.format("| %s | %d | %d | %.1f | %.1f | %.1f | %.1f | %.1f | %.2f | %.2f | %.2f | %.0f | %.0f | %.1f | %.1f |",
                label, m, u, readySeconds, firstSeconds, allSeconds, perCluster, gets, lists, watches, steadyWrites, rssKb / 1024.0,
                heapKb / 1024.0, cpuCreate / 100.0, cpuSteady / 100.0);
        System.out.println(header);
        System.out.println("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|");
        System.out.println(row);

        Map<String, Object> result = new LinkedHashMap<>();
        result.put("jar", jar.toString());
        result.put("label", label);
        result.put("M", m);
        result.put("U", u);
        result.put("namespaces", namespaces);
        result.put("jvmOptions", jvmOptions);
        if (memoryLimit != null) {
            result.put("memoryLimit", memoryLimitOption);
            result.put("cgroupPeakMiB", memoryLimit.peakBytes() / 1048576.0);
            result.put("cgroupLimitHits", memoryLimit.failures());
            result.put("oomKills", memoryLimit.oomKills());
        }
        result.put("readySeconds", readySeconds);
        result.put("createdSeconds", createdSeconds);
        result.put("firstReconciledSeconds", firstSeconds);
        result.put("allReconciledSeconds", allSeconds);
        result.put("settleSeconds", settleSeconds);
        result.put("writesPerNatsCluster", perCluster);
        result.put("createWrites", writes);
        result.put("createRequests", create.sorted());
        result.put("startupRequests", phases.get("startup").sorted());
        result.put("steadySeconds", steadyElapsed);
        result.put("steadyRequests", steady.sorted());
        result.put("steadyPerSecond", Map.of("GET", gets, "LIST", lists, "WATCH", watches, "writes", steadyWrites));
        result.put("rssMiB", rssKb / 1024.0);
        result.put("peakRssMiB", hwmKb / 1024.0);
        result.put("heapAfterGcMiB", heapKb / 1024.0);
        result.put("cpuStartupSeconds", cpuStartup / 100.0);
        result.put("cpuCreateSeconds", cpuCreate / 100.0);
        result.put("cpuSteadySeconds", cpuSteady / 100.0);
        result.put("mockCpuCreateSeconds", mockCpuCreate / 100.0);
        result.put("loadAverageBefore", loadBefore);
        result.put("loadAverageAfter", loadAfter);
        result.put("heapInfo", heapInfo);
        result.put("markdownRow", row);
        if (pokes != null) result.put("tricklingPuppet", pokes);
        result.put("heapAtSteadyStartMiB", heapStartKb / 1024.0);
        result.put("rssAtSteadyStartMiB", rssStartKb / 1024.0);
        result.put("keyAlgorithm", keyAlgorithm);
        if (deadBrokers != null) {
            deadBrokers.put("silentConnectionsInSteady", silentInSteady);
            result.put("deadBrokers", deadBrokers);
        }
        if (inventoryResult != null) result.put("inventory", inventoryResult);
        if (jfr != null) result.put("jfr", jfr);
        result.put("operatorLog", log.toString());
        Path out = outDir.resolve("OperatorScaleBench-" + stamp + "-M" + m + "-U" + u + ".json");
        Files.writeString(out, Serialization.jsonMapper().writerWithDefaultPrettyPrinter().writeValueAsString(result));
        Files.writeString(outDir.resolve("OperatorScaleBench.md"), row + "\n", StandardCharsets.UTF_8,
                java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.APPEND);
        System.out.println("results: " + out + " (row also appended to " + outDir.resolve("OperatorScaleBench.md") + ")");
    }

    /** Counts a request the mock answered, unless the benchmark sent it. */
    private void count(RecordedRequest request, MockResponse response) {
        String agent = request.getHeader("User-Agent");
        if (agent != null && agent.startsWith(BENCH_AGENT)) return;
        String path = request.getPath();
        String query = "";
        int q = path.indexOf('?');
        if (q >= 0) {
            query = path.substring(q + 1);
            path = path.substring(0, q);
        }
        String[] seg = path.split("/");
        String kind = path;
        boolean named = false;
        // /api/v1[/namespaces/ns]/plural[/name[/sub]] or /apis/group/version[/namespaces/ns]/plural[/name[/sub]]
        int i = seg.length > 1 && seg[1].equals("api") ? 3 : seg.length > 1 && seg[1].equals("apis") ? 4 : -1;
        if (i > 0 && seg.length > i) {
            if (seg[i].equals("namespaces") && seg.length > i + 2) i += 2;
            kind = seg[i];
            named = seg.length > i + 1;
            if (seg.length > i + 2) kind += "/" + seg[i + 2];
        }
        String verb = request.getMethod();
        if (verb.equals("GET")) verb = query.contains("watch=true") ? "WATCH" : named ? "GET" : "LIST";
        phase.get().add(verb, kind, response == null ? 0 : response.code());
    }

    /** Notes when each NatsCluster is first seen with observedGeneration == generation. */
    private void watchReconciled(String path, String newState) {
        if (inventorySize > 0 && newState != null && path.contains("/configmaps") && newState.contains("keys in 16 parts")) {
            // The list's manifest, written after its parts: it names how many keys they hold. Holding (nearly) the whole
            // inventory, the list is in place.
            Matcher keys = MANIFEST_KEYS.matcher(newState);
            if (keys.find() && Long.parseLong(keys.group(1)) >= inventorySize) fullListAt.putIfAbsent(path.replaceAll("\\?.*", ""), System.nanoTime());
        }
        if (newState == null || !newState.contains("\"NatsCluster\"") || !newState.contains("observedGeneration")) return;
        JsonNode n = Serialization.unmarshal(newState, JsonNode.class);
        JsonNode meta = n.path("metadata");
        long generation = meta.path("generation").asLong(-1);
        if (generation > 0 && generation == n.path("status").path("observedGeneration").asLong(-2)) {
            String key = meta.path("namespace").asText() + "/" + meta.path("name").asText();
            long now = System.nanoTime();
            observedAt.computeIfAbsent(key, k -> new ConcurrentHashMap<>()).putIfAbsent(generation, now);
            if (!meta.path("name").asText().equals("slow-puppet")) reconciledAt.putIfAbsent(key, now);
        }
    }

    /**
     * bench-00/slow-puppet: enrolment with a Puppet CA stand-in whose certificate_statuses answer trickles at one byte a
     * second; returns once that answer has started (the cluster is enrolled and its first inventory sync is under way).
     */
    private void startTricklingCluster(GenericKubernetesResource template, String ns, int timeoutSeconds, int delaySeconds) throws Exception {
        TestCa puppetCa = TestCa.ecRoot("Puppet CA: trickling stand-in");
        slowPuppet = io.choria.natsoperator.testing.PuppetCaStandIn.start(puppetCa);
        for (int i = 0; i < 20; i++) slowPuppet.addNode(String.format("node%02d.example.net", i));
        slowPuppet.trickle("certificate_statuses", Duration.ofSeconds(1), Duration.ofSeconds(delaySeconds));
        client.secrets().inNamespace(ns).resource(new SecretBuilder().withNewMetadata().withName("puppet-ca-bundle").endMetadata()
                .addToData("ca.crt", b64(puppetCa.certPem())).build()).create();
        GenericKubernetesResource nc = Serialization.clone(template);
        nc.getMetadata().setName("slow-puppet");
        nc.getMetadata().setNamespace(ns);
        @SuppressWarnings("unchecked")
        Map<String, Object> spec = (Map<String, Object>) nc.getAdditionalProperties().get("spec");
        spec.put("tls", new LinkedHashMap<>(Map.of("keyAlgorithm", "EC-P256", "puppet", Map.of("url", slowPuppet.url().toString(),
                "caBundleSecretRef", Map.of("name", "puppet-ca-bundle", "key", "ca.crt"), "syncIntervalSeconds", 5))));
        client.genericKubernetesResources(NATS_CLUSTERS).inNamespace(ns).resource(nc).create();
        long t = System.nanoTime();
        while (slowPuppet.trickling() == 0) {
            if (secondsSince(t) > timeoutSeconds) throw new IllegalStateException("the trickling Puppet CA was never asked for its inventory");
            Thread.sleep(50);
        }
        System.out.printf("slow-puppet: enrolled, its Puppet CA trickling certificate_statuses after %.1f s%n", secondsSince(t));
    }

    /**
     * Pokes each of the M NatsClusters in turn (a spec change), then slow-puppet, and times each until its status shows
     * the new generation.
     */
    private Map<String, Object> poke(int m, List<String> nsNames) throws Exception {
        List<Double> ms = new ArrayList<>();
        int missed = 0;
        for (int i = 0; i < m; i++) {
            Double took = pokeOne(nsNames.get(i % nsNames.size()), String.format("nc-%04d", i), 30);
            if (took == null) missed++;
            ms.add(took == null ? 30_000.0 : took);
        }
        java.util.Collections.sort(ms);
        Double slow = pokeOne(nsNames.get(0), "slow-puppet", 30);
        double p50 = ms.get((int) Math.floor(0.5 * (ms.size() - 1)));
        double p99 = ms.get((int) Math.ceil(0.99 * (ms.size() - 1)));
        double max = ms.get(ms.size() - 1);
        System.out.printf("reconcile time of the other %d clusters while slow-puppet's Puppet CA trickles (spec change to status):"
                + " p50 %.0f ms, p99 %.0f ms, max %.0f ms (%d not within 30 s); slow-puppet's own: %s (answers trickling now: %d)%n", m, p50,
                p99, max, missed, slow == null ? "not within 30 s" : String.format("%.0f ms", slow), slowPuppet.trickling());
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("othersP50Ms", p50);
        r.put("othersP99Ms", p99);
        r.put("othersMaxMs", max);
        r.put("othersMissed", missed);
        r.put("slowPuppetMs", slow);
        r.put("inventoryRequests", slowPuppet.requests("certificate_statuses"));
        return r;
    }

    /** Enrolment with the --puppet-certificates stand-in, revocation enforced, synced every 30 s (the default). */
    private void enrol(GenericKubernetesResource nc) {
        @SuppressWarnings("unchecked")
        Map<String, Object> spec = (Map<String, Object>) nc.getAdditionalProperties().get("spec");
        @SuppressWarnings("unchecked")
        Object algorithm = ((Map<String, Object>) spec.get("tls")).get("keyAlgorithm");
        spec.put("tls", new LinkedHashMap<>(Map.of("keyAlgorithm", algorithm, "verifyClients", true, "puppet", Map.of("url",
                bigPuppet.url().toString(), "caBundleSecretRef", Map.of("name", "inventory-ca-bundle", "key", "ca.crt"),
                "enforceRevocation", true, "syncIntervalSeconds", 30))));
    }

    /** The StatefulSet's status as a StatefulSet controller writes it once all 3 brokers are ready. */
    private void markReady(String nsName) {
        String ns = nsName.substring(0, nsName.indexOf('/')), name = nsName.substring(nsName.indexOf('/') + 1);
        var sts = client.apps().statefulSets().inNamespace(ns).withName(name).get();
        if (sts == null) throw new IllegalStateException("no StatefulSet " + nsName);
        sts.setStatus(new io.fabric8.kubernetes.api.model.apps.StatefulSetStatusBuilder().withReplicas(3).withReadyReplicas(3)
                .withAvailableReplicas(3).withCurrentReplicas(3).withUpdatedReplicas(3).withObservedGeneration(sts.getMetadata().getGeneration())
                .withCurrentRevision(name + "-r1").withUpdateRevision(name + "-r1").build());
        client.resource(sts).updateStatus();
    }

    private static final Pattern MANIFEST_KEYS = Pattern.compile("(\\d+) keys in 16 parts");
    private static final Pattern SYNC_LOG = Pattern.compile("Puppet CA inventory: (\\d+) signed.*\\((\\d+) keys; (\\d+) certificates fetched in (\\d+) ms\\)");

    /**
     * --puppet-certificates: the first sync (from the stand-in's first CRL request to each enrolled cluster's pinned list
     * holding the inventory, in the mock's store; and the operator's own log of it), and the syncs in the steady window
     * (each from its CRL request to its certificate_statuses answer sent).
     */
    private Map<String, Object> inventoryFigures(List<long[]> syncsBefore, long steadyStart, Counts steady, double steadyElapsed, Path log)
            throws IOException {
        Map<String, Object> r = new LinkedHashMap<>();
        List<long[]> crls = bigPuppet.timings("certificate_revocation_list");
        List<long[]> statuses = bigPuppet.timings("certificate_statuses");
        long firstCrl = crls.isEmpty() ? -1 : crls.get(0)[0];
        List<Double> toFull = new ArrayList<>();
        for (long t : fullListAt.values()) toFull.add((t - firstCrl) / 1e9);
        java.util.Collections.sort(toFull);
        List<Double> steadyMs = new ArrayList<>(), steadyStatusesMs = new ArrayList<>();
        for (long[] st : statuses) {
            if (st[0] < steadyStart) continue;
            long crlStart = -1;
            for (long[] c : crls) if (c[0] <= st[0]) crlStart = c[0];
            steadyStatusesMs.add((st[1] - st[0]) / 1e6);
            if (crlStart > 0) steadyMs.add((st[1] - crlStart) / 1e6);
        }
        java.util.Collections.sort(steadyMs);
        java.util.Collections.sort(steadyStatusesMs);
        List<String> logged = new ArrayList<>();
        Matcher lm = SYNC_LOG.matcher(Files.readString(log));
        while (lm.find()) logged.add(lm.group(2) + " keys, " + lm.group(3) + " fetched in " + lm.group(4) + " ms");
        r.put("certificates", inventorySize);
        r.put("listsWithInventory", toFull.size());
        r.put("firstCrlToFullListSeconds", toFull);
        r.put("certificateFetches", bigPuppet.certificateFetches());
        r.put("statusesRequests", statuses.size());
        r.put("steadySyncMs", steadyMs);
        r.put("steadyStatusesAnswerMs", steadyStatusesMs);
        r.put("operatorLog", logged.size() > 12 ? logged.subList(0, 12) : logged);
        long statusWrites = steady.byVerbKind.entrySet().stream().filter(e -> e.getKey().matches("(PUT|PATCH) natsclusters/status"))
                .mapToLong(e -> e.getValue().sum()).sum();
        r.put("steadyStatusWrites", statusWrites);
        System.out.printf("inventory of %d: first sync (first CRL request to a pinned list holding it, per cluster) %s s;"
                + " %d certificate fetches; steady syncs (CRL request to statuses answer sent) %s ms, statuses answer alone %s ms;"
                + " status writes in the steady window: %d (%.0f s)%n", inventorySize, toFull, bigPuppet.certificateFetches(), steadyMs,
                steadyStatusesMs, statusWrites, steadyElapsed);
        System.out.println("operator log of list changes: " + r.get("operatorLog"));
        return r;
    }

    private static long heapUsedKb(String heapInfo) {
        long kb = 0;
        Matcher hm = HEAP_USED.matcher(heapInfo);
        while (hm.find()) kb += Long.parseLong(hm.group(1));
        return kb;
    }

    /** Milliseconds from the spec change to a status with its generation, or null if not within {@code timeoutSeconds}. */
    private Double pokeOne(String ns, String name, int timeoutSeconds) throws Exception {
        var resource = client.genericKubernetesResources(NATS_CLUSTERS).inNamespace(ns).withName(name);
        long sent = System.nanoTime();
        GenericKubernetesResource after = resource.edit(r -> {
            @SuppressWarnings("unchecked")
            Map<String, Object> spec = (Map<String, Object>) r.getAdditionalProperties().get("spec");
            @SuppressWarnings("unchecked")
            Map<String, Object> requests = (Map<String, Object>) ((Map<String, Object>) spec.get("resources")).get("requests");
            requests.put("cpu", "250m".equals(requests.get("cpu")) ? "251m" : "250m");
            return r;
        });
        long generation = after.getMetadata().getGeneration();
        String key = ns + "/" + name;
        while (secondsSince(sent) < timeoutSeconds) {
            Long seen = observedAt.getOrDefault(key, Map.of()).get(generation);
            if (seen != null) return (seen - sent) / 1e6;
            Thread.sleep(1);
        }
        return null;
    }

    private static String loadAverage() {
        try {
            String[] f = Files.readString(Path.of("/proc/loadavg")).split(" ");
            return f[0] + " " + f[1] + " " + f[2];
        } catch (IOException e) {
            return "?";
        }
    }

    private static String codes(Counts c) {
        Map<Integer, Long> m = new TreeMap<>();
        c.byCode.forEach((k, v) -> m.put(k, v.sum()));
        return m.toString();
    }

    private static long cpuTicks(long pid) throws IOException {
        String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
        // fields after the ")" that closes the command name: state is field 3; utime 14, stime 15
        String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        return Long.parseLong(f[11]) + Long.parseLong(f[12]);
    }

    private static long group(Pattern p, String s) {
        Matcher matcher = p.matcher(s);
        return matcher.find() ? Long.parseLong(matcher.group(1)) : -1;
    }

    private static String exec(String... cmd) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        p.waitFor(60, TimeUnit.SECONDS);
        return out;
    }

    private static String b64(String s) {
        return Base64.getEncoder().encodeToString(s.getBytes(StandardCharsets.UTF_8));
    }

    private static double secondsSince(long nanos) {
        return (System.nanoTime() - nanos) / 1e9;
    }

    /** Stops the operator (SIGTERM, then SIGKILL after 10 s) and the mock server; safe to call twice. */
    synchronized void cleanup() {
        Process p = operator;
        operator = null;
        if (p != null && p.isAlive()) {
            p.destroy();
            try {
                if (!p.waitFor(10, TimeUnit.SECONDS)) {
                    p.destroyForcibly();
                    p.waitFor(5, TimeUnit.SECONDS);
                }
            } catch (InterruptedException e) {
                p.destroyForcibly();
                Thread.currentThread().interrupt();
            }
        }
        if (client != null) client.close();
        client = null;
        if (memoryLimit != null) memoryLimit.close();
        memoryLimit = null;
        if (server != null) server.destroy();
        server = null;
        if (slowPuppet != null) slowPuppet.close();
        slowPuppet = null;
        if (bigPuppet != null) bigPuppet.close();
        bigPuppet = null;
        for (ServerSocket s : silentListeners) {
            try {
                s.close();
            } catch (IOException e) {
                // closing anyway
            }
        }
        silentListeners.clear();
    }
}
