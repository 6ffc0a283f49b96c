package io.choria.natsoperator.brokers;

import io.choria.natsoperator.pki.TestCa;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A plain nats-server on 127.0.0.{host} that the operator never rendered: an attacker's leaf or gateway.
 * It dials one of the brokers with {@code cert} (null: none) and without verifying that broker
 * ({@code insecure}), so that any refusal it meets is the broker's.
 */
public final class RogueServer implements AutoCloseable {
    private final Process process;
    private final Path dir;

    private RogueServer(Process process, Path dir) {
        this.process = process;
        this.dir = dir;
    }

    /** A leaf that dials {@code hubHost}:7422. */
    public static RogueServer leaf(int host, String hubHost, TestCa.Pems cert) throws Exception {
        return start(host, cert, tls -> "leafnodes {\n  reconnect: 1\n  remotes: [{urls: [\"tls://" + hubHost + ":7422\"], tls: {" + tls + "}}]\n}\n");
    }

    /**
     * A gateway that calls itself {@code claimedName} (a site the target names) and dials {@code targetName} at
     * {@code targetHost}:7222, as a stolen or revoked certificate would let anyone do.
     */
    public static RogueServer gateway(int host, String claimedName, String targetName, String targetHost, TestCa.Pems cert) throws Exception {
        return start(host, cert, tls -> "gateway {\n  name: \"" + claimedName + "\"\n  host: 127.0.0." + host + "\n  port: 7222\n"
                + "  tls: {" + tls + "}\n  gateways: [{name: \"" + targetName + "\", urls: [\"nats://" + targetHost + ":7222\"]}]\n}\n");
    }

    private static RogueServer start(int host, TestCa.Pems cert, java.util.function.Function<String, String> block) throws Exception {
        Path dir = Files.createTempDirectory("rogue-");
        String tls = "insecure: true";
        if (cert != null) {
            Files.writeString(dir.resolve("tls.crt"), cert.certPem());
            Files.writeString(dir.resolve("tls.key"), cert.keyPem());
            tls += ", cert_file: \"" + dir.resolve("tls.crt") + "\", key_file: \"" + dir.resolve("tls.key") + "\"";
        }
        String conf = "server_name: rogue-" + host + "\nhost: 127.0.0." + host + "\nport: 4222\n" + block.apply(tls);
        Files.writeString(dir.resolve("nats.conf"), conf);
        Process p = new ProcessBuilder(LocalBrokerCluster.NATS_SERVER, "-c", dir.resolve("nats.conf").toString())
                .redirectErrorStream(true).redirectOutput(dir.resolve("nats.log").toFile()).start();
        return new RogueServer(p, dir);
    }

    public String log() {
        try {
            return Files.readString(dir.resolve("nats.log"));
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    public boolean running() {
        return process.isAlive();
    }

    @Override
    public void close() throws Exception {
        process.destroy();
        if (!process.waitFor(5, java.util.concurrent.TimeUnit.SECONDS)) process.destroyForcibly();
        try (var walk = Files.walk(dir)) {
            walk.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
        }
    }
}
