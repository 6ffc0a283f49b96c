package io.choria.natsoperator.bench;

import io.choria.natsoperator.brokers.LocalBrokerCluster;
import io.choria.natsoperator.model.PinnedList;
import io.choria.natsoperator.model.PinnedListAssembler;
import io.choria.natsoperator.pki.Digests;
import io.choria.natsoperator.pki.TestCa;
import io.choria.natsoperator.pki.TrustBundle;
import io.choria.natsoperator.puppet.PinnedKeys;
import io.choria.natsoperator.testing.Examples;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * The pinned list at Puppet-estate size on a real nats-server: for each list size N, the parts the model renders (the
 * ConfigMaps' sizes against the 1 MiB limit), the rendered init container's assembly of them, the broker's start and
 * memory with the list, and per round a one-key change as the operator makes it (one part and the manifest rewritten):
 * the rendered assembler's run and the broker's reload (signal to "Reloaded server configuration" in its log). A node's
 * certificate is checked admitted first and refused once its key is dropped, so the figures are of a list in force.
 * Address 127.0.0.100. {@code bench/run PinnedListReloadBench [sizes=10000,50000,100000] [rounds=5]}
 */
public final class PinnedListReloadBench {
    public static void main(String[] args) throws Exception {
        int[] sizes = java.util.Arrays.stream((args.length > 0 ? args[0] : "10000,50000,100000").split(",")).mapToInt(Integer::parseInt).toArray();
        int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 5;
        TestCa ca = TestCa.ecRoot("Pinned list bench CA");
        TestCa.Pems node = ca.issueClientCertificate("node1.example.net");
        String nodePin = TrustBundle.publicKeyPin(node.certPem());
        System.out.println("| keys | parts total | largest part | assembly (init container) | broker start | broker RSS | one-key change: assembly, median | reload, median (min-max) |");
        System.out.println("|---|---|---|---|---|---|---|---|");
        for (int n : sizes) System.out.println(run(n, rounds, ca, node, nodePin));
    }

    static String run(int n, int rounds, TestCa ca, TestCa.Pems node, String nodePin) throws Exception {
        Set<String> keys = new HashSet<>();
        for (int i = 0; keys.size() < n; i++) keys.add(Digests.sha256Hex("bench key " + n + " " + i));
        keys.add(nodePin);
        PinnedKeys pins = PinnedKeys.none().with(keys);
        try (LocalBrokerCluster brokers = LocalBrokerCluster.of(Examples.load(Examples.ONE_BROKER)).ca(ca).firstHost(100)
                .pinnedList(pins.list("choria", "broker")).render()) {
            String ns = brokers.names().namespace(), name = brokers.names().cluster();
            Map<String, String> files = brokers.pinnedPartFiles(0, pins.list(ns, name));
            long total = files.values().stream().mapToLong(String::length).sum();
            long largest = files.values().stream().mapToLong(String::length).max().orElseThrow();
            brokers.writePinnedParts(0, files);
            long t = System.nanoTime();
            assemble(brokers);
            double assembly = ms(t);
            t = System.nanoTime();
            brokers.start(0);
            double start = ms(t);
            long rss = BrokerLoadBench.rssBytes(brokers.pid(0));
            if (brokers.attempt(0, node.clientContext(brokers.caPem())) != LocalBrokerCluster.Attempt.ADMITTED) {
                throw new IllegalStateException("the node's pinned key was not admitted at " + n + " keys");
            }

            List<Double> assemblies = new ArrayList<>(), reloads = new ArrayList<>();
            List<String> others = new ArrayList<>(keys);
            others.remove(nodePin);
            for (int r = 0; r < rounds; r++) {
                // Round 0 drops the node's key (checked refused afterwards); the others drop one random key each.
                Set<String> next = new HashSet<>(pins.admitted());
                next.remove(r == 0 ? nodePin : others.get(r));
                PinnedKeys changed = pins.with(next);
                Map<String, String> nextFiles = brokers.pinnedPartFiles(0, changed.list(ns, name));
                Map<String, String> diff = new TreeMap<>();
                nextFiles.forEach((path, content) -> { if (!content.equals(files.get(path))) diff.put(path, content); });
                if (diff.size() != 2) throw new IllegalStateException("a one-key change rewrote " + diff.keySet());
                brokers.writePinnedParts(0, diff);
                files.putAll(diff);
                t = System.nanoTime();
                assemble(brokers);
                assemblies.add(ms(t));
                reloads.add(reload(brokers));
                pins = changed;
            }
            if (brokers.attempt(0, node.clientContext(brokers.caPem())) != LocalBrokerCluster.Attempt.NOT_PINNED) {
                throw new IllegalStateException("the node's dropped key was still admitted at " + n + " keys");
            }
            return String.format("| %,d | %s | %s | %.0f ms | %.0f ms | %s | %.0f ms | %.0f ms (%.0f-%.0f) |", n, kib(total), kib(largest),
                    assembly, start, BrokerLoadBench.mib(rss), median(assemblies), median(reloads), Collections.min(reloads),
                    Collections.max(reloads));
        }
    }

    /** Broker 0's reload as the reloader makes it: from the signal to "Reloaded server configuration" in its log, in ms. */
    static double reload(LocalBrokerCluster brokers) throws InterruptedException {
        int before = brokers.reloads(0);
        long t = System.nanoTime();
        brokers.reload(0);
        while (brokers.reloads(0) == before) {
            if (ms(t) > 60_000) throw new IllegalStateException("no reload within 60 s");
            Thread.sleep(2);
        }
        return ms(t);
    }

    /** The rendered init container's script: what the pod runs before the broker, and what the reloader runs on a change. */
    static void assemble(LocalBrokerCluster brokers) {
        var done = brokers.runInitContainer(0, PinnedListAssembler.INIT_CONTAINER, Duration.ofSeconds(120));
        if (done.getKey() != 0) throw new IllegalStateException("assembly failed: " + done.getValue());
    }

    static double ms(long since) {
        return (System.nanoTime() - since) / 1e6;
    }

    static double median(List<Double> xs) {
        List<Double> s = new ArrayList<>(xs);
        Collections.sort(s);
        return s.size() % 2 == 1 ? s.get(s.size() / 2) : (s.get(s.size() / 2 - 1) + s.get(s.size() / 2)) / 2;
    }

    static String kib(long bytes) {
        return String.format("%,d KiB", bytes / 1024);
    }
}
