package io.choria.natsoperator.puppet;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Duration;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** spec.tls.puppet.pinnedCertnames keeps the Choria nodes of an estate: the whole certname must match, any of a key's. */
class PinnedCertnamesTest {
    static final InventorySync.Result ESTATE = new InventorySync.Result(Set.of("k-node1", "k-node2", "k-web", "k-both"), 4, 0, "1",
            0, Duration.ZERO, Set.of(), Map.of(), Map.of(
                    "k-node1", Set.of("node1.nodes.example.net"),
                    "k-node2", Set.of("node2.nodes.example.net"),
                    "k-web", Set.of("web1.example.net"),
                    // a key signed under two certnames (re-signed after a rename): admitted when either matches
                    "k-both", Set.of("old.example.net", "db1.nodes.example.net")), Map.of());

    @Test
    void onlyKeysWithAMatchingCertnameAreAdmitted() {
        assertEquals(Set.of("k-node1", "k-node2", "k-both"), PinnedCertnames.admitted(ESTATE, ".+\\.nodes\\.example\\.net"));
    }

    @Test
    void theWholeCertnameMustMatch() {
        // "nodes" occurs in every Choria node's name, but a pattern is not a substring search
        assertEquals(Set.of(), PinnedCertnames.admitted(ESTATE, "nodes"));
        assertEquals(Set.of("k-web"), PinnedCertnames.admitted(ESTATE, "web\\d+\\.example\\.net"));
    }

    @Test
    void noPatternAdmitsEverySignedCertificate() {
        assertEquals(ESTATE.admitted(), PinnedCertnames.admitted(ESTATE, null));
        assertEquals(ESTATE.admitted(), PinnedCertnames.admitted(ESTATE, ""));
    }
}
