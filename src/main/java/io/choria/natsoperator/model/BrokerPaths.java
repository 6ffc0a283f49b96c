package io.choria.natsoperator.model;

/**
 * Where a broker finds its files and which address it listens on. In a pod the root is
 * {@code /etc/nats} and the broker listens on every address of its own network namespace
 * ({@code listenHost} null). The real-broker tests run several brokers on one machine, each
 * with its own root and its own loopback address; this record is the one place where the
 * rendered config differs between a pod and those tests.
 */
public record BrokerPaths(String root, String pidFile, String listenHost) {
    public static final BrokerPaths POD = new BrokerPaths("/etc/nats", "/var/run/nats/nats.pid", null);

    public String configDir() { return root + "/config"; }
    public String configFile() { return configDir() + "/" + NatsConfig.CONFIG_FILE; }
    public String routesDir() { return root + "/routes"; }
    public String tlsDir() { return root + "/tls"; }
    /** The pinned list's manifest and parts, as the ConfigMaps are projected (read-only). */
    public String pinnedPartsDir() { return root + "/pinned-parts"; }
    /** Where the pod assembles the pinned list (an emptyDir): nats.conf includes it from here. */
    public String pinnedDir() { return root + "/pinned"; }
    public String pinnedFile() { return pinnedDir() + "/" + NatsConfig.PINNED_CERTS_FILE; }
    /** Where each broker's volume is mounted (spec.streams): JetStream's store_dir, holding {@code jetstream/<account>/...}. */
    public String dataDir() { return root + "/data"; }
    public String pidDir() { return pidFile.substring(0, pidFile.lastIndexOf('/')); }
    public String tlsCert() { return tlsDir() + "/tls.crt"; }
    public String tlsKey() { return tlsDir() + "/tls.key"; }
    public String tlsCa() { return tlsDir() + "/ca.crt"; }
}
