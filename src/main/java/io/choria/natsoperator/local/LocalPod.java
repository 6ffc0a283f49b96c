package io.choria.natsoperator.local;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.PodTemplateSpec;
import io.fabric8.kubernetes.api.model.Probe;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeMount;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermission;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * One pod run by the {@link ProcessKubelet}: its volumes written to disk, its init containers run
 * to completion, its containers kept running (restarted when they exit, or when the liveness probe
 * fails), its readiness from the readiness probe, and, when it is deleted, the preStop hooks, SIGTERM
 * and SIGKILL after the grace period, as a kubelet does. It runs on its own thread.
 */
final class LocalPod {
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    private static final Duration MAX_BACKOFF = Duration.ofSeconds(20);

    enum Phase { PENDING, RUNNING, TERMINATING, GONE }

    final String namespace;
    final String name;
    final int ordinal;
    final String revision;
    final PodTemplateSpec template;
    final PodNetwork.Attachment net;
    private final Path dir;
    private final Path hostsFile;
    private final PodInputs inputs;
    private final RunRecord record;
    private final Consumer<String> events;
    private final Map<String, Running> containers = new LinkedHashMap<>();
    private volatile Phase phase = Phase.PENDING;
    private volatile boolean ready;
    private volatile boolean deleteRequested;
    private volatile boolean fastStop;
    private final Thread thread;

    /** A container's process and what its probes have seen. */
    private static final class Running {
        final Container spec;
        Process process;
        int restarts;
        boolean started;
        boolean ready;
        int livenessFailures;
        int readinessFailures;
        long nextProbeNanos;
        long restartAtNanos;

        Running(Container spec) { this.spec = spec; }
    }

    LocalPod(String namespace, String name, int ordinal, String revision, PodTemplateSpec template, PodNetwork.Attachment net,
            Path dir, Path hostsFile, PodInputs inputs, RunRecord record, Consumer<String> events) {
        this.namespace = namespace;
        this.name = name;
        this.ordinal = ordinal;
        this.revision = revision;
        this.template = template;
        this.net = net;
        this.dir = dir;
        this.hostsFile = hostsFile;
        this.inputs = inputs;
        this.record = record;
        this.events = events;
        this.thread = new Thread(this::live, "pod-" + namespace + "-" + name);
        this.thread.setDaemon(true);
    }

    void start() { thread.start(); }

    Phase phase() { return phase; }
    boolean ready() { return phase == Phase.RUNNING && ready; }
    String key() { return namespace + "/" + name; }

    /** The pid of a running container's process, or -1. */
    long pid(String container) {
        Running r = containers.get(container);
        Process p = r == null ? null : r.process;
        return p != null && p.isAlive() ? p.pid() : -1;
    }

    /** Deletes the pod: preStop, SIGTERM, SIGKILL after the grace period; {@code fast} skips preStop and waits 5 s at most (shutdown). */
    void delete(boolean fast) {
        this.fastStop |= fast;
        this.deleteRequested = true;
        thread.interrupt();
    }

    void awaitGone(Duration timeout) throws InterruptedException {
        thread.join(timeout.toMillis());
    }

    // ---- the pod's life ------------------------------------------------------------------------------

    private void live() {
        try {
            if (!prepare()) return;
            phase = Phase.RUNNING;
            while (!deleteRequested) {
                superviseOnce();
                try {
                    Thread.sleep(250);
                } catch (InterruptedException e) {
                    // deletion or shutdown: the loop condition decides
                }
            }
        } catch (RuntimeException e) {
            events.accept(key() + ": " + e.getMessage());
        } finally {
            terminate();
            phase = Phase.GONE;
        }
    }

