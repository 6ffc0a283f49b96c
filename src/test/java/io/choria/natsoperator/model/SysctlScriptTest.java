package io.choria.natsoperator.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.choria.natsoperator.api.NatsCluster;
import io.fabric8.kubernetes.api.model.Container;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The sysctl init container's script as rendered, run by sh against a directory that stands in
 * for /proc/sys: it sets each setting to the value asked, lower or higher (Linux >= 5.4 gives every
 * network namespace somaxconn 4096; the broker's short listen backlog must not stay at that).
 */
class SysctlScriptTest {
    @TempDir
    Path procSys;

    /** The rendered script of the default spec (somaxconn 128, tcp_max_syn_backlog 8192). */
    static String renderedScript() {
        NatsCluster nc = NatsClusterModelTest.threeBrokers();
        Container init = NatsClusterModel.desired(nc, new ModelInputs("cluster.local", "pw", null))
                .statefulSet().getSpec().getTemplate().getSpec().getInitContainers().get(0);
        assertEquals("sysctl", init.getName());
        assertEquals(3, init.getCommand().size(), init.getCommand().toString());
        assertEquals(List.of("sh", "-c"), init.getCommand().subList(0, 2));
        String script = init.getCommand().get(2);
        assertTrue(script.contains("/proc/sys/net/core/somaxconn 128\n"), script);
        assertTrue(script.contains("/proc/sys/net/ipv4/tcp_max_syn_backlog 8192"), script);
        return script;
    }

    private int run(String somaxconn, String backlog) throws Exception {
        Files.createDirectories(procSys.resolve("net/core"));
        Files.createDirectories(procSys.resolve("net/ipv4"));
        if (somaxconn != null) Files.writeString(procSys.resolve("net/core/somaxconn"), somaxconn + "\n");
        if (backlog != null) Files.writeString(procSys.resolve("net/ipv4/tcp_max_syn_backlog"), backlog + "\n");
        String script = renderedScript().replace("/proc/sys/", procSys + "/");
        Process p = new ProcessBuilder("sh", "-c", script).redirectErrorStream(true)
                .redirectOutput(procSys.resolve("out.log").toFile()).start();
        assertTrue(p.waitFor(10, TimeUnit.SECONDS), "script finished");
        return p.exitValue();
    }

    private String value(String file) throws Exception {
        return Files.readString(procSys.resolve(file)).strip();
    }

    @Test
    void lowersALargerKernelValue() throws Exception {
        assertEquals(0, run("4096", "16384"), log());
        assertEquals("128", value("net/core/somaxconn"), "Linux >= 5.4's 4096 is lowered to the storm's 128");
        assertEquals("8192", value("net/ipv4/tcp_max_syn_backlog"));
        assertTrue(log().contains("4096 -> 128"), log());
    }

    @Test
    void raisesASmallerKernelValue() throws Exception {
        assertEquals(0, run("128", "128"), log());
        assertEquals("128", value("net/core/somaxconn"));
        assertEquals("8192", value("net/ipv4/tcp_max_syn_backlog"));
        assertTrue(log().contains("somaxconn: 128 kept"), log());
    }

    @Test
    void anUnreadableSettingFailsTheInitContainer() throws Exception {
        assertNotEquals(0, run(null, "128"), "a missing setting holds the pod back, as sysctl -w did");
        assertNotEquals(0, run("not-a-number", "128"), log());
    }

    private String log() throws Exception {
        Path log = procSys.resolve("out.log");
        return Files.exists(log) ? Files.readString(log) : "";
    }
}
