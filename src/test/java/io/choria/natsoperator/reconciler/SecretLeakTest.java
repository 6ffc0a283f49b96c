package io.choria.natsoperator.reconciler;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.choria.natsoperator.api.NatsCluster;
import io.choria.natsoperator.api.SecretKeyReference;
import io.choria.natsoperator.model.BrokerSecrets;
import io.choria.natsoperator.testing.Await;
import io.choria.natsoperator.testing.Examples;
import io.choria.natsoperator.testing.MockCluster;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Runs clusters through creation, scaling, a bad CA and a missing password Secret, then scans
 * every object the operator wrote that is not a Secret (ConfigMaps, Services, StatefulSets,
 * PDBs, NetworkPolicies, Events, the NatsCluster's status) and everything it logged, for the
 * route passwords and the private keys, in clear, URL-encoded and base64.
 */
class SecretLeakTest {
    static final String USER_PASSWORD = "Route-Pa55word-Of-The-User";

    @Test
    void noSecretOutsideSecrets() {
        PrintStream realErr = System.err;
        PrintStream realOut = System.out;
        ByteArrayOutputStream logs = new ByteArrayOutputStream();
        PrintStream tee = new PrintStream(logs, true, StandardCharsets.UTF_8);
        List<String> secrets = new ArrayList<>();
        String ns = "leak";
        try (MockCluster cluster = new MockCluster()) {
            System.setErr(tee);
            System.setOut(tee);
            cluster.startOperator(Duration.ofMillis(300));
            KubernetesClient client = cluster.client;
            Examples.createPuppetCa(client, ns);
            client.resource(new SecretBuilder().withNewMetadata().withName("user-pw").withNamespace(ns).endMetadata()
                    .addToStringData("password", USER_PASSWORD).build()).create();
            NatsCluster generated = cluster("gen", ns, null);
            generated.getSpec().getNetworkPolicy().setEnabled(true);
            client.resource(generated).create();
            client.resource(cluster("usr", ns, new SecretKeyReference("user-pw", "password"))).create();
            Await.present("gen tls", () -> client.secrets().inNamespace(ns).withName("gen-tls").get());
            Await.present("usr tls", () -> client.secrets().inNamespace(ns).withName("usr-tls").get());
            // the operator writes status meanwhile: retry on a conflict, as kubectl would
            Await.retryingConflicts("edited", () -> client.resources(NatsCluster.class).inNamespace(ns).withName("gen").edit(n -> {
                n.getSpec().setSize(5);
                return n;
            }));
            Await.until("scaled", Duration.ofSeconds(20), () -> client.apps().statefulSets().inNamespace(ns).withName("gen").get(),
                    s -> s.getSpec().getReplicas() == 5);
            // problems that put names of Secrets into messages
            Await.retryingConflicts("edited", () -> client.resources(NatsCluster.class).inNamespace(ns).withName("usr").edit(n -> {
                n.getSpec().getRoutes().setPasswordSecretRef(new SecretKeyReference("user-pw", "nokey"));
                return n;
            }));
            Await.until("problem reported", Duration.ofSeconds(20),
                    () -> client.resources(NatsCluster.class).inNamespace(ns).withName("usr").get().getStatus().getPhase(),
                    "RoutePasswordKeyMissing"::equals);
            // two more whole reconciles of each cluster (status, events and logs written again) before the scan
            for (String name : List.of("gen", "usr")) {
                cluster.awaitReconciles(client.resources(NatsCluster.class).inNamespace(ns).withName(name).get(), 2);
            }

            secrets.add(USER_PASSWORD);
            secrets.add(BrokerSecrets.decode(client.secrets().inNamespace(ns).withName("gen-routes").get(), "password"));
            for (String tls : List.of("gen-tls", "usr-tls")) secrets.add(keyBody(BrokerSecrets.decode(client.secrets().inNamespace(ns).withName(tls).get(), "tls.key")));
            secrets.add(keyBody(Examples.PUPPET_CA.pkcs8KeyPem()));

            List<HasMetadata> visible = new ArrayList<>();
            visible.addAll(client.configMaps().inNamespace(ns).list().getItems());
            visible.addAll(client.services().inNamespace(ns).list().getItems());
            visible.addAll(client.apps().statefulSets().inNamespace(ns).list().getItems());
            visible.addAll(client.policy().v1().podDisruptionBudget().inNamespace(ns).list().getItems());
            visible.addAll(client.network().v1().networkPolicies().inNamespace(ns).list().getItems());
            visible.addAll(client.v1().events().inNamespace(ns).list().getItems());
            visible.addAll(client.resources(NatsCluster.class).inNamespace(ns).list().getItems());
            assertTrue(visible.size() > 12, "the scan sees the objects: " + visible.size());
            String everything = new KubernetesSerialization().asJson(visible);
            String logged = logs.toString(StandardCharsets.UTF_8);
            assertTrue(logged.contains("CREATED StatefulSet leak/gen"), "the logs were captured");
            for (String secret : secrets) {
                for (String form : forms(secret)) {
                    assertFalse(everything.contains(form), "a secret in an object that is not a Secret");
                    assertFalse(logged.contains(form), "a secret in the operator's log");
                }
            }
        } finally {
            System.setErr(realErr);
            System.setOut(realOut);
        }
    }

    static NatsCluster cluster(String name, String ns, SecretKeyReference password) {
        NatsCluster nc = Examples.toApply(Examples.THREE_BROKERS, ns, name);
        nc.getSpec().getRoutes().setPasswordSecretRef(password);
        return nc;
    }

    /** The base64 body of a PEM key, without armour or line breaks: the part that must not leak. */
    static String keyBody(String pem) {
        return pem.replaceAll("-----[A-Z ]+-----", "").replaceAll("\\s", "");
    }

    static List<String> forms(String secret) {
        List<String> forms = new ArrayList<>(List.of(secret, URLEncoder.encode(secret, StandardCharsets.UTF_8),
                Base64.getEncoder().encodeToString(secret.getBytes(StandardCharsets.UTF_8))));
        if (secret.length() > 64) forms.add(secret.substring(0, 64)); // a line of a PEM key
        return forms;
    }
}
