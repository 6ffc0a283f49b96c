package io.choria.natsoperator.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.choria.natsoperator.brokers.LocalBrokerCluster;
import io.choria.natsoperator.testing.Examples;
import io.choria.natsoperator.testing.External;
import io.nats.client.Connection;
import io.nats.client.Nats;
import io.nats.client.Options;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import javax.net.ssl.SSLContext;
import org.junit.jupiter.api.Test;

/**
 * The load generator's smoke test: 50 swarm nodes against a real broker with the operator's
 * rendered config and TLS (127.0.0.230). All connect, a broadcast reaches all 50, and after the
 * broker restarts every node comes back on its own with nats.go's reconnect wait and jitter.
 */
@External
class NodeSwarmTest {
    private static final int NODES = 50;

    @Test
    void fiftyNodesConnectReceiveABroadcastAndReconnectAfterARestart() throws Exception {
        try (LocalBrokerCluster broker = LocalBrokerCluster.of(Examples.load(Examples.ONE_BROKER)).firstHost(230).start()) {
            SSLContext tls = broker.clientCertificate().clientContext(broker.caPem());
            InetSocketAddress address = new InetSocketAddress(broker.host(0), broker.cluster().getSpec().getPorts().getClient());
            // A short wait and jitter keep the test quick; the rule (wait + random jitter before each try) is nats.go's.
            NodeSwarm.Settings settings = new NodeSwarm.Settings(Duration.ofMillis(500), Duration.ofMillis(500), Duration.ofSeconds(5));
            try (NodeSwarm swarm = new NodeSwarm(List.of(address), tls, BrokerLoadBench.AGENTS, 2, settings, NODES);
                 Connection publisher = Nats.connect(new Options.Builder().server(broker.clientUrl(0)).sslContext(tls)
                         .maxReconnects(-1).build())) {
                swarm.connectSteadily(NODES, 20, Duration.ofSeconds(60));
                assertEquals(NODES, swarm.established.get());

                swarm.broadcast(publisher, "choria.broadcast.agent.rpcutil", Duration.ofSeconds(20));
                assertEquals(NODES, swarm.messages.get(), "each node received the broadcast once");

                swarm.resetAttempts();
                broker.kill(0);
                NodeSwarm.await("every node sees the broker go", Duration.ofSeconds(20), () -> swarm.established.get() == 0);
                long restarted = System.nanoTime();
                broker.start(0);
                NodeSwarm.await("all " + NODES + " nodes back", Duration.ofSeconds(60), () -> swarm.established.get() == NODES);
                for (int i = 0; i < NODES; i++) {
                    assertTrue(swarm.backAt(i) >= restarted, "node " + i + " acknowledged by the restarted broker");
                    assertTrue(swarm.attempts(i) >= 1, "node " + i + " counted its reconnect attempts");
                }
                // Subscriptions came back with the connections: a broadcast reaches all 50 again. It goes out on a
                // new connection: the nodes' reconnect is what this test proves, and a jnats 2.24.1 connection can
                // stay CONNECTED after its own reconnect while its writes no longer reach the broker (in CI here a
                // flush answered, then the next publish's flush timed out; in the Streams rolling test the broker's
                // /connz counted nothing in from such a connection).
                try (Connection again = Nats.connect(new Options.Builder().server(broker.clientUrl(0)).sslContext(tls).build())) {
                    swarm.broadcast(again, "choria.broadcast.agent.rpcutil", Duration.ofSeconds(20));
                }
                assertEquals(2L * NODES, swarm.messages.get());
            }
        }
    }
}
