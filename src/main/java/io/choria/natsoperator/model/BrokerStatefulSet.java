package io.choria.natsoperator.model;

import io.choria.natsoperator.api.NatsCluster;
import io.choria.natsoperator.api.NatsClusterSpec;
import io.choria.natsoperator.api.PodSpec;
import io.choria.natsoperator.api.SysctlsSpec;
import io.fabric8.kubernetes.api.model.Affinity;
import io.fabric8.kubernetes.api.model.AffinityBuilder;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerBuilder;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.PodSecurityContextBuilder;
import io.fabric8.kubernetes.api.model.Probe;
import io.fabric8.kubernetes.api.model.ProbeBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.ResourceRequirements;
import io.fabric8.kubernetes.api.model.ResourceRequirementsBuilder;
import io.fabric8.kubernetes.api.model.Sysctl;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeBuilder;
import io.fabric8.kubernetes.api.model.VolumeMount;
import io.fabric8.kubernetes.api.model.VolumeMountBuilder;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.api.model.apps.StatefulSetBuilder;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The broker StatefulSet. Its pod template depends only on what needs a restart (image,
 * ports, resources, scheduling, sysctls, TLS on/off); the size and the routes are not in it,
 * so scaling never restarts the brokers that stay.
 */
public final class BrokerStatefulSet {
    public static final String CONTAINER = "nats";
    public static final String SYSCTL_CONTAINER = "sysctl";
    public static final int NON_ROOT_UID = 1000;
    /** Time beyond lame_duck_duration for the grace period and the process exit. */
    static final long SHUTDOWN_MARGIN_SECONDS = 30;

    private BrokerStatefulSet() {}

    /** With the installer's defaults. */
    public static StatefulSet of(NatsCluster nc, Names names, BrokerPaths paths) {
        return of(nc, names, paths, InstallerSettings.DEFAULTS);
    }

    public static StatefulSet of(NatsCluster nc, Names names, BrokerPaths paths, InstallerSettings installer) {
        return of(nc, names, paths, installer, PortPinnedCerts.NONE);
    }

    public static StatefulSet of(NatsCluster nc, Names names, BrokerPaths paths, InstallerSettings installer, PortPinnedCerts ports) {
        return of(nc, names, paths, installer, ports, false);
    }

