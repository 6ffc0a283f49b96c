package io.choria.natsoperator.brokers;

import io.choria.natsoperator.mesh.MeshChecker;
import io.choria.natsoperator.mesh.MonitorClient;
import io.choria.natsoperator.reconciler.Conditions;
import io.choria.natsoperator.reconciler.Observation;
import io.choria.natsoperator.reconciler.Observation.MeshObservation;
import io.choria.natsoperator.reconciler.StatusCalculator;
import io.choria.natsoperator.testing.Await;
import io.fabric8.kubernetes.api.model.Condition;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/** Bounded waits and the RoutesMeshed condition as the reconciler would compute it, for the real-broker tests. */
final class BrokerAsserts {
    static final Duration MESH_TIMEOUT = Duration.ofSeconds(15);
    private static final MonitorClient MONITOR = new MonitorClient();

    private BrokerAsserts() {}

    /** The remotes each broker reports, in broker order; -1 for a broker that did not answer. */
    static List<Integer> remotes(LocalBrokerCluster brokers) {
        List<Integer> r = new ArrayList<>();
        for (int i = 0; i < brokers.size(); i++) {
            try {
                r.add(MONITOR.varz(brokers.monitorUri(i)).remotes());
            } catch (MonitorClient.MonitorException e) {
                r.add(-1);
            }
        }
        return r;
    }

    static List<Integer> awaitRemotes(LocalBrokerCluster brokers, List<Integer> expected) {
        return Await.until("remotes " + expected, MESH_TIMEOUT, () -> remotes(brokers), expected::equals);
    }

    static MeshObservation check(LocalBrokerCluster brokers) {
        return new MeshChecker().check(brokers.cluster(), brokers::monitorUri);
    }

    /** The RoutesMeshed condition StatusCalculator makes of a mesh check of the real brokers. */
    static Condition routesMeshedCondition(LocalBrokerCluster brokers, MeshObservation mesh) {
        var status = StatusCalculator.compute(brokers.cluster(), new Observation(null, null, null, mesh), Instant.now());
        return Conditions.find(status.getConditions(), Conditions.ROUTES_MESHED).orElseThrow();
    }
}
