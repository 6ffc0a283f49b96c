package io.choria.natsoperator.bench;

import io.choria.natsoperator.api.StreamsSpec;
import io.choria.natsoperator.brokers.LocalBrokerCluster;
import io.choria.natsoperator.testing.Examples;
import io.nats.client.Connection;
import io.nats.client.Dispatcher;
import io.nats.client.JetStream;
import io.nats.client.JetStreamManagement;
import io.nats.client.JetStreamSubscription;
import io.nats.client.Message;
import io.nats.client.Nats;
import io.nats.client.Options;
import io.nats.client.PublishOptions;
import io.nats.client.PushSubscribeOptions;
import io.nats.client.api.PublishAck;
import io.nats.client.api.StorageType;
import io.nats.client.api.StreamConfiguration;
import io.nats.client.api.StreamInfo;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Choria Streams' cost on this machine: three real brokers rendered with spec.streams (nats-server 2.9.10, TLS as
 * rendered, file storage under each broker's root), jnats over TLS, messages shaped as go-choria's lifecycle alive
 * event (about 200 bytes of JSON on {@code choria.lifecycle.event.alive.server}). Each round measures, as rates:
 * <ul>
 * <li>core: a publisher to a subscriber on another broker, no stream (the baseline every ratio is to);</li>
 * <li>captured R1 / R3: the same fire-and-forget publishes (as nodes publish their lifecycle events), until the stream
 * holds them all;</li>
 * <li>acked R1 / R3: JetStream publishes with their acknowledgements, 256 in flight (a producer that must not lose one);</li>
 * <li>consumed R1 / R3: an ordered push consumer reading the stream back.</li>
 * </ul>
 * Then the disk per event, and the disk and broker memory for 1,000 nodes' events of a day (go-choria publishes an
 * alive event every 30 minutes per node, server/lifecycle.go: 48 a day, plus startup and shutdown).
 * {@code bench/run JetStreamBench [messages=20000] [rounds=3]} (root, like the real-broker tests).
 */
public final class JetStreamBench {
    static final String EVENT = "{\"protocol\":\"io.choria.lifecycle.v1.alive\",\"id\":\"2Ha8Xv0Yp1oB3rC4dE5fG6hI7jK\","
            + "\"identity\":\"node-%06d.example.net\",\"component\":\"server\",\"timestamp\":1765000000,\"version\":\"0.30.2\"}";

    public static void main(String[] args) throws Exception {
        int n = args.length > 0 ? Integer.parseInt(args[0]) : 20000;
        int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 3;
        System.out.printf("nats-server %s, %d cores; loadavg at start: %s%n", version(), Runtime.getRuntime().availableProcessors(),
                Files.readString(Path.of("/proc/loadavg")).strip());
        try (LocalBrokerCluster brokers = LocalBrokerCluster.of(Examples.load(Examples.THREE_BROKERS)).firstHost(120).edit(nc -> {
            StreamsSpec streams = new StreamsSpec();
            streams.getStorage().setSize("2Gi");
            nc.getSpec().setStreams(streams);
        }).start();
             Connection pub = connect(brokers, 0);
             Connection sub = connect(brokers, 1)) {
            JetStreamManagement jsm = pub.jetStreamManagement();
            List<String> names = List.of("core", "captured R1", "captured R3", "acked R1", "acked R3", "consumed R1", "consumed R3");
            List<List<Double>> rates = new ArrayList<>();
            for (int i = 0; i < names.size(); i++) rates.add(new ArrayList<>());
            for (int r = 0; r < rounds; r++) {
                rates.get(0).add(core(pub, sub, n));
                for (int replicas : new int[] {1, 3}) {
                    int col = replicas == 1 ? 0 : 1;
                    String stream = "BENCH_R" + replicas;
                    recreate(jsm, stream, replicas);
                    rates.get(1 + col).add(captured(pub, jsm, stream, n));
                    recreate(jsm, stream, replicas);
                    rates.get(3 + col).add(acked(pub.jetStream(), stream, n));
                    rates.get(5 + col).add(consumed(sub.jetStream(), stream, n));
                }
                System.out.printf("round %d: %s%n", r + 1, line(names, rates, r));
            }
            System.out.println("median of " + rounds + " rounds, messages per second (ratio to core):");
            double core = median(rates.get(0));
            for (int i = 0; i < names.size(); i++) {
                double m = median(rates.get(i));
                System.out.printf("  %-12s %9.0f  (%.2f)%n", names.get(i), m, m / core);
            }
            footprint(brokers, pub, jsm);
        }
        System.out.printf("loadavg at end: %s%n", Files.readString(Path.of("/proc/loadavg")).strip());
    }

    static Connection connect(LocalBrokerCluster brokers, int broker) throws Exception {
        var pems = brokers.ca().issueClientCertificate("bench-" + broker + ".mcollective");
        return Nats.connect(new Options.Builder().server(brokers.clientUrl(broker)).sslContext(pems.clientContext(brokers.caPem()))
                .maxReconnects(-1).build());
    }

    static byte[] event(int i) {
        return String.format(EVENT, i).getBytes(StandardCharsets.UTF_8);
    }

    static double core(Connection pub, Connection sub, int n) throws Exception {
        AtomicLong got = new AtomicLong();
        Dispatcher d = sub.createDispatcher(m -> got.incrementAndGet());
        d.subscribe("bench.core.>");
        sub.flush(Duration.ofSeconds(5));
        long t0 = System.nanoTime();
        for (int i = 0; i < n; i++) pub.publish("bench.core.alive.server", event(i));
        pub.flush(Duration.ofSeconds(30));
        await(() -> got.get() >= n, "core delivery");
        double rate = n / ((System.nanoTime() - t0) / 1e9);
        sub.closeDispatcher(d);
        return rate;
    }

