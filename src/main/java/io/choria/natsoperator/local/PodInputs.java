package io.choria.natsoperator.local;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * What a pod reads from the API server, made concrete on disk: the ConfigMap and Secret volumes
 * (written under the pod's directory, refreshed when the objects change, as the kubelet refreshes
 * mounted volumes), the containers' environment and command lines, and the mount points the
 * containers' bind mounts need (made when missing, removed again by {@link #close()}).
 */
final class PodInputs implements AutoCloseable {
    private static final long REFRESH_NANOS = 1_000_000_000L;

    /** The list of mount points made, so that a later local can remove them should this one be killed. */
    static final String MOUNT_POINTS_FILE = "mountpoints";

    private final KubernetesClient client;
    private final Path claims;
    private final Path record;
    private final Deque<Path> madeMountPoints = new ArrayDeque<>();
    private final Map<String, Long> lastRefresh = new ConcurrentHashMap<>();
    private final Map<Path, byte[]> written = new ConcurrentHashMap<>();

    PodInputs(KubernetesClient client, Path workDir) {
        this.client = client;
        this.claims = workDir.resolve("claims");
        this.record = workDir.resolve(MOUNT_POINTS_FILE);
    }

    Path directory(LocalPod pod, String volume) {
        if (pod.volumeSpecs().stream().noneMatch(v -> volume.equals(v.getName()))) return claimDirectory(pod, volume);
        return pod.directory().resolve("volumes").resolve(volume);
    }

    /**
     * A volume the pod template does not declare is one of the StatefulSet's claim templates (spec.streams), which the
     * StatefulSet controller turns into the PersistentVolumeClaim {@code <volume>-<pod>}: here a directory of that name that
     * outlives the pod (a container restart, a rolling update, a replaced StatefulSet) and goes with the work directory
     * when {@code local} stops.
     */
    Path claimDirectory(LocalPod pod, String volume) {
        Path dir = claims.resolve(pod.namespace).resolve(volume + "-" + pod.name);
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return dir;
    }

    /** Every volume's files; an emptyDir is an empty directory (its medium is ignored: the work directory is on tmpfs when /run is). */
    void write(LocalPod pod) {
        for (Volume v : pod.volumeSpecs()) {
            Path dir = directory(pod, v.getName());
            try {
                Files.createDirectories(dir);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            List<PodSpecs.VolumeFile> files = PodSpecs.volumeFiles(v, this::configMap, this::secret, pod.namespace);
            if (files == null) continue;
            for (PodSpecs.VolumeFile f : files) {
                Path file = dir.resolve(f.path()).normalize();
                if (!file.startsWith(dir)) throw new IllegalStateException("volume " + v.getName() + ": path " + f.path() + " leaves the volume");
                byte[] before = written.get(file);
                if (before == null || !Arrays.equals(before, f.content())) {
                    LocalPod.writeAtomically(file, f.content(), f.mode());
                    written.put(file, f.content());
                }
            }
        }
        for (Container c : pod.template.getSpec().getContainers()) {
            if (c.getVolumeMounts() != null) c.getVolumeMounts().forEach(vm -> mountPoint(Path.of(vm.getMountPath())));
        }
        if (pod.template.getSpec().getInitContainers() != null) {
            pod.template.getSpec().getInitContainers().forEach(c -> {
                if (c.getVolumeMounts() != null) c.getVolumeMounts().forEach(vm -> mountPoint(Path.of(vm.getMountPath())));
            });
        }
    }

    /** At most once a second per pod: rewrite volume files whose ConfigMap or Secret changed. */
    void refresh(LocalPod pod) {
        long now = System.nanoTime();
        Long last = lastRefresh.get(pod.key());
        if (last != null && now - last < REFRESH_NANOS) return;
        lastRefresh.put(pod.key(), now);
        try {
            write(pod);
        } catch (RuntimeException e) {
            // as the kubelet: a ConfigMap that went away leaves the last files in place
        }
    }

    Map<String, String> environment(Container c, LocalPod pod) {
        Map<String, String> env = new HashMap<>(PodSpecs.environment(c, facts(pod), this::configMap, this::secret));
        env.putIfAbsent("HOSTNAME", pod.name);
        return env;
    }

    List<String> commandLine(Container c, LocalPod pod) {
        return PodSpecs.commandLine(c, PodSpecs.environment(c, facts(pod), this::configMap, this::secret));
    }

    private static PodSpecs.PodFacts facts(LocalPod pod) {
        Map<String, String> labels = pod.template.getMetadata() == null || pod.template.getMetadata().getLabels() == null
                ? Map.of() : pod.template.getMetadata().getLabels();
        return new PodSpecs.PodFacts(pod.name, pod.namespace, pod.net.address(), "local", labels);
    }

    private ConfigMap configMap(String ns, String name) {
        return client.configMaps().inNamespace(ns).withName(name).get();
    }

    private Secret secret(String ns, String name) {
        return client.secrets().inNamespace(ns).withName(name).get();
    }

    /** Forgets a deleted pod, whose directory is gone. */
    void forget(LocalPod pod) {
        lastRefresh.remove(pod.key());
        written.keySet().removeIf(f -> f.startsWith(pod.directory()));
    }

    /** Makes a missing mount point (and its missing parents), remembering what it made. */
    private synchronized void mountPoint(Path target) {
        if (Files.isDirectory(target) || Files.isRegularFile(target)) return;
        Deque<Path> missing = new ArrayDeque<>();
        for (Path p = target; p != null && !Files.exists(p); p = p.getParent()) missing.push(p);
        for (Path p : missing) {
            try {
                Files.createDirectory(p);
                madeMountPoints.push(p);
                Files.writeString(record, p + "\n", java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.APPEND);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot make the mount point " + p, e);
            }
        }
    }

    /** Removes the mount points it made, deepest first, when they are still empty. */
    @Override
    public synchronized void close() {
        while (!madeMountPoints.isEmpty()) removeIfEmpty(madeMountPoints.pop());
    }

    /** The mount points a killed local made, listed in its work directory; deepest (last made) first. */
    static void removeRecorded(Path workDir) {
        try {
            List<String> made = Files.readAllLines(workDir.resolve(MOUNT_POINTS_FILE));
            for (int i = made.size() - 1; i >= 0; i--) removeIfEmpty(Path.of(made.get(i)));
        } catch (IOException e) {
            // none recorded
        }
    }

    private static void removeIfEmpty(Path dir) {
        try {
            Files.deleteIfExists(dir);
        } catch (IOException e) {
            // not empty: someone else put something there; leave it
        }
    }
}
