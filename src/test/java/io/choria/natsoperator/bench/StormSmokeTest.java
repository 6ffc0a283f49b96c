package io.choria.natsoperator.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.choria.natsoperator.api.TlsSpec;
import io.choria.natsoperator.brokers.LocalBrokerCluster;
import io.choria.natsoperator.pki.TestCa;
import io.choria.natsoperator.testing.Examples;
import io.choria.natsoperator.testing.External;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * The reconnect storm's path, small: the broker as the operator renders it by default (key type,
 * config, and the sysctl init container's script run in the broker's own network namespace),
 * 300 real nats.go nodes configured as go-choria's connector (bench/choria-nodes), SIGKILL, restart:
 * every node comes back on its own, through go-choria's backoff. The figures at size are
 * ReconnectStormBench's (docs/BENCHMARKS.md); this keeps the path they are measured on working.
 */
@External
class StormSmokeTest {
    private static final int NODES = 300;

    @Test
    void everyChoriaNodeComesBackAfterABrokerCrashUnderTheRenderedDefaults() throws Exception {
        TlsSpec.KeyAlgorithm defaultKey = Examples.load(Examples.ONE_BROKER).getSpec().getTls().getKeyAlgorithm();
        try (ReconnectStormBench.Netns netns = ReconnectStormBench.Netns.create(); CpuQuota none = CpuQuota.create(0)) {
            LocalBrokerCluster broker = ReconnectStormBench.startBroker(netns, none, TestCa.rsaRoot("Puppet CA: storm smoke"), defaultKey,
                    ReconnectStormBench.Arm.of("operator"));
            try (StormNodes nodes = ReconnectStormBench.newNodes(broker, broker.clientCertificate(), NODES)) {
                String sysctls = netns.apply(ReconnectStormBench.Arm.of("operator"), null);
                nodes.connectSteadily(NODES, 50, Duration.ofSeconds(60));
                assertEquals(NODES, nodes.established());

                nodes.resetAttempts();
                broker.kill(0);
                NodeSwarm.await("every node sees the broker go", Duration.ofSeconds(30), () -> nodes.established() == 0);
                nodes.mark();
                broker.startWithoutWaiting(0);
                NodeSwarm.await("all " + NODES + " nodes back (" + sysctls + ")", Duration.ofSeconds(60), () -> nodes.established() == NODES);

                StormNodes.Result r = nodes.result(NODES);
                assertEquals(NODES, r.back(), r.toString());
                // each node slept go-choria's backoff at least once before it tried again
                assertTrue(r.attempts() >= NODES, r.toString());
                assertTrue(r.allBackS() > 0, r.toString());
            } finally {
                broker.close();
            }
        }
    }
}
