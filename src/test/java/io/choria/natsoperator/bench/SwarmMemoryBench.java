package io.choria.natsoperator.bench;

import io.choria.natsoperator.brokers.LocalBrokerCluster;
import io.choria.natsoperator.testing.Examples;
import io.nats.client.Connection;
import io.nats.client.Nats;
import io.nats.client.Options;
import java.net.InetSocketAddress;
import javax.net.ssl.SSLContext;

/**
 * Broker memory per node at fleet size, with {@link NodeSwarm} as the nodes: N TLS connections
 * from one process with two threads. {@code bench/run SwarmMemoryBench N [puppet|ec]} (root and
 * nats-server, like the real-broker tests). Prints idle and loaded RSS, KiB per node, connect
 * rate and a broadcast round trip to all N.
 */
public final class SwarmMemoryBench {
    public static void main(String[] args) throws Exception {
        int n = args.length > 0 ? Integer.parseInt(args[0]) : 10_000;
        boolean puppetShape = args.length < 2 || args[1].equals("puppet");
        BrokerLoadBench.PuppetShape puppet = puppetShape ? BrokerLoadBench.PuppetShape.make() : null;
        LocalBrokerCluster.Builder builder = LocalBrokerCluster.of(Examples.load(Examples.ONE_BROKER)).firstHost(44);
        if (puppet != null) builder.tls(puppet.brokerFiles());
        try (LocalBrokerCluster broker = builder.start()) {
            SSLContext tls = puppet != null ? puppet.nodeContext() : broker.clientCertificate().clientContext(broker.caPem());
            long idle = BrokerLoadBench.rssBytes(broker.pid(0));
            String host = broker.host(0);
            int port = broker.cluster().getSpec().getPorts().getClient();
            System.out.printf("nodes: %d, certificates: %s, nats-server 2.9.10, %d cores%n", n,
                    puppet != null ? "Puppet-shaped (RSA-4096 leaf, intermediate and root)" : "EC P-256 (one-level CA)",
                    Runtime.getRuntime().availableProcessors());
            try (NodeSwarm swarm = new NodeSwarm(new InetSocketAddress(host, port), tls, BrokerLoadBench.AGENTS, 2)) {
                // At most 200 handshakes in flight: a steady connect, not a storm.
                double connectS = swarm.connectSteadily(n, 200, BrokerLoadBench.TIMEOUT);
                Thread.sleep(3000);
                long loaded = BrokerLoadBench.rssBytes(broker.pid(0));
                System.out.printf("established %d, failed attempts %d, in %.1f s (%.0f nodes/s); swarm JVM threads %d, heap used %s%n",
                        swarm.established.get(), swarm.failed.get(), connectS, n / connectS, Thread.activeCount(),
                        BrokerLoadBench.mib(Runtime.getRuntime().totalMemory() - Runtime.getRuntime().freeMemory()));
                System.out.printf("broker RSS idle %s, loaded %s; per node %.1f KiB ((loaded - idle) / N)%n",
                        BrokerLoadBench.mib(idle), BrokerLoadBench.mib(loaded), (loaded - idle) / 1024.0 / swarm.established.get());
                Options o = new Options.Builder().server("tls://" + host + ":" + port).sslContext(tls).build();
                try (Connection pub = Nats.connect(o)) {
                    double[] ms = swarm.broadcasts(pub, "choria.broadcast.agent.rpcutil", 5, BrokerLoadBench.TIMEOUT);
                    System.out.printf("broadcast to all %d: median %.0f ms of 5 (min %.0f, max %.0f)%n", swarm.established.get(),
                            ms[0], ms[1], ms[2]);
                }
            }
        }
        System.exit(0);
    }
}
