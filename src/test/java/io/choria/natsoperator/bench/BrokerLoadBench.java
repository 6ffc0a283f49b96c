package io.choria.natsoperator.bench;

import io.choria.natsoperator.brokers.LocalBrokerCluster;
import io.choria.natsoperator.mesh.MonitorClient;
import io.choria.natsoperator.testing.Examples;
import io.nats.client.Connection;
import io.nats.client.ConnectionListener;
import io.nats.client.Dispatcher;
import io.nats.client.ErrorListener;
import io.nats.client.Nats;
import io.nats.client.Options;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import javax.net.ssl.SSLContext;

/**
 * The seed's headline claim, measured: one broker with the operator's rendered config and TLS,
 * N Choria-like nodes (default 2000, up to 10000), each a TLS connection presenting a certificate
 * from the CA and holding 5 broadcast agent subscriptions plus its own reply subject.
 * Reports the broker's RSS and /varz mem, bytes per node, connect time, a broadcast round-trip
 * to all N, and the reconnect storm after a broker restart.
 *
 * <p>Not a unit test: {@code bench/run BrokerLoadBench [N]} (needs root and nats-server, like the
 * real-broker tests). All nodes present one shared client certificate: the broker verifies each
 * TLS handshake the same way whatever the certificate, and issuing 10000 keys would only slow the
 * setup. The jnats connections share one executor and one scheduler; each still parks a reader and a
 * writer thread, so run with a small stack, e.g. {@code JAVA_TOOL_OPTIONS="-Xss256k -Xmx3g"}.
 */
public final class BrokerLoadBench {
    static final List<String> AGENTS = List.of("rpcutil", "discovery", "choria_util", "scout", "filemgr");
    static final Duration TIMEOUT = Duration.ofMinutes(3);
    static final Duration STORM_TIMEOUT = Duration.ofMinutes(Long.getLong("storm.minutes", 5));

