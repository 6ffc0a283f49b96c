package io.choria.natsoperator.bench;

import io.choria.natsoperator.api.TlsSpec;
import io.choria.natsoperator.brokers.LocalBrokerCluster;
import io.choria.natsoperator.model.BrokerStatefulSet;
import io.choria.natsoperator.mesh.MonitorClient;
import io.choria.natsoperator.pki.TestCa;
import io.choria.natsoperator.testing.Examples;
import io.nats.client.Connection;
import io.nats.client.Nats;
import io.nats.client.Options;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;

/**
 * Reconnect storms against one real broker in its own network namespace, under kernel settings,
 * broker keys, CPU quotas and TLS limits given on the command line, and a rolling restart of three
 * brokers with and without the rendered lame-duck preStop hook.
 *
 * <pre>
 *   ulimit -n 20000; bench/run ReconnectStormBench storm 2000,5000,10000
 *   JAVA_TOOL_OPTIONS="-Dstorm.cpu=0.5 -Dstorm.arms=operator,128/128" bench/run ReconnectStormBench storm 1000,2500
 *   ulimit -n 20000; bench/run ReconnectStormBench rolling 6000
 * </pre>
 *
 * Needs root, {@code ip}, {@code taskset}, {@code nstat}, nats-server and (for the default nodes)
 * Debian's golang-go and golang-github-nats-io-go-nats-dev. The broker runs under
 * {@code taskset -c 0} (and in a CPU-quota cgroup with {@code -Dstorm.cpu}), the nodes on CPU 1
 * (this JVM is moved there at start). storm: the broker listens on 10.203.0.2 inside
 * {@code nats-bench-<pid>}, reached over a veth pair from 10.203.0.1; its sysctls are set inside
 * that namespace, for "operator" by running the rendered init container's script there.
 * Properties:
 * <ul>
 *   <li>{@code -Dstorm.nodes=go|swarm}: the nodes: {@link GoNodes} (nats.go as go-choria configures
 *       it; default) or {@link NodeSwarm} (this JVM); {@code -Dstorm.backoff=choria|natsgo} (Go only:
 *       go-choria's backoff, default, or nats.go's 2 s + jitter); {@code -Dstorm.randomize=true};</li>
 *   <li>{@code -Dstorm.arms=operator,netns-default,old-default,S/B}: kernel settings, S/B = somaxconn/tcp_max_syn_backlog;</li>
 *   <li>{@code -Dstorm.keys=RSA-2048,EC-P256}: broker keys; {@code -Dstorm.nodeCert=ec|rsa4096|ec-puppet}
 *       (rsa4096: Puppet's shape, RSA-4096 node key under an RSA-4096 intermediate and root; ec-puppet: an EC
 *       P-256 node key under that chain);</li>
 *   <li>{@code -Dstorm.cpu=0.5}: the broker's CPU quota; {@code -Dstorm.tlsTimeout=S},
 *       {@code -Dstorm.rateLimit=R}: spec.tls.handshakeTimeoutSeconds and connectionRateLimit;</li>
 *   <li>{@code -Dstorm.pinned=N}: the broker admits a pinned list of N certnames, the nodes' among them (the operator's cut,
 *       assembled by the rendered init container's script); {@code -Dstorm.authorization=true}: and each is a NATS user
 *       (spec.authorization with the nodes' collective {@code choria}; see {@link AuthorizationBench});</li>
 *   <li>{@code -Dstorm.runs=3}, {@code -Dstorm.seconds=120} (bound per storm), {@code -Dstorm.signal=KILL|TERM},
 *       {@code -Dswarm.timeout=2} (the nodes' connect timeout, seconds), {@code -Dswarm.inflight=200}
 *       (attempts outstanding in a steady connect), {@code -Dswarm.warmup=2000} (swarm only: JIT warm-up nodes).</li>
 * </ul>
 * Every storm starts from N connected nodes: after a storm not over at its bound, fresh nodes
 * connect steadily. rolling: three brokers on loopback (127.0.0.236-238, all pinned to CPU 0), the
 * nodes with all three as their middleware_hosts, rotated per node, the same for all, or random
 * ({@code -Drolling.nodes=go:rotate,go:same,go:random}, or {@code swarm}); each order and stop mode
 * ({@code -Drolling.modes=lame,plain,kill}) starts from fresh nodes; {@code -Drolling.seconds=180} bounds a step.
 */
