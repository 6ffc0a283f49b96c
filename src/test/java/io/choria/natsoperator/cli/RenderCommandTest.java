package io.choria.natsoperator.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.choria.natsoperator.testing.Examples;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RenderCommandTest {
    static final io.choria.natsoperator.pki.TestCa CA = io.choria.natsoperator.pki.TestCa.ecRoot("Puppet CA: test");

    @TempDir
    Path dir;

    /** The CA Secret the examples name, as a user would have it in a file. */
    Path caSecret(String certPem, String keyPem) throws Exception {
        Path f = dir.resolve("puppet-ca.yaml");
        Files.writeString(f, "apiVersion: v1\nkind: Secret\nmetadata: {name: puppet-ca, namespace: choria}\ndata:\n"
                + "  ca_crt.pem: " + b64(certPem) + "\n  ca_key.pem: " + b64(keyPem) + "\n");
        return f;
    }

    static String b64(String s) {
        return java.util.Base64.getEncoder().encodeToString(s.getBytes(StandardCharsets.UTF_8));
    }

    Path goodCa() throws Exception {
        return caSecret(CA.certPem(), CA.pkcs8KeyPem());
    }

    static RenderCommandAccess.Result render(String... args) {
        return RenderCommandAccess.render(args);
    }

    static List<HasMetadata> parse(String yaml) {
        return new KubernetesSerialization().unmarshal(yaml);
    }

    @Test
    void rendersTheThreeBrokerExample() throws Exception {
        RenderCommandAccess.Result r = render("-f", Examples.THREE_BROKERS.toString(), "-f", goodCa().toString());
        assertEquals(0, r.exit(), r.err());
        List<HasMetadata> objects = parse(r.out());
        List<String> kinds = objects.stream().map(o -> o.getKind() + "/" + o.getMetadata().getName()).toList();
        assertEquals(List.of("Secret/broker-routes", "ConfigMap/broker-config", "Secret/broker-routes-config", "Secret/broker-tls",
                "Service/broker-headless", "Service/broker", "PodDisruptionBudget/broker", "NetworkPolicy/broker", "StatefulSet/broker"), kinds);
        StatefulSet sts = (StatefulSet) objects.get(8);
        Secret tls = (Secret) objects.get(3);
        assertEquals("REDACTED", tls.getStringData().get("tls.key"));
        assertTrue(tls.getStringData().get("tls.crt").startsWith("-----BEGIN CERTIFICATE-----"));
        assertEquals(3, sts.getSpec().getReplicas());
        Secret routes = (Secret) objects.get(2);
        String conf = routes.getStringData().get("routes.conf");
        assertEquals(3, conf.split("nats-route://route:REDACTED@", -1).length - 1, conf);
        assertTrue(((ConfigMap) objects.get(1)).getData().get("nats.conf").contains("port: 4223"));
    }

    /** render takes the installer's flags that run takes, so it shows what that operator would apply. */
    @Test
    void installerFlagsAsRunTakesThem() throws Exception {
        RenderCommandAccess.Result r = render("-f", Examples.THREE_BROKERS.toString(), "-f", goodCa().toString(),
                "--sysctl-image", "registry.example/busybox:1.36.1", "--operator-namespace", "platform",
                "--operator-pod-labels", "app.kubernetes.io/name=nats-operator,app.kubernetes.io/instance=natsop");
        assertEquals(0, r.exit(), r.err());
        List<HasMetadata> objects = parse(r.out());
        StatefulSet sts = objects.stream().filter(StatefulSet.class::isInstance).map(StatefulSet.class::cast).findFirst().orElseThrow();
        assertEquals("registry.example/busybox:1.36.1", sts.getSpec().getTemplate().getSpec().getInitContainers().get(0).getImage());
        var np = objects.stream().filter(io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy.class::isInstance)
                .map(io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy.class::cast).findFirst().orElseThrow();
        var operator = np.getSpec().getIngress().get(2).getFrom().get(0);
        assertEquals(Map.of("kubernetes.io/metadata.name", "platform"), operator.getNamespaceSelector().getMatchLabels());
        assertEquals("natsop", operator.getPodSelector().getMatchLabels().get("app.kubernetes.io/instance"));

        RenderCommandAccess.Result off = render("-f", Examples.THREE_BROKERS.toString(), "-f", goodCa().toString(),
                "--allow-privileged-sysctls=false");
        assertEquals(0, off.exit(), off.err());
        StatefulSet without = parse(off.out()).stream().filter(StatefulSet.class::isInstance).map(StatefulSet.class::cast).findFirst().orElseThrow();
        assertTrue(without.getSpec().getTemplate().getSpec().getInitContainers().isEmpty());

        RenderCommandAccess.Result bad = render("-f", Examples.THREE_BROKERS.toString(), "--sysctl-image", "busybox\nx");
        assertEquals(2, bad.exit());
        assertTrue(bad.err().contains("sysctl image"), bad.err());
    }

    @Test
    void secretsAreRedactedUnlessAsked() throws Exception {
        RenderCommandAccess.Result hidden = render("-f", Examples.ONE_BROKER.toString(), "-f", goodCa().toString());
        RenderCommandAccess.Result shown = render("-f", Examples.ONE_BROKER.toString(), "-f", goodCa().toString(), "--reveal-secrets");
        Secret generated = (Secret) parse(shown.out()).get(0);
        String password = new String(java.util.Base64.getDecoder().decode(generated.getData().get("password")), StandardCharsets.UTF_8);
        assertEquals(32, password.length());
        assertTrue(hidden.out().contains("password: \"REDACTED\""), hidden.out());
        assertFalse(hidden.out().contains(generated.getData().get("password")));
        assertFalse(hidden.out().contains("PRIVATE KEY"), "no private key unless asked");
        assertTrue(shown.out().contains(b64(CA.certPem()).substring(0, 20)) || shown.out().contains("ca.crt"));
    }

    @Test
    void userSecretFromTheFiles() throws Exception {
        Path f = dir.resolve("nc.yaml");
        Files.writeString(f, """
                apiVersion: v1
                kind: Secret
                metadata: {name: pw, namespace: choria}
                stringData: {password: "given-pass/word"}
                ---
                apiVersion: choria.io/v1alpha1
                kind: NatsCluster
                metadata: {name: b, namespace: choria}
                spec:
                  size: 1
                  insecurePlaintext: true
                  routes: {passwordSecretRef: {name: pw}}
                """);
        RenderCommandAccess.Result r = render("-f", f.toString(), "--reveal-secrets");
        assertEquals(0, r.exit(), r.err());
        assertTrue(r.out().contains("Secret"));
        assertFalse(parse(r.out()).stream().anyMatch(o -> o.getMetadata().getName().equals("b-routes")), "nothing generated");
        RenderCommandAccess.Result hidden = render("-f", f.toString());
        assertEquals(0, hidden.exit(), hidden.err());
        assertTrue(hidden.out().contains("nats-route://route:REDACTED@b-0"), hidden.out());
        assertFalse(hidden.out().contains("given"), "the password, plain or URL-encoded, is redacted");
    }

    @Test
    void theGeneratedPasswordGivenBackIsKept() throws Exception {
        Path f = dir.resolve("again.yaml");
        Files.writeString(f, """
                apiVersion: v1
                kind: Secret
                metadata: {name: b-routes, namespace: choria}
                stringData: {password: "kept-from-last-time"}
                ---
                apiVersion: choria.io/v1alpha1
                kind: NatsCluster
                metadata: {name: b, namespace: choria}
                spec:
                  size: 1
                  insecurePlaintext: true
                """);
        RenderCommandAccess.Result r = render("-f", f.toString(), "--reveal-secrets");
        assertEquals(0, r.exit(), r.err());
        var routes = parse(r.out()).stream().filter(o -> o.getMetadata().getName().equals("b-routes-config")).findFirst().orElseThrow();
        String conf = io.choria.natsoperator.model.BrokerSecrets.decode((io.fabric8.kubernetes.api.model.Secret) routes, "routes.conf");
        assertTrue(conf.contains("nats-route://route:kept-from-last-time@b-0"), "the routes use the password given: " + conf);
    }

    /** As the operator does: a natsClusterRef dials the referenced NatsCluster's own gateway port, and a missing one is refused. */
    @Test
    void aGatewayReferenceIsResolvedFromTheFiles() throws Exception {
        Path east = dir.resolve("east.yaml"), west = dir.resolve("west.yaml");
        Files.writeString(east, """
                apiVersion: choria.io/v1alpha1
                kind: NatsCluster
                metadata: {name: broker, namespace: east}
                spec:
                  size: 1
                  insecurePlaintext: true
                  clusterName: east
                  gateway: {remotes: [{name: west, natsClusterRef: {name: broker, namespace: west}}]}
                """);
        Files.writeString(west, """
                apiVersion: choria.io/v1alpha1
                kind: NatsCluster
                metadata: {name: broker, namespace: west}
                spec:
                  size: 1
                  insecurePlaintext: true
                  clusterName: west
                  gateway: {port: 7333, remotes: [{name: east, natsClusterRef: {name: broker, namespace: east}}]}
                """);
        RenderCommandAccess.Result r = render("-f", east.toString(), "-f", west.toString());
        assertEquals(0, r.exit(), r.err());
        String eastConf = parse(r.out()).stream().filter(o -> o instanceof ConfigMap && o.getMetadata().getNamespace().equals("east"))
                .map(o -> ((ConfigMap) o).getData().get("nats.conf")).findFirst().orElseThrow();
        assertTrue(eastConf.contains("{name: \"west\", urls: [\"nats://broker-gateway.west.svc.cluster.local:7333\"]}"), eastConf);

        RenderCommandAccess.Result alone = render("-f", east.toString());
        assertEquals(1, alone.exit(), alone.out());
        assertEquals("nats-operator render: NatsCluster east/broker: GatewayRemoteNotFound: spec.gateway.remotes[0].natsClusterRef: "
                + "no NatsCluster west/broker (pass the referenced NatsCluster with -f)", alone.err().strip());
    }

    /** The certificate the operator holds, given back, is the one rendered (as the operator keeps it), not a fresh one. */
    @Test
    void theHeldCertificateGivenBackIsKept() throws Exception {
        RenderCommandAccess.Result first = render("-f", Examples.ONE_BROKER.toString(), "-f", goodCa().toString(), "--reveal-secrets");
        assertEquals(0, first.exit(), first.err());
        Secret held = parse(first.out()).stream().filter(o -> o.getMetadata().getName().equals("broker-single-tls")).map(Secret.class::cast)
                .findFirst().orElseThrow();
        Path heldFile = dir.resolve("held.yaml");
        Files.writeString(heldFile, new KubernetesSerialization().asYaml(held));
        RenderCommandAccess.Result again = render("-f", Examples.ONE_BROKER.toString(), "-f", goodCa().toString(), "-f", heldFile.toString(),
                "--reveal-secrets");
        assertEquals(0, again.exit(), again.err());
        Secret kept = parse(again.out()).stream().filter(o -> o.getMetadata().getName().equals("broker-single-tls")).map(Secret.class::cast)
                .findFirst().orElseThrow();
        assertEquals(held.getData(), kept.getData());
    }

    @Test
    void badCaIsOneLineAndNonZero() throws Exception {
        Path mismatch = caSecret(CA.certPem(), io.choria.natsoperator.pki.TestCa.ecRoot("other").pkcs8KeyPem());
        RenderCommandAccess.Result r = render("-f", Examples.ONE_BROKER.toString(), "-f", mismatch.toString());
        assertEquals(1, r.exit(), r.err());
        assertTrue(r.err().contains("CaKeyMismatch"), r.err());
        assertEquals(1, r.err().strip().lines().count(), r.err());
        RenderCommandAccess.Result missing = render("-f", Examples.ONE_BROKER.toString());
        assertEquals(1, missing.exit());
        assertTrue(missing.err().contains("CaSecretNotFound") && missing.err().contains("puppet-ca"), missing.err());
    }

    @Test
    void badInputIsOneLineAndNonZero() throws Exception {
        assertBad("spec:\n  size: 0\n", "spec.size must be at least 1 (got 0)");
        Path plaintext = dir.resolve("plaintext.yaml");
        Files.writeString(plaintext, "apiVersion: choria.io/v1alpha1\nkind: NatsCluster\nmetadata: {name: b}\nspec: {size: 1}\n");
        RenderCommandAccess.Result refused = render("-f", plaintext.toString());
        assertEquals(1, refused.exit(), refused.out());
        assertTrue(refused.err().contains("PlaintextNotAllowed: spec.tls is not set") && refused.err().contains("spec.insecurePlaintext: true"),
                refused.err());
        assertBad("spec:\n  routes: {passwordSecretRef: {name: missing}}\n", "RoutePasswordSecretNotFound");
        assertBad("spec:\n  ports: {client: 4222, cluster: 4222}\n", "spec.ports.cluster (4222) is used by another port");
        assertBad("spec:\n  size: [\n", "not valid YAML");
        assertBad("spec:\n  ports: {client: 443}\n", "spec.ports.client must be 1024-65535 (got 443)");
        assertBad("spec:\n  limits: {lameDuckDuration: 24h, maxConnections: 0}\n",
                "spec.limits.lameDuckDuration must be at most 1h (got 24h); spec.limits.maxConnections must be 1-1048576 (got 0)");
        assertBad("spec:\n  image: \"nats:2.10\\nevil: true\"\n", "spec.image 'nats:2.10\\x0aevil: true' must not hold whitespace");
        assertBad("spec:\n  service: {annotations: {lb: \"a\\nb\"}}\n", "spec.service.annotations['lb'] must not hold control characters");
        Path longName = dir.resolve("long.yaml");
        Files.writeString(longName, "apiVersion: choria.io/v1alpha1\nkind: NatsCluster\nmetadata: {name: " + "b".repeat(53) + "}\n");
        RenderCommandAccess.Result tooLong = render("-f", longName.toString());
        assertEquals(1, tooLong.exit());
        assertTrue(tooLong.err().contains("is 53 characters; at most 52"), tooLong.err());
        Path other = dir.resolve("other.yaml");
        Files.writeString(other, "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n");
        RenderCommandAccess.Result r = render("-f", other.toString());
        assertEquals(1, r.exit());
        assertTrue(r.err().contains("unknown kind 'ConfigMap'"), r.err());
        RenderCommandAccess.Result missing = render("-f", dir.resolve("nope.yaml").toString());
        assertEquals(1, missing.exit());
        assertTrue(missing.err().contains("no such file"), missing.err());
        assertEquals(2, render().exit(), "no -f");
    }

    private void assertBad(String spec, String expected) throws Exception {
        Path f = dir.resolve("bad.yaml");
        // plaintext opted in, so each case shows its own problem
        Files.writeString(f, "apiVersion: choria.io/v1alpha1\nkind: NatsCluster\nmetadata: {name: b}\n"
                + spec.replaceFirst("^spec:\n", "spec:\n  insecurePlaintext: true\n"));
        RenderCommandAccess.Result r = render("-f", f.toString());
        assertEquals(1, r.exit(), r.out());
        assertTrue(r.err().contains(expected), r.err());
        assertEquals(1, r.err().strip().lines().count(), "one line: " + r.err());
        assertEquals("", r.out());
    }

    /** Default output names its owner without a uid (for review); --no-owner-references leaves them out so it can be applied. */
    @Test
    void ownerReferencesCanBeLeftOut() throws Exception {
        RenderCommandAccess.Result review = render("-f", Examples.THREE_BROKERS.toString(), "-f", goodCa().toString());
        assertEquals(0, review.exit(), review.err());
        assertTrue(parse(review.out()).stream().allMatch(o -> o.getMetadata().getOwnerReferences().size() == 1));
        RenderCommandAccess.Result applicable = render("-f", Examples.THREE_BROKERS.toString(), "-f", goodCa().toString(),
                "--no-owner-references");
        assertEquals(0, applicable.exit(), applicable.err());
        List<HasMetadata> objects = parse(applicable.out());
        assertEquals(9, objects.size(), objects.stream().map(o -> o.getKind() + " " + o.getMetadata().getName()).toList().toString());
        for (HasMetadata o : objects) {
            var refs = o.getMetadata().getOwnerReferences();
            assertTrue(refs == null || refs.isEmpty(), o.getKind() + " " + refs);
        }
        assertFalse(applicable.out().contains("ownerReferences"), applicable.out());
        RenderCommandAccess.Result help = render("--help");
        assertEquals(0, help.exit());
        assertTrue(help.out().contains("--no-owner-references") && help.out().contains("for review"), help.out());
    }

    /** With monitoring on, render shows the exporter sidecar, its NetworkPolicy rule and the PodMonitor; off (above), none of them. */
    @Test
    void monitoringShowsTheSidecarAndThePodMonitor() throws Exception {
        String spec = Files.readString(Examples.THREE_BROKERS).replace("  service:\n    type: ClusterIP\n",
                "  service:\n    type: ClusterIP\n  monitoring:\n    exporter: {enabled: true}\n    podMonitor: {enabled: true, labels: {release: prom}}\n");
        assertTrue(spec.contains("monitoring:"), spec);
        Path f = dir.resolve("monitored.yaml");
        Files.writeString(f, spec);
        RenderCommandAccess.Result r = render("-f", f.toString(), "-f", goodCa().toString(), "--metrics-namespaces", "monitoring");
        assertEquals(0, r.exit(), r.err());
        List<HasMetadata> objects = parse(r.out());
        StatefulSet sts = objects.stream().filter(StatefulSet.class::isInstance).map(StatefulSet.class::cast).findFirst().orElseThrow();
        assertEquals(List.of("nats", "reloader", "exporter"), sts.getSpec().getTemplate().getSpec().getContainers().stream().map(c -> c.getName()).toList());
        HasMetadata pm = objects.get(objects.size() - 1);
        assertEquals("PodMonitor", pm.getKind());
        assertTrue(r.out().contains("release: \"prom\"") && r.out().contains("port: \"metrics\""), r.out());
        assertTrue(r.out().contains("- \"monitoring\"\n") && r.out().contains("port: 7777"), "the exporter port, from the named namespace");
        RenderCommandAccess.Result off = render("-f", Examples.THREE_BROKERS.toString(), "-f", goodCa().toString());
        assertFalse(off.out().contains("PodMonitor") || off.out().contains("exporter") || off.out().contains("7777"), off.out());
    }

    /**
     * Passwords holding {@code "} or {@code \} stand escaped in routes.conf ({@code password: "a\"b"}): no form of
     * them may reach the output, whether the password is the user's or the generated one given back.
     */
    @Test
    void redactionCoversQuotesAndBackslashes() throws Exception {
        List<String> passwords = List.of("Qx\"zz9quote", "Bk\\zz9slash", "Mx\\\"zz9\"\\both", "\"\"zz9only\\\\");
        int n = 0;
        for (String password : passwords) {
            for (String secretName : List.of("pw", "b-routes")) {
                Path f = dir.resolve("leak-" + n++ + ".yaml");
                String ref = secretName.equals("pw") ? "  routes: {passwordSecretRef: {name: pw}}\n" : "";
                Files.writeString(f, "apiVersion: v1\nkind: Secret\nmetadata: {name: " + secretName + ", namespace: choria}\n"
                        + "data: {password: " + b64(password) + "}\n---\n"
                        + "apiVersion: choria.io/v1alpha1\nkind: NatsCluster\nmetadata: {name: b, namespace: choria}\n"
                        + "spec:\n  size: 3\n  insecurePlaintext: true\n" + ref);
                RenderCommandAccess.Result shown = render("-f", f.toString(), "--reveal-secrets");
                assertEquals(0, shown.exit(), shown.err());
                var routes = (Secret) parse(shown.out()).stream().filter(o -> o.getMetadata().getName().equals("b-routes-config"))
                        .findFirst().orElseThrow();
                assertTrue(io.choria.natsoperator.model.BrokerSecrets.decode(routes, "routes.conf")
                        .contains("password: \"" + io.choria.natsoperator.model.NatsConfig.escaped(password) + "\""), "the escaped form is there to leak");
                RenderCommandAccess.Result hidden = render("-f", f.toString());
                assertEquals(0, hidden.exit(), hidden.err());
                String all = hidden.out() + hidden.err();
                String escaped = io.choria.natsoperator.model.NatsConfig.escaped(password);
                for (String form : List.of(password, escaped, escaped.replace("\\", "\\\\").replace("\"", "\\\""),
                        io.choria.natsoperator.model.NatsConfig.urlEncoded(password), password.replace("'", "''"), b64(password),
                        b64(password).replace("=", ""))) {
                    assertFalse(all.contains(form), secretName + ": '" + form + "' leaked in\n" + all);
                }
                assertFalse(all.contains("zz9"), secretName + ": part of the password leaked in\n" + all);
                assertTrue(hidden.out().contains("password: \"REDACTED\""), hidden.out());
            }
        }
    }

    /**
     * 10 MB inputs: a document larger than any Kubernetes object is refused before parsing, naming it; 10 MB of
     * ordinary documents renders. Only that both complete: the time is in docs/BENCHMARKS.md, not asserted here.
     */
    @Test
    void tenMegabyteInputsComplete() throws Exception {
        String nc = "apiVersion: choria.io/v1alpha1\nkind: NatsCluster\nmetadata: {name: b, namespace: choria}\n"
                + "spec:\n  size: 3\n  insecurePlaintext: true\n";
        Path huge = dir.resolve("huge.yaml");
        Files.writeString(huge, nc + "---\n# the second document\n" + nc.replace("spec:\n", "spec:\n  pod: {annotations: {big: \"" + "a".repeat(10 << 20) + "\"}}\n"));
        RenderCommandAccess.Result refused = render("-f", huge.toString());
        assertEquals(1, refused.exit(), refused.err());
        assertTrue(refused.err().contains("huge.yaml (document 2): more than 3 MiB"), refused.err());

        Path many = dir.resolve("many.yaml");
        StringBuilder sb = new StringBuilder(nc);
        String value = b64("x".repeat(300));
        for (int i = 0; sb.length() < 10 << 20; i++) {
            sb.append("---\napiVersion: v1\nkind: Secret\nmetadata: {name: s").append(i).append(", namespace: choria}\ndata: {password: ")
                    .append(value).append("}\n");
        }
        Files.writeString(many, sb);
        RenderCommandAccess.Result rendered = render("-f", many.toString());
        assertEquals(0, rendered.exit(), rendered.err());
    }
}