    /**
     * {@code pinned}: the client port's allow-list is carried in parts ({@link PinnedList}) and assembled in the pod: a
     * fixed set of volumes and an init container, whatever the list's size, so a growing list never rolls the brokers.
     */
    public static StatefulSet of(NatsCluster nc, Names names, BrokerPaths paths, InstallerSettings installer, PortPinnedCerts ports,
            boolean pinned) {
        NatsClusterSpec spec = nc.getSpec();
        boolean initContainer = privilegedInitContainer(spec, installer);
        PodSpec pod = spec.getPod();
        Map<String, String> podLabels = new LinkedHashMap<>(pod.getLabels());
        podLabels.putAll(Labels.of(names.cluster(), "broker"));
        Map<String, String> podAnnotations = new LinkedHashMap<>(pod.getAnnotations());
        // lame_duck_duration is read only at start: a change must roll the brokers.
        podAnnotations.put("choria.io/lame-duck-duration", spec.getLimits().getLameDuckDuration());
        // The cluster name, the gateway and leafnodes blocks cannot be reloaded either. Absent when none is
        // set, so clusters without them keep their pod template (no rolling restart on upgrade).
        if (spec.getGateway() != null || spec.getLeafnodes() != null || ChoriaAccounts.enabled(spec) || ChoriaPermissions.enabled(spec)
                || !NatsConfig.clusterName(names, spec).equals(names.cluster())) podAnnotations.put("choria.io/restart-config", io.choria.natsoperator.pki.Digests.sha256Hex(
                NatsConfig.restartOnlySettings(names, spec, ports)).substring(0, 16));

        var podSecurity = new PodSecurityContextBuilder()
                .withRunAsNonRoot(initContainer ? null : true)
                .withFsGroup((long) NON_ROOT_UID)
                .withNewSeccompProfile().withType("RuntimeDefault").endSeccompProfile();
        if (spec.getSysctls().getMode() == SysctlsSpec.Mode.PodSecurityContext) {
            podSecurity.withSysctls(sysctls(spec.getSysctls()));
        }

        List<Container> initContainers = new ArrayList<>();
        if (initContainer) {
            initContainers.add(sysctlInitContainer(spec, installer));
        }
        if (pinned) initContainers.add(pinnedListInitContainer(spec, paths));

        return new StatefulSetBuilder()
                .withMetadata(Owned.meta(nc, names.statefulSet(), "broker"))
                .withNewSpec()
                .withReplicas(spec.getSize())
                .withServiceName(names.headlessService())
                .withPodManagementPolicy("Parallel")
                .withNewUpdateStrategy().withType("RollingUpdate").endUpdateStrategy()
                .withNewSelector().withMatchLabels(Labels.selector(names.cluster())).endSelector()
                .withNewTemplate()
                .withNewMetadata().withLabels(podLabels).withAnnotations(podAnnotations).endMetadata()
                .withNewSpec()
                .withTerminationGracePeriodSeconds(Durations.seconds(spec.getLimits().getLameDuckDuration()) + SHUTDOWN_MARGIN_SECONDS)
                .withSecurityContext(podSecurity.build())
                // the brokers never call the Kubernetes API: no token in the pod to steal
                .withAutomountServiceAccountToken(false)
                .withInitContainers(initContainers)
                // the reloader signals the broker through its pid file
                .withShareProcessNamespace(true)
                .withContainers(containers(spec, paths, ports, pinned))
                .withVolumes(volumes(names, spec, paths, pinned))
                .withNodeSelector(pod.getNodeSelector().isEmpty() ? null : pod.getNodeSelector())
                .withTolerations(pod.getTolerations().isEmpty() ? null : pod.getTolerations())
                .withAffinity(pod.getAffinity() != null ? pod.getAffinity() : preferDifferentNodes(names))
                .withTopologySpreadConstraints(pod.getTopologySpreadConstraints().isEmpty() ? null : pod.getTopologySpreadConstraints())
                .withPriorityClassName(pod.getPriorityClassName())
                .endSpec()
                .endTemplate()
                .withVolumeClaimTemplates(volumeClaimTemplates(nc))
                .endSpec()
                .build();
    }

    /** The kernel settings as asked; in {@code PodSecurityContext} mode the kubelet sets them as given, before any container runs. */
    static List<Sysctl> sysctls(SysctlsSpec s) {
        return List.of(new Sysctl("net.core.somaxconn", String.valueOf(s.getSomaxconn())),
                new Sysctl("net.ipv4.tcp_max_syn_backlog", String.valueOf(s.getTcpMaxSynBacklog())));
    }

    /** Where the kernel settings of the pod's network namespace are read and written. */
    static final String PROC_SYS = "/proc/sys";

    /**
     * Sets the kernel settings in the pod's own network namespace, to the values asked, lower or
     * higher than the kernel's: the listen backlog is an admission control for reconnect storms,
     * and a short one ends them (docs/BENCHMARKS.md), so a larger kernel value (Linux >= 5.4 starts
     * each namespace with somaxconn 4096) must not stand. The host's own settings are untouched.
     * POSIX sh for the broker image's busybox; fails (and so holds the pod back, as
     * {@code sysctl -w} did) when a setting cannot be read or written. The chart's admission policy
     * admits a privileged container only with exactly this text (the two numbers aside): change it
     * there too (AdmissionPolicyCelTest).
     */
    static String sysctlScript(SysctlsSpec s) {
        StringBuilder b = new StringBuilder()
                .append("put() {\n")
                .append("  cur=$(cat \"$1\") || exit 1\n")
                .append("  case \"$cur\" in ''|*[!0-9]*) echo \"cannot read $1: '$cur'\" >&2; exit 1;; esac\n")
                .append("  if [ \"$cur\" -ne \"$2\" ]; then\n")
                .append("    echo \"$2\" > \"$1\" || exit 1\n")
                .append("    echo \"$1: $cur -> $2\"\n")
                .append("  else\n")
                .append("    echo \"$1: $cur kept\"\n")
                .append("  fi\n")
                .append("}\n");
        for (Sysctl sysctl : sysctls(s)) {
            b.append("put ").append(PROC_SYS).append('/').append(sysctl.getName().replace('.', '/'))
                    .append(' ').append(Integer.parseInt(sysctl.getValue())).append('\n');
        }
        return b.toString();
    }

