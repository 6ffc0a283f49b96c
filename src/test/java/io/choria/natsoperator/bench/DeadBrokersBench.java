package io.choria.natsoperator.bench;

import com.sun.net.httpserver.HttpServer;
import io.choria.natsoperator.api.NatsCluster;
import io.choria.natsoperator.api.TlsSpec;
import io.choria.natsoperator.mesh.MeshChecker;
import io.choria.natsoperator.runtime.OperatorAssembly;
import io.choria.natsoperator.reconciler.OperatorSettings;
import io.choria.natsoperator.testing.Await;
import io.choria.natsoperator.testing.Examples;
import io.choria.natsoperator.testing.MockCluster;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.api.model.apps.StatefulSetStatusBuilder;
import io.javaoperatorsdk.operator.Operator;
import io.javaoperatorsdk.operator.api.monitoring.Metrics;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * One NatsCluster whose brokers answer, beside D whose brokers accept and never answer (three
 * listeners on 127.0.0.71-73 standing for every dead broker), all in one namespace and naming one
 * CA Secret: the real operator in-process on the mock API server, with its reconciler threads
 * (java-operator-sdk's default 50 when the figures were taken; OperatorAssembly's 4 per core since),
 * the production monitoring client (2 s deadline). Each round changes the
 * shared CA Secret, which reconciles all D+1 clusters at once (as a CA rotation, a restart or the
 * resync wave does); it reports the live cluster's delay (Secret written to its reconcile done) and
 * the reconcile durations, medians over the rounds. Uses only what the operator had before the
 * mesh poller, so it runs on either side of it.
 * {@code bench/run DeadBrokersBench [dead=100] [rounds=10]}
 */
public final class DeadBrokersBench {
    static final String NS = "fleet";

    /** Start and end of each reconcile, per cluster (java-operator-sdk's execution callbacks). */
    static final class Timings implements Metrics {
        private static final ThreadLocal<Long> STARTED = new ThreadLocal<>();
        final Map<String, List<long[]>> runs = new ConcurrentHashMap<>();

        @Override
        public void reconciliationExecutionStarted(HasMetadata resource, Map<String, Object> metadata) {
            if (resource != null) STARTED.set(System.nanoTime());
        }

        @Override
        public void reconciliationExecutionFinished(HasMetadata resource, Map<String, Object> metadata) {
            Long start = STARTED.get();
            if (resource == null || start == null) return;
            STARTED.remove();
            runs.computeIfAbsent(resource.getMetadata().getName(), k -> Collections.synchronizedList(new ArrayList<>()))
                    .add(new long[] {start, System.nanoTime()});
        }

        int count(String name) {
            return runs.getOrDefault(name, List.of()).size();
        }

        long[] last(String name) {
            List<long[]> l = runs.get(name);
            synchronized (l) {
                return l.get(l.size() - 1);
            }
        }
    }

