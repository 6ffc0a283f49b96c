package io.choria.natsoperator.model;

/**
 * Where a broker finds its files. In a pod the root is {@code /etc/nats}; the real-broker
 * tests render the same config with a temporary root, and this record is the one place
 * where that difference lives.
 */
public record BrokerPaths(String root, String pidFile) {
    public static final BrokerPaths POD = new BrokerPaths("/etc/nats", "/var/run/nats/nats.pid");

    public String configDir() { return root + "/config"; }
    public String configFile() { return configDir() + "/" + NatsConfig.CONFIG_FILE; }
    public String routesDir() { return root + "/routes"; }
    public String tlsDir() { return root + "/tls"; }
    public String pidDir() { return pidFile.substring(0, pidFile.lastIndexOf('/')); }
    public String tlsCert() { return tlsDir() + "/tls.crt"; }
    public String tlsKey() { return tlsDir() + "/tls.key"; }
    public String tlsCa() { return tlsDir() + "/ca.crt"; }
}
