package io.choria.natsoperator.mesh;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.choria.natsoperator.api.Reason;
import io.choria.natsoperator.mesh.MeshChecker.BrokerView;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The pure half of the mesh check; the real-broker half is in the brokers package. */
class MeshCheckerTest {

    @Test
    void everyBrokerSeeingSizeMinusOnePeersIsAFullMesh() {
        MeshObservation m = MeshChecker.judge(3, List.of(view(0, 2), view(1, 2), view(2, 2)));
        assertTrue(m.meshed());
        assertEquals(Reason.FullMesh, m.reason());
    }

    @Test
    void anUnreachableBrokerComesFirstAndMissingPeersAreListedWithIt() {
        MeshObservation m = MeshChecker.judge(3, List.of(view(0, 1), view(1, 1),
                new BrokerView("broker-2", null, "connection refused")));
        assertFalse(m.meshed());
        assertEquals(Reason.BrokerUnreachable, m.reason());
        assertEquals("broker-2 did not answer /varz: connection refused; broker-0 sees 1 of 2 peers; broker-1 sees 1 of 2 peers",
                m.message());
    }

    @Test
    void morePeersThanTheSpecAsksForIsNotAMesh() {
        MeshObservation m = MeshChecker.judge(3, List.of(view(0, 4), view(1, 2), view(2, 2)));
        assertFalse(m.meshed());
        assertEquals(Reason.UnexpectedPeers, m.reason());
        assertEquals("broker-0 sees 4 peers, expected 2", m.message());
    }

    @Test
    void routezFallbackCountsDistinctRemoteServers() throws Exception {
        var routez = new ObjectMapper().readTree("""
                {"routes": [{"remote_id": "A"}, {"remote_id": "A"}, {"remote_id": "B"}, {"remote_id": ""}]}""");
        assertEquals(2, MonitorClient.distinctRemotes(routez));
    }

    @Test
    void anUnresolvableBrokerIsReportedNotThrown() {
        var nc = io.choria.natsoperator.model.SpecDefaults.withDefaults(
                io.choria.natsoperator.testing.Examples.load(io.choria.natsoperator.testing.Examples.ONE_BROKER));
        MeshObservation m = new MeshChecker(new MonitorClient(java.time.Duration.ofMillis(500)))
                .check(nc, i -> java.net.URI.create("http://broker-single-" + i + ".invalid:8222"));
        assertFalse(m.meshed());
        assertEquals(Reason.BrokerUnreachable, m.reason());
        assertTrue(m.message().startsWith("broker-single-0 did not answer /varz: "), m.message());
    }

    private static BrokerView view(int i, int remotes) {
        return new BrokerView("broker-" + i, remotes, null);
    }
}
