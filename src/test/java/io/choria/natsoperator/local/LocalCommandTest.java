package io.choria.natsoperator.local;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.choria.natsoperator.pki.TestCa;
import io.choria.natsoperator.testing.Await;
import io.choria.natsoperator.testing.External;
import io.choria.natsoperator.testing.Tools;
import io.nats.client.Connection;
import io.nats.client.Nats;
import io.nats.client.Options;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code nats-operator local} as a user runs it: a separate JVM, the 3-broker example and a CA
 * Secret as {@code -f} files, its output read line by line. The brokers are real nats-server
 * processes, each in its own network namespace on a bridge with a 198.18.x.0/24 (benchmarking
 * range) address that exists only while {@code local} runs; nothing leaves the machine.
 */
@External
class LocalCommandTest {
    private static final Duration READY = Duration.ofSeconds(120);

    @TempDir Path dir;
    private final TestCa ca = TestCa.rsaRoot("Local Puppet CA");
    private Local local;

    @AfterEach
    void stop() {
        if (local != null) local.kill();
    }

    /** A copy of examples/natscluster-3.yaml in the test's directory, for local to apply (and the test to edit). */
    private Path threeBrokerExample() throws java.io.IOException {
        Path example = dir.resolve("natscluster-3.yaml");
        Files.writeString(example, Files.readString(Path.of("examples/natscluster-3.yaml")));
        return example;
    }

    @Test
    void runsTheExampleScalesByReloadRestartsAKilledBrokerAndLeavesNothingBehindOnCtrlC() throws Exception {
        Path example = threeBrokerExample();
        local = Local.start(example, caSecret());

        int ready3 = local.await("is ready with 3 brokers", 0, READY);
        local.await("choria/broker RoutesMeshed=True", 0, READY);
        List<String> urls = local.urls(ready3);
        assertEquals(3, urls.size(), local.output());
        for (String url : urls) {
            try (Connection c = connect(url)) {
                assertTrue(c.RTT().toNanos() > 0, "PONG from " + url); // RTT() is a PING answered by a PONG
            }
        }
        Map<String, Long> pids = local.brokerPids();
        assertEquals(3, pids.size(), local.output());

        // size 3 -> 5 in the file: the operator scales; the first three only reload
        int edit = local.lines().size();
        Files.writeString(example, Files.readString(example).replace("size: 3", "size: 5"));
        local.await("is ready with 5 brokers", edit, READY);
        local.await("choria/broker RoutesMeshed=True FullMesh: each of the 5 brokers", edit, READY);
        for (String pod : List.of("broker-0", "broker-1", "broker-2")) {
            assertEquals(pids.get(pod), local.brokerPids().get(pod), pod + " restarted:\n" + local.output());
            assertTrue(ProcessHandle.of(pids.get(pod)).map(ProcessHandle::isAlive).orElse(false), pod + " is gone");
            // the new brokers join by gossip, so the mesh can be full before the refreshed config file reaches this one
            Await.until(pod + " reloads", Duration.ofSeconds(30), () -> read(local.log(pod)), log -> log.contains("Reloaded server configuration"));
        }
        // and back to 3
        edit = local.lines().size();
        Files.writeString(example, Files.readString(example).replace("size: 5", "size: 3"));
        local.await("choria/broker-4: stopped", edit, READY);
        local.await("is ready with 3 brokers", edit, READY);
        local.await("choria/broker RoutesMeshed=True FullMesh: each of the 3 brokers", edit, READY);
        for (String pod : List.of("broker-0", "broker-1", "broker-2")) assertEquals(pids.get(pod), local.brokerPids().get(pod), pod);

        // a broker killed: Ready turns False, and the kubelet starts it again
        edit = local.lines().size();
        ProcessHandle.of(pids.get("broker-1")).orElseThrow().destroyForcibly();
        local.await("choria/broker Ready=False", edit, READY);
        local.await("choria/broker-1: container nats started", edit, READY);
        local.await("choria/broker Ready=True", edit, READY);
        long restarted = local.brokerPids().get("broker-1");
        assertTrue(restarted != pids.get("broker-1"));

        // Ctrl-C: SIGINT to local alone (the containers run in their own sessions)
        List<Long> all = new ArrayList<>(local.allPids());
        Runtime.getRuntime().exec(new String[] {"kill", "-INT", String.valueOf(local.process.pid())}).waitFor();
        local.assertGoneWithoutTrace(all);
    }