    static void recreate(JetStreamManagement jsm, String stream, int replicas) throws Exception {
        try {
            jsm.deleteStream(stream);
        } catch (Exception absent) {
            // first round
        }
        jsm.addStream(StreamConfiguration.builder().name(stream).subjects(stream.toLowerCase() + ".>").storageType(StorageType.File)
                .replicas(replicas).build());
    }

    /** Fire-and-forget publishes, as a node's lifecycle events: until the stream holds every one. */
    static double captured(Connection pub, JetStreamManagement jsm, String stream, int n) throws Exception {
        String subject = stream.toLowerCase() + ".alive.server";
        long t0 = System.nanoTime();
        for (int i = 0; i < n; i++) pub.publish(subject, event(i));
        pub.flush(Duration.ofSeconds(30));
        long[] last = {0};
        await(() -> (last[0] = jsm.getStreamInfo(stream).getStreamState().getMsgCount()) >= n, stream + " capture");
        return n / ((System.nanoTime() - t0) / 1e9);
    }

    static double acked(JetStream js, String stream, int n) throws Exception {
        String subject = stream.toLowerCase() + ".alive.server";
        PublishOptions opts = PublishOptions.builder().expectedStream(stream).build();
        long t0 = System.nanoTime();
        List<CompletableFuture<PublishAck>> window = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            window.add(js.publishAsync(subject, event(i), opts));
            if (window.size() == 256) {
                for (CompletableFuture<PublishAck> f : window) f.get();
                window.clear();
            }
        }
        for (CompletableFuture<PublishAck> f : window) f.get();
        return n / ((System.nanoTime() - t0) / 1e9);
    }

    static double consumed(JetStream js, String stream, int n) throws Exception {
        String subject = stream.toLowerCase() + ".>";
        long t0 = System.nanoTime();
        JetStreamSubscription s = js.subscribe(subject, PushSubscribeOptions.builder().stream(stream).ordered(true).build());
        int read = 0;
        while (read < n) {
            Message m = s.nextMessage(Duration.ofSeconds(10));
            if (m == null) throw new IllegalStateException(stream + ": " + read + " of " + n + " read");
            read++;
        }
        double rate = n / ((System.nanoTime() - t0) / 1e9);
        s.unsubscribe();
        return rate;
    }

    /** 1,000 nodes' day of lifecycle events (50 each) in an R3 stream shaped as CHORIA_EVENTS: disk and broker memory. */
    static void footprint(LocalBrokerCluster brokers, Connection pub, JetStreamManagement jsm) throws Exception {
        int events = 1000 * 50;
        // the rate streams go first, so the data directories hold this stream (and the meta group's files) only
        for (String s : List.of("BENCH_R1", "BENCH_R3")) jsm.deleteStream(s);
        long[] rss = new long[3];
        for (int i = 0; i < 3; i++) rss[i] = rssKb(brokers.pid(i));
        recreate(jsm, "BENCH_DAY", 3);
        for (int i = 0; i < events; i++) pub.publish("bench_day.alive.server", event(i % 1000));
        pub.flush(Duration.ofSeconds(30));
        await(() -> jsm.getStreamInfo("BENCH_DAY").getStreamState().getMsgCount() >= events, "a day of events");
        StreamInfo info = jsm.getStreamInfo("BENCH_DAY");
        long bytes = info.getStreamState().getByteCount();
        System.out.printf("1,000 nodes' day: %d events, %d bytes in the stream (%.0f bytes an event; each of the 3 replicas holds it all),"
                + " about %.1f MiB a day per 1,000 nodes per broker%n", events, bytes, bytes / (double) events, bytes / 1048576.0);
        for (int i = 0; i < 3; i++) {
            long after = rssKb(brokers.pid(i));
            System.out.printf("  broker-%d RSS %d -> %d KiB (%+d KiB)%n", i, rss[i], after, after - rss[i]);
        }
        for (int i = 0; i < 3; i++) {
            Path dir = Path.of(brokers.paths(i).dataDir());
            System.out.printf("  broker-%d data directory: %d KiB%n", i, du(dir) / 1024);
        }
    }

    static long du(Path dir) throws Exception {
        try (var files = Files.walk(dir)) {
            return files.filter(Files::isRegularFile).mapToLong(p -> p.toFile().length()).sum();
        }
    }

    static long rssKb(long pid) throws Exception {
        for (String l : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
            if (l.startsWith("VmRSS:")) return Long.parseLong(l.replaceAll("[^0-9]", ""));
        }
        return -1;
    }

    interface Check {
        boolean ok() throws Exception;
    }

    static void await(Check c, String what) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
        while (!c.ok()) {
            if (System.nanoTime() > deadline) throw new IllegalStateException("timed out: " + what);
            Thread.sleep(20);
        }
    }

    static double median(List<Double> xs) {
        List<Double> s = new ArrayList<>(xs);
        Collections.sort(s);
        return s.get(s.size() / 2);
    }

    static String line(List<String> names, List<List<Double>> rates, int r) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < names.size(); i++) b.append(names.get(i)).append(' ').append(String.format("%.0f", rates.get(i).get(r))).append("/s; ");
        return b.toString();
    }

    static String version() throws Exception {
        Process p = new ProcessBuilder("nats-server", "-v").redirectErrorStream(true).start();
        return new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
    }
}