    /**
     * Whether the pod gets the privileged sysctl init container: the spec asks for it and the
     * installer allows it. Otherwise the brokers keep the kernel's values (as mode None), and
     * the reconciler says why in the status ({@code PrivilegedSysctlsDisabled}).
     */
    public static boolean privilegedInitContainer(NatsClusterSpec spec, InstallerSettings installer) {
        return spec.getSysctls().getMode() == SysctlsSpec.Mode.InitContainer && installer.allowPrivilegedSysctls();
    }

    /** Whether the spec asks for the init container and the installer has turned privileged sysctls off. */
    public static boolean privilegedSysctlsRefused(NatsClusterSpec spec, InstallerSettings installer) {
        return spec.getSysctls().getMode() == SysctlsSpec.Mode.InitContainer && !installer.allowPrivilegedSysctls();
    }

    /**
     * Runs {@link #sysctlScript} in the pod's network namespace, privileged (the only container
     * that is). Its image is the installer's ({@link InstallerSettings#sysctlImage()}), never
     * {@code spec.image}: whoever may create a NatsCluster must not choose what runs as root
     * with every capability on a node.
     */
    static Container sysctlInitContainer(NatsClusterSpec spec, InstallerSettings installer) {
        return new ContainerBuilder()
                .withName(SYSCTL_CONTAINER)
                .withImage(installer.sysctlImage())
                .withCommand("sh", "-c", sysctlScript(spec.getSysctls()))
                .withNewSecurityContext().withPrivileged(true).withRunAsUser(0L).withRunAsNonRoot(false).endSecurityContext()
                .withNewResources().addToRequests("cpu", new Quantity("10m")).addToRequests("memory", new Quantity("8Mi"))
                .addToLimits("memory", new Quantity("32Mi")).endResources()
                .build();
    }

    /** The exporter only when asked: with monitoring off the pod template is what it was, so no pod rolls. */
    static List<Container> containers(NatsClusterSpec spec, BrokerPaths paths, PortPinnedCerts ports, boolean pinned) {
        Container broker = brokerContainer(spec, paths, ports);
        if (pinned) broker.getVolumeMounts().add(new VolumeMountBuilder().withName(PINNED_VOLUME).withMountPath(paths.pinnedDir())
                .withReadOnly(true).build());
        List<Container> containers = new ArrayList<>(List.of(broker, reloaderContainer(spec, paths, pinned)));
        if (MetricsExporter.enabled(spec)) containers.add(MetricsExporter.container(spec));
        return containers;
    }

