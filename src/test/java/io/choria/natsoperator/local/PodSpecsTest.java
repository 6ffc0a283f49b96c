package io.choria.natsoperator.local;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerBuilder;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeBuilder;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class PodSpecsTest {
    private static final PodSpecs.PodFacts POD = new PodSpecs.PodFacts("broker-1", "choria", "198.18.0.3", "local", Map.of("app", "nats"));

    @Test
    void expandsDefinedVariablesKeepsUndefinedOnesAndUnescapesDoubleDollar() {
        Map<String, String> env = Map.of("POD_NAME", "broker-1");
        assertEquals("site-broker-1", PodSpecs.expand("site-$(POD_NAME)", env));
        assertEquals("$(NOPE) and $(POD_NAME)", PodSpecs.expand("$(NOPE) and $$(POD_NAME)", env));
        assertEquals("$(cat /x)", PodSpecs.expand("$(cat /x)", env)); // a shell command substitution is not a variable
    }

    @Test
    void environmentResolvesFieldRefsEarlierVariablesAndSecretKeys() {
        Container c = new ContainerBuilder().withName("nats")
                .addNewEnv().withName("POD_NAME").withNewValueFrom().withNewFieldRef().withFieldPath("metadata.name").endFieldRef().endValueFrom().endEnv()
                .addNewEnv().withName("SERVER_NAME").withValue("east-$(POD_NAME)").endEnv()
                .addNewEnv().withName("IP").withNewValueFrom().withNewFieldRef().withFieldPath("status.podIP").endFieldRef().endValueFrom().endEnv()
                .addNewEnv().withName("PW").withNewValueFrom().withNewSecretKeyRef("pw", "routes", false).endValueFrom().endEnv()
                .build();
        Secret s = new SecretBuilder().addToData("pw", b64("s3cret")).build();
        Map<String, String> env = PodSpecs.environment(c, POD, (ns, n) -> null, (ns, n) -> "routes".equals(n) ? s : null);
        assertEquals(Map.of("POD_NAME", "broker-1", "SERVER_NAME", "east-broker-1", "IP", "198.18.0.3", "PW", "s3cret"), env);
    }

    @Test
    void aMissingSecretKeyKeepsThePodFromStarting() {
        Container c = new ContainerBuilder().withName("nats")
                .addNewEnv().withName("PW").withNewValueFrom().withNewSecretKeyRef("pw", "routes", false).endValueFrom().endEnv().build();
        assertThrows(IllegalStateException.class, () -> PodSpecs.environment(c, POD, (ns, n) -> null, (ns, n) -> null));
    }

    @Test
    void commandIsTheImageEntrypointPlusArgsWhenTheContainerGivesNone() {
        Container nats = new ContainerBuilder().withName("nats").withImage("docker.io/library/nats:2.10.24-alpine")
                .withArgs("--config", "/etc/nats/config/nats.conf", "--name", "$(POD_NAME)").build();
        assertEquals(List.of("nats-server", "--config", "/etc/nats/config/nats.conf", "--name", "broker-1"),
                PodSpecs.commandLine(nats, Map.of("POD_NAME", "broker-1")));
        Container unknown = new ContainerBuilder().withName("x").withImage("registry.example/app:1").build();
        assertThrows(IllegalStateException.class, () -> PodSpecs.commandLine(unknown, Map.of()));
        assertEquals("nats", PodSpecs.repository("nats@sha256:abc"));
        assertEquals("natsio/prometheus-nats-exporter", PodSpecs.repository("natsio/prometheus-nats-exporter:0.15.0"));
    }

    @Test
    void volumeFilesFollowItemsAndModes() {
        ConfigMap cm = new ConfigMapBuilder().addToData("nats.conf", "port: 4222").addToData("other", "x").build();
        Volume all = new VolumeBuilder().withName("config").withNewConfigMap().withName("cfg").endConfigMap().build();
        List<PodSpecs.VolumeFile> files = PodSpecs.volumeFiles(all, (ns, n) -> cm, (ns, n) -> null, "choria");
        assertEquals(2, files.size());
        assertEquals(0644, files.get(0).mode());
        Secret s = new SecretBuilder().addToData("tls.key", b64("KEY")).build();
        Volume picked = new VolumeBuilder().withName("tls").withNewSecret().withSecretName("tls").withDefaultMode(0440)
                .addNewItem().withKey("tls.key").withPath("keys/server.key").endItem().endSecret().build();
        List<PodSpecs.VolumeFile> one = PodSpecs.volumeFiles(picked, (ns, n) -> null, (ns, n) -> s, "choria");
        assertEquals(1, one.size());
        assertEquals("keys/server.key", one.get(0).path());
        assertEquals(0440, one.get(0).mode());
        assertArrayEquals("KEY".getBytes(StandardCharsets.UTF_8), one.get(0).content());
        assertThrows(IllegalStateException.class, () -> PodSpecs.volumeFiles(all, (ns, n) -> null, (ns, n) -> null, "choria"));
        assertEquals(null, PodSpecs.volumeFiles(new VolumeBuilder().withName("run").withNewEmptyDir().endEmptyDir().build(),
                (ns, n) -> null, (ns, n) -> null, "choria"));
    }

    @Test
    void namedPortsResolveThroughTheContainers() {
        Container c = new ContainerBuilder().addNewPort().withName("monitor").withContainerPort(8222).endPort().build();
        assertEquals(8222, PodSpecs.port(new IntOrString("monitor"), List.of(c)));
        assertEquals(4222, PodSpecs.port(new IntOrString(4222), List.of(c)));
        assertThrows(IllegalStateException.class, () -> PodSpecs.port(new IntOrString("nope"), List.of(c)));
    }

    private static String b64(String s) {
        return Base64.getEncoder().encodeToString(s.getBytes(StandardCharsets.UTF_8));
    }
}