public final class ReconnectStormBench {
    static final String HOST_ADDRESS = "10.203.0.1";
    static final String BROKER_ADDRESS = "10.203.0.2";
    static final String NETNS_PREFIX = "nats-bench-";
    static final List<String> COUNTERS = List.of("TcpExtListenOverflows", "TcpExtListenDrops", "TcpExtTCPReqQFullDrop",
            "TcpExtTCPReqQFullDoCookies", "TcpExtSyncookiesSent", "TcpExtSyncookiesFailed");
    static final int INFLIGHT = Integer.getInteger("swarm.inflight", 200);
    static final Duration CONNECT_BOUND = Duration.ofMinutes(5);
    /** How long a rolling-restart step may take to have every node back before the row says it did not. */
    static final Duration ROLLING_BOUND = Duration.ofSeconds(Long.getLong("rolling.seconds", 180));
    static final Duration STORM_BOUND = Duration.ofSeconds(Long.getLong("storm.seconds", 120));
    /** nats.go's reconnect wait and jitter; the phase timeout from -Dswarm.timeout (seconds, nats.go's 2 by default). */
    /** go (nats.go as go-choria configures it, the default) or swarm (NodeSwarm in this JVM). */
    static final String GENERATOR = System.getProperty("storm.nodes", "go");
    /** The Go nodes' reconnect delay: choria (go-choria's backoff.TwentySec) or natsgo (2 s + jitter below 1 s, as NodeSwarm). */
    static final String BACKOFF = System.getProperty("storm.backoff", "choria");
    static final boolean RANDOMIZE = Boolean.getBoolean("storm.randomize");
    /** The broker's CPU quota in CPUs (a cgroup), 0 for none: it has CPU 0 to itself. */
    static final double BROKER_CPU = Double.parseDouble(System.getProperty("storm.cpu", "0"));
    /** A pinned list of this many certnames (0: none); with {@code storm.authorization} each a NATS user. */
    static final int PINNED = Integer.getInteger("storm.pinned", 0);
    static final boolean AUTHORIZATION = Boolean.getBoolean("storm.authorization");
    static final NodeSwarm.Settings SETTINGS = new NodeSwarm.Settings(NodeSwarm.Settings.NATS_GO.reconnectWait(),
            NodeSwarm.Settings.NATS_GO.jitter(), Duration.ofSeconds(Long.getLong("swarm.timeout", 2)));

    /** Kernel settings of the broker's namespace: null values mean the operator's init container script. */
    record Arm(String name, Integer somaxconn, Integer synBacklog) {
        static Arm of(String name) {
            if (name.matches("\\d+/\\d+")) { // somaxconn/tcp_max_syn_backlog, set as given
                String[] v = name.split("/");
                return new Arm(name, Integer.parseInt(v[0]), Integer.parseInt(v[1]));
            }
            return switch (name) {
                case "operator" -> new Arm(name, null, null);
                case "netns-default" -> new Arm(name, 4096, 2048); // a fresh namespace on this kernel (6.x)
                case "old-default" -> new Arm(name, 128, 128);      // somaxconn before Linux 5.4; the syn backlog floor
                default -> throw new IllegalArgumentException("arm " + name);
            };
        }
    }

    record Storm(int n, String key, String arm, String sysctls, double allBackS, double p50S, double p90S, int back, long handshakeTimeouts,
                 int over3, int maxAttempts, Map<String, Long> counters, double generatorCores, double steadyS) {}

    public static void main(String[] args) throws Exception {
        String mode = args.length > 0 ? args[0] : "storm";
        pinSelf(1);
        NodeSwarm.offerGoKeyShares();
        System.out.println(machine());
        System.out.println("swarm: reconnect wait " + SETTINGS.reconnectWait().toMillis() + " ms + jitter below " + SETTINGS.jitter().toMillis()
                + " ms, phase timeout " + SETTINGS.timeout().toMillis() + " ms");
        int code = 0;
        try {
            if (mode.equals("storm")) {
                List<Integer> ns = Arrays.stream((args.length > 1 ? args[1] : "2000").split(",")).map(Integer::parseInt).toList();
                storms(ns);
            } else if (mode.equals("rolling")) {
                rolling(args.length > 1 ? Integer.parseInt(args[1]) : 6000);
            } else {
                throw new IllegalArgumentException("usage: ReconnectStormBench storm N[,N...] | rolling N");
            }
        } catch (Exception e) {
            e.printStackTrace();
            code = 1;
        }
        System.out.println("loadavg at end: " + loadavg());
        System.exit(code);
    }

    // ---- storms against one broker in its own network namespace -------------------------------------