    static Container brokerContainer(NatsClusterSpec spec, BrokerPaths paths, PortPinnedCerts ports) {
        ResourceRequirements resources = resources(spec);
        List<io.fabric8.kubernetes.api.model.EnvVar> env = new ArrayList<>();
        env.add(new io.fabric8.kubernetes.api.model.EnvVarBuilder().withName(NatsConfig.POD_NAME_ENV).withNewValueFrom().withNewFieldRef()
                .withFieldPath("metadata.name").endFieldRef().endValueFrom().build());
        // Only with spec.capacity: a cluster without it keeps its pod template byte for byte.
        BrokerCapacity.goMemLimit(spec, resources).ifPresent(limit ->
                env.add(new io.fabric8.kubernetes.api.model.EnvVarBuilder().withName(BrokerCapacity.GOMEMLIMIT_ENV).withValue(limit).build()));
        // The leafnode and gateway ports' pinned keys (public key hashes, no secret). In the environment, not a mounted file:
        // nats-server refuses to reload a changed list on those ports, and a refused reload would also hold back the client
        // port's list. A process's environment never changes, so reloads stay clean; a new list changes the pod template
        // and rolls the brokers.
        if (ports.leafnodes() != null) env.add(new io.fabric8.kubernetes.api.model.EnvVar(NatsConfig.LEAFNODE_PINNED_CERTS_ENV, ports.leafnodes(), null));
        if (ports.gateway() != null) env.add(new io.fabric8.kubernetes.api.model.EnvVar(NatsConfig.GATEWAY_PINNED_CERTS_ENV, ports.gateway(), null));
        return new ContainerBuilder()
                .withName(CONTAINER)
                .withImage(spec.getImage())
                .withArgs("--config", paths.configFile())
                .withEnv(env)
                .addAllToEnv(serverNameEnv(spec))
                .addNewPort().withName("client").withContainerPort(spec.getPorts().getClient()).withProtocol("TCP").endPort()
                .addNewPort().withName("cluster").withContainerPort(spec.getPorts().getCluster()).withProtocol("TCP").endPort()
                .addNewPort().withName("monitor").withContainerPort(spec.getPorts().getMonitor()).withProtocol("TCP").endPort()
                .addAllToPorts(sitePorts(spec))
                .withResources(resources)
                .withVolumeMounts(brokerMounts(spec, paths))
                .withStartupProbe(ChoriaAccounts.enabled(spec) ? healthz(STREAMS_ENABLED, 10, 90, 5) : healthz(2, 30, 2))
                .withReadinessProbe(healthz(healthPath(spec), 5, 3, 2))
                // Patient: after a restart thousands of TLS handshakes can starve /healthz for a
                // while (see docs/BENCHMARKS.md); killing the broker then only starts another storm.
                .withLivenessProbe(healthz(healthPath(spec), 10, 12, 5))
                .withNewLifecycle().withNewPreStop().withNewExec()
                .withCommand(lameDuckCommand(paths))
                .endExec().endPreStop().endLifecycle()
                .withSecurityContext(restricted())
                .build();
    }

    /** {@code SERVER_NAME = <prefix>$(POD_NAME)} when a prefix is set (the kubelet expands $(POD_NAME), declared before it). */
    private static List<io.fabric8.kubernetes.api.model.EnvVar> serverNameEnv(NatsClusterSpec spec) {
        if (spec.getServerNamePrefix() == null || spec.getServerNamePrefix().isEmpty()) return List.of();
        return List.of(new io.fabric8.kubernetes.api.model.EnvVar(NatsConfig.SERVER_NAME_ENV,
                spec.getServerNamePrefix() + "$(" + NatsConfig.POD_NAME_ENV + ")", null));
    }

    /** The gateway port (spec.gateway) and the leaf node port (spec.leafnodes, when accepting). */
    private static List<io.fabric8.kubernetes.api.model.ContainerPort> sitePorts(NatsClusterSpec spec) {
        List<io.fabric8.kubernetes.api.model.ContainerPort> ports = new java.util.ArrayList<>();
        if (spec.getGateway() != null) ports.add(new io.fabric8.kubernetes.api.model.ContainerPortBuilder().withName("gateway")
                .withContainerPort(spec.getGateway().getPort()).withProtocol("TCP").build());
        if (spec.getLeafnodes() != null && spec.getLeafnodes().accepting()) ports.add(new io.fabric8.kubernetes.api.model.ContainerPortBuilder()
                .withName("leafnodes").withContainerPort(spec.getLeafnodes().getPort()).withProtocol("TCP").build());
        return ports;
    }

    static Container reloaderContainer(NatsClusterSpec spec, BrokerPaths paths, boolean pinned) {
        return new ContainerBuilder()
                .withName(ConfigReloader.CONTAINER)
                .withImage(spec.getImage())
                .withCommand("sh", "-c", ConfigReloader.script(paths, spec.getTls() != null, pinned))
                .withVolumeMounts(pinned ? assemblerMounts(spec, paths) : volumeMounts(spec, paths))
                .withNewResources().addToRequests("cpu", new Quantity("5m")).addToRequests("memory", new Quantity("8Mi"))
                .addToLimits("memory", new Quantity("32Mi")).endResources()
                .withSecurityContext(restricted())
                .build();
    }

