package io.choria.natsoperator.local;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.choria.natsoperator.testing.Await;
import io.choria.natsoperator.testing.External;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.api.model.apps.StatefulSetBuilder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The process kubelet on its own, with plain shell containers: what a pod sees (env with
 * fieldRef and $(VAR), a ConfigMap volume kept up to date, an emptyDir, its own address), and the
 * StatefulSet controller's rolling update (one pod at a time, from the highest ordinal, the
 * others ready meanwhile) and its status.
 */
@External
class ProcessKubeletTest {
    private static final String NS = "lab";
    private static final Duration T = Duration.ofSeconds(60);
    @TempDir Path work;
    private EmbeddedApiServer api;
    private PodNetwork network;
    private ProcessKubelet kubelet;
    private final List<String> events = Collections.synchronizedList(new ArrayList<>());

    @BeforeEach
    void start() {
        io.choria.natsoperator.testing.Tools.require("ip", "iproute2");
        api = new EmbeddedApiServer();
        network = PodNetwork.create();
        kubelet = new ProcessKubelet(api.newClient(), network, work.resolve("kubelet"), "cluster.local", events::add).start();
    }

    @AfterEach
    void stop() {
        if (kubelet != null) kubelet.close();
        if (network != null) network.close();
        if (api != null) api.close();
    }

    @Test
    void aPodSeesItsEnvVolumesAndAddressAndARollingUpdateReplacesOnePodAtATimeFromTheHighest() throws Exception {
        api.client().resource(new ConfigMapBuilder().withNewMetadata().withName("greeting").withNamespace(NS).endMetadata()
                .addToData("text", "hello").build()).create();
        api.client().resource(statefulSet("v1")).create();

        Await.until("2 ready replicas", T, () -> status().getStatus(), s -> s != null && Integer.valueOf(2).equals(s.getReadyReplicas()));
        String ip0 = kubelet.address(NS, "web-0").orElseThrow();
        Path out = work.resolve("kubelet/pods/lab_web-0/volumes/scratch/env");
        String env = Await.until("web-0 wrote its env", T, () -> read(out), s -> s.contains("\n"));
        assertEquals("web-0 " + ip0 + " " + ip0 + " v1 hello\n", env); // name, fieldRef, its DNS name, env, volume

        // the ConfigMap changes: the mounted file follows, without a restart
        long pid0 = kubelet.pid(NS, "web-0", "main");
        api.client().configMaps().inNamespace(NS).withName("greeting").edit(cm -> {
            cm.getData().put("text", "bonjour");
            return cm;
        });
        Path mounted = work.resolve("kubelet/pods/lab_web-0/volumes/config/text");
        Await.until("the volume updated", T, () -> read(mounted), "bonjour"::equals);
        assertEquals(pid0, kubelet.pid(NS, "web-0", "main"));

        // a template change: web-1 first, then web-0; one ready pod at least all along
        events.clear();
        List<Integer> readySeen = Collections.synchronizedList(new ArrayList<>());
        String before = status().getStatus().getCurrentRevision();
        // the kubelet writes the StatefulSet's status meanwhile
        Await.retryingConflicts("template v2", () -> api.client().apps().statefulSets().inNamespace(NS).withName("web").edit(s -> statefulSet("v2")));
        StatefulSet done = Await.until("rolled out", T, () -> {
            StatefulSet s = status();
            if (s.getStatus() != null && s.getStatus().getReadyReplicas() != null) readySeen.add(s.getStatus().getReadyReplicas());
            return s;
        }, s -> s.getStatus() != null && s.getStatus().getUpdateRevision() != null && !s.getStatus().getUpdateRevision().equals(before)
                && s.getStatus().getUpdateRevision().equals(s.getStatus().getCurrentRevision())
                && Integer.valueOf(2).equals(s.getStatus().getUpdatedReplicas()) && Integer.valueOf(2).equals(s.getStatus().getReadyReplicas()));
        assertEquals(done.getMetadata().getGeneration(), done.getStatus().getObservedGeneration());
        List<String> replaced = events.stream().filter(e -> e.contains("template changed")).toList();
        assertEquals(2, replaced.size(), String.join("\n", events));
        assertTrue(replaced.get(0).startsWith(NS + "/web-1"), replaced.toString());
        assertTrue(replaced.get(1).startsWith(NS + "/web-0"), replaced.toString());
        assertFalse(readySeen.contains(0), "both pods down at once: " + readySeen);
        assertTrue(kubelet.pid(NS, "web-0", "main") != pid0, "web-0 was not replaced");

        // scaled to 0: pods and their namespaces go
        api.client().apps().statefulSets().inNamespace(NS).withName("web").scale(0);
        Await.until("no pods", T, () -> kubelet.address(NS, "web-0").isEmpty() && kubelet.address(NS, "web-1").isEmpty(), b -> b);
    }

    private static String read(Path file) {
        try {
            return Files.exists(file) ? Files.readString(file) : null;
        } catch (java.io.IOException e) {
            return null;
        }
    }

    private StatefulSet status() {
        return api.client().apps().statefulSets().inNamespace(NS).withName("web").get();
    }

    /** Two pods of a shell that writes what it sees, then sleeps; {@code version} in the template (a change rolls the pods). */
    private static StatefulSet statefulSet(String version) {
        return new StatefulSetBuilder().withNewMetadata().withName("web").withNamespace(NS).endMetadata()
                .withNewSpec().withReplicas(2).withServiceName("web-headless").withPodManagementPolicy("Parallel")
                .withNewSelector().withMatchLabels(Map.of("app", "web")).endSelector()
                .withNewTemplate().withNewMetadata().withLabels(Map.of("app", "web")).endMetadata()
                .withNewSpec().withTerminationGracePeriodSeconds(5L)
                .addNewContainer().withName("main").withImage("busybox")
                .withCommand("sh", "-c", "echo \"$(POD_NAME) $POD_IP $(getent hosts web-0.web-headless.lab.svc.cluster.local | cut -d' ' -f1) $VERSION $(cat /etc/greeting/text)\" > /scratch/env.tmp"
                        + " && mv /scratch/env.tmp /scratch/env && exec sleep 600")
                .addNewEnv().withName("POD_NAME").withNewValueFrom().withNewFieldRef().withFieldPath("metadata.name").endFieldRef().endValueFrom().endEnv()
                .addNewEnv().withName("POD_IP").withNewValueFrom().withNewFieldRef().withFieldPath("status.podIP").endFieldRef().endValueFrom().endEnv()
                .addNewEnv().withName("VERSION").withValue(version).endEnv()
                .addNewVolumeMount().withName("config").withMountPath("/etc/greeting").withReadOnly(true).endVolumeMount()
                .addNewVolumeMount().withName("scratch").withMountPath("/scratch").endVolumeMount()
                .endContainer()
                .addNewVolume().withName("config").withNewConfigMap().withName("greeting").endConfigMap().endVolume()
                .addNewVolume().withName("scratch").withNewEmptyDir().endEmptyDir().endVolume()
                .endSpec().endTemplate().endSpec().build();
    }
}
