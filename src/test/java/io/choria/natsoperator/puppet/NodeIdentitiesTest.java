package io.choria.natsoperator.puppet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.choria.natsoperator.api.AuthorizationSpec;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Which user each certificate maps to, as verify_and_map will map it, and the certificates refused for it. */
class NodeIdentitiesTest {
    static String key(char c) {
        return String.valueOf(c).repeat(64);
    }

    static InventorySync.Result estate(Map<String, String> certnameByKey, Map<String, List<String>> mappedByKey) {
        Map<String, Set<String>> certnames = new java.util.HashMap<>();
        certnameByKey.forEach((k, c) -> certnames.put(k, Set.of(c)));
        return new InventorySync.Result(Set.copyOf(certnameByKey.keySet()), certnameByKey.size(), 0, "1", 0, Duration.ZERO, Set.of(), Map.of(),
                certnames, mappedByKey);
    }

    @Test
    void eachCertificateIsItsOwnCertnamesUserOrRefusedSayingWhy() {
        InventorySync.Result r = estate(
                Map.of(key('a'), "node1.example.net", key('b'), "node2.example.net", key('c'), "alice.mcollective", key('d'), "rogue.example.net",
                        key('e'), "old.example.net", key('f'), "odd name", key('1'), "broker.example.net"),
                Map.of(key('a'), List.of("node1.example.net"),
                        key('b'), List.of("node2.example.net"),
                        key('c'), List.of("alice.mcollective"),
                        // its alternative names come first, and one is node2's certname: it would act as node2
                        key('d'), List.of("node2.example.net", "rogue.example.net"),
                        // signed before Puppet added DNS:<certname>: nothing to map by but its subject
                        key('e'), List.of(),
                        key('f'), List.of("odd name"),
                        key('1'), List.of("broker.example.net")));
        NodeIdentities ids = NodeIdentities.of(r, new HashSet<>(r.admitted()), new AuthorizationSpec(), key('1'));
        assertEquals(Set.of(key('1'), key('a') + " n node1.example.net", key('b') + " n node2.example.net"),
                ids.entries().stream().filter(e -> !e.contains("alice")).collect(java.util.stream.Collectors.toSet()));
        assertTrue(ids.entries().stream().anyMatch(e -> e.startsWith(key('c') + " c alice.mcollective ")), ids.entries().toString());
        assertEquals(Set.of("rogue.example.net", "old.example.net", "odd name"), ids.refused().keySet());
        assertTrue(ids.refused().get("rogue.example.net").contains("node2.example.net"));
        assertTrue(ids.refused().get("old.example.net").contains("DNS:<certname>"));
        assertEquals(List.of(2, 1, 0), List.of(ids.nodes(), ids.clients(), ids.privileged()));
        assertTrue(ids.summary().startsWith("as NATS users: 2 nodes, 1 clients, 0 privileged clients; 3 certificates refused: "), ids.summary());
    }

    @Test
    void aCertnameThePatternDropsIsNoUserSoACertificateCarryingItIsNotTakenForIt() {
        // node2 is not admitted (pinnedCertnames cut it): the rogue's first name is then nobody's, and it maps to itself.
        InventorySync.Result r = estate(Map.of(key('b'), "node2.example.net", key('d'), "rogue.example.net"),
                Map.of(key('b'), List.of("node2.example.net"), key('d'), List.of("node2.example.net", "rogue.example.net")));
        NodeIdentities ids = NodeIdentities.of(r, new HashSet<>(Set.of(key('d'))), new AuthorizationSpec(), null);
        assertEquals(Set.of(key('d') + " n rogue.example.net"), ids.entries());
        assertTrue(ids.refused().isEmpty());
    }

    @Test
    void theStatusNamesAFewRefusedAndCountsTheRest() {
        Map<String, String> certnames = new java.util.HashMap<>();
        for (int i = 0; i < 8; i++) certnames.put(io.choria.natsoperator.pki.Digests.sha256Hex("k" + i), "old" + i + ".example.net");
        InventorySync.Result r = estate(certnames, Map.of());
        String summary = NodeIdentities.of(r, new HashSet<>(r.admitted()), new AuthorizationSpec(), null).summary();
        assertTrue(summary.contains("8 certificates refused") && summary.endsWith(" and 3 more"), summary);
    }
}