    /** Volumes, then init containers one after the other, retried as the kubelet retries them; false when deleted meanwhile. */
    private boolean prepare() {
        long backoff = 1000;
        while (!deleteRequested) {
            try {
                inputs.write(this);
                for (Container init : list(template.getSpec().getInitContainers())) runInit(init);
                for (Container c : list(template.getSpec().getContainers())) containers.put(c.getName(), new Running(c));
                for (Running r : containers.values()) startContainer(r);
                return true;
            } catch (RuntimeException e) {
                events.accept(key() + ": not started: " + e.getMessage() + "; retrying in " + backoff / 1000 + " s");
                if (!pause(backoff)) return false;
                backoff = Math.min(backoff * 2, MAX_BACKOFF.toMillis());
            }
        }
        return false;
    }

    private void runInit(Container init) {
        Path log = dir.resolve(init.getName() + ".log");
        Process p = ContainerProcess.start(prefix(), mounts(init), inputs.commandLine(init, this), inputs.environment(init, this), log);
        record.started(p);
        try {
            if (!p.waitFor(2, TimeUnit.MINUTES)) {
                p.destroyForcibly();
                throw new IllegalStateException("init container " + init.getName() + " did not finish in 2 minutes");
            }
        } catch (InterruptedException e) {
            p.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new IllegalStateException("deleted while init container " + init.getName() + " ran");
        }
        if (p.exitValue() != 0) {
            throw new IllegalStateException("init container " + init.getName() + " exited " + p.exitValue() + ": " + tail(log));
        }
        events.accept(key() + ": init container " + init.getName() + " done: " + tail(log).strip().replace('\n', ';'));
    }

    private void startContainer(Running r) {
        r.process = ContainerProcess.start(prefix(), mounts(r.spec), inputs.commandLine(r.spec, this),
                inputs.environment(r.spec, this), dir.resolve(r.spec.getName() + ".log"));
        record.started(r.process);
        r.started = r.spec.getStartupProbe() == null;
        r.ready = false;
        r.livenessFailures = 0;
        r.readinessFailures = 0;
        r.nextProbeNanos = System.nanoTime() + seconds(initialDelay(r.spec)) ;
        events.accept(key() + ": container " + r.spec.getName() + " started (pid " + r.process.pid() + ", " + net.address() + ")");
    }

    private void superviseOnce() {
        inputs.refresh(this);
        boolean allReady = true;
        long now = System.nanoTime();
        for (Running r : containers.values()) {
            if (deleteRequested) return;
            if (r.process == null || !r.process.isAlive()) {
                if (r.process != null) {
                    int code = r.process.exitValue();
                    r.process = null;
                    r.restarts++;
                    long delay = Math.min(1000L << Math.min(r.restarts - 1, 5), MAX_BACKOFF.toMillis());
                    r.restartAtNanos = now + delay * 1_000_000;
                    events.accept(key() + ": container " + r.spec.getName() + " exited (" + code + "), restart " + r.restarts
                            + " in " + delay / 1000 + " s");
                }
                if (now >= r.restartAtNanos) startContainer(r);
                allReady = false;
                continue;
            }
            if (now >= r.nextProbeNanos) probe(r);
            allReady &= r.ready;
        }
        ready = allReady;
    }

    private void probe(Running r) {
        Probe p;
        if (!r.started) {
            p = r.spec.getStartupProbe();
            boolean ok = succeeds(p, r);
            if (ok) r.started = true;
            else if (++r.livenessFailures >= threshold(p)) restartUnhealthy(r, "startup");
            r.nextProbeNanos = System.nanoTime() + seconds(period(p));
            return;
        }
        Probe live = r.spec.getLivenessProbe();
        Probe readiness = r.spec.getReadinessProbe();
        if (live != null) {
            if (succeeds(live, r)) r.livenessFailures = 0;
            else if (++r.livenessFailures >= threshold(live)) {
                restartUnhealthy(r, "liveness");
                return;
            }
        }
        if (readiness == null) {
            r.ready = true;
        } else if (succeeds(readiness, r)) {
            r.ready = true;
            r.readinessFailures = 0;
        } else if (++r.readinessFailures >= threshold(readiness)) {
            r.ready = false;
        }
        int period = Math.min(live == null ? Integer.MAX_VALUE : period(live), readiness == null ? Integer.MAX_VALUE : period(readiness));
        r.nextProbeNanos = System.nanoTime() + seconds(period == Integer.MAX_VALUE ? 10 : period);
    }

