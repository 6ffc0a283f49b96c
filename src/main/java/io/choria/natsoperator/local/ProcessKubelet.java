package io.choria.natsoperator.local;

import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.api.model.apps.StatefulSetStatus;
import io.fabric8.kubernetes.api.model.apps.StatefulSetStatusBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.stream.Stream;

/**
 * The StatefulSet controller and the kubelet of {@code local}, in one small loop: for every
 * StatefulSet in the API server it keeps pods {@code 0..replicas-1} running as real processes
 * ({@link LocalPod}), each in its own network namespace ({@link PodNetwork}); it creates them all
 * at once ({@code Parallel}) or one after the other ({@code OrderedReady}), deletes the highest
 * ordinals when scaled down, replaces pods one at a time from the highest ordinal when the pod
 * template changes (RollingUpdate, each replacement waiting for every pod to be ready), and writes
 * the StatefulSet's status (replicas, readyReplicas, updatedReplicas, revisions,
 * observedGeneration) as the controller does. Pod and Service DNS names resolve through one hosts
 * file that every container sees as {@code /etc/hosts}.
 */
public final class ProcessKubelet implements AutoCloseable {
    private static final KubernetesSerialization JSON = new KubernetesSerialization();

    private final KubernetesClient client;
    private final PodNetwork network;
    private final Path workDir;
    private final Path hostsFile;
    private final String clusterDomain;
    private final PodInputs inputs;
    private final RunRecord record;
    private final Consumer<String> events;
    private final Map<String, LocalPod> pods = new ConcurrentHashMap<>();
    private final Map<String, String> currentRevisions = new HashMap<>();
    /** What the API server held at the start of the current round; the loop thread's alone. */
    private List<StatefulSet> statefulSets = List.of();
    /** How long the pods of a StatefulSet that is gone are kept for a new one of the same name to adopt. */
    static final Duration ORPHAN_GRACE = Duration.ofSeconds(30);
    /** Pods whose StatefulSet is gone, and since when (System.nanoTime). */
    private final Map<String, Long> orphanedSince = new HashMap<>();
    private List<Service> services = List.of();
    private volatile Map<String, java.util.Set<String>> allAddresses = Map.of();
    private String hosts = "";
    private final ScheduledExecutorService loop = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "process-kubelet");
        t.setDaemon(true);
        return t;
    });

    public ProcessKubelet(KubernetesClient client, PodNetwork network, Path workDir, String clusterDomain, Consumer<String> events) {
        this.client = client;
        this.network = network;
        this.workDir = workDir;
        this.hostsFile = workDir.resolve("hosts");
        this.clusterDomain = clusterDomain;
        this.inputs = new PodInputs(client, workDir);
        this.events = events;
        try {
            Files.createDirectories(workDir);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        this.record = new RunRecord(workDir); // before any process starts
        ContainerProcess.dieWithParent(); // asked here, not on a pod's thread, which a deletion interrupts
        writeHosts(hostsContent());
    }

    public ProcessKubelet start() {
        loop.scheduleWithFixedDelay(() -> {
            try {
                syncOnce();
            } catch (KubernetesClientException e) {
                events.accept("kubelet: API server: " + e.getMessage());
            } catch (RuntimeException e) {
                events.accept("kubelet: " + e);
            }
        }, 0, 500, TimeUnit.MILLISECONDS);
        return this;
    }

    /** The pod's or Service's address, for a name the hosts file knows ({@code broker-0.broker-headless.choria.svc.cluster.local}); else the name. */
    public String resolve(String host) {
        java.util.Set<String> known = allAddresses.get(host);
        return known == null ? host : known.iterator().next(); // a pod's own name first, then a Service's first pod
    }

    /** Every address a name in the hosts file has (a Service: its pods'); else what the machine's resolver says. */
    public java.util.Set<String> addressesOf(String host) {
        java.util.Set<String> known = allAddresses.get(host);
        return known != null ? known : io.choria.natsoperator.mesh.LeafChecker.resolve(host);
    }

    /** The pod's address, while it has one. */
    Optional<String> address(String namespace, String pod) {
        return Optional.ofNullable(pods.get(namespace + "/" + pod)).map(p -> p.net.address());
    }

    /** The pid of a running container of the pod, or -1. */
    long pid(String namespace, String pod, String container) {
        LocalPod p = pods.get(namespace + "/" + pod);
        return p == null ? -1 : p.pid(container);
    }

    /** Addresses of the ready pods of a StatefulSet, by ordinal. */
    public List<String> readyAddresses(String namespace, String statefulSet) {
        return pods.values().stream().filter(p -> p.namespace.equals(namespace) && owner(p).equals(statefulSet) && p.ready())
                .sorted(Comparator.comparingInt(p -> p.ordinal)).map(p -> p.net.address()).toList();
    }

    /** Where a pod's container logs are. */
    public Path logDirectory(String namespace, String pod) {
        return workDir.resolve("pods").resolve(namespace + "_" + pod);
    }

    // ---- the loop ------------------------------------------------------------------------------------

    synchronized void syncOnce() {
        reap();
        List<StatefulSet> all = client.apps().statefulSets().inAnyNamespace().list().getItems();
        statefulSets = all;
        services = client.services().inAnyNamespace().list().getItems();
        Set<String> owned = new HashSet<>();
        for (StatefulSet sts : all) owned.addAll(sync(sts));
        long now = System.nanoTime();
        orphanedSince.keySet().retainAll(pods.keySet());
        for (LocalPod p : pods.values()) {
            if (owned.contains(p.key())) {
                orphanedSince.remove(p.key());
            } else if (p.phase() != LocalPod.Phase.TERMINATING && p.phase() != LocalPod.Phase.GONE) {
                // Kept a while, as a StatefulSet deleted with propagationPolicy Orphan leaves its pods: the operator's next
                // one (spec.streams replaced it) adopts them by name and rolls them one at a time to its template.
                long since = orphanedSince.computeIfAbsent(p.key(), k -> {
                    events.accept(p.key() + ": its StatefulSet is gone; kept " + ORPHAN_GRACE.toSeconds() + " s for a new one to adopt");
                    return now;
                });
                if (now - since > ORPHAN_GRACE.toNanos()) {
                    events.accept(p.key() + ": its StatefulSet is gone; deleting");
                    p.delete(false);
                }
            }
        }
        writeHosts(hostsContent());
    }

    /** Runs a StatefulSet's pods; returns their keys. */
    private Set<String> sync(StatefulSet sts) {
        String ns = sts.getMetadata().getNamespace();
        String name = sts.getMetadata().getName();
        String stsKey = ns + "/" + name;
        int replicas = sts.getSpec().getReplicas() == null ? 1 : sts.getSpec().getReplicas();
        String updateRevision = name + "-" + templateHash(sts);
        String current = currentRevisions.computeIfAbsent(stsKey, k -> updateRevision);
        Map<Integer, LocalPod> mine = new LinkedHashMap<>();
        for (LocalPod p : pods.values()) if (p.namespace.equals(ns) && owner(p).equals(name)) mine.put(p.ordinal, p);

        for (LocalPod p : mine.values()) {
            if (p.ordinal >= replicas && p.phase() != LocalPod.Phase.TERMINATING) {
                events.accept(p.key() + ": scaled down; deleting");
                p.delete(false);
            }
        }
        boolean parallel = "Parallel".equals(sts.getSpec().getPodManagementPolicy());
        for (int i = 0; i < replicas; i++) {
            if (mine.containsKey(i)) continue;
            if (!parallel && !allReadyBelow(mine, i)) break;
            LocalPod p = create(sts, i, updateRevision);
            mine.put(i, p);
        }
        boolean settled = mine.size() == replicas && mine.values().stream().allMatch(LocalPod::ready);
        if (settled && !"OnDelete".equals(updateStrategy(sts))) {
            mine.values().stream().filter(p -> !p.revision.equals(updateRevision)).max(Comparator.comparingInt(p -> p.ordinal))
                    .ifPresent(p -> {
                        events.accept(p.key() + ": template changed; replacing it (" + updateRevision + ")");
                        p.delete(false);
                    });
        }
        int updated = (int) mine.values().stream().filter(p -> live(p) && p.revision.equals(updateRevision)).count();
        if (updated == replicas && mine.size() == replicas) current = updateRevision;
        currentRevisions.put(stsKey, current);
        String currentRevision = current;
        StatefulSetStatus status = new StatefulSetStatusBuilder()
                .withObservedGeneration(sts.getMetadata().getGeneration())
                .withReplicas((int) mine.values().stream().filter(ProcessKubelet::live).count())
                .withReadyReplicas((int) mine.values().stream().filter(p -> live(p) && p.ready()).count())
                .withAvailableReplicas((int) mine.values().stream().filter(p -> live(p) && p.ready()).count())
                .withUpdatedReplicas(updated)
                .withCurrentReplicas((int) mine.values().stream().filter(p -> live(p) && p.revision.equals(currentRevision)).count())
                .withCurrentRevision(currentRevision)
                .withUpdateRevision(updateRevision)
                .build();
        if (!sameStatus(status, sts.getStatus())) {
            sts.setStatus(status);
            try {
                client.apps().statefulSets().inNamespace(ns).resource(sts).updateStatus();
            } catch (KubernetesClientException e) {
                // changed meanwhile: the next round writes it
            }
        }
        Set<String> keys = new HashSet<>();
        mine.values().forEach(p -> keys.add(p.key()));
        return keys;
    }

    private LocalPod create(StatefulSet sts, int ordinal, String revision) {
        String ns = sts.getMetadata().getNamespace();
        String name = sts.getMetadata().getName() + "-" + ordinal;
        Path dir = logDirectory(ns, name);
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        PodNetwork.Attachment net = network.attach(ns + "/" + name);
        var template = JSON.clone(sts.getSpec().getTemplate());
        LocalPod pod = new LocalPod(ns, name, ordinal, revision, template, net, dir, hostsFile, inputs, record, events);
        pods.put(pod.key(), pod);
        // its name resolves before it starts, as a pod's own hostname does
        writeHosts(hostsContent());
        pod.start();
        return pod;
    }

    /** Pods whose processes are gone: their network namespace and files go too. */
    private void reap() {
        for (LocalPod p : new ArrayList<>(pods.values())) {
            if (p.phase() != LocalPod.Phase.GONE) continue;
            pods.remove(p.key());
            network.detach(p.key());
            inputs.forget(p);
        }
    }

    // ---- DNS through one hosts file --------------------------------------------------------------------

    /** From the StatefulSets and Services of the current round (the names of pods and Services). */
    private String hostsContent() {
        Map<String, java.util.Set<String>> all = new LinkedHashMap<>();
        StringBuilder h = new StringBuilder("127.0.0.1 localhost\n::1 localhost ip6-localhost ip6-loopback\n");
        List<LocalPod> sorted = pods.values().stream().filter(p -> p.phase() != LocalPod.Phase.GONE)
                .sorted(Comparator.comparing(LocalPod::key)).toList();
        Map<String, String> subdomains = new HashMap<>();
        statefulSets.forEach(s -> subdomains.put(s.getMetadata().getNamespace() + "/" + s.getMetadata().getName(), s.getSpec().getServiceName()));
        for (LocalPod p : sorted) {
            String sub = subdomains.get(p.namespace + "/" + owner(p));
            List<String> aliases = new ArrayList<>();
            if (sub != null) aliases.addAll(forms(p.name + "." + sub, p.namespace));
            aliases.add(p.name);
            h.append(p.net.address()).append(' ').append(String.join(" ", aliases)).append('\n');
            aliases.forEach(a -> all.computeIfAbsent(a, k -> new java.util.LinkedHashSet<>()).add(p.net.address()));
        }
        for (Service s : services) {
            Map<String, String> selector = s.getSpec() == null ? null : s.getSpec().getSelector();
            if (selector == null || selector.isEmpty()) continue;
            for (LocalPod p : sorted) {
                Map<String, String> labels = p.template.getMetadata() == null ? null : p.template.getMetadata().getLabels();
                if (!p.namespace.equals(s.getMetadata().getNamespace()) || labels == null
                        || !labels.entrySet().containsAll(selector.entrySet())) continue;
                List<String> aliases = forms(s.getMetadata().getName(), p.namespace);
                h.append(p.net.address()).append(' ').append(String.join(" ", aliases)).append('\n');
                aliases.forEach(a -> all.computeIfAbsent(a, k -> new java.util.LinkedHashSet<>()).add(p.net.address()));
            }
        }
        this.allAddresses = Map.copyOf(all);
        return h.toString();
    }

    private List<String> forms(String name, String namespace) {
        String svc = name + "." + namespace + ".svc";
        return List.of(svc + "." + clusterDomain, svc, name + "." + namespace);
    }

    /** In place, not by rename: containers see the file through a bind mount of its inode. */
    private synchronized void writeHosts(String content) {
        if (content.equals(hosts)) return;
        try {
            Files.writeString(hostsFile, content, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        hosts = content;
    }

    // ---- shutdown --------------------------------------------------------------------------------------

    /** Stops every pod at once (SIGTERM, SIGKILL after 5 s: no preStop, as at Ctrl-C), their namespaces, the mount points made. */
    @Override
    public void close() {
        loop.shutdownNow();
        try {
            loop.awaitTermination(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        synchronized (this) {
            pods.values().forEach(p -> p.delete(true));
            for (LocalPod p : pods.values()) {
                try {
                    p.awaitGone(Duration.ofSeconds(15));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            pods.clear();
        }
        inputs.close();
        deleteTree(workDir);
    }

    /**
     * What a killed local left in {@code base}: for each work directory whose owner no longer runs (pid and start
     * time, {@link RunRecord}), the processes it recorded that still are the ones recorded, its namespaces and
     * bridge, the mount points it made, the directory. The directory of a {@code local} that runs is left alone.
     */
    static void removeStale(Path base) {
        try (Stream<Path> dirs = Files.list(base)) {
            for (Path d : dirs.toList()) {
                if (!d.getFileName().toString().matches("\\d+")) continue;
                RunRecord.removeIfAbandoned(d, owner -> {
                    PodNetwork.removeOwnedBy(owner);
                    PodInputs.removeRecorded(d);
                    deleteTree(d);
                });
            }
        } catch (IOException e) {
            // nothing there
        }
    }

    // ---- small helpers ---------------------------------------------------------------------------------

    private static boolean live(LocalPod p) {
        return p.phase() != LocalPod.Phase.TERMINATING && p.phase() != LocalPod.Phase.GONE;
    }

    private static String owner(LocalPod p) {
        return p.name.substring(0, p.name.lastIndexOf('-'));
    }

    private static boolean allReadyBelow(Map<Integer, LocalPod> mine, int ordinal) {
        for (int i = 0; i < ordinal; i++) if (mine.get(i) == null || !mine.get(i).ready()) return false;
        return true;
    }

    private static String updateStrategy(StatefulSet sts) {
        return sts.getSpec().getUpdateStrategy() == null ? "RollingUpdate" : sts.getSpec().getUpdateStrategy().getType();
    }

    static String templateHash(StatefulSet sts) {
        return io.choria.natsoperator.pki.Digests.sha256Hex(JSON.asJson(sts.getSpec().getTemplate())).substring(0, 10);
    }

    private static boolean sameStatus(StatefulSetStatus a, StatefulSetStatus b) {
        if (b == null) return false;
        return Objects.equals(a.getObservedGeneration(), b.getObservedGeneration()) && Objects.equals(a.getReplicas(), b.getReplicas())
                && Objects.equals(a.getReadyReplicas(), b.getReadyReplicas()) && Objects.equals(a.getUpdatedReplicas(), b.getUpdatedReplicas())
                && Objects.equals(a.getCurrentReplicas(), b.getCurrentReplicas())
                && Objects.equals(a.getCurrentRevision(), b.getCurrentRevision()) && Objects.equals(a.getUpdateRevision(), b.getUpdateRevision());
    }

    private static void deleteTree(Path root) {
        if (!Files.exists(root)) return;
        try (Stream<Path> walk = Files.walk(root)) {
            walk.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException ignored) {
            // best effort
        }
    }
}