    /** The projected parts of the pinned list (read-only) and the emptyDir the pod assembles it into. */
    static final String PINNED_PARTS_VOLUME = "pinned-parts";
    static final String PINNED_VOLUME = "pinned";

    /** What the assembler (init container and reloader) mounts: the broker's files, the parts, and the assembled list, writable. */
    static List<VolumeMount> assemblerMounts(NatsClusterSpec spec, BrokerPaths paths) {
        List<VolumeMount> mounts = volumeMounts(spec, paths);
        mounts.add(new VolumeMountBuilder().withName(PINNED_PARTS_VOLUME).withMountPath(paths.pinnedPartsDir()).withReadOnly(true).build());
        mounts.add(new VolumeMountBuilder().withName(PINNED_VOLUME).withMountPath(paths.pinnedDir()).build());
        return mounts;
    }

    /**
     * Assembles the pinned list before the broker starts ({@link PinnedListAssembler#initScript}): nats.conf includes it, so
     * a broker without it would not start, and one started without pinning would admit every node the CA signed. In the
     * broker image (its shell), unprivileged, as the reloader.
     */
    static Container pinnedListInitContainer(NatsClusterSpec spec, BrokerPaths paths) {
        return new ContainerBuilder()
                .withName(PinnedListAssembler.INIT_CONTAINER)
                .withImage(spec.getImage())
                .withCommand("sh", "-c", PinnedListAssembler.initScript(paths))
                .withVolumeMounts(assemblerMounts(spec, paths))
                .withNewResources().addToRequests("cpu", new Quantity("10m")).addToRequests("memory", new Quantity("8Mi"))
                .addToLimits("memory", new Quantity("32Mi")).endResources()
                .withSecurityContext(restricted())
                .build();
    }

    /** Non-root, read-only root filesystem, no capabilities: what the restricted Pod Security Standard asks. */
    static io.fabric8.kubernetes.api.model.SecurityContext restricted() {
        return new io.fabric8.kubernetes.api.model.SecurityContextBuilder()
                .withRunAsNonRoot(true).withRunAsUser((long) NON_ROOT_UID).withRunAsGroup((long) NON_ROOT_UID)
                .withReadOnlyRootFilesystem(true).withAllowPrivilegeEscalation(false)
                .withNewCapabilities().withDrop("ALL").endCapabilities()
                .build();
    }

    /** The broker needs this long to enter lame-duck mode on a busy node before the kubelet's SIGTERM arrives. */
    static final int LAME_DUCK_SETTLE_SECONDS = 5;

    /**
     * Puts the broker in lame-duck mode so its clients leave gradually instead of in one storm.
     * The kubelet sends SIGTERM as soon as the hook returns, and a broker that sees SIGTERM before
     * the lame-duck signal shuts down at once (seen under load in ScaleByReloadTest), so the hook
     * waits a little; once in lame duck the broker ignores SIGTERM and exits when drained.
     */
    public static List<String> lameDuckCommand(BrokerPaths paths) {
        return List.of("sh", "-c", "nats-server --signal ldm=" + paths.pidFile() + " && sleep " + LAME_DUCK_SETTLE_SECONDS);
    }

    /**
     * With Streams every probe asks {@code /healthz?js-enabled-only=true}: the broker serves clients and runs JetStream, and
     * nothing about JetStream's quorum. Choria's requests are core NATS, and must not wait on Streams: the NATS chart's
     * readiness ({@code js-server-only}: the meta group current) and startup ({@code /healthz}: every stream caught up) keep a
     * broker out while JetStream lacks a quorum, and that deadlocked turning Streams on for a running cluster (seen in
     * {@code local}: the first broker rolled to JetStream cannot reach a meta leader while the others still run without it,
     * so it never became ready, and the rolling update stopped there), and would take every broker out of the client
     * Service if two of three were lost. The streams' health is StreamsReady's (replicas behind, no leader), not the
     * pod's. Startup allows 15 minutes: recovering a large store takes a while.
     */
    static final String STREAMS_ENABLED = "/healthz?js-enabled-only=true";