    static void storms(List<Integer> sizes) throws Exception {
        int runs = Integer.getInteger("storm.runs", 3);
        List<Arm> arms = Arrays.stream(System.getProperty("storm.arms", "operator,netns-default,old-default").split(",")).map(Arm::of).toList();
        List<TlsSpec.KeyAlgorithm> keys = Arrays.stream(System.getProperty("storm.keys", "RSA-2048,EC-P256").split(","))
                .map(k -> TlsSpec.KeyAlgorithm.valueOf(k.replace('-', '_'))).toList();
        List<Storm> results = new ArrayList<>();
        List<String> steady = new ArrayList<>();
        String shape = System.getProperty("storm.nodeCert", "ec");
        boolean rsaNodes = "rsa4096".equals(shape);
        // ec-puppet: Puppet's RSA-4096 root and intermediate, an EC P-256 node key. The broker checks the same RSA-4096
        // chain as for Puppet's nodes, while each node's own signature costs it ~1 ms instead of RSA-4096's 10-14 ms,
        // so one generator core drives a storm at the target sizes.
        boolean puppetChain = rsaNodes || "ec-puppet".equals(shape);
        // Puppet's shape: RSA-4096 root, intermediate and node keys; or one EC P-256 node key under an RSA root
        TestCa ca = puppetChain ? TestCa.puppetShaped(4096) : TestCa.rsaRoot("Puppet CA: storm");
        // with a pinned list the node's key must be known before the broker starts: a certificate of its own (DNS SAN = CN)
        TestCa.Pems nodeCert = rsaNodes ? ca.issueClientCertificate("node-0.example.net", TestCa.rsaKeys(4096))
                : puppetChain || PINNED > 0 ? ca.issueClientCertificate("node-0.example.net") : null;
        if (AUTHORIZATION && PINNED == 0) throw new IllegalArgumentException("storm.authorization needs storm.pinned (the users are the list's)");
        System.out.println("nodes: " + GENERATOR + (GENERATOR.equals("go") ? " (nats.go, backoff " + BACKOFF + ", randomize " + RANDOMIZE + ")" : "")
                + ", node certificate " + (rsaNodes ? "RSA-4096 under an RSA-4096 intermediate and root"
                        : puppetChain ? "EC P-256 under an RSA-4096 intermediate and root" : "EC P-256 under an RSA-2048 root")
                + ", broker CPU quota " + (BROKER_CPU > 0 ? BROKER_CPU : "none (one whole CPU)"));
        try (Netns netns = Netns.create(); CpuQuota quota = CpuQuota.create(BROKER_CPU)) {
            System.out.println("namespace " + netns.name + ": fresh somaxconn " + netns.read("net/core/somaxconn")
                    + ", tcp_max_syn_backlog " + netns.read("net/ipv4/tcp_max_syn_backlog") + ", tcp_syncookies "
                    + netns.read("net/ipv4/tcp_syncookies") + " (host: " + sh(List.of("cat", "/proc/sys/net/ipv4/tcp_max_syn_backlog")).trim()
                    + "; tcp_max_syn_backlog is per namespace when these differ after a write)");
            for (int n : sizes) {
                for (TlsSpec.KeyAlgorithm key : keys) {
                    System.out.println("---- N = " + n + ", broker key " + key.specName() + ", loadavg " + loadavg());
                    LocalBrokerCluster broker = startBroker(netns, quota, ca, key, arms.get(0), nodeCert);
                    TestCa.Pems cert = nodeCert != null ? nodeCert : broker.clientCertificate();
                    StormNodes nodes = null;
                    try {
                        warmUp(broker, cert);
                        nodes = newNodes(broker, cert, n);
                        long idle = BrokerLoadBench.rssBytes(broker.pid(0));
                        long cpu0 = nodes.cpuNanos(), brokerCpu0 = BrokerLoadBench.cpuNanos(broker.pid(0));
                        double connectS = nodes.connectSteadily(n, INFLIGHT, CONNECT_BOUND);
                        String cpu = String.format("CPU per node: generator %.1f ms, broker %.1f ms", (nodes.cpuNanos() - cpu0) / 1e6 / n,
                                (BrokerLoadBench.cpuNanos(broker.pid(0)) - brokerCpu0) / 1e6 / n);
                        System.out.printf("steady connect: %d nodes in %.1f s; %s%n", n, connectS, cpu);
                        Thread.sleep(3000);
                        long loaded = BrokerLoadBench.rssBytes(broker.pid(0));
                        String line = String.format("| %,d | %s | %.1f s (%.0f nodes/s) | %s | %s | %s |", n, key.specName(), connectS, n / connectS,
                                cpu.substring("CPU per node: ".length()), BrokerLoadBench.mib(idle), BrokerLoadBench.mib(loaded));
                        steady.add(line);
                        System.out.println("steady: " + line);
                        for (int run = 1; run <= runs; run++) {
                            for (Arm arm : arms) {
                                nodes = allConnected(nodes, broker, cert, n);
                                results.add(storm(netns, broker, nodes, n, key.specName(), arm, run, connectS));
                            }
                        }
                    } finally {
                        if (nodes != null) nodes.close();
                        broker.close();
                    }
                }
                System.out.println("---- N = " + n + " done, loadavg " + loadavg());
            }
        }
        System.out.println("\n| nodes | broker key | steady connect (" + INFLIGHT + " in flight) | CPU per node | broker RSS idle | loaded |");
        System.out.println("|---|---|---|---|---|---|");
        steady.forEach(System.out::println);
        System.out.println("\n| nodes | broker key | kernel (somaxconn / tcp_max_syn_backlog) | runs | all back (median; each run) | / steady connect | p50 / p90 node back"
                + " | generator CPU (cores) | ListenOverflows | ListenDrops | ReqQFullDoCookies | TLS handshake timeouts | >3 attempts |");
        System.out.println("|---|---|---|---|---|---|---|---|---|---|---|---|---|");
        Map<String, List<Storm>> groups = new LinkedHashMap<>();
        for (Storm s : results) groups.computeIfAbsent(s.n + " " + s.key + " " + s.arm, k -> new ArrayList<>()).add(s);
        for (List<Storm> g : groups.values()) {
            Storm f = g.get(0);
            StringBuilder each = new StringBuilder();
            for (Storm s : g) each.append(each.length() == 0 ? "" : ", ").append(s.allBackS < 0 ? ">" + STORM_BOUND.toSeconds() : String.format("%.1f", s.allBackS));
            double med = median(g.stream().mapToDouble(s -> s.allBackS < 0 ? Double.POSITIVE_INFINITY : s.allBackS).toArray());
            System.out.printf("| %,d | %s | %s: %s | %d | %s s (%s) | %s | %.1f / %.1f s | %.2f | %s | %s | %s | %s | %s |%n", f.n, f.key, f.arm, f.sysctls,
                    g.size(), fmtMedian(g.stream().mapToDouble(s -> s.allBackS < 0 ? Double.POSITIVE_INFINITY : s.allBackS).toArray()), each,
                    Double.isInfinite(med) ? "-" : String.format("%.2fx", med / f.steadyS),
                    median(g.stream().mapToDouble(Storm::p50S).toArray()), median(g.stream().mapToDouble(Storm::p90S).toArray()),
                    median(g.stream().mapToDouble(Storm::generatorCores).toArray()),
                    medianL(g, "TcpExtListenOverflows"), medianL(g, "TcpExtListenDrops"), medianL(g, "TcpExtTCPReqQFullDoCookies"),
                    fmt(median(g.stream().mapToDouble(Storm::handshakeTimeouts).toArray())), fmt(median(g.stream().mapToDouble(Storm::over3).toArray())));
        }
    }