    public static void main(String[] args) throws Exception {
        int dead = args.length > 0 ? Integer.parseInt(args[0]) : 100;
        int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 10;
        List<ServerSocket> silent = new ArrayList<>();
        URI[] deadUris = new URI[3];
        for (int i = 0; i < 3; i++) {
            ServerSocket s = new ServerSocket(0, 512, InetAddress.getByName("127.0.0.7" + (i + 1)));
            silent.add(s);
            deadUris[i] = URI.create("http://127.0.0.7" + (i + 1) + ":" + s.getLocalPort());
            Thread t = new Thread(() -> acceptAndStaySilent(s), "silent-" + i);
            t.setDaemon(true);
            t.start();
        }
        HttpServer alive = io.choria.natsoperator.mesh.Monitors.meshedBroker(64);
        URI aliveUri = URI.create("http://127.0.0.1:" + alive.getAddress().getPort());

        Timings timings = new Timings();
        MeshChecker checker = new MeshChecker();
        try (MockCluster api = new MockCluster()) {
            OperatorSettings settings = new OperatorSettings("cluster.local", Set.of(), OperatorSettings.DEFAULT_RESYNC,
                    nc -> checker.check(nc, "alive".equals(nc.getMetadata().getName()) ? i -> aliveUri : i -> deadUris[i]));
            Operator operator = OperatorAssembly.create(api.client, settings, Clock.systemUTC(), timings, null);
            operator.start();
            try {
                Examples.createPuppetCa(api.client, NS);
                List<String> names = new ArrayList<>();
                for (int i = 0; i < dead; i++) names.add("dead-" + i);
                names.add("alive");
                for (String name : names) {
                    NatsCluster nc = Examples.toApply(Examples.THREE_BROKERS, NS, name);
                    nc.getSpec().getTls().setKeyAlgorithm(TlsSpec.KeyAlgorithm.EC_P256); // the key is not what is measured
                    api.client.resource(nc).create();
                }
                progress("created " + names.size() + " NatsClusters");
                for (String name : names) {
                    StatefulSet sts = Await.until("StatefulSet " + name, Duration.ofMinutes(5),
                            () -> api.client.apps().statefulSets().inNamespace(NS).withName(name).get(), x -> true);
                    sts.setStatus(new StatefulSetStatusBuilder().withReplicas(3).withReadyReplicas(3).withUpdatedReplicas(3)
                            .withObservedGeneration(sts.getMetadata().getGeneration()).withCurrentRevision("r1").withUpdateRevision("r1").build());
                    api.client.resource(sts).updateStatus();
                }
                progress("StatefulSets ready");
                Await.until("the live cluster meshed", Duration.ofMinutes(5), () -> meshed(api), m -> m);
                // let the set-up's wave of reconciles pass: every dead cluster reconciled since its brokers were ready
                progress("live cluster meshed");
                settle(timings, names);
                progress("settled");

                List<Long> delay = new ArrayList<>(), live = new ArrayList<>(), deadRuns = new ArrayList<>();
                for (int r = 0; r < rounds; r++) {
                    Map<String, Integer> before = new ConcurrentHashMap<>();
                    for (String n : names) before.put(n, timings.count(n));
                    String round = Integer.toString(r);
                    long written = System.nanoTime();
                    api.client.secrets().inNamespace(NS).withName("puppet-ca").edit(s -> {
                        s.getMetadata().setAnnotations(Map.of("bench/round", round));
                        return s;
                    });
                    Await.until("round " + r, Duration.ofMinutes(5), () -> names.stream().allMatch(n -> timings.count(n) > before.get(n)), x -> x);
                    long[] a = timings.last("alive");
                    delay.add(a[1] - written);
                    live.add(a[1] - a[0]);
                    for (int i = 0; i < dead; i++) {
                        long[] d = timings.last("dead-" + i);
                        deadRuns.add(d[1] - d[0]);
                    }
                }
                System.out.printf("dead clusters %d, rounds %d%n", dead, rounds);
                System.out.printf("live cluster: Secret written to reconcile done, median %.0f ms (max %.0f ms)%n", ms(median(delay)), ms(max(delay)));
                System.out.printf("live cluster reconcile, median %.0f ms%n", ms(median(live)));
                System.out.printf("dead clusters' reconciles, median %.0f ms (max %.0f ms)%n", ms(median(deadRuns)), ms(max(deadRuns)));
            } finally {
                operator.stop();
            }
        } finally {
            alive.stop(0);
            for (ServerSocket s : silent) s.close();
        }
        System.exit(0);
    }

    static final long T0 = System.nanoTime();

    static void progress(String what) {
        System.out.printf("%6.1f s %s%n", (System.nanoTime() - T0) / 1e9, what);
    }

    static boolean meshed(MockCluster api) {
        NatsCluster nc = api.client.resources(NatsCluster.class).inNamespace(NS).withName("alive").get();
        return nc != null && nc.getStatus() != null && nc.getStatus().getConditions().stream()
                .anyMatch(c -> "RoutesMeshed".equals(c.getType()) && "True".equals(c.getStatus()));
    }

    /** Until no reconcile has started for two seconds. */
    static void settle(Timings timings, List<String> names) throws InterruptedException {
        int last = -1;
        while (true) {
            int now = names.stream().mapToInt(timings::count).sum();
            if (now == last) return;
            last = now;
            Thread.sleep(2000);
        }
    }

    /** Connections the silent listeners accepted (all of them, in this process). */
    static final java.util.concurrent.atomic.LongAdder ACCEPTED = new java.util.concurrent.atomic.LongAdder();

    static void acceptAndStaySilent(ServerSocket server) {
        while (!server.isClosed()) {
            try {
                Socket s = server.accept();
                ACCEPTED.increment();
                Thread reader = new Thread(() -> {
                    try (s; InputStream in = s.getInputStream()) {
                        while (in.read() >= 0) {
                            // read the request and say nothing, until the client gives up
                        }
                    } catch (IOException e) {
                        // the client hung up
                    }
                });
                reader.setDaemon(true);
                reader.start();
            } catch (IOException e) {
                return;
            }
        }
    }

    static long median(List<Long> v) {
        List<Long> s = new ArrayList<>(v);
        Collections.sort(s);
        return s.get(s.size() / 2);
    }

    static long max(List<Long> v) {
        return Collections.max(v);
    }

    static double ms(long nanos) {
        return nanos / 1e6;
    }
}