    /** The readiness and liveness probes' path. */
    public static String healthPath(NatsClusterSpec spec) {
        return ChoriaAccounts.enabled(spec) ? STREAMS_ENABLED : "/healthz";
    }

    static Probe healthz(int period, int failures, int timeout) {
        return healthz("/healthz", period, failures, timeout);
    }

    static Probe healthz(String path, int period, int failures, int timeout) {
        return new ProbeBuilder()
                .withNewHttpGet().withPath(path).withPort(new IntOrString("monitor")).endHttpGet()
                .withPeriodSeconds(period).withFailureThreshold(failures).withTimeoutSeconds(timeout)
                .build();
    }

    /** The broker container's memory limit in bytes (0: none). */
    public static long memoryLimitBytes(NatsClusterSpec spec) {
        var limits = resources(spec).getLimits();
        var q = limits == null ? null : limits.get("memory");
        return q == null ? 0 : BrokerCapacity.bytes(q);
    }

    /** Explicit resources, else derived from spec.capacity, else sized for about 2000 Choria nodes (300 MB). */
    static ResourceRequirements resources(NatsClusterSpec spec) {
        if (spec.getResources() != null) return spec.getResources();
        var sized = BrokerCapacity.of(spec);
        if (sized.isPresent()) return sized.get().resources();
        return new ResourceRequirementsBuilder()
                .addToRequests("cpu", new Quantity("250m"))
                .addToRequests("memory", new Quantity("300Mi"))
                .addToLimits("memory", new Quantity("512Mi"))
                .build();
    }

    static List<VolumeMount> volumeMounts(NatsClusterSpec spec, BrokerPaths paths) {
        List<VolumeMount> mounts = new ArrayList<>();
        mounts.add(new VolumeMountBuilder().withName("config").withMountPath(paths.configDir()).withReadOnly(true).build());
        mounts.add(new VolumeMountBuilder().withName("routes").withMountPath(paths.routesDir()).withReadOnly(true).build());
        if (spec.getTls() != null) {
            mounts.add(new VolumeMountBuilder().withName("tls").withMountPath(paths.tlsDir()).withReadOnly(true).build());
        }
        mounts.add(new VolumeMountBuilder().withName("run").withMountPath(paths.pidDir()).build());
        return mounts;
    }

    /** The broker's own mounts: what every container mounts, and the JetStream volume (spec.streams). */
    static List<VolumeMount> brokerMounts(NatsClusterSpec spec, BrokerPaths paths) {
        List<VolumeMount> mounts = volumeMounts(spec, paths);
        if (ChoriaAccounts.enabled(spec)) mounts.add(new VolumeMountBuilder().withName(DATA_VOLUME).withMountPath(paths.dataDir()).build());
        return mounts;
    }

    static List<Volume> volumes(Names names, NatsClusterSpec spec, BrokerPaths paths, boolean pinned) {
        List<Volume> volumes = new ArrayList<>();
        volumes.add(new VolumeBuilder().withName("config").withNewConfigMap().withName(names.configMap()).endConfigMap().build());
        volumes.add(new VolumeBuilder().withName("routes").withNewSecret().withSecretName(names.routesConfigSecret())
                .withDefaultMode(0440).endSecret().build());
        if (spec.getTls() != null) {
            volumes.add(new VolumeBuilder().withName("tls").withNewSecret().withSecretName(names.tlsSecret())
                    .withDefaultMode(0440).endSecret().build());
        }
        volumes.add(new VolumeBuilder().withName("run").withNewEmptyDir().withMedium("Memory").endEmptyDir().build());
        if (pinned) {
            // Every part is named whether it holds keys or not, each optional: the volume's shape never follows the list.
            List<io.fabric8.kubernetes.api.model.VolumeProjection> sources = new ArrayList<>();
            for (int i = 0; i < PinnedList.PARTS; i++) {
                sources.add(configMapProjection(names.pinnedListPart(i), PinnedList.PART_KEY, PinnedList.partFile(i)));
            }
            sources.add(configMapProjection(names.pinnedListManifest(), PinnedList.MANIFEST, PinnedList.MANIFEST));
            volumes.add(new VolumeBuilder().withName(PINNED_PARTS_VOLUME).withNewProjected().withSources(sources).endProjected().build());
            // On disk, not in memory: the assembled list (about 7 MB at 100,000 keys) would count against a container's memory.
            volumes.add(new VolumeBuilder().withName(PINNED_VOLUME).withNewEmptyDir().endEmptyDir().build());
        }
        return volumes;
    }

