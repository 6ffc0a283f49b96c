package io.choria.natsoperator.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.choria.natsoperator.api.NatsCluster;
import io.choria.natsoperator.testing.Await;
import io.choria.natsoperator.testing.Examples;
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
            reloader = rb.start();
            Await.sleep(1500);
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

    private static int count(Path log, String what) {
        try {
            return Files.readString(log, StandardCharsets.UTF_8).split(java.util.regex.Pattern.quote(what), -1).length - 1;
        } catch (java.io.IOException e) {
            return 0;
        }
    }
}