    /**
     * Choria Streams end to end in {@code local}: the operator keeps the streams through the brokers' client port as the
     * broker (its TLS Secret), says StreamsReady; each broker's store is a claim directory of the work directory that
     * outlives the broker's process (killed, started again by the kubelet: its stream files are the same files), and goes
     * with the work directory on Ctrl-C.
     */
    @Test
    void streamsAreKeptOnClaimDirectoriesThatOutliveABrokerAndGoWithLocal() throws Exception {
        Path example = dir.resolve("natscluster-3.yaml");
        Files.writeString(example, Files.readString(Path.of("examples/natscluster-3.yaml")) + "  streams:\n    storage: {size: 1Gi}\n");
        local = Local.start(example, caSecret());
        local.await("choria/broker StreamsReady=True StreamsReady: 5 streams with all replicas current", 0, READY);
        Path claim = local.workDirectory().resolve("claims/choria/data-broker-1");
        Path meta = claim.resolve("jetstream/choria/streams/CHORIA_EVENTS/meta.inf");
        assertTrue(Files.exists(meta), "broker-1's CHORIA_EVENTS replica in its claim directory " + claim);
        Object fileKey = Files.readAttributes(meta, java.nio.file.attribute.BasicFileAttributes.class).fileKey();

        int edit = local.lines().size();
        long pid = local.brokerPids().get("broker-1");
        ProcessHandle.of(pid).orElseThrow().destroyForcibly();
        local.await("choria/broker-1: container nats started", edit, READY);
        local.await("choria/broker StreamsReady=True", edit, READY);
        assertTrue(local.brokerPids().get("broker-1") != pid);
        assertEquals(fileKey, Files.readAttributes(meta, java.nio.file.attribute.BasicFileAttributes.class).fileKey(),
                "the restarted broker found its stream where it left it (the same file)");

        List<Long> all = new ArrayList<>(local.allPids());
        Runtime.getRuntime().exec(new String[] {"kill", "-INT", String.valueOf(local.process.pid())}).waitFor();
        local.assertGoneWithoutTrace(all);
        assertFalse(Files.exists(claim), "the claim directories go with local");
    }

    /**
     * Turning Streams on for a running cluster in {@code local}: the operator replaces the StatefulSet orphaning its pods,
     * local's kubelet adopts them and rolls them one at a time (never fewer than 2 of 3 ready), the streams are made, and
     * an event stored then survives a broker's restart.
     */
    @Test
    void streamsTurnedOnForARunningClusterRollTheBrokersOneAtATime() throws Exception {
        Path example = threeBrokerExample();
        local = Local.start(example, caSecret());
        int ready = local.await("is ready with 3 brokers", 0, READY);
        List<String> urls = local.urls(ready);
        Map<String, Long> before = local.brokerPids();

        int edit = local.lines().size();
        Files.writeString(example, Files.readString(example) + "  streams:\n    storage: {size: 1Gi}\n");
        local.await("choria/broker StreamsReady=True StreamsReady: 5 streams with all replicas current", edit, READY);
        Map<String, Long> after = local.brokerPids();
        for (String pod : List.of("broker-0", "broker-1", "broker-2")) {
            assertTrue(!after.get(pod).equals(before.get(pod)), pod + " rolled to the template with Streams:\n" + local.output());
        }
        List<String> since = local.lines().subList(edit, local.lines().size());
        // the pods outlived their StatefulSet (the kubelet may not even see the gap between the delete and the new one)
        assertTrue(since.stream().noneMatch(l -> l.contains("StatefulSet is gone; deleting")), local.output());
        assertTrue(since.stream().filter(l -> l.contains("template changed; replacing it")).count() == 3, "rolled one by one:\n" + local.output());
        // Never two brokers down at once, the StatefulSet's replacement included: the new StatefulSet has no status for
        // a moment, and the status then keeps the count last seen (once it read 0/3 there, while all three served).
        assertTrue(since.stream().noneMatch(l -> l.contains("0/3 brokers ready") || l.contains("1/3 brokers ready")),
                "never two brokers down at once:\n" + local.output());

        // an event stored, then a broker restarted: still there
        try (Connection node = connect(urls.get(0))) {
            io.nats.client.api.PublishAck ack = node.jetStream().publish("choria.lifecycle.event.alive.server", "{\"n\":1}".getBytes());
            assertEquals("CHORIA_EVENTS", ack.getStream());
        }
        int kill = local.lines().size();
        ProcessHandle.of(after.get("broker-0")).orElseThrow().destroyForcibly();
        local.await("choria/broker-0: container nats started", kill, READY);
        local.await("choria/broker Ready=True", kill, READY);
        try (Connection admin = connect(urls.get(1))) {
            var m = Await.until("the event read back", Duration.ofSeconds(30), () -> {
                try {
                    return admin.jetStreamManagement().getLastMessage("CHORIA_EVENTS", "choria.lifecycle.event.alive.server");
                } catch (Exception e) {
                    return null;
                }
            }, x -> x != null);
            assertEquals("{\"n\":1}", new String(m.getData()));
        }
        List<Long> all = new ArrayList<>(local.allPids());
        Runtime.getRuntime().exec(new String[] {"kill", "-INT", String.valueOf(local.process.pid())}).waitFor();
        local.assertGoneWithoutTrace(all);
    }