    private static io.fabric8.kubernetes.api.model.VolumeProjection configMapProjection(String name, String key, String path) {
        return new io.fabric8.kubernetes.api.model.VolumeProjectionBuilder().withNewConfigMap().withName(name).withOptional(true)
                .addNewItem().withKey(key).withPath(path).endItem().endConfigMap().build();
    }

    /** Each broker's JetStream volume: a PersistentVolumeClaim {@code data-<pod>} from the volumeClaimTemplates. */
    public static final String DATA_VOLUME = "data";

    /**
     * The claim template of spec.streams. A StatefulSet's templates cannot change: turning Streams on or off, or another
     * storage class, replaces the StatefulSet (the reconciler orphans the pods, which then roll one at a time); a larger
     * size is written to each claim instead (volume expansion, where the storage class allows it).
     */
    public static List<io.fabric8.kubernetes.api.model.PersistentVolumeClaim> volumeClaimTemplates(NatsCluster nc) {
        var st = nc.getSpec().getStreams();
        if (st == null) return List.of();
        var sc = st.getStorage().getStorageClassName();
        return List.of(new io.fabric8.kubernetes.api.model.PersistentVolumeClaimBuilder()
                .withNewMetadata().withName(DATA_VOLUME).withLabels(Labels.of(nc.getMetadata().getName(), "broker")).endMetadata()
                .withNewSpec()
                .withAccessModes("ReadWriteOnce")
                .withStorageClassName(sc == null || sc.isEmpty() ? null : sc)
                .withNewResources().addToRequests("storage", new Quantity(st.getStorage().getSize())).endResources()
                .endSpec()
                .build());
    }

    /**
     * What of the claim templates the operator sets (name, access modes, class, size), comparable between the model's
     * StatefulSet and the API server's, which fills defaults into the templates (volumeMode, status): null when none.
     */
    public static String claimTemplatesHash(StatefulSet sts) {
        var templates = sts.getSpec() == null ? null : sts.getSpec().getVolumeClaimTemplates();
        if (templates == null || templates.isEmpty()) return null;
        StringBuilder b = new StringBuilder();
        for (var t : templates) {
            var spec = t.getSpec();
            var requests = spec == null || spec.getResources() == null ? null : spec.getResources().getRequests();
            var storage = requests == null ? null : requests.get("storage");
            b.append(t.getMetadata().getName()).append('|').append(spec == null ? null : spec.getAccessModes()).append('|')
                    .append(spec == null ? null : spec.getStorageClassName()).append('|')
                    .append(storage == null ? null : BrokerCapacity.bytes(storage)).append('\n');
        }
        return b.toString();
    }

    /** Brokers of one cluster prefer different nodes, so one node failure takes one broker. */
    static Affinity preferDifferentNodes(Names names) {
        return new AffinityBuilder().withNewPodAntiAffinity()
                .addNewPreferredDuringSchedulingIgnoredDuringExecution()
                .withWeight(100)
                .withNewPodAffinityTerm()
                .withTopologyKey("kubernetes.io/hostname")
                .withNewLabelSelector().withMatchLabels(Labels.selector(names.cluster())).endLabelSelector()
                .endPodAffinityTerm()
                .endPreferredDuringSchedulingIgnoredDuringExecution()
                .endPodAntiAffinity().build();
    }
}
