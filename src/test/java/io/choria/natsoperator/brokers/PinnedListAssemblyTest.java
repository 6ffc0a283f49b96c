package io.choria.natsoperator.brokers;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.choria.natsoperator.model.PinnedList;
import io.choria.natsoperator.model.PinnedListAssembler;
import io.choria.natsoperator.pki.Digests;
import io.choria.natsoperator.pki.TestCa;
import io.choria.natsoperator.pki.TrustBundle;
import io.choria.natsoperator.puppet.PinnedKeys;
import io.choria.natsoperator.testing.Await;
import io.choria.natsoperator.testing.Examples;
import io.choria.natsoperator.testing.External;
import io.nats.client.Connection;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The pinned list past one ConfigMap's 1 MiB, on a real nats-server 2.9.10: 40,000 keys and a node's, carried in the parts
 * the model renders, laid out as the kubelet projects them, assembled by the rendered init container's script; the broker
 * admits the node. Then the node's key is dropped: one part and the manifest change; while only the manifest has arrived
 * the rendered reloader assembles nothing (a mixed set); once the part arrives it assembles, the broker reloads, and the
 * node's new connection is refused. Addresses 127.0.0.100.
 */
@Timeout(180)
@External
class PinnedListAssemblyTest {
    static final int KEYS = 40_000;

    @Test
    void fortyThousandKeysInPartsAdmitTheNodeAndItsDroppedKeyIsRefusedAfterTheReloaderReassembles() throws Exception {
        TestCa ca = TestCa.ecRoot("Pinned parts CA");
        TestCa.Pems node = ca.issueClientCertificate("node1.example.net");
        String nodePin = TrustBundle.publicKeyPin(node.certPem());
        Set<String> keys = new HashSet<>();
        for (int i = 0; i < KEYS; i++) keys.add(Digests.sha256Hex("random key " + i));
        keys.add(nodePin);
        PinnedKeys withNode = PinnedKeys.none().with(keys);

        try (LocalBrokerCluster brokers = LocalBrokerCluster.of(Examples.load(Examples.ONE_BROKER)).ca(ca).firstHost(100)
                .pinnedList(withNode.list("choria", "broker")).render()) {
            String ns = brokers.names().namespace(), name = brokers.names().cluster();
            PinnedList first = withNode.list(ns, name);
            Map<String, String> files = brokers.pinnedPartFiles(0, first);
            assertEquals(PinnedList.PARTS + 1, files.size(), files.keySet().toString());
            long total = files.values().stream().mapToLong(String::length).sum();
            long largest = files.values().stream().mapToLong(String::length).max().orElseThrow();
            assertTrue(total > 1024 * 1024, "the list is past one ConfigMap's limit: " + total);
            assertTrue(largest < 512 * 1024, "each part is well under it: " + largest);
            brokers.writePinnedParts(0, files);

            var init = brokers.runInitContainer(0, PinnedListAssembler.INIT_CONTAINER, Duration.ofSeconds(60));
            assertEquals(0, init.getKey(), init.getValue());
            Path assembled = Path.of(brokers.paths(0).pinnedFile());
            String list = Files.readString(assembled);
            assertEquals(KEYS + 2, list.lines().filter(l -> l.matches("  \"[0-9a-f]{64}\"")).count(), "every key and the epoch entry");
            assertEquals(withNode, PinnedKeys.parse(list.replace("pinned_certs: [", "# epoch " + first.epoch() + "\npinned_certs: ["), ns, name),
                    "the assembled list is the operator's");
            brokers.start(0);
            String url = brokers.clientUrl(0);
            String caPem = brokers.caPem();
            try (Connection c = Clients.connect(url, node, caPem)) {
                assertEquals(Connection.Status.CONNECTED, c.getStatus(), "the node's key is pinned");
            }

            brokers.startReloader(0, 1);
            Await.until("the reloader's first pass", Duration.ofSeconds(20), () -> brokers.reloaderLog(0), l -> l.contains("pinned list: assembled"));
            Set<String> without = new HashSet<>(keys);
            without.remove(nodePin);
            PinnedList second = withNode.with(without).list(ns, name);
            Map<String, String> next = brokers.pinnedPartFiles(0, second);
            Map<String, String> changed = new java.util.TreeMap<>();
            next.forEach((path, content) -> { if (!content.equals(files.get(path))) changed.put(path, content); });
            String part = PinnedList.partFile(Integer.parseInt(nodePin.substring(0, 1), 16));
            assertEquals(Set.of(PinnedList.MANIFEST, part), changed.keySet(), "a one-key change rewrites its part and the manifest");

            int reloadsBefore = brokers.reloads(0);
            // Kubernetes updates each ConfigMap on its own: the manifest first, its part not yet.
            brokers.writePinnedParts(0, Map.of(PinnedList.MANIFEST, changed.get(PinnedList.MANIFEST)));
            Await.until("the reloader waits for the part", Duration.ofSeconds(20), () -> brokers.reloaderLog(0),
                    l -> l.contains("pinned list: " + part.replace("part-", "part ") + " is not yet at version"));
            assertEquals(list, Files.readString(assembled), "a mixed set is not assembled");
            assertEquals(reloadsBefore, brokers.reloads(0), "and not reloaded");
            assertEquals(LocalBrokerCluster.Attempt.ADMITTED, brokers.attempt(0, node.clientContext(caPem)));

            brokers.writePinnedParts(0, Map.of(part, changed.get(part)));
            Await.until("the broker reloads the reassembled list", Duration.ofSeconds(30), () -> brokers.reloads(0), n -> n > reloadsBefore);
            assertEquals(KEYS + 1, Files.readString(assembled).lines().filter(l -> l.matches("  \"[0-9a-f]{64}\"")).count());
            assertEquals(LocalBrokerCluster.Attempt.NOT_PINNED, brokers.attempt(0, node.clientContext(caPem)),
                    "the dropped key's new connection is refused");
        }
    }
}