    public static void main(String[] args) throws Exception {
        int n = args.length > 0 ? Integer.parseInt(args[0]) : 2000;
        if (n < 1 || n > 10000) throw new IllegalArgumentException("N must be 1..10000");
        MonitorClient monitor = new MonitorClient(Duration.ofSeconds(5));
        ExecutorService executor = Executors.newCachedThreadPool(daemon("nats"));
        ScheduledExecutorService scheduler = Executors.newScheduledThreadPool(4, daemon("nats-sched"));
        ExecutorService connector = Executors.newFixedThreadPool(16, daemon("connector"));
        List<Connection> nodes = Collections.synchronizedList(new ArrayList<>());
        AtomicInteger received = new AtomicInteger();
        AtomicInteger reconnected = new AtomicInteger();
        AtomicInteger disconnected = new AtomicInteger();

        // -Dbench.handshakeTimeout=N (seconds) and -Dbench.keyAlgorithm=EC-P256: spec settings, rendered as the operator would.
        Integer handshake = Integer.getInteger("bench.handshakeTimeout");
        String keyAlgorithm = System.getProperty("bench.keyAlgorithm");
        // -Dbench.puppetShape=true: nodes present an RSA-4096 certificate from an RSA-4096 intermediate under an
        // RSA-4096 root, as `puppetserver ca setup` / `ca generate` make them (made here with openssl).
        PuppetShape puppet = Boolean.getBoolean("bench.puppetShape") ? PuppetShape.make() : null;
        LocalBrokerCluster.Builder builder = LocalBrokerCluster.of(Examples.load(Examples.ONE_BROKER)).firstHost(40).edit(nc -> {
            if (handshake != null) nc.getSpec().getTls().setHandshakeTimeoutSeconds(handshake);
            if (keyAlgorithm != null) nc.getSpec().getTls().setKeyAlgorithm(
                    keyAlgorithm.equals("EC-P256") ? io.choria.natsoperator.api.TlsSpec.KeyAlgorithm.EC_P256 : io.choria.natsoperator.api.TlsSpec.KeyAlgorithm.RSA_2048);
        });
        if (puppet != null) builder.tls(puppet.brokerFiles());
        try (LocalBrokerCluster broker = builder.start()) {
            System.out.printf("spec.tls: handshakeTimeoutSeconds=%s keyAlgorithm=%s%n", handshake == null ? "15 (default)" : handshake,
                    keyAlgorithm == null ? "RSA-2048 (default)" : keyAlgorithm);
            System.out.printf("nats-server %s, java %s, %d cores, ulimit -n %s, N=%d nodes x %d subscriptions%n",
                    "2.9.10", System.getProperty("java.version"), Runtime.getRuntime().availableProcessors(),
                    ulimit(), n, AGENTS.size() + 1);
            long idleRss = rssBytes(broker.pid(0));
            long idleMem = io.choria.natsoperator.mesh.Monitors.varz(monitor, broker.monitorUri(0)).memBytes();
            SSLContext tls = puppet != null ? puppet.nodeContext() : broker.clientCertificate().clientContext(broker.caPem());
            System.out.println("node certificates: " + (puppet != null ? "Puppet-shaped (RSA-4096 leaf, RSA-4096 intermediate and root)"
                    : "one shared EC P-256 certificate from a one-level EC CA"));
            ConnectionListener listener = (conn, event) -> {
                if (event == ConnectionListener.Events.RECONNECTED) reconnected.incrementAndGet();
                if (event == ConnectionListener.Events.DISCONNECTED) disconnected.incrementAndGet();
            };
            Options.Builder base = new Options.Builder()
                    .server(broker.clientUrl(0))
                    .sslContext(tls)
                    .executor(executor)
                    .scheduledExecutor(scheduler)
                    .useDispatcherWithExecutor()
                    .bufferSize(8 * 1024)
                    .connectionTimeout(Duration.ofSeconds(20))
                    .maxReconnects(-1)
                    .reconnectWait(Duration.ofSeconds(1))
                    .reconnectJitterTls(Duration.ofSeconds(1))
                    .connectionListener(listener)
                    .errorListener(new ErrorListener() {});

            // ---- connect and subscribe like Choria nodes ----
            long t0 = System.nanoTime();
            List<Future<?>> futures = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                int node = i;
                futures.add(connector.submit(() -> {
                    Connection c = Nats.connect(new Options.Builder(base.build()).connectionName("node-" + node).build());
                    Dispatcher d = c.createDispatcher(m -> received.incrementAndGet());
                    for (String agent : AGENTS) d.subscribe("choria.broadcast.agent." + agent);
                    d.subscribe("choria.reply.node-" + node);
                    c.flush(Duration.ofSeconds(20));
                    nodes.add(c);
                    return null;
                }));
            }
            for (Future<?> f : futures) f.get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
            double connectS = seconds(t0);
            int subs = AGENTS.size() + 1;
            await("broker counts " + n + " connections", () -> varz(monitor, broker).connections() >= n);
            Thread.sleep(2000); // let the broker's memory settle after the handshakes
            long rss = rssBytes(broker.pid(0));
            MonitorClient.Varz loaded = varz(monitor, broker);
            System.out.printf("connect+subscribe: %d nodes in %.1f s (%.0f nodes/s, 16 connecting threads); client JVM threads: %d%n",
                    n, connectS, n / connectS, Thread.activeCount());
            System.out.printf("broker idle:   RSS %s, /varz mem %s%n", mib(idleRss), mib(idleMem));
            System.out.printf("broker loaded: RSS %s, /varz mem %s, connections %d%n", mib(rss), mib(loaded.memBytes()), loaded.connections());
            System.out.printf("per node:      %.1f KiB RSS ((loaded - idle) / N), %.1f KiB total RSS / N%n",
                    (rss - idleRss) / 1024.0 / n, rss / 1024.0 / n);

            // ---- broadcast round-trip: one publish on an agent subject, until all N have it ----
            try (Connection publisher = Nats.connect(new Options.Builder(base.build()).connectionName("publisher")
                    .connectionListener(null).build())) {
                List<Double> rtts = new ArrayList<>();
                for (int round = 0; round < 5; round++) {
                    received.set(0);
                    long p0 = System.nanoTime();
                    publisher.publish("choria.broadcast.agent.rpcutil", ("ping " + round).getBytes());
                    publisher.flush(Duration.ofSeconds(5));
                    await("all " + n + " nodes receive the broadcast", () -> received.get() >= n);
                    rtts.add(seconds(p0) * 1000);
                }
                Collections.sort(rtts);
                System.out.printf("broadcast to %d nodes: median %.1f ms, min %.1f ms, max %.1f ms (5 rounds)%n",
                        n, rtts.get(2), rtts.get(0), rtts.get(4));
            }

            // ---- reconnect storm: restart the broker, time until every node is back ----
            if (Boolean.getBoolean("bench.skipStorm")) { // -Dbench.skipStorm=true: memory figures only
                System.exit(0);
            }
            reconnected.set(0);
            disconnected.set(0);
            long s0 = System.nanoTime();
            broker.stop(0);
            await("every node notices the disconnect", () -> disconnected.get() >= n);
            long r0 = System.nanoTime();
            // Not broker.start(0): under a large storm /healthz may take longer than the harness's start timeout.
            broker.startWithoutWaiting(0);
            double upS = -1;
            // Bounded: on a small machine the storm can collapse (TLS handshakes time out and retry in lockstep).
            long deadline = System.nanoTime() + STORM_TIMEOUT.toNanos();
            double brokerSeesAllS = -1, allReconnectedS = -1;
            int lastConnections = 0;
            while (System.nanoTime() < deadline && (brokerSeesAllS < 0 || allReconnectedS < 0)) {
                if (upS < 0 && io.choria.natsoperator.mesh.Monitors.healthy(broker.monitorUri(0), Duration.ofSeconds(5))) upS = seconds(r0);
                lastConnections = varz(monitor, broker).connections();
                if (brokerSeesAllS < 0 && lastConnections >= n) brokerSeesAllS = seconds(r0);
                if (allReconnectedS < 0 && reconnected.get() >= n) allReconnectedS = seconds(r0);
                Thread.sleep(100);
            }
            if (brokerSeesAllS < 0 || allReconnectedS < 0) {
                System.out.printf("restart: broker healthy %.2f s after start; storm NOT over after %d s: broker counts %d of %d"
                        + " connections, %d nodes RECONNECTED; TLS handshake timeouts in the broker log: %d%n",
                        upS, STORM_TIMEOUT.toSeconds(), lastConnections, n, reconnected.get(), handshakeTimeouts(broker));
            } else {
                System.out.printf("restart: broker healthy %.2f s after start; %d connections after %.1f s; all %d RECONNECTED after %.1f s"
                        + " (%.1f s since stop); TLS handshake timeouts in the broker log: %d%n",
                        upS, n, brokerSeesAllS, n, allReconnectedS, seconds(s0), handshakeTimeouts(broker));
            }
            long rssAfter = rssBytes(broker.pid(0));
            System.out.printf("broker after the storm: RSS %s, /varz mem %s%n", mib(rssAfter), mib(varz(monitor, broker).memBytes()));
        } finally {
            for (Connection c : nodes) {
                try {
                    c.close();
                } catch (Exception ignored) {
                    // the broker may be gone
                }
            }
            connector.shutdownNow();
            executor.shutdownNow();
            scheduler.shutdownNow();
        }
        System.exit(0);
    }

    private static long handshakeTimeouts(LocalBrokerCluster broker) {
        return broker.log(0).lines().filter(l -> l.contains("TLS handshake timeout")).count();
    }

    private static MonitorClient.Varz varz(MonitorClient monitor, LocalBrokerCluster broker) {
        try {
            return io.choria.natsoperator.mesh.Monitors.varz(monitor, broker.monitorUri(0));
        } catch (MonitorClient.MonitorException e) {
            return new MonitorClient.Varz(null, 0, 0, 0, 0, null);
        }
    }

    static void await(String what, BooleanSupplier done) throws InterruptedException {
        long deadline = System.nanoTime() + TIMEOUT.toNanos();
        while (!done.getAsBoolean()) {
            if (System.nanoTime() > deadline) throw new IllegalStateException("timed out after " + TIMEOUT + ": " + what);
            Thread.sleep(50);
        }
    }

    static long rssBytes(long pid) throws Exception {
        for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
            if (line.startsWith("VmRSS:")) return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
        }
        throw new IllegalStateException("no VmRSS for " + pid);
    }

    /** User and system CPU time of process {@code pid} (clock ticks of 10 ms). */
    static long cpuNanos(long pid) throws Exception {
        String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
        String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        return (Long.parseLong(f[11]) + Long.parseLong(f[12])) * 10_000_000L; // fields 14 and 15 of stat
    }

    private static String ulimit() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/limits"))) {
                if (line.startsWith("Max open files")) return line.split("\\s+")[3];
            }
        } catch (Exception ignored) {
            // not Linux
        }
        return "?";
    }

    private static double seconds(long since) {
        return (System.nanoTime() - since) / 1e9;
    }

    static String mib(long bytes) {
        return String.format("%.1f MiB", bytes / 1024.0 / 1024.0);
    }

    private static ThreadFactory daemon(String prefix) {
        AtomicInteger count = new AtomicInteger();
        return r -> {
            Thread t = new Thread(null, r, prefix + "-" + count.incrementAndGet(), 256 * 1024);
            t.setDaemon(true);
            return t;
        };
    }

    /** An RSA-4096 root and intermediate (pathlen 0) and an RSA-4096 node certificate, as Puppet 7 makes them; the broker's own is RSA-2048. */
    record PuppetShape(java.nio.file.Path dir) {
        static PuppetShape make() throws Exception {
            java.nio.file.Path d = java.nio.file.Files.createTempDirectory("puppet-shape");
            String script = """
                    set -e
                    cd "$1"
                    printf 'basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\n' > ca.ext
                    printf 'basicConstraints=critical,CA:TRUE,pathlen:0\nkeyUsage=critical,keyCertSign,cRLSign\n' > int.ext
                    printf 'basicConstraints=critical,CA:FALSE\nextendedKeyUsage=serverAuth,clientAuth\nkeyUsage=critical,digitalSignature,keyEncipherment\nsubjectAltName=DNS:node1.example.net\n' > node.ext
                    printf 'basicConstraints=critical,CA:FALSE\nextendedKeyUsage=serverAuth,clientAuth\nkeyUsage=critical,digitalSignature,keyEncipherment\nsubjectAltName=DNS:broker-0.broker-headless.choria.svc.cluster.local,DNS:broker.choria.svc\n' > broker.ext
                    openssl req -x509 -newkey rsa:4096 -nodes -keyout root.key -out root.crt -days 3650 -subj "/CN=Puppet Root CA: bench" -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign 2>/dev/null
                    openssl req -newkey rsa:4096 -nodes -keyout int.key -out int.csr -subj "/CN=Puppet CA: bench" 2>/dev/null
                    openssl x509 -req -in int.csr -CA root.crt -CAkey root.key -CAcreateserial -out int.crt -days 3650 -extfile int.ext 2>/dev/null
                    openssl req -newkey rsa:4096 -nodes -keyout node.key -out node.csr -subj "/CN=node1.example.net" 2>/dev/null
                    openssl x509 -req -in node.csr -CA int.crt -CAkey int.key -CAcreateserial -out node.crt -days 1825 -extfile node.ext 2>/dev/null
                    openssl req -newkey rsa:2048 -nodes -keyout broker.key -out broker.csr -subj "/CN=broker.choria.nats-00000000" 2>/dev/null
                    openssl x509 -req -in broker.csr -CA int.crt -CAkey int.key -CAcreateserial -out broker.crt -days 1825 -extfile broker.ext 2>/dev/null
                    cat int.crt root.crt > bundle.crt
                    """;
            Process p = new ProcessBuilder("sh", "-c", script, "sh", d.toString()).inheritIO().start();
            if (p.waitFor() != 0) throw new IllegalStateException("openssl failed making the Puppet-shaped CA");
            return new PuppetShape(d);
        }

        io.choria.natsoperator.model.TlsFiles brokerFiles() throws java.io.IOException {
            return new io.choria.natsoperator.model.TlsFiles(read("broker.crt") + read("int.crt"), read("broker.key"), read("bundle.crt"));
        }

        /** What a Puppet agent presents: its leaf alone (certs/<certname>.pem). */
        SSLContext nodeContext() throws Exception {
            return io.choria.natsoperator.pki.PemSslContexts.clientContext(read("node.crt"), read("node.key"), read("bundle.crt"));
        }

        private String read(String f) throws java.io.IOException {
            return java.nio.file.Files.readString(dir.resolve(f));
        }
    }
}