    private void restartUnhealthy(Running r, String probe) {
        events.accept(key() + ": container " + r.spec.getName() + " failed its " + probe + " probe; killing it");
        ContainerProcess.stop(r.process, grace());
    }

    private boolean succeeds(Probe p, Running r) {
        if (p == null) return true;
        int timeout = p.getTimeoutSeconds() == null ? 1 : p.getTimeoutSeconds();
        try {
            if (p.getHttpGet() != null) {
                int port = PodSpecs.port(p.getHttpGet().getPort(), template.getSpec().getContainers());
                String path = p.getHttpGet().getPath() == null ? "/" : p.getHttpGet().getPath();
                HttpRequest req = HttpRequest.newBuilder(URI.create("http://" + net.address() + ":" + port + path))
                        .timeout(Duration.ofSeconds(timeout)).GET().build();
                int code = HTTP.send(req, HttpResponse.BodyHandlers.discarding()).statusCode();
                return code >= 200 && code < 400;
            }
            if (p.getTcpSocket() != null) {
                try (Socket s = new Socket()) {
                    s.connect(new InetSocketAddress(net.address(), PodSpecs.port(p.getTcpSocket().getPort(),
                            template.getSpec().getContainers())), timeout * 1000);
                    return true;
                }
            }
            if (p.getExec() != null) {
                Process proc = ContainerProcess.start(prefix(), mounts(r.spec), p.getExec().getCommand(),
                        inputs.environment(r.spec, this), dir.resolve(r.spec.getName() + ".probe.log"));
                if (!proc.waitFor(timeout, TimeUnit.SECONDS)) {
                    proc.destroyForcibly();
                    return false;
                }
                return proc.exitValue() == 0;
            }
            return true;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /** preStop hooks (bounded by the grace period), SIGTERM, SIGKILL when the grace period is over. */
    private void terminate() {
        phase = Phase.TERMINATING;
        ready = false;
        Thread.interrupted(); // the deletion's interrupt must not cut the hooks short
        long deadline = System.nanoTime() + grace().toNanos();
        if (!fastStop) {
            for (Running r : containers.values()) {
                if (r.process == null || !r.process.isAlive() || r.spec.getLifecycle() == null
                        || r.spec.getLifecycle().getPreStop() == null || r.spec.getLifecycle().getPreStop().getExec() == null) continue;
                events.accept(key() + ": running the preStop hook of " + r.spec.getName());
                Process hook = ContainerProcess.start(prefix(), mounts(r.spec), r.spec.getLifecycle().getPreStop().getExec().getCommand(),
                        inputs.environment(r.spec, this), dir.resolve(r.spec.getName() + ".prestop.log"));
                ContainerProcess.stop(hook, remaining(deadline));
            }
        }
        // The broker may be in lame-duck mode now: it exits by itself; SIGTERM the rest, wait out the grace period.
        for (Running r : containers.values()) if (r.process != null) r.process.destroy();
        for (Running r : containers.values()) ContainerProcess.stop(r.process, remaining(deadline));
        events.accept(key() + ": stopped");
    }

    private Duration grace() {
        if (fastStop) return Duration.ofSeconds(5);
        Long g = template.getSpec().getTerminationGracePeriodSeconds();
        return Duration.ofSeconds(g == null ? 30 : g);
    }

    private Duration remaining(long deadlineNanos) {
        return Duration.ofNanos(Math.max(0, deadlineNanos - System.nanoTime()));
    }

    /**
     * What runs a process of this pod: in its network namespace, killed by the kernel when the thread that started
     * it ends ({@link ContainerProcess#dieWithParent()}). This pod's thread starts them all and outlives them, so
     * that happens only when the JVM dies, e.g. {@code local} killed with SIGKILL.
     */
    private List<String> prefix() {
        List<String> p = new ArrayList<>(ContainerProcess.dieWithParent());
        p.addAll(List.of("ip", "netns", "exec", net.netns()));
        return p;
    }

    /** The container's volume mounts as bind mounts from this pod's directories, and the pod's hosts file over /etc/hosts. */
    private List<ContainerProcess.Mount> mounts(Container c) {
        List<ContainerProcess.Mount> mounts = new ArrayList<>();
        mounts.add(new ContainerProcess.Mount(hostsFile.toString(), "/etc/hosts", true));
        for (VolumeMount vm : list(c.getVolumeMounts())) {
            Path source = inputs.directory(this, vm.getName());
            if (vm.getSubPath() != null && !vm.getSubPath().isEmpty()) source = source.resolve(vm.getSubPath());
            mounts.add(new ContainerProcess.Mount(source.toString(), vm.getMountPath(), Boolean.TRUE.equals(vm.getReadOnly())));
        }
        return mounts;
    }

    Path directory() { return dir; }
    List<Volume> volumeSpecs() { return list(template.getSpec().getVolumes()); }

    // ---- small helpers ---------------------------------------------------------------------------------

    private boolean pause(long millis) {
        try {
            Thread.sleep(millis);
            return true;
        } catch (InterruptedException e) {
            return !deleteRequested;
        }
    }

    private static int initialDelay(Container c) {
        Probe p = c.getStartupProbe() != null ? c.getStartupProbe() : c.getReadinessProbe();
        return p == null || p.getInitialDelaySeconds() == null ? 0 : p.getInitialDelaySeconds();
    }

    private static int threshold(Probe p) { return p.getFailureThreshold() == null ? 3 : p.getFailureThreshold(); }
    private static int period(Probe p) { return p.getPeriodSeconds() == null ? 10 : p.getPeriodSeconds(); }
    private static long seconds(int s) { return TimeUnit.SECONDS.toNanos(s); }
    private static <T> List<T> list(List<T> l) { return l == null ? List.of() : l; }

    private static String tail(Path log) {
        try {
            String s = Files.exists(log) ? Files.readString(log) : "";
            return s.length() > 400 ? s.substring(s.length() - 400) : s;
        } catch (IOException e) {
            return "";
        }
    }

    /** Writes {@code content} so that a reader sees the old file or the new one, never half of it; mode as given. */
    static void writeAtomically(Path file, byte[] content, int mode) {
        try {
            Files.createDirectories(file.getParent());
            Path tmp = Files.createTempFile(file.getParent(), ".tmp", "");
            Files.write(tmp, content);
            Files.setPosixFilePermissions(tmp, permissions(mode));
            Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static Set<PosixFilePermission> permissions(int mode) {
        PosixFilePermission[] bits = {PosixFilePermission.OTHERS_EXECUTE, PosixFilePermission.OTHERS_WRITE, PosixFilePermission.OTHERS_READ,
                PosixFilePermission.GROUP_EXECUTE, PosixFilePermission.GROUP_WRITE, PosixFilePermission.GROUP_READ,
                PosixFilePermission.OWNER_EXECUTE, PosixFilePermission.OWNER_WRITE, PosixFilePermission.OWNER_READ};
        Set<PosixFilePermission> set = EnumSet.noneOf(PosixFilePermission.class);
        for (int i = 0; i < bits.length; i++) if ((mode & (1 << i)) != 0) set.add(bits[i]);
        return set;
    }

    @Override
    public String toString() {
        return key() + " " + phase + (ready ? " ready" : "") + " " + Arrays.toString(containers.keySet().toArray());
    }
}