    private static String medianL(List<Storm> g, String counter) {
        return fmt(median(g.stream().mapToDouble(s -> s.counters.get(counter)).toArray()));
    }

    private static String fmt(double v) {
        return v == Math.rint(v) ? String.valueOf((long) v) : String.format("%.1f", v);
    }

    private static String fmtMedian(double[] v) {
        double m = median(v);
        return Double.isInfinite(m) ? ">" + STORM_BOUND.toSeconds() : String.format("%.1f", m);
    }

    static double median(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        return s.length == 0 ? Double.NaN : s[s.length / 2];
    }

    /** CPU time of this JVM (the swarm's side of every handshake). */
    static long processCpuNanos() {
        return ((com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory.getOperatingSystemMXBean()).getProcessCpuTime();
    }

    /**
     * For the JVM swarm: connects and drops a throwaway swarm, then restarts the broker, so the JIT
     * has compiled the nodes' TLS code before anything is measured (cold, a handshake costs the
     * swarm several times more CPU). The Go generator needs none. Either way the broker's idle RSS
     * is a fresh process's.
     */
    static void warmUp(LocalBrokerCluster broker, TestCa.Pems cert) throws Exception {
        int w = Integer.getInteger("swarm.warmup", 2000);
        if (GENERATOR.equals("swarm") && w > 0) {
            try (NodeSwarm warm = newSwarm(cert.clientContext(broker.caPem()), w)) {
                long cpu0 = warm.cpuNanos();
                double s = warm.connectSteadily(w, INFLIGHT, CONNECT_BOUND);
                System.out.printf("warm-up: %d nodes in %.1f s, swarm CPU %.1f ms per attempt%n", w, s,
                        (warm.cpuNanos() - cpu0) / 1e6 / warm.totalAttempts());
            }
        }
        broker.stop(0);
        broker.start(0);
    }

    /** The storm's nodes: -Dstorm.nodes=go (default: nats.go as go-choria configures it) or swarm (NodeSwarm in this JVM). */
    static StormNodes newNodes(LocalBrokerCluster broker, TestCa.Pems cert, int n) throws Exception {
        if (GENERATOR.equals("swarm")) return newSwarm(cert.clientContext(broker.caPem()), n);
        if (!GENERATOR.equals("go")) throw new IllegalArgumentException("storm.nodes must be go or swarm: " + GENERATOR);
        Path dir = Files.createTempDirectory("storm-nodes");
        Path ca = Files.writeString(dir.resolve("ca.pem"), broker.caPem());
        Path crt = Files.writeString(dir.resolve("node.pem"), cert.certPem());
        Path key = Files.writeString(dir.resolve("node.key"), cert.keyPem());
        return new GoNodes(List.of("tls://" + BROKER_ADDRESS + ":4222"), "same", firstDnsName(broker.certificatePem()), ca, crt, key, BACKOFF, RANDOMIZE,
                SETTINGS.timeout(), 1);
    }

    /** A DNS name of the broker's certificate: the name a node would dial. */
    static String firstDnsName(String pem) throws Exception {
        return io.choria.natsoperator.pki.CertificateInfo.parse(pem).dnsNames().stream().findFirst()
                .orElseThrow(() -> new IllegalStateException("no DNS name in the broker's certificate"));
    }

    static NodeSwarm newSwarm(SSLContext tls, int n) throws java.io.IOException {
        return new NodeSwarm(List.of(new InetSocketAddress(BROKER_ADDRESS, 4222)), tls, BrokerLoadBench.AGENTS, 2, SETTINGS, n);
    }

    /**
     * The nodes when all n are in; otherwise (a storm not over at its bound) fresh nodes connected
     * steadily, so that every storm starts from N connected nodes rather than from the tail of the last one.
     */
    static StormNodes allConnected(StormNodes nodes, LocalBrokerCluster broker, TestCa.Pems cert, int n) throws Exception {
        if (nodes.established() >= n) return nodes;
        System.out.println("fresh nodes, " + n + ", connect steadily (" + nodes.established() + " were in)");
        nodes.close();
        StormNodes fresh = newNodes(broker, cert, n);
        double s = fresh.connectSteadily(n, INFLIGHT, CONNECT_BOUND);
        System.out.printf("  in after %.1f s%n", s);
        return fresh;
    }

    static LocalBrokerCluster startBroker(Netns netns, CpuQuota quota, TestCa ca, TlsSpec.KeyAlgorithm key, Arm arm) throws Exception {
        return startBroker(netns, quota, ca, key, arm, null);
    }

    /** {@code nodeCert}: the nodes' certificate, which a pinned list ({@code -Dstorm.pinned}) must hold before the broker starts. */
    static LocalBrokerCluster startBroker(Netns netns, CpuQuota quota, TestCa ca, TlsSpec.KeyAlgorithm key, Arm arm, TestCa.Pems nodeCert)
            throws Exception {
        List<String> prefix = new ArrayList<>(quota.launchPrefix());
        prefix.addAll(List.of("ip", "netns", "exec", netns.name, "taskset", "-c", "0"));
        Integer tlsTimeout = Integer.getInteger("storm.tlsTimeout");
        LocalBrokerCluster.Builder b = LocalBrokerCluster.of(Examples.load(Examples.ONE_BROKER)).ca(ca)
                .addresses(List.of(BROKER_ADDRESS))
                .launchPrefix(prefix)
                .edit(nc -> {
                    nc.getSpec().getTls().setKeyAlgorithm(key);
                    if (tlsTimeout != null) nc.getSpec().getTls().setHandshakeTimeoutSeconds(tlsTimeout);
                    Integer rate = Integer.getInteger("storm.rateLimit");
                    if (rate != null) nc.getSpec().getTls().setConnectionRateLimit(rate);
                    // max_connections as spec.capacity sets it (nodes + a quarter): does a storm's abandoned handshakes fill it?
                    Integer maxConnections = Integer.getInteger("storm.maxConnections");
                    if (maxConnections != null) nc.getSpec().getLimits().setMaxConnections(maxConnections);
                });
        LocalBrokerCluster broker;
        if (PINNED > 0) {
            io.choria.natsoperator.api.AuthorizationSpec a = null;
            if (AUTHORIZATION) {
                // the nodes' collective (choria-nodes' -collective), and each node's node subject: they share one certificate
                a = new io.choria.natsoperator.api.AuthorizationSpec();
                a.setCollectives(new ArrayList<>(List.of("choria")));
                a.getNodes().getSubscribe().add("choria.node.>");
            }
            broker = AuthorizationBench.withList(b, a).render();
            try {
                System.out.println(AuthorizationBench.layOutForStorm(broker, ca, "node-0.example.net", nodeCert, PINNED));
                broker.startAll();
            } catch (Exception | Error e) {
                broker.close();
                throw e;
            }
        } else {
            broker = b.start();
        }
        // The sysctls must be in place before the broker listens (Go reads somaxconn for its backlog once), and the
        // init container's command is known once rendered: set them, then start the broker again.
        netns.apply(arm, initScript(broker));
        broker.stop(0);
        broker.start(0);
        return broker;
    }

    /** The rendered init container's command (sh -c script). */
    private static List<String> initScript(LocalBrokerCluster broker) {
        return broker.renderedStatefulSet(0).getSpec().getTemplate().getSpec().getInitContainers().stream()
                .filter(c -> c.getName().equals(BrokerStatefulSet.SYSCTL_CONTAINER)).findFirst()
                .orElseThrow(() -> new IllegalStateException("the rendered StatefulSet has no " + BrokerStatefulSet.SYSCTL_CONTAINER + " init container"))
                .getCommand();
    }

    static Storm storm(Netns netns, LocalBrokerCluster broker, StormNodes nodes, int n, String key, Arm arm, int run, double steadyS) throws Exception {
        String sysctls = netns.apply(arm, null);
        // Go reads somaxconn for its listen backlog when the broker starts: the arm's value is the one in force now
        String loadBefore = loadavg();
        Map<String, Long> before = netns.nstat();
        long hsBefore = handshakeTimeouts(broker);
        nodes.resetAttempts();
        if ("TERM".equals(System.getProperty("storm.signal"))) broker.stop(0);
        else broker.kill(0);
        NodeSwarm.await("every node sees the broker go", Duration.ofSeconds(30), () -> nodes.established() == 0);
        nodes.mark();
        long gen0 = nodes.cpuNanos();
        long r0 = System.nanoTime();
        broker.startWithoutWaiting(0);
        long deadline = r0 + STORM_BOUND.toNanos();
        while (nodes.established() < n && System.nanoTime() < deadline) Thread.sleep(20);
        long r1 = System.nanoTime();
        double allBack = nodes.established() >= n ? (r1 - r0) / 1e9 : -1;
        double generatorCores = (nodes.cpuNanos() - gen0) / (double) (r1 - r0);
        Thread.sleep(500); // let the last counters land
        StormNodes.Result r = nodes.result(n);
        Map<String, Long> after = netns.nstat();
        Map<String, Long> delta = new LinkedHashMap<>();
        for (String c : COUNTERS) delta.put(c, after.getOrDefault(c, 0L) - before.getOrDefault(c, 0L));
        long hs = handshakeTimeouts(broker) - hsBefore;
        Storm s = new Storm(n, key, arm.name, sysctls, allBack, r.p50S(), r.p90S(), r.back(), hs, r.over3(), r.maxAttempts(), delta, generatorCores, steadyS);
        System.out.printf("storm N=%d key=%s arm=%s (%s) run %d: %s; node back p50 %.1f s p90 %.1f s; generator %.2f cores; TLS handshake timeouts %d;"
                        + " >3 attempts %d (max %d, %d in all); %s; loadavg %s -> %s%n", n, key, arm.name, sysctls, run,
                allBack < 0 ? "NOT all back within " + STORM_BOUND.toSeconds() + " s (" + r.back() + " of " + n + ")" : String.format("all back %.1f s after restart", allBack),
                s.p50S, s.p90S, generatorCores, hs, r.over3(), r.maxAttempts(), r.attempts(), delta, loadBefore, loadavg());
        return s;
    }

    private static long handshakeTimeouts(LocalBrokerCluster broker) {
        return broker.log(0).lines().filter(l -> l.contains("TLS handshake timeout")).count();
    }

    // ---- rolling restart of three brokers --------------------------------------------------------

    /**
     * Each broker of three in turn stops and starts as a rolling update does. The nodes: for each
     * of {@code -Drolling.nodes} (default go:rotate,go:same,go:random): Go nodes whose
     * middleware_hosts list is rotated per node (as Puppet's fqdn_rotate gives), the same for
     * every node (Choria's DontRandomize: every node on the first broker), or randomised
     * (plugin.choria.randomize_middleware_hosts); or "swarm", NodeSwarm's walk. Stop modes
     * {@code -Drolling.modes=lame,plain,kill}: the rendered preStop then SIGTERM, SIGTERM alone, or SIGKILL (a crash).
     */
    static void rolling(int n) throws Exception {
        List<String> kinds = List.of(System.getProperty("rolling.nodes", "go:rotate,go:same,go:random").split(","));
        List<String> modes = List.of(System.getProperty("rolling.modes", "lame,plain").split(","));
        MonitorClient monitor = new MonitorClient(Duration.ofSeconds(2));
        try (LocalBrokerCluster brokers = LocalBrokerCluster.of(Examples.load(Examples.THREE_BROKERS)).firstHost(236)
                .launchPrefix(List.of("taskset", "-c", "0")).start()) {
            System.out.println("lame_duck_duration " + brokers.cluster().getSpec().getLimits().getLameDuckDuration() + ", preStop "
                    + brokers.renderedPreStop(0));
            System.out.println("\n| nodes' middleware_hosts | restart | broker | nodes it held | stop took | all back after | peak reconnects/s on the survivors | loadavg |");
            System.out.println("|---|---|---|---|---|---|---|---|");
            for (String kind : kinds) for (String mode : modes) {
                // each mode from a fresh start, connected steadily
                try (StormNodes nodes = rollingNodes(brokers, kind, n)) {
                    double connectS = nodes.connectSteadily(n, 200, CONNECT_BOUND);
                    System.out.printf("%s, %s: %d nodes in %.1f s, per broker %s; loadavg %s%n", kind, mode, n, connectS,
                            List.of(connections(monitor, brokers, 0), connections(monitor, brokers, 1), connections(monitor, brokers, 2)), loadavg());
                    // (a broker's count can pass N for a moment: a node that gave up on a handshake the broker finished)
                    for (int i = 0; i < 3; i++) {
                        int held = Math.max(0, connections(monitor, brokers, i));
                        String load = loadavg();
                        long t0 = System.nanoTime();
                        final int stopping = i;
                        Thread stopper = new Thread(() -> {
                            if (mode.equals("lame")) {
                                brokers.runPreStop(stopping);
                                brokers.sigterm(stopping);
                                brokers.awaitExit(stopping, Duration.ofSeconds(90));
                            } else if (mode.equals("kill")) {
                                brokers.kill(stopping); // a crash: the nodes it held reconnect all at once to the other two
                            } else {
                                brokers.stop(stopping);
                            }
                        });
                        stopper.start();
                        // the survivors' connections, every 250 ms, for the peak rate
                        List<Integer> survivors = new ArrayList<>();
                        long deadline = t0 + ROLLING_BOUND.toNanos();
                        double stopS = -1;
                        int[] last = new int[3];
                        while (System.nanoTime() < deadline) {
                            int sum = 0;
                            for (int b = 0; b < 3; b++) {
                                if (b == i) continue;
                                int c = connections(monitor, brokers, b);
                                if (c >= 0) last[b] = c; // a /varz that did not answer in time keeps the last count
                                sum += last[b];
                            }
                            survivors.add(sum);
                            if (stopS < 0 && !stopper.isAlive()) stopS = (System.nanoTime() - t0) / 1e9;
                            if (!stopper.isAlive() && nodes.established() >= n) break;
                            Thread.sleep(250);
                        }
                        stopper.join();
                        if (stopS < 0) stopS = (System.nanoTime() - t0) / 1e9;
                        int back = nodes.established();
                        String backS = back >= n ? String.format("%.1f s", (System.nanoTime() - t0) / 1e9)
                                : "not all back after " + ROLLING_BOUND.toSeconds() + " s (" + back + " of " + n + ")";
                        int peak = 0;
                        for (int k = 4; k < survivors.size(); k++) peak = Math.max(peak, survivors.get(k) - survivors.get(k - 4));
                        System.out.printf("| %s | %s | %d | %d | %.1f s | %s | %d | %s |%n", kind, mode.equals("lame") ? "lame duck (rendered preStop, then SIGTERM)"
                                : mode.equals("kill") ? "crash (SIGKILL)" : "plain SIGTERM, no preStop", i, held, stopS, backS, peak, load);
                        brokers.start(i); // the next pod rolls once this one is Ready
                    }
                }
            }
        }
    }

    private static int connections(MonitorClient monitor, LocalBrokerCluster brokers, int i) {
        try {
            return io.choria.natsoperator.mesh.Monitors.varz(monitor, brokers.monitorUri(i)).connections();
        } catch (MonitorClient.MonitorException | RuntimeException e) {
            return -1; // stopped, or too busy to answer
        }
    }

    static StormNodes rollingNodes(LocalBrokerCluster brokers, String kind, int n) throws Exception {
        if (kind.equals("swarm")) {
            List<InetSocketAddress> pool = new ArrayList<>();
            for (int i = 0; i < 3; i++) pool.add(new InetSocketAddress(brokers.host(i), 4222));
            return new NodeSwarm(pool, brokers.clientCertificate().clientContext(brokers.caPem()), BrokerLoadBench.AGENTS, 2, SETTINGS, n);
        }
        String[] k = kind.split(":");
        if (!k[0].equals("go") || k.length != 2 || !List.of("rotate", "same", "random").contains(k[1])) {
            throw new IllegalArgumentException("rolling.nodes: swarm, go:rotate, go:same or go:random, not " + kind);
        }
        Path dir = Files.createTempDirectory("rolling-nodes");
        Path ca = Files.writeString(dir.resolve("ca.pem"), brokers.caPem());
        Path crt = Files.writeString(dir.resolve("node.pem"), brokers.clientCertificate().certPem());
        Path key = Files.writeString(dir.resolve("node.key"), brokers.clientCertificate().keyPem());
        List<String> servers = new ArrayList<>();
        for (int i = 0; i < 3; i++) servers.add("tls://" + brokers.host(i) + ":4222");
        return new GoNodes(servers, k[1].equals("rotate") ? "rotate" : "same", firstDnsName(brokers.certificatePem()), ca, crt, key, BACKOFF,
                k[1].equals("random"), SETTINGS.timeout(), 1);
    }

    // ---- machine, pinning, namespace -----------------------------------------------------------

    static void pinSelf(int cpu) {
        String out = sh(List.of("taskset", "-a", "-p", "-c", String.valueOf(cpu), String.valueOf(ProcessHandle.current().pid())));
        System.out.println("pinned this JVM (all threads): " + out.lines().reduce((a, b) -> b).orElse(""));
    }

    static String machine() {
        String cpu = sh(List.of("sh", "-c", "grep -m1 'model name' /proc/cpuinfo | cut -d: -f2")).trim();
        return "machine: nproc " + sh(List.of("nproc", "--all")).trim() + ", CPU " + cpu + ", kernel " + sh(List.of("uname", "-r")).trim()
                + ", " + sh(List.of(LocalBrokerCluster.NATS_SERVER, "--version")).trim() + ", java " + System.getProperty("java.version")
                + ", open files " + sh(List.of("sh", "-c", "ulimit -n")).trim() + ", loadavg " + loadavg();
    }

    static String loadavg() {
        try {
            return Files.readString(Path.of("/proc/loadavg")).trim();
        } catch (IOException e) {
            return "?";
        }
    }

    static String sh(List<String> command) {
        try {
            Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(30, TimeUnit.SECONDS) || p.exitValue() != 0) throw new IllegalStateException(command + " failed: " + out);
            return out;
        } catch (IOException e) {
            throw new IllegalStateException(command + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** The broker's network namespace and its veth pair; deleted on close, on JVM exit, and (if stale) at the next start. */
    static final class Netns implements AutoCloseable {
        final String name;
        private final Thread hook;

        private Netns(String name) {
            this.name = name;
            this.hook = new Thread(this::delete, "netns-cleanup");
        }

        static Netns create() {
            removeStale();
            long pid = ProcessHandle.current().pid();
            Netns ns = new Netns(NETNS_PREFIX + pid);
            Runtime.getRuntime().addShutdownHook(ns.hook);
            String host = "nbh" + pid, peer = "nbb" + pid;
            try {
                sh(List.of("ip", "netns", "add", ns.name));
                sh(List.of("ip", "link", "add", host, "type", "veth", "peer", "name", peer));
                sh(List.of("ip", "link", "set", peer, "netns", ns.name));
                sh(List.of("ip", "addr", "add", HOST_ADDRESS + "/30", "dev", host));
                sh(List.of("ip", "link", "set", host, "up"));
                ns.exec("ip", "addr", "add", BROKER_ADDRESS + "/30", "dev", peer);
                ns.exec("ip", "link", "set", peer, "up");
                ns.exec("ip", "link", "set", "lo", "up");
                return ns;
            } catch (RuntimeException e) {
                ns.close();
                throw e;
            }
        }

        /** Namespaces of earlier runs whose JVM is gone (killed with SIGKILL, so no hook ran): their processes and the namespace. */
        static void removeStale() {
            for (String line : sh(List.of("ip", "netns", "list")).split("\n")) {
                String ns = line.split(" ")[0];
                if (!ns.startsWith(NETNS_PREFIX)) continue;
                long pid = Long.parseLong(ns.substring(NETNS_PREFIX.length()));
                if (ProcessHandle.of(pid).isPresent()) continue; // a run in progress
                for (String p : sh(List.of("ip", "netns", "pids", ns)).split("\n")) {
                    if (!p.isBlank()) ProcessHandle.of(Long.parseLong(p.trim())).ifPresent(ProcessHandle::destroyForcibly);
                }
                sh(List.of("ip", "netns", "del", ns));
                System.out.println("removed the stale namespace " + ns);
            }
        }

        String exec(String... command) {
            List<String> c = new ArrayList<>(List.of("ip", "netns", "exec", name));
            c.addAll(List.of(command));
            return sh(c);
        }

        String read(String sysctl) {
            return exec("cat", "/proc/sys/" + sysctl).trim();
        }

        /**
         * Sets the arm's kernel settings in the namespace: the namespace's fresh values first, then for
         * "operator" the rendered init container script (which only raises), else the arm's values.
         * Returns what the namespace then holds.
         */
        String apply(Arm arm, List<String> initCommand) {
            exec("sysctl", "-q", "-w", "net.core.somaxconn=" + (arm.somaxconn() != null ? arm.somaxconn() : 4096),
                    "net.ipv4.tcp_max_syn_backlog=" + (arm.synBacklog() != null ? arm.synBacklog() : 2048));
            if (arm.somaxconn() == null) {
                if (initCommand != null) lastInit = initCommand;
                exec(lastInit.toArray(String[]::new));
            }
            return "somaxconn " + read("net/core/somaxconn") + " / tcp_max_syn_backlog " + read("net/ipv4/tcp_max_syn_backlog");
        }

        private List<String> lastInit;

        /** nstat's absolute counters in the namespace (-a absolute, -s leave its history alone, -z zeros too). */
        Map<String, Long> nstat() {
            Map<String, Long> m = new LinkedHashMap<>();
            for (String line : exec("nstat", "-asz").split("\n")) {
                String[] f = line.trim().split("\\s+");
                if (f.length >= 2 && f[0].matches("[A-Za-z0-9]+")) {
                    try {
                        m.put(f[0], Long.parseLong(f[1]));
                    } catch (NumberFormatException ignored) {
                        // the header
                    }
                }
            }
            return m;
        }

        private void delete() {
            try {
                for (String p : sh(List.of("ip", "netns", "pids", name)).split("\n")) {
                    if (!p.isBlank()) ProcessHandle.of(Long.parseLong(p.trim())).ifPresent(ProcessHandle::destroyForcibly);
                }
                sh(List.of("ip", "netns", "del", name)); // takes the veth pair with it
            } catch (RuntimeException e) {
                System.err.println("cleanup of " + name + ": " + e.getMessage());
            }
        }

        @Override
        public void close() {
            delete();
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException | IllegalArgumentException ignored) {
                // exiting
            }
        }
    }
}
