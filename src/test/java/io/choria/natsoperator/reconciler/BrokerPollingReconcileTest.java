package io.choria.natsoperator.reconciler;

import io.choria.natsoperator.runtime.OperatorAssembly;
import io.choria.natsoperator.status.Conditions;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import io.choria.natsoperator.api.NatsCluster;
import io.choria.natsoperator.api.Reason;
import io.choria.natsoperator.mesh.MeshChecker;
import io.choria.natsoperator.mesh.MeshObservation;
import io.choria.natsoperator.mesh.MeshPolling;
import io.choria.natsoperator.mesh.MonitorClient;
import io.choria.natsoperator.testing.Await;
import io.choria.natsoperator.testing.Examples;
import io.choria.natsoperator.testing.MockCluster;
import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.api.model.apps.StatefulSetStatusBuilder;
import io.fabric8.kubernetes.client.Watch;
import io.fabric8.kubernetes.client.Watcher;
import io.fabric8.kubernetes.client.WatcherException;
import io.javaoperatorsdk.operator.Operator;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The brokers are asked beside the reconcile: the real reconciler on the mock API server, with
 * ONE reconciler thread, so that a reconcile held by the network would hold every other cluster
 * too (in production that takes as many dead clusters as threads). Per namespace the mesh probe
 * asks brokers that accept and never answer ("dead", 127.0.0.61-63), a stand-in /varz that
 * answers a full mesh ("alive"), or a script. The resync is 10 minutes: every reconcile after the
 * setup comes from an event. Probe calls are counted, so "nothing happened" is asserted after
 * the poller has certainly looked again, never after a sleep.
 */
class BrokerPollingReconcileTest {
    static final Duration DEAD_DEADLINE = Duration.ofSeconds(20);
    static final MeshPolling POLLING = new MeshPolling(Duration.ofMillis(200), Duration.ofMillis(200), Duration.ofMillis(200),
            Duration.ofMillis(50), Duration.ofSeconds(60), 2);
    static final MeshObservation INCOMPLETE = new MeshObservation(false, Reason.RoutesIncomplete, "broker-2 sees 0 of 2 peers");
    static final MeshObservation MESHED = new MeshObservation(true, Reason.FullMesh, "each of the 3 brokers sees 2 peers");

    static MockCluster cluster;
    static Operator operator;
    static final List<ServerSocket> silent = new CopyOnWriteArrayList<>();
    static final List<Socket> held = new CopyOnWriteArrayList<>();
    static HttpServer alive;
    static final Map<String, AtomicInteger> probeCalls = new ConcurrentHashMap<>();
    static final Map<String, Function<NatsCluster, MeshObservation>> scripts = new ConcurrentHashMap<>();

    @BeforeAll
    static void start() throws IOException {
        URI[] dead = new URI[3];
        for (int i = 0; i < 3; i++) dead[i] = silentBroker("127.0.0.6" + (i + 1));
        alive = io.choria.natsoperator.mesh.Monitors.meshedBroker(8);
        URI aliveUri = URI.create("http://127.0.0.1:" + alive.getAddress().getPort());
        MeshChecker slow = new MeshChecker(new MonitorClient(DEAD_DEADLINE));
        scripts.put("dead", nc -> slow.check(nc, i -> dead[i]));
        scripts.put("alive", nc -> slow.check(nc, i -> aliveUri));

        cluster = new MockCluster();
        OperatorSettings settings = new OperatorSettings("cluster.local", Set.of(), Duration.ofMinutes(10), nc -> {
            String ns = nc.getMetadata().getNamespace();
            probeCalls.computeIfAbsent(ns, k -> new AtomicInteger()).incrementAndGet();
            return scripts.get(ns).apply(nc);
        }, null, null, POLLING);
        operator = OperatorAssembly.create(cluster.client, settings, Clock.systemUTC(),
                o -> o.withMetrics(cluster.reconciles).withConcurrentReconciliationThreads(1));
        operator.start();
    }

    @AfterAll
    static void stop() throws IOException {
        if (operator != null) operator.stop();
        if (cluster != null) cluster.close();
        if (alive != null) alive.stop(0);
        for (ServerSocket s : silent) s.close();
        for (Socket s : held) s.close();
    }

    /** Accepts connections on {@code ip} and never reads or writes: a hung broker. */
    static URI silentBroker(String ip) throws IOException {
        ServerSocket server = new ServerSocket(0, 16, InetAddress.getByName(ip));
        silent.add(server);
        Thread t = new Thread(() -> {
            while (!server.isClosed()) {
                try {
                    held.add(server.accept());
                } catch (IOException e) {
                    return;
                }
            }
        }, "silent-broker-" + ip);
        t.setDaemon(true);
        t.start();
        return URI.create("http://" + ip + ":" + server.getLocalPort());
    }

