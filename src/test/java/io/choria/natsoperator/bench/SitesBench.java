package io.choria.natsoperator.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.choria.natsoperator.brokers.LocalBrokerCluster;
import io.choria.natsoperator.brokers.ThreeSiteGatewayTest;
import io.choria.natsoperator.mesh.GatewayChecker;
import io.choria.natsoperator.mesh.MeshChecker;
import io.choria.natsoperator.model.Names;
import io.choria.natsoperator.pki.TestCa;
import io.choria.natsoperator.testing.Await;
import io.choria.natsoperator.testing.Examples;
import io.nats.client.Connection;
import io.nats.client.Dispatcher;
import io.nats.client.Message;
import io.nats.client.Nats;
import io.nats.client.Options;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Nine real brokers on loopback (127.0.0.230-238), two ways: three sites of 3 brokers joined by
 * gateways (the operator's rendering of spec.gateway, references by natsClusterRef), and one
 * 9-broker full mesh. For each: connections between brokers (from /routez and /gatewayz, each
 * TCP connection counted once), broker RSS (VmRSS), optionally with idle clients; and a Choria-shaped
 * request's round trip (jnats request on choria.broadcast.agent.rpcutil) to a responder on another
 * broker of the same site and, for the sites, at another site.
 * {@code bench/run SitesBench [requests=2000] [idleClientsPerBroker=0]} (root and nats-server, like the real-broker tests).
 */
public final class SitesBench {
    static final int FIRST_HOST = 230;
    static final String SUBJECT = "choria.broadcast.agent.rpcutil";
    static final List<String> SITES = ThreeSiteGatewayTest.SITES;
    static final HttpClient HTTP = HttpClient.newHttpClient();
    static final ObjectMapper JSON = new ObjectMapper();

    public static void main(String[] args) throws Exception {
        int requests = args.length > 0 ? Integer.parseInt(args[0]) : 2000;
        int idle = args.length > 1 ? Integer.parseInt(args[1]) : 0;
        System.out.printf("nats-server %s, %d cores, %s; loadavg at start: %s%n", version(), Runtime.getRuntime().availableProcessors(),
                cpuModel(), Files.readString(Path.of("/proc/loadavg")).strip());
        TestCa ca = TestCa.rsaRoot("Bench Puppet CA");
        sites(ca, requests, idle);
        mesh(ca, requests, idle);
        System.out.printf("loadavg at end: %s%n", Files.readString(Path.of("/proc/loadavg")).strip());
    }

    static void sites(TestCa ca, int requests, int idle) throws Exception {
        LocalBrokerCluster[] site = new LocalBrokerCluster[3];
        List<Connection> idlers = new ArrayList<>();
        try {
            for (int s = 0; s < 3; s++) {
                int me = s;
                LocalBrokerCluster.Builder b = LocalBrokerCluster.of(Examples.load(Examples.THREE_BROKERS)).ca(ca).firstHost(FIRST_HOST + 3 * s)
                        .edit(nc -> ThreeSiteGatewayTest.configure(nc, me));
                for (int o = 0; o < 3; o++) {
                    if (o == s) continue;
                    b.host(new Names("broker", SITES.get(o), LocalBrokerCluster.CLUSTER_DOMAIN).gatewayServiceFqdnOf("broker", SITES.get(o)),
                            LocalBrokerCluster.hosts(FIRST_HOST + 3 * o, 3));
                    b.referenced(ThreeSiteGatewayTest.site(o));
                }
                site[s] = b.start();
            }
            for (LocalBrokerCluster c : site) {
                Await.until(c.cluster().getSpec().getClusterName() + " meshed", Duration.ofSeconds(60),
                        () -> new MeshChecker().check(c.cluster(), c::monitorUri), m -> m.meshed());
                Await.until(c.cluster().getSpec().getClusterName() + " gateways", Duration.ofSeconds(60),
                        () -> new GatewayChecker().check(c.cluster(), c::monitorUri), g -> g.connected());
            }
            for (LocalBrokerCluster c : site) idlers.addAll(idleClients(c, idle));
            Thread.sleep(3000);
            report("3 sites x 3 brokers + gateways", Arrays.asList(site), idle);
            rtt("inside a site (site-a broker-0 -> site-a broker-1, one route)", site[0], 0, site[0], 1, requests);
            rtt("across a gateway (site-a broker-0 -> site-b broker-1)", site[0], 0, site[1], 1, requests);
        } finally {
            closeAll(idlers);
            for (LocalBrokerCluster c : site) if (c != null) c.close();
        }
    }

    static void mesh(TestCa ca, int requests, int idle) throws Exception {
        List<Connection> idlers = new ArrayList<>();
        LocalBrokerCluster mesh = LocalBrokerCluster.of(Examples.load(Examples.THREE_BROKERS)).ca(ca).firstHost(FIRST_HOST)
                .edit(nc -> nc.getSpec().setSize(9)).start();
        try {
            Await.until("9-broker mesh", Duration.ofSeconds(90), () -> new MeshChecker().check(mesh.cluster(), mesh::monitorUri), m -> m.meshed());
            idlers.addAll(idleClients(mesh, idle));
            Thread.sleep(3000);
            report("one 9-broker full mesh", List.of(mesh), idle);
            rtt("inside the mesh (broker-0 -> broker-1, one route)", mesh, 0, mesh, 1, requests);
        } finally {
            // Clients first: brokers stopped under them would set them reconnecting.
            closeAll(idlers);
            mesh.close();
        }
    }

    static void report(String shape, List<LocalBrokerCluster> clusters, int idle) throws Exception {
        int routeEnds = 0, gatewayEnds = 0, brokers = 0;
        long rss = 0, maxRss = 0;
        for (LocalBrokerCluster c : clusters) {
            for (int i = 0; i < c.size(); i++) {
                brokers++;
                routeEnds += get(c.monitorUri(i), "/routez").path("num_routes").asInt();
                JsonNode g = get(c.monitorUri(i), "/gatewayz");
                for (JsonNode out : g.path("outbound_gateways")) if (out.hasNonNull("connection")) gatewayEnds++;
                for (JsonNode in : g.path("inbound_gateways")) gatewayEnds += in.size();
                long r = BrokerLoadBench.rssBytes(c.pid(i));
                rss += r;
                maxRss = Math.max(maxRss, r);
            }
        }
        System.out.printf("%s, %d idle clients per broker: %d brokers; route connections %d, gateway connections %d, total %d"
                + " (each counted once: ends / 2); RSS total %s, mean %s, max %s%n", shape, idle, brokers, routeEnds / 2, gatewayEnds / 2,
                (routeEnds + gatewayEnds) / 2, BrokerLoadBench.mib(rss), BrokerLoadBench.mib(rss / brokers), BrokerLoadBench.mib(maxRss));
    }

    static JsonNode get(URI base, String path) throws Exception {
        return JSON.readTree(HTTP.send(HttpRequest.newBuilder(base.resolve(path)).timeout(Duration.ofSeconds(5)).build(),
                HttpResponse.BodyHandlers.ofString()).body());
    }

    static Connection connect(LocalBrokerCluster c, int i) throws Exception {
        return Nats.connect(new Options.Builder().server(c.clientUrl(i)).sslContext(c.clientCertificate().clientContext(c.caPem()))
                .connectionTimeout(Duration.ofSeconds(5)).build());
    }

    static List<Connection> idleClients(LocalBrokerCluster c, int perBroker) throws Exception {
        List<Connection> all = new ArrayList<>();
        for (int i = 0; i < c.size(); i++) for (int k = 0; k < perBroker; k++) all.add(connect(c, i));
        return all;
    }

    /** Sequential requests (one in flight), after 200 to warm up; prints median and p90 in microseconds. */
    static void rtt(String what, LocalBrokerCluster from, int fromBroker, LocalBrokerCluster to, int toBroker, int n) throws Exception {
        try (Connection client = connect(from, fromBroker); Connection node = connect(to, toBroker)) {
            Dispatcher d = node.createDispatcher(m -> node.publish(m.getReplyTo(), "ok".getBytes()));
            d.subscribe(SUBJECT);
            node.flush(Duration.ofSeconds(5));
            // Interest crosses routes and gateways asynchronously: wait until a request is answered.
            Await.until("first answer " + what, Duration.ofSeconds(30), () -> request(client), m -> m != null);
            for (int i = 0; i < 200; i++) request(client);
            long[] micros = new long[n];
            int lost = 0;
            for (int i = 0; i < n; i++) {
                long t0 = System.nanoTime();
                if (request(client) == null) lost++;
                micros[i] = (System.nanoTime() - t0) / 1000;
            }
            Arrays.sort(micros);
            System.out.printf("round trip %s: n=%d, median %d us, p90 %d us, max %d us, unanswered %d%n", what, n, micros[n / 2],
                    micros[(int) (n * 0.9)], micros[n - 1], lost);
        }
    }

    /** In parallel: one jnats close waits for its reader and writer, hundreds in a row take minutes. */
    static void closeAll(List<Connection> connections) throws InterruptedException {
        var pool = java.util.concurrent.Executors.newFixedThreadPool(64);
        for (Connection c : connections) pool.execute(() -> {
            try {
                c.close();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        pool.shutdown();
        pool.awaitTermination(2, java.util.concurrent.TimeUnit.MINUTES);
    }

    static Message request(Connection c) {
        try {
            return c.request(SUBJECT, "rpcutil ping".getBytes(), Duration.ofSeconds(2));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    static String version() throws Exception {
        Process p = new ProcessBuilder(LocalBrokerCluster.NATS_SERVER, "--version").redirectErrorStream(true).start();
        return new String(p.getInputStream().readAllBytes()).strip();
    }

    static String cpuModel() throws Exception {
        return Files.readAllLines(Path.of("/proc/cpuinfo")).stream().filter(l -> l.startsWith("model name")).findFirst()
                .map(l -> l.substring(l.indexOf(':') + 1).strip()).orElse("unknown CPU");
    }
}
