package io.choria.natsoperator.local;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.choria.natsoperator.pki.TestCa;
import io.choria.natsoperator.testing.Await;
import io.choria.natsoperator.testing.Tools;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The {@code local} process and what it printed: a separate JVM on this test classpath, as a user runs it (shared by
 * LocalCommandTest and install/PrometheusLiveTest).
 */
public final class Local {
    private static final Pattern STARTED = Pattern.compile("choria/(broker-\\d+): container nats started \\(pid (\\d+), ");

    public final Process process;
    final Path out;

    private Local(Process process, Path out) {
        this.process = process;
        this.out = out;
    }

    static ProcessBuilder command(Path... files) {
        return command(List.of(), files);
    }

    /** {@code local -f FILE...} followed by {@code options} (e.g. --metrics-address). */
    static ProcessBuilder command(List<String> options, Path... files) {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), "io.choria.natsoperator.cli.Main", "local"));
        for (Path f : files) cmd.addAll(List.of("-f", f.toString()));
        cmd.addAll(options);
        return new ProcessBuilder(cmd);
    }

    static Local start(Path... files) throws IOException {
        return start(List.of(), files);
    }

    public static Local start(List<String> options, Path... files) throws IOException {
        Tools.requireNatsServer();
        Tools.require("ip", "iproute2");
        // to a file, not a pipe: its last lines, written by the shutdown hook, must not race the pipe's close
        Path out = Files.createTempFile("local-", ".out");
        return new Local(command(options, files).redirectErrorStream(true).redirectOutput(out.toFile()).start(), out);
    }

    public List<String> lines() {
        try {
            return Files.readAllLines(out, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    public String output() {
        return String.join("\n", lines());
    }

    /** Waits for a line containing {@code text} at or after line {@code from}; returns its index. */
    public int await(String text, int from, Duration timeout) {
        return Await.until("a line '" + text + "' after line " + from + " of local's output", timeout, () -> {
            if (!process.isAlive()) throw new AssertionError("local exited " + process.exitValue() + ":\n" + output());
            List<String> l = lines();
            for (int i = from; i < l.size(); i++) if (l.get(i).contains(text)) return i;
            return null;
        }, i -> true);
    }

    /** The client URLs printed after the "is ready" line at {@code index}. */
    List<String> urls(int index) {
        String line = lines().get(index + 1);
        assertTrue(line.contains("client URLs from this machine: "), line);
        return List.of(line.substring(line.indexOf(": ") + 2).split(","));
    }

    /** The last pid each broker's nats container was started with. */
    public Map<String, Long> brokerPids() {
        Map<String, Long> pids = new LinkedHashMap<>();
        for (String l : lines()) {
            Matcher m = STARTED.matcher(l);
            if (m.find()) pids.put(m.group(1), Long.parseLong(m.group(2)));
        }
        return pids;
    }

    /** Every container pid it ever printed. */
    public List<Long> allPids() {
        List<Long> pids = new ArrayList<>();
        Pattern any = Pattern.compile("container \\S+ started \\(pid (\\d+), ");
        for (String l : lines()) {
            Matcher m = any.matcher(l);
            if (m.find()) pids.add(Long.parseLong(m.group(1)));
        }
        return pids;
    }

    Path workDirectory() {
        return Path.of("/run/nats-operator-local", String.valueOf(process.pid()));
    }

    Path log(String pod) {
        return workDirectory().resolve("pods").resolve("choria_" + pod).resolve("nats.log");
    }

    public void assertGoneWithoutTrace(List<Long> pids) throws Exception {
        assertTrue(process.waitFor(60, TimeUnit.SECONDS), "local still running:\n" + output());
        // a process killed a moment ago may not be reaped yet: gone within seconds, or left running
        for (long pid : pids) {
            Await.until("pid " + pid + " gone", Duration.ofSeconds(15), () -> !ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false), gone -> gone);
        }
        String hex = Long.toHexString(process.pid());
        String netns = run("ip", "netns", "list");
        assertFalse(netns.contains(PodNetwork.NETNS_PREFIX + hex + "-"), netns);
        String links = run("ip", "-o", "link", "show");
        assertFalse(links.contains(PodNetwork.BRIDGE_PREFIX + hex) || links.contains(PodNetwork.VETH_PREFIX + hex), links);
        assertFalse(Files.exists(Path.of("/run/nats-operator-local", String.valueOf(process.pid()))), "work directory left");
        assertFalse(Files.exists(Path.of("/etc/nats")), "mount point /etc/nats left");
        assertFalse(Files.readString(Path.of("/proc/mounts")).contains("nats-operator-local"), "a mount left");
        if (process.exitValue() != 137) { // SIGKILL: nothing printed; the next local cleans up
            assertTrue(output().contains(" stopped\n") || output().endsWith(" stopped"), "no 'stopped' line (exit " + process.exitValue() + "):\n" + output());
        }
    }

    private static String run(String... command) throws Exception {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        p.waitFor(10, TimeUnit.SECONDS);
        return out;
    }

    /** SIGKILL, and its output file removed (after a test: what it left is the next local's to clean up). */
    public void kill() {
        process.destroyForcibly();
        try {
            Files.deleteIfExists(out);
        } catch (IOException ignored) {
            // a temp file
        }
    }

    /** The CA-key mode Secret the examples name (puppet-ca in choria, as examples/make-test-ca.sh writes it), in {@code dir}. */
    public static Path caSecret(Path dir, TestCa ca) throws IOException {
        Base64.Encoder b64 = Base64.getEncoder();
        Path f = dir.resolve("puppet-ca-secret.yaml");
        Files.writeString(f, """
                apiVersion: v1
                kind: Secret
                metadata: {name: puppet-ca, namespace: choria}
                data:
                  ca.crt: %s
                  ca.key: %s
                """.formatted(b64.encodeToString(ca.chainPem().getBytes(StandardCharsets.UTF_8)),
                b64.encodeToString(ca.traditionalKeyPem().getBytes(StandardCharsets.UTF_8))));
        return f;
    }
}