    static NatsCluster create(String ns) {
        Examples.createPuppetCa(cluster.client, ns);
        NatsCluster nc = cluster.client.resource(Examples.toApply(Examples.THREE_BROKERS, ns, "broker")).create();
        StatefulSet sts = Await.until("StatefulSet of " + ns, Duration.ofSeconds(15),
                () -> cluster.client.apps().statefulSets().inNamespace(ns).withName("broker").get(), s -> true);
        sts.setStatus(new StatefulSetStatusBuilder().withReplicas(3).withReadyReplicas(3).withUpdatedReplicas(3)
                .withObservedGeneration(sts.getMetadata().getGeneration()).withCurrentRevision("r1").withUpdateRevision("r1").build());
        cluster.client.resource(sts).updateStatus();
        return nc;
    }

    static Condition routesMeshed(String ns) {
        NatsCluster nc = cluster.client.resources(NatsCluster.class).inNamespace(ns).withName("broker").get();
        if (nc == null || nc.getStatus() == null) return null;
        return Conditions.find(nc.getStatus().getConditions(), Conditions.ROUTES_MESHED).orElse(null);
    }

    static int calls(String ns) {
        return probeCalls.getOrDefault(ns, new AtomicInteger()).get();
    }

    static void awaitMorePolls(String ns, int n) {
        int target = calls(ns) + n;
        Await.until(n + " more polls of " + ns, Duration.ofSeconds(20), () -> calls(ns), c -> c >= target);
    }

    @Test
    void deadBrokersHoldNeitherTheirClustersReconcileNorAnotherOne() {
        NatsCluster a = create("dead");
        Await.until("the poll of A hanging on its brokers", Duration.ofSeconds(10), held::size, n -> n >= 3);
        Condition pending = Await.until("A's reconcile done while its brokers hang", Duration.ofSeconds(10), () -> routesMeshed("dead"),
                c -> c != null && Reason.NotObservedYet.name().equals(c.getReason()));
        assertEquals("Unknown", pending.getStatus());
        int reconciledWhileHanging = cluster.reconciles.finished(a);

        create("alive");
        Condition meshed = Await.until("B meshed while A's brokers hang", Duration.ofSeconds(10), () -> routesMeshed("alive"),
                c -> c != null && "True".equals(c.getStatus()));
        assertEquals(Reason.FullMesh.name(), meshed.getReason());

        Condition unreachable = Await.until("A's poll ends at its deadline", DEAD_DEADLINE.multipliedBy(3), () -> routesMeshed("dead"),
                c -> c != null && "False".equals(c.getStatus()));
        assertEquals(Reason.BrokerUnreachable.name(), unreachable.getReason());
        assertTrue(unreachable.getMessage().contains(DEAD_DEADLINE.toMillis() + " ms"), unreachable.getMessage());
        assertTrue(cluster.reconciles.finished(a) > reconciledWhileHanging, "the observation reconciled A");
    }

    @Test
    void aChangedObservationReconcilesOnceAndAnUnchangedOneNever() {
        AtomicReference<MeshObservation> brokers = new AtomicReference<>(INCOMPLETE);
        scripts.put("script", nc -> brokers.get());
        NatsCluster nc = create("script");
        Await.until("RoutesIncomplete", Duration.ofSeconds(15), () -> routesMeshed("script"),
                c -> c != null && Reason.RoutesIncomplete.name().equals(c.getReason()));
        awaitMorePolls("script", 5); // the setup's own events are behind us

        int before = cluster.reconciles.started(nc);
        awaitMorePolls("script", 10);
        assertEquals(before, cluster.reconciles.started(nc), "ten polls that saw the same: no reconcile");

        brokers.set(new MeshObservation(false, Reason.BrokerUnreachable, "broker-1 did not answer /varz: connection refused"));
        Await.until("BrokerUnreachable", Duration.ofSeconds(15), () -> routesMeshed("script"),
                c -> Reason.BrokerUnreachable.name().equals(c.getReason()));
        awaitMorePolls("script", 10);
        assertEquals(before + 1, cluster.reconciles.started(nc), "one change, one reconcile");
    }

    @Test
    void aFlickeringRouteNeverTurnsTheStatusMeshed() {
        AtomicInteger n = new AtomicInteger();
        // the first look of all sees a full mesh, the next one not, and so on: a refused route counted on its INFO
        scripts.put("flicker", nc -> n.incrementAndGet() % 2 == 1 ? MESHED : INCOMPLETE);
        List<String> seen = new CopyOnWriteArrayList<>();
        try (Watch w = cluster.client.resources(NatsCluster.class).inNamespace("flicker").watch(new Watcher<>() {
            @Override
            public void eventReceived(Action action, NatsCluster nc) {
                if (nc.getStatus() == null) return;
                Conditions.find(nc.getStatus().getConditions(), Conditions.ROUTES_MESHED).ifPresent(c -> seen.add(c.getStatus() + " " + c.getReason()));
            }

            @Override
            public void onClose(WatcherException cause) {}
        })) {
            create("flicker");
            Await.until("RoutesIncomplete", Duration.ofSeconds(15), () -> routesMeshed("flicker"),
                    c -> c != null && Reason.RoutesIncomplete.name().equals(c.getReason()));
            awaitMorePolls("flicker", 20);
            assertEquals(Reason.RoutesIncomplete.name(), routesMeshed("flicker").getReason());
            assertTrue(seen.stream().noneMatch(s -> s.startsWith("True")), "never meshed: " + seen);
        }
    }
}