    @Test
    void sigtermWhileStartingLeavesNoProcessNamespaceOrDirectory() throws Exception {
        Path example = threeBrokerExample();
        local = Local.start(example, caSecret());
        local.await("container nats started", 0, READY);
        List<Long> all = new ArrayList<>(local.allPids());
        local.process.destroy(); // SIGTERM
        local.assertGoneWithoutTrace(all);
    }

    @Test
    void aLocalKilledWithSigkillTakesItsBrokersAlongAndTheNextCleansUpTheRestWithoutKillingAStranger() throws Exception {
        Path example = threeBrokerExample();
        Local killed = Local.start(example, caSecret());
        local = killed;
        killed.await("container nats started", 0, READY);
        List<Long> left = killed.allPids();
        killed.process.destroyForcibly();
        assertTrue(killed.process.waitFor(30, TimeUnit.SECONDS));
        for (long pid : left) { // setpriv --pdeathsig: the kernel kills them with their parent
            Await.until("pid " + pid + " gone with its local", Duration.ofSeconds(15), () -> !ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false), gone -> gone);
        }

        // its record names a process that outlived it (one started before it died, say) and a pid that a stranger has now
        try (Sleeping leftover = new Sleeping(); Sleeping stranger = new Sleeping()) {
            Path processes = killed.workDirectory().resolve(RunRecord.PROCESSES_FILE);
            assertTrue(Files.exists(processes), "no record of its processes");
            Files.writeString(processes, leftover.pid() + " " + leftover.startTime() + "\n"
                    + stranger.pid() + " " + (stranger.startTime() + 1) + "\n", StandardOpenOption.APPEND);

            local = Local.start(example, caSecret());
            local.await("operator running", 0, READY);
            assertTrue(leftover.process.waitFor(15, TimeUnit.SECONDS), "the recorded process, same pid and start time, is still running");
            assertTrue(stranger.process.isAlive(), "the next local killed a process that has a recorded pid but another start time");
            local.process.destroy();
            local.assertGoneWithoutTrace(List.of());
            killed.assertGoneWithoutTrace(left);
            assertTrue(stranger.process.isAlive(), "a stranger killed");
        }
    }

    /** A {@code sleep}: a process this test owns, for a record to name. */
    private static final class Sleeping implements AutoCloseable {
        final Process process = new ProcessBuilder("sleep", "300").redirectOutput(ProcessBuilder.Redirect.DISCARD).start();

        Sleeping() throws IOException {}

        long pid() { return process.pid(); }
        long startTime() { return RunRecord.startTime(process.pid()).orElseThrow(); }

        @Override
        public void close() { process.destroyForcibly(); }
    }

    @Test
    void twoClustersInOneFileJoinAsHubAndLeafByServiceName() throws Exception {
        Path sites = dir.resolve("sites.yaml");
        Files.writeString(sites, """
                apiVersion: choria.io/v1alpha1
                kind: NatsCluster
                metadata: {name: hub, namespace: choria}
                spec:
                  size: 2
                  tls: {caSecretRef: {name: puppet-ca}}
                  leafnodes: {port: 7422, edges: [edge.choria.svc]}   # the edge's certificate carries its Service's name
                ---
                apiVersion: choria.io/v1alpha1
                kind: NatsCluster
                metadata: {name: edge, namespace: choria}
                spec:
                  size: 1
                  clusterName: shop-17
                  tls: {caSecretRef: {name: puppet-ca}}
                  leafnodes:
                    accept: false
                    remotes:
                      - urls: ["tls://hub-leafnodes.choria.svc.cluster.local:7422"]
                """);
        local = Local.start(sites, caSecret());
        // the edge's broker dials the hub's Service name through its hosts file; the operator judges it by the same names
        local.await("choria/edge LeafNodesConnected=True AllLeafRemotesConnected", 0, READY);
        local.await("choria/hub LeafNodesConnected=True", 0, READY);
        List<Long> all = new ArrayList<>(local.allPids());
        local.process.destroy();
        local.assertGoneWithoutTrace(all);
    }

    @Test
    void withoutNatsServerItSaysHowToGetItAndExits1() throws Exception {
        Path example = threeBrokerExample();
        ProcessBuilder pb = Local.command(example, caSecret()).redirectErrorStream(true);
        pb.environment().put("PATH", dir.toString()); // no nats-server, no ip
        Process p = pb.start();
        assertTrue(p.waitFor(60, TimeUnit.SECONDS));
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(1, p.exitValue(), out);
        assertTrue(out.contains("nats-server is not on PATH: apt-get install -y nats-server"), out);
        assertFalse(out.contains("Exception"), out);
    }

    private Path caSecret() throws IOException {
        return Local.caSecret(dir, ca);
    }

    private Connection connect(String url) throws Exception {
        Options o = new Options.Builder().server(url).sslContext(ca.issueClientCertificate("node-0.example.net").clientContext(ca.chainPem()))
                .connectionTimeout(Duration.ofSeconds(5)).noReconnect().build();
        return Nats.connect(o);
    }

    private static String read(Path file) {
        try {
            return Files.readString(file);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
