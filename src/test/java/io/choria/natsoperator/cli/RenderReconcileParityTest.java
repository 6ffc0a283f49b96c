package io.choria.natsoperator.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.choria.natsoperator.api.GatewayRemote;
import io.choria.natsoperator.api.GatewaySpec;
import io.choria.natsoperator.api.LeafNodeRemote;
import io.choria.natsoperator.api.LeafNodesSpec;
import io.choria.natsoperator.api.NatsCluster;
import io.choria.natsoperator.api.NatsClusterReference;
import io.choria.natsoperator.api.SecretKeyReference;
import io.choria.natsoperator.api.TlsSpec;
import io.choria.natsoperator.inputs.BrokerCertificates;
import io.choria.natsoperator.model.BrokerSecrets;
import io.choria.natsoperator.model.InstallerSettings;
import io.choria.natsoperator.model.Labels;
import io.choria.natsoperator.model.Names;
import io.choria.natsoperator.model.NatsClusterModel;
import io.choria.natsoperator.model.Owned;
import io.choria.natsoperator.model.SpecDefaults;
import io.choria.natsoperator.pki.ServerCertificateRequest;
import io.choria.natsoperator.pki.TestCa;
import io.choria.natsoperator.pki.TrustBundle;
import io.choria.natsoperator.reconciler.MonitoringReconcileTest;
import io.choria.natsoperator.reconciler.OperatorSettings;
import io.choria.natsoperator.reconciler.dependent.Dependent;
import io.choria.natsoperator.reconciler.dependent.OwnedObjects;
import io.choria.natsoperator.testing.Await;
import io.choria.natsoperator.testing.Examples;
import io.choria.natsoperator.testing.MockCluster;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.LabelSelectorBuilder;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * render is the review tool: for every example and every feature combination, what it prints from files equals what
 * the operator writes on the mock API server from the same objects. Both are handed the same Secrets (the CA or the
 * Puppet-signed certificate the operator holds, the generated route password), so that nothing random stands between
 * them; only what the API server sets (uid, resourceVersion, ...) and the operator's apply bookkeeping (its hash
 * annotations) are left out. Puppet is not reachable (render does no network I/O; the operator's sync is refused), so
 * both show the fail-closed pinned lists.
 */
class RenderReconcileParityTest {
    static final String DOMAIN = Names.DEFAULT_CLUSTER_DOMAIN;
    static final TestCa CA = TestCa.ecRoot("Parity CA");
    static final TestCa PUPPET = TestCa.ecRoot("Parity Puppet CA");
    /** A Puppet CA that refuses at once: nothing listens on port 1 of loopback. */
    static final String UNREACHABLE_PUPPET = "https://127.0.0.1:1";
    static final List<String> METRICS_NAMESPACES = List.of("monitoring");
    static final KubernetesSerialization KUBE = new KubernetesSerialization();
    /** Arrays one element a line, so that a file's differing line stands alone. */
    static final com.fasterxml.jackson.databind.ObjectWriter PRETTY = new com.fasterxml.jackson.databind.ObjectMapper().writer(
            new com.fasterxml.jackson.core.util.DefaultPrettyPrinter().withArrayIndenter(com.fasterxml.jackson.core.util.DefaultIndenter.SYSTEM_LINEFEED_INSTANCE));

    /** One case: the objects a user applies (NatsClusters and their Secrets); its own namespaces. */
    record Case(String name, List<NatsCluster> clusters, List<Secret> secrets) {
        @Override
        public String toString() {
            return name;
        }
    }

    static MockCluster api;
    /** Per case: the Secrets the operator holds, as created on the mock server before it started. */
    static final Map<String, List<Secret>> held = new LinkedHashMap<>();
    static final List<Case> CASES = cases();

    @TempDir
    static Path dir;

    static Stream<Case> everyCase() {
        return CASES.stream();
    }

    static List<Case> cases() {
        List<Case> cases = new ArrayList<>();
        cases.add(new Case("example natscluster-1 (CA-key mode)", List.of(example(Examples.ONE_BROKER, "parity-one")), List.of(caSecret("parity-one"))));
        cases.add(new Case("example natscluster-3 (CA-key mode)", List.of(example(Examples.THREE_BROKERS, "parity-three")), List.of(caSecret("parity-three"))));
        NatsCluster enrolled = example(Path.of("examples/natscluster-puppet.yaml"), "parity-puppet");
        cases.add(new Case("example natscluster-puppet (enrolment, held certificate)", List.of(enrolled), puppetSecrets("parity-puppet")));
        cases.add(new Case("hub: gateway by URL, leaf nodes, monitoring, capacity, network policy, user route password",
                List.of(hub("parity-hub")), List.of(caSecret("parity-hub"), routePassword("parity-hub"))));
        // Site a names site b by reference; b listens on a gateway port other than the default, and enrols with Puppet.
        NatsCluster a = site("parity-site-a", "parity-site-b");
        NatsCluster b = site("parity-site-b", "parity-site-a");
        b.getSpec().getGateway().setPort(7333);
        b.getSpec().setTls(enrolled.getSpec().getTls());
        List<Secret> sitesSecrets = new ArrayList<>(List.of(caSecret("parity-site-a")));
        sitesSecrets.addAll(puppetSecrets("parity-site-b"));
        cases.add(new Case("gateways by natsClusterRef, one on port 7333", List.of(a, b), sitesSecrets));
        cases.add(new Case("plaintext edge: no TLS, leaf remote only, no network policy", List.of(plaintextEdge("parity-edge")),
                List.of(routePassword("parity-edge"))));
        // Streams (accounts in the routes Secret, claim templates, the system-account Secret) with leaf edges landing in
        // choria, enrolled with Puppet and a pinned list cut by certname pattern.
        NatsCluster streams = example(Path.of("examples/natscluster-puppet.yaml"), "parity-streams");
        streams.getSpec().getTls().getPuppet().setPinnedCertnames("\\.example\\.net$");
        io.choria.natsoperator.api.StreamsSpec st = new io.choria.natsoperator.api.StreamsSpec();
        st.getStorage().setSize("5Gi");
        st.getStorage().setStorageClassName("fast");
        st.getRetention().setEvents("12h");
        streams.getSpec().setStreams(st);
        LeafNodesSpec edges = new LeafNodesSpec();
        edges.setEdges(List.of("edge.example.net"));
        streams.getSpec().setLeafnodes(edges);
        cases.add(new Case("Streams with leaf edges, Puppet enrolment and pinnedCertnames", List.of(streams), puppetSecrets("parity-streams")));
        // spec.authorization: verify_and_map, the users' include, the role templates in the pinned list's manifest.
        NatsCluster authorized = example(Path.of("examples/natscluster-puppet-authorization.yaml"), "parity-authz");
        authorized.getSpec().getAuthorization().setCollectives(List.of("mcollective", "eu"));
        cases.add(new Case("example natscluster-puppet-authorization, two collectives", List.of(authorized), puppetSecrets("parity-authz")));
        // ...and with Choria Streams: the users in choria's account, the system account's nkey, the operator's user in the manifest.
        NatsCluster authorizedStreams = example(Path.of("examples/natscluster-puppet-authorization.yaml"), "parity-authz-streams");
        authorizedStreams.getSpec().setStreams(new io.choria.natsoperator.api.StreamsSpec());
        cases.add(new Case("authorization with Choria Streams", List.of(authorizedStreams), puppetSecrets("parity-authz-streams")));
        return cases;
    }

    static NatsCluster example(Path file, String namespace) {
        NatsCluster nc = Examples.toApply(file, namespace, null);
        if (nc.getSpec().getTls() != null && nc.getSpec().getTls().getPuppet() != null) nc.getSpec().getTls().getPuppet().setUrl(UNREACHABLE_PUPPET);
        return nc;
    }

    static NatsCluster hub(String ns) {
        NatsCluster nc = Examples.toApply(Examples.THREE_BROKERS, ns, "hub");
        nc.getSpec().setClusterName("hub-site");
        nc.getSpec().setServerNamePrefix("hub-");
        GatewaySpec gw = new GatewaySpec();
        gw.setAdvertise("gw.hub.example.net:7222");
        GatewayRemote far = new GatewayRemote();
        far.setName("far-site");
        far.setUrls(List.of("tls://gw.far.example.net:7222"));
        gw.setRemotes(List.of(far));
        nc.getSpec().setGateway(gw);
        LeafNodesSpec leaf = new LeafNodesSpec();
        leaf.setEdges(List.of("edge.example.net"));
        LeafNodeRemote up = new LeafNodeRemote();
        up.setUrls(List.of("tls://leaf.core.example.net:7422"));
        leaf.setRemotes(List.of(up));
        nc.getSpec().setLeafnodes(leaf);
        nc.getSpec().getMonitoring().getExporter().setEnabled(true);
        nc.getSpec().getMonitoring().getPodMonitor().setEnabled(true);
        nc.getSpec().setCapacity(new io.choria.natsoperator.api.CapacitySpec());
        nc.getSpec().getCapacity().setNodesPerBroker(3000);
        var np = nc.getSpec().getNetworkPolicy();
        np.setClientCIDRs(List.of("10.0.0.0/8"));
        np.setLeafnodeCIDRs(List.of("192.0.2.0/24"));
        np.setGatewayCIDRs(List.of("198.51.100.0/24"));
        np.setMonitorNamespaceSelector(new LabelSelectorBuilder().withMatchLabels(Map.of("team", "observability")).build());
        nc.getSpec().getRoutes().setPasswordSecretRef(new SecretKeyReference("routes-pw", "pw"));
        return nc;
    }

    static NatsCluster site(String ns, String otherNs) {
        NatsCluster nc = Examples.toApply(Examples.ONE_BROKER, ns, "broker");
        nc.getSpec().setClusterName(ns);
        GatewaySpec gw = new GatewaySpec();
        GatewayRemote r = new GatewayRemote();
        r.setName(otherNs);
        NatsClusterReference ref = new NatsClusterReference();
        ref.setName("broker");
        ref.setNamespace(otherNs);
        r.setNatsClusterRef(ref);
        gw.setRemotes(List.of(r));
        nc.getSpec().setGateway(gw);
        return nc;
    }

    static NatsCluster plaintextEdge(String ns) {
        NatsCluster nc = Examples.toApply(Examples.ONE_BROKER, ns, "edge");
        nc.getSpec().setTls(null);
        nc.getSpec().setInsecurePlaintext(true);
        nc.getSpec().getNetworkPolicy().setEnabled(false);
        LeafNodesSpec leaf = new LeafNodesSpec();
        leaf.setAccept(false);
        LeafNodeRemote up = new LeafNodeRemote();
        up.setUrls(List.of("nats://leaf.hub.example.net:7422"));
        leaf.setRemotes(List.of(up));
        nc.getSpec().setLeafnodes(leaf);
        nc.getSpec().getRoutes().setPasswordSecretRef(new SecretKeyReference("routes-pw", "pw"));
        return nc;
    }

    static Secret userSecret(String ns, String name, Map<String, String> values) {
        return new SecretBuilder().withNewMetadata().withName(name).withNamespace(ns).endMetadata().withData(b64(values)).build();
    }

    static Secret caSecret(String ns) {
        return userSecret(ns, "puppet-ca", Map.of("ca.crt", CA.certPem(), "ca.key", CA.pkcs8KeyPem()));
    }

    static List<Secret> puppetSecrets(String ns) {
        return List.of(userSecret(ns, "puppet-ca-bundle", Map.of("ca.crt", PUPPET.certPem())),
                userSecret(ns, "puppet-autosign", Map.of("password", "challenge-password")));
    }

    static Secret routePassword(String ns) {
        return userSecret(ns, "routes-pw", Map.of("pw", "a-user-chosen-route-password"));
    }

    static Map<String, String> b64(Map<String, String> values) {
        Map<String, String> data = new TreeMap<>();
        values.forEach((k, v) -> data.put(k, Base64.getEncoder().encodeToString(v.getBytes(StandardCharsets.UTF_8))));
        return data;
    }

    /**
     * What the operator holds for a created NatsCluster: the generated route password (unless the spec names one) and
     * the broker certificate (issued by the CA, or signed by the Puppet CA for a key the operator made).
     */
    static List<Secret> heldFor(NatsCluster created) {
        NatsCluster nc = SpecDefaults.withDefaults(created);
        Names names = Names.of(nc, DOMAIN);
        List<Secret> out = new ArrayList<>();
        if (nc.getSpec().getRoutes().getPasswordSecretRef() == null) {
            out.add(BrokerSecrets.generatedRoutePassword(nc, names, "held-route-password-of-" + names.cluster()));
        }
        TlsSpec tls = nc.getSpec().getTls();
        if (tls == null) return out;
        String cert, key, ca;
        if (tls.getPuppet() != null) {
            String certname = names.cluster() + "." + names.namespace() + ".nats-0123abcd";
            List<String> sans = new ArrayList<>(NatsClusterModel.certificateDnsNames(nc, DOMAIN));
            sans.add(certname);
            var issued = PUPPET.load().issue(new ServerCertificateRequest(certname, sans, tls.getKeyAlgorithm(), 90), Instant.now());
            cert = issued.certificateChainPem();
            key = issued.privateKeyPem();
            try {
                ca = TrustBundle.parse(PUPPET.certPem()).pem();
            } catch (io.choria.natsoperator.pki.PkiException e) {
                throw new IllegalStateException(e);
            }
        } else {
            // The certificate the operator issued earlier: the CA Secret's, with the names the spec asks for.
            var files = BrokerCertificates.plan(nc, caSecret(names.namespace()), null, DOMAIN, Instant.now()).files();
            cert = files.certificateChainPem();
            key = files.privateKeyPem();
            ca = files.caBundlePem();
        }
        out.add(new SecretBuilder().withMetadata(Owned.meta(nc, names.tlsSecret(), "tls")).withType("kubernetes.io/tls")
                .withData(b64(Map.of("tls.crt", cert, "tls.key", key, "ca.crt", ca))).build());
        return out;
    }

    @BeforeAll
    static void reconcileEveryCase() {
        api = new MockCluster();
        api.client.apiextensions().v1().customResourceDefinitions().resource(MonitoringReconcileTest.podMonitorCrd()).create();
        List<NatsCluster> created = new ArrayList<>();
        for (Case c : CASES) {
            for (Secret s : c.secrets()) api.client.resource(s).create();
            List<Secret> h = new ArrayList<>();
            for (NatsCluster nc : c.clusters()) {
                NatsCluster live = api.client.resource(nc).create();
                created.add(live);
                for (Secret s : heldFor(live)) h.add(api.client.resource(s).create());
            }
            held.put(c.name(), h);
        }
        InstallerSettings installer = new InstallerSettings(InstallerSettings.DEFAULT_SYSCTL_IMAGE, true,
                InstallerSettings.DEFAULT_OPERATOR_NAMESPACE, InstallerSettings.DEFAULT_OPERATOR_POD_LABELS, METRICS_NAMESPACES);
        api.startOperator(new OperatorSettings(DOMAIN, Set.of(), Duration.ofSeconds(1), null, installer), Clock.systemUTC());
        for (NatsCluster nc : created) {
            Await.until(id(nc) + " reconciled", Duration.ofSeconds(60), () -> api.client.resource(nc).get(),
                    live -> live.getStatus() != null && live.getStatus().getObservedGeneration() != null
                            && api.client.apps().statefulSets().inNamespace(nc.getMetadata().getNamespace()).withName(nc.getMetadata().getName()).get() != null);
        }
        // One more whole reconcile each: what a second look changes (a list read back) would show up here.
        for (NatsCluster nc : created) api.awaitNextReconcile(nc);
    }

    @AfterAll
    static void stop() {
        if (api != null) api.close();
    }

    static String id(HasMetadata o) {
        return o.getKind() + " " + o.getMetadata().getNamespace() + "/" + o.getMetadata().getName();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("everyCase")
    void renderPrintsWhatTheOperatorWrites(Case c) throws Exception {
        List<String> args = new ArrayList<>();
        int i = 0;
        List<HasMetadata> files = new ArrayList<>(c.clusters());
        files.addAll(c.secrets());
        files.addAll(held.get(c.name()));
        for (HasMetadata o : files) {
            Path f = dir.resolve(c.clusters().get(0).getMetadata().getNamespace() + "-" + (i++) + ".yaml");
            Files.writeString(f, KUBE.asYaml(o));
            args.addAll(List.of("-f", f.toString()));
        }
        args.addAll(List.of("--reveal-secrets", "--metrics-namespaces", String.join(",", METRICS_NAMESPACES)));
        RenderCommandAccess.Result r = RenderCommandAccess.render(args.toArray(String[]::new));
        assertEquals(0, r.exit(), r.err());
        Map<String, String> rendered = new TreeMap<>();
        for (HasMetadata o : KUBE.<List<HasMetadata>>unmarshal(r.out())) rendered.put(id(o), normalized(o));

        Map<String, String> written = new TreeMap<>();
        for (String ns : c.clusters().stream().map(n -> n.getMetadata().getNamespace()).distinct().toList()) {
            List<HasMetadata> live = new ArrayList<>(api.objectsIn(ns));
            live.addAll(api.client.genericKubernetesResources(MonitoringReconcileTest.POD_MONITORS).inNamespace(ns).list().getItems());
            for (HasMetadata o : live) {
                var labels = o.getMetadata().getLabels();
                if (labels != null && Labels.MANAGER.equals(labels.get(Labels.MANAGED_BY))) written.put(id(o), normalized(o));
            }
        }
        assertEquals(rendered.keySet(), written.keySet(), "the same objects");
        List<String> differences = new ArrayList<>();
        for (String key : rendered.keySet()) {
            if (!rendered.get(key).equals(written.get(key))) differences.add(key + ":\n" + difference(rendered.get(key), written.get(key)));
        }
        assertEquals(List.of(), differences, "render (-) and the operator (+) differ");
    }

    /** The lines of one and not the other (a certificate's lines are long: shortened), enough to see what differs. */
    static String difference(String rendered, String written) {
        List<String> a = rendered.lines().toList(), b = written.lines().toList();
        StringBuilder sb = new StringBuilder();
        for (String l : a) if (!b.contains(l)) sb.append("  - ").append(shortened(l)).append('\n');
        for (String l : b) if (!a.contains(l)) sb.append("  + ").append(shortened(l)).append('\n');
        return sb.toString();
    }

    static String shortened(String line) {
        return line.length() > 160 ? line.substring(0, 160) + "..." : line;
    }

    /**
     * The object as JSON without what the API server sets and without the operator's apply bookkeeping; a Secret's
     * values decoded (render may print stringData).
     */
    static String normalized(HasMetadata o) {
        ObjectNode n = (ObjectNode) KUBE.convertValue(o, JsonNode.class);
        n.remove("status");
        ObjectNode meta = (ObjectNode) n.get("metadata");
        for (String f : List.of("uid", "resourceVersion", "creationTimestamp", "generation", "managedFields", "selfLink")) meta.remove(f);
        if (meta.get("ownerReferences") != null) meta.get("ownerReferences").forEach(ref -> ((ObjectNode) ref).remove("uid"));
        if (meta.get("annotations") instanceof ObjectNode a) {
            a.remove(Dependent.HASH_ANNOTATION);
            a.remove(OwnedObjects.APPLIED_ANNOTATIONS);
            if (a.isEmpty()) meta.remove("annotations");
        }
        if ("Secret".equals(o.getKind())) {
            Map<String, String> values = new TreeMap<>();
            if (n.get("data") != null) n.get("data").fields().forEachRemaining(e -> values.put(e.getKey(),
                    new String(Base64.getDecoder().decode(e.getValue().asText()), StandardCharsets.UTF_8)));
            if (n.get("stringData") != null) n.get("stringData").fields().forEachRemaining(e -> values.put(e.getKey(), e.getValue().asText()));
            n.remove("stringData");
            n.set("data", KUBE.convertValue(values, JsonNode.class));
        }
        // A file's content line by line, so that a difference names its line.
        if (n.get("data") instanceof ObjectNode data) {
            data.fields().forEachRemaining(e -> {
                if (e.getValue().isTextual() && e.getValue().asText().contains("\n")) {
                    e.setValue(KUBE.convertValue(e.getValue().asText().lines().toList(), JsonNode.class));
                }
            });
        }
        try {
            return PRETTY.writeValueAsString(n);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }
}
