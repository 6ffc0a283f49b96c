package io.choria.natsoperator.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.choria.natsoperator.testing.MutableClock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

/** The hand-written exposition: ages at scrape time, absent values left out, deleted clusters dropped. */
class ClusterMetricsTest {
    private static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");

    static ClusterSnapshot snapshot(Instant lastSync, Integer admitted) {
        return new ClusterSnapshot("choria", "broker", "uid-1", 3, 2, null,
                List.of(new ClusterSnapshot.Broker("broker-0", true, 2, 2, 10, 100, 3, 5_000_000),
                        new ClusterSnapshot.Broker("broker-1", false, 0, 2, 0, 0, 0, 0)),
                T0.plus(Duration.ofDays(10)), Duration.ofDays(30), false, lastSync, admitted, T0);
    }

    @Test
    void agesAreComputedAtTheScrapeAndUnknownsAreLeftOut() {
        MutableClock clock = new MutableClock(T0);
        ClusterMetrics metrics = new ClusterMetrics(clock);
        metrics.update(snapshot(T0, 1234));
        clock.advance(Duration.ofSeconds(90));
        String text = metrics.render();
        assertTrue(text.contains("natscluster_revocation_sync_age_seconds{namespace=\"choria\",natscluster=\"broker\"} 90\n"), text);
        assertTrue(text.contains("natscluster_revocation_admitted_certificates{namespace=\"choria\",natscluster=\"broker\"} 1234\n"), text);
        assertTrue(text.contains("natscluster_certificate_expiry_seconds{namespace=\"choria\",natscluster=\"broker\"} " + (10 * 86400 - 90) + "\n"), text);
        assertTrue(text.contains("natscluster_certificate_ready{namespace=\"choria\",natscluster=\"broker\"} 0\n"), text);
        assertTrue(text.contains("natscluster_broker_up{namespace=\"choria\",natscluster=\"broker\",pod=\"broker-1\"} 0\n"), text);
        assertTrue(text.contains("natscluster_broker_slow_consumers_total{namespace=\"choria\",natscluster=\"broker\",pod=\"broker-0\"} 3\n"), text);
        assertFalse(text.contains("pod=\"broker-1\"} 0\nnatscluster_broker_route_peers{"), text);
        assertFalse(text.contains("natscluster_broker_connections{namespace=\"choria\",natscluster=\"broker\",pod=\"broker-1\"}"),
                "no figures for a broker that did not answer");
        assertFalse(text.contains("natscluster_routes_meshed{"), "mesh not checked: no series");
        assertTrue(text.contains("# TYPE natscluster_broker_slow_consumers_total counter\n"), text);

        metrics.update(snapshot(null, null));
        text = metrics.render();
        assertFalse(text.contains("natscluster_revocation_sync_age_seconds{"), "no enforced revocation: no series");
    }

    /** The per-cluster limit (spec.tls.puppet.maxSyncAgeSeconds) beside the age, so that an alert compares the two without a constant. */
    @Test
    void theRevocationAgeLimitIsServedBesideTheAge() {
        MutableClock clock = new MutableClock(T0);
        ClusterMetrics metrics = new ClusterMetrics(clock);
        ClusterSnapshot s = snapshot(T0, 12);
        metrics.update(new ClusterSnapshot(s.namespace(), s.name(), s.uid(), s.desired(), s.ready(), s.meshed(), s.brokers(),
                s.certificateNotAfter(), s.renewBefore(), s.certificateReady(), s.revocationLastSync(), s.revocationAdmitted(),
                s.observedAt(), null, Duration.ofSeconds(600)));
        clock.advance(Duration.ofSeconds(700));
        String text = metrics.render();
        assertTrue(text.contains("# TYPE natscluster_revocation_max_sync_age_seconds gauge\n"), text);
        assertTrue(text.contains("natscluster_revocation_max_sync_age_seconds{namespace=\"choria\",natscluster=\"broker\"} 600\n"), text);
        assertTrue(text.contains("natscluster_revocation_sync_age_seconds{namespace=\"choria\",natscluster=\"broker\"} 700\n"), text);

        metrics.update(snapshot(null, null));
        assertFalse(metrics.render().contains("natscluster_revocation_max_sync_age_seconds{"), "no enforced revocation: no series");
    }

    @Test
    void aClusterThatNoLongerExistsIsDropped() {
        ClusterMetrics metrics = new ClusterMetrics(new MutableClock(T0));
        AtomicBoolean exists = new AtomicBoolean(true);
        metrics.liveness(s -> exists.get());
        metrics.update(snapshot(null, null));
        assertTrue(metrics.render().contains("natscluster=\"broker\""));
        exists.set(false);
        assertFalse(metrics.render().contains("natscluster=\"broker\""));
        exists.set(true);
        assertFalse(metrics.render().contains("natscluster=\"broker\""), "forgotten, not only hidden");
    }

    @Test
    void labelValuesAreEscaped() {
        assertEquals("a\\\"b\\\\c\\nd", ClusterMetrics.escape("a\"b\\c\nd"));
    }
}
