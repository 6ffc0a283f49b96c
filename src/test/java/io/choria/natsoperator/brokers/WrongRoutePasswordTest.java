package io.choria.natsoperator.brokers;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import io.choria.natsoperator.api.Reason;
import io.choria.natsoperator.mesh.MeshObservation;
import io.choria.natsoperator.testing.Await;
import io.choria.natsoperator.testing.Examples;
import io.choria.natsoperator.testing.External;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Route authorization is real: a broker rendered with another route password stays outside the mesh. */
@External
class WrongRoutePasswordTest {

    @Test
    void brokerWithWrongRoutePasswordIsRefusedAndTheMeshStaysAtTwo() {
        String right = "right-password-0123456789abcdef";
        try (LocalBrokerCluster brokers = LocalBrokerCluster.of(Examples.load(Examples.THREE_BROKERS))
                .firstHost(10).routePassword(right).routePasswordOf(2, "wrong-password-0123456789abcdef").start()) {
            // Both directions were tried and refused: broker-2's routes to 0/1, and theirs to broker-2.
            // broker-0 refuses broker-2's routes ("authentication error") and is refused by broker-2 ("Authorization Violation").
            Await.until("route authentication errors", Duration.ofSeconds(10), () -> brokers.log(0),
                    l -> l.contains("authentication error") && l.contains("'Authorization Violation'"));
            assertEquals(List.of(1, 1, 0), BrokerAsserts.awaitRemotes(brokers, List.of(1, 1, 0)));

            // A refused peer can flicker into /varz remotes for a moment (counted on INFO, dropped on the auth error),
            // so sample: never meshed, and broker-2 is named as seeing none of its peers.
            MeshObservation mesh = Await.until("broker-2 named", Duration.ofSeconds(10), () -> BrokerAsserts.check(brokers),
                    m -> m.message().contains("broker-2 sees 0 of 2 peers"));
            assertFalse(mesh.meshed());
            assertEquals(Reason.RoutesIncomplete, mesh.reason());
            assertEquals("False", BrokerAsserts.routesMeshedCondition(brokers, mesh).getStatus());
            for (int sample = 0; sample < 5; sample++) {
                MeshObservation again = BrokerAsserts.check(brokers);
                assertFalse(again.meshed(), again.toString());
            }

            // The fix reaches broker-2 as the operator delivers it: a new routes.conf and a live reload, no restart.
            long pid = brokers.pid(2);
            brokers.rewriteRoutes(2, right);
            brokers.reload(2);
            BrokerAsserts.awaitRemotes(brokers, List.of(2, 2, 2));
            assertEquals(pid, brokers.pid(2));
            // The operator's own mesh check agrees (retried: it reads three monitoring ports, each within its deadline).
            Await.until("the operator's mesh check", Duration.ofSeconds(15), () -> BrokerAsserts.check(brokers), m -> m.meshed());
        }
    }
}
