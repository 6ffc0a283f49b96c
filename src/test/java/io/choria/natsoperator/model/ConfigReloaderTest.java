package io.choria.natsoperator.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.choria.natsoperator.api.NatsCluster;
import io.choria.natsoperator.testing.Await;
import io.choria.natsoperator.testing.Examples;
import io.choria.natsoperator.testing.External;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The rendered reloader script, run by sh against a real nats-server: a changed routes file
 * is reloaded into the running broker, which keeps its process.
 */
@External
class ConfigReloaderTest {
    @TempDir
    Path dir;

    @Test
    void reloadsTheRunningBrokerWhenItsFilesChange() throws Exception {
        io.choria.natsoperator.testing.Tools.requireNatsServer(); // a clear failure, not an IOException, when it is missing
        NatsCluster nc = Examples.load(Examples.ONE_BROKER);
        nc.getSpec().setTls(null);
        nc.getSpec().getPorts().setClient(24222);
        nc.getSpec().getPorts().setCluster(24223);
        nc.getSpec().getPorts().setMonitor(28222);
        nc = SpecDefaults.withDefaults(nc);
        BrokerPaths paths = new BrokerPaths(dir.toString(), dir.resolve("run/nats.pid").toString(), "127.0.0.1");
        DesiredCluster d = NatsClusterModel.desired(nc, new ModelInputs("cluster.local", "pw1", null), paths);
        Files.createDirectories(Path.of(paths.configDir()));
        Files.createDirectories(Path.of(paths.routesDir()));
        Files.createDirectories(Path.of(paths.pidDir()));
        Files.writeString(Path.of(paths.configFile()), d.config().getData().get(NatsConfig.CONFIG_FILE));
        Path routes = Path.of(paths.routesDir(), NatsConfig.ROUTES_FILE);
        Files.writeString(routes, BrokerSecrets.decode(d.routesConfig(), NatsConfig.ROUTES_FILE));
        Path log = dir.resolve("nats.log");

        ProcessBuilder broker = new ProcessBuilder("nats-server", "-c", paths.configFile()).redirectErrorStream(true)
                .redirectOutput(log.toFile());
        broker.environment().put("POD_NAME", "broker-single-0");
        Process nats = broker.start();
        Process reloader = null;
        try {
            Await.until("pid file", Duration.ofSeconds(10), () -> Files.exists(Path.of(paths.pidFile())), ok -> ok);
            ProcessBuilder rb = new ProcessBuilder("sh", "-c", ConfigReloader.script(paths, false)).redirectErrorStream(true)
                    .redirectOutput(dir.resolve("reloader.log").toFile());
            rb.environment().put("RELOAD_INTERVAL", "1");
            Path checks = countChecks(rb);
            reloader = rb.start();
            // "nothing changed, no reload" means something only once the reloader has compared the files again:
            // its first sum, then two more rounds of its loop, each counted by the md5sum it runs
            Await.until("two rounds of the reloader's check", Duration.ofSeconds(20), () -> lines(checks), n -> n >= 3);
            assertEquals(0, count(log, "Reloaded server configuration"), "nothing changed, no reload");

            NatsCluster two = SpecDefaults.withDefaults(nc);
            two.getSpec().setSize(2);
            Files.writeString(routes, BrokerSecrets.decode(NatsClusterModel.desired(two, new ModelInputs("cluster.local", "pw1", null), paths)
                    .routesConfig(), NatsConfig.ROUTES_FILE));
            Await.until("reload", Duration.ofSeconds(10), () -> count(log, "Reloaded server configuration"), n -> n >= 1);
            assertTrue(nats.isAlive(), "same process");
            assertTrue(Files.readString(dir.resolve("reloader.log")).contains("broker reloaded"));
        } finally {
            if (reloader != null) reloader.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
            nats.destroy();
            if (!nats.waitFor(5, TimeUnit.SECONDS)) nats.destroyForcibly();
        }
    }

    /**
     * Puts an {@code md5sum} in front of the real one on the reloader's PATH that counts its calls (one a
     * round, and one at the start) in a file; returns that file.
     */
    private Path countChecks(ProcessBuilder reloader) throws java.io.IOException {
        Path bin = Files.createDirectories(dir.resolve("shim"));
        Path counter = dir.resolve("checks");
        Files.writeString(counter, "");
        String real = java.util.stream.Stream.of(System.getenv("PATH").split(":"))
                .map(d -> Path.of(d, "md5sum")).filter(Files::isExecutable).findFirst()
                .orElseThrow(() -> new AssertionError("md5sum not on the PATH (coreutils)")).toString();
        Path shim = bin.resolve("md5sum");
        Files.writeString(shim, "#!/bin/sh\necho check >> '" + counter + "'\nexec '" + real + "' \"$@\"\n");
        if (!shim.toFile().setExecutable(true)) throw new AssertionError("cannot make " + shim + " executable");
        reloader.environment().put("PATH", bin + ":" + System.getenv("PATH"));
        return counter;
    }

    private static int lines(Path file) {
        return (int) read(file).lines().count();
    }

    /** Occurrences of {@code what} in the log; an unreadable log fails the wait (and says why), never counts as none. */
    private static int count(Path log, String what) {
        return read(log).split(java.util.regex.Pattern.quote(what), -1).length - 1;
    }

    private static String read(Path file) {
        try {
            return Files.readString(file, StandardCharsets.UTF_8);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException("cannot read " + file, e);
        }
    }
}
