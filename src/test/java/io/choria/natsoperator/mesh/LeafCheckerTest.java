package io.choria.natsoperator.mesh;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.choria.natsoperator.api.Reason;
import io.choria.natsoperator.mesh.LeafChecker.BrokerLeafs;
import io.choria.natsoperator.mesh.LeafChecker.LeafObservation;
import io.choria.natsoperator.mesh.MonitorClient.LeafConnection;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The pure half of LeafNodesConnected: which remote is connected at which broker, from /leafz's addresses. */
class LeafCheckerTest {
    static final List<List<String>> TWO_HUBS = List.of(List.of("tls://hub-a:7422"), List.of("tls://hub-b:7422", "tls://10.0.0.9:7422"));
    static final Map<String, Set<String>> DNS = Map.of("hub-a", Set.of("10.0.0.1"), "hub-b", Set.of("10.0.0.2"), "10.0.0.9", Set.of("10.0.0.9"));

    @Test
    void aRemoteIsConnectedByAnyOfItsUrlsAddressAndPort() {
        LeafObservation o = LeafChecker.judge(TWO_HUBS, DNS, List.of(
                new BrokerLeafs("edge-0", List.of(new LeafConnection("10.0.0.1", 7422), new LeafConnection("10.0.0.9", 7422)), null),
                new BrokerLeafs("edge-1", List.of(new LeafConnection("10.0.0.1", 7422), new LeafConnection("10.0.0.2", 7422),
                        new LeafConnection("10.1.1.1", 53122)), null)));
        assertTrue(o.connected());
        assertEquals(Reason.AllLeafRemotesConnected, o.reason());
        assertEquals("each of the 2 brokers is connected to the 2 remotes; leaf node connections: edge-0 2, edge-1 3", o.message());
    }

    @Test
    void aMissingRemoteIsNamedWithTheBrokersThatLackIt() {
        LeafObservation o = LeafChecker.judge(TWO_HUBS, DNS, List.of(
                new BrokerLeafs("edge-0", List.of(new LeafConnection("10.0.0.1", 7422)), null),
                // an accepted leaf from hub-b's address, on an ephemeral port, is not the remote
                new BrokerLeafs("edge-1", List.of(new LeafConnection("10.0.0.1", 7422), new LeafConnection("10.0.0.2", 40111)), null)));
        assertFalse(o.connected());
        assertEquals(Reason.LeafRemoteMissing, o.reason());
        assertEquals("remotes[1] (tls://hub-b:7422) missing at edge-0, edge-1", o.message());
    }

    @Test
    void anUnresolvableHostAndAnUnreachableBrokerAreSaid() {
        LeafObservation o = LeafChecker.judge(List.of(List.of("tls://nowhere:7422")), Map.of("nowhere", Set.of()), List.of(
                new BrokerLeafs("edge-0", List.of(), null), new BrokerLeafs("edge-1", null, "connection refused")));
        assertEquals(Reason.BrokerUnreachable, o.reason());
        assertEquals("edge-1 did not answer /leafz: connection refused; remotes[0] (tls://nowhere:7422) missing at edge-0"
                + " (the operator cannot resolve nowhere)", o.message());
    }

    @Test
    void aHubWithoutRemotesCountsItsLeafs() {
        LeafObservation o = LeafChecker.judge(List.of(), Map.of(), List.of(
                new BrokerLeafs("hub-0", List.of(new LeafConnection("10.2.0.1", 50000)), null), new BrokerLeafs("hub-1", List.of(), null)));
        assertEquals(new LeafObservation(true, Reason.LeafNodesAccepting, "leaf node connections: hub-0 1, hub-1 0"), o);
    }
}
