package io.choria.natsoperator.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.choria.natsoperator.api.NatsCluster;
import io.choria.natsoperator.api.SysctlsSpec;
import io.choria.natsoperator.testing.Examples;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Toleration;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

class NatsClusterModelTest {
    static final String PASSWORD = "s3cret-Route/pass word";

    /** The 3-broker example without TLS; TLS has its own tests. */
    static NatsCluster threeBrokers() {
        NatsCluster nc = Examples.load(Examples.THREE_BROKERS);
        nc.getSpec().setTls(null);
        return SpecDefaults.withDefaults(nc);
    }

    static DesiredCluster desired(NatsCluster nc) {
        return NatsClusterModel.desired(nc, new ModelInputs("cluster.local", PASSWORD, null));
    }

    static Container container(DesiredCluster d, String name) {
        return d.statefulSet().getSpec().getTemplate().getSpec().getContainers().stream()
                .filter(c -> c.getName().equals(name)).findFirst().orElseThrow();
    }

    /**
     * spec.authorization: verify_and_map and the users' include; nats-server cannot reload verify_and_map, so turning it on
     * or off rolls the brokers (the pod template's restart hash changes, and appears where nothing else set it).
     */
    @Test
    void authorizationMapsCertificatesToUsersAndTurningItOnOrOffRollsTheBrokers() {
        NatsCluster nc = SpecDefaults.withDefaults(Examples.load(java.nio.file.Path.of("examples/natscluster-puppet-authorization.yaml")));
        var tls = new io.choria.natsoperator.model.TlsFiles("cert", "key", "ca");
        var list = io.choria.natsoperator.puppet.PinnedKeys.none().list("choria", "broker");
        java.util.function.Function<NatsCluster, DesiredCluster> render = c -> NatsClusterModel.desired(c,
                new ModelInputs("cluster.local", PASSWORD, tls, null, list, null, PortPinnedCerts.NONE));
        DesiredCluster on = render.apply(nc);
        String conf = on.config().getData().get("nats.conf");
        assertTrue(conf.contains("  verify_and_map: true\n"), conf);
        assertTrue(conf.contains("authorization {\n  include \"../pinned/users.conf\"\n}\n"), conf);
        String manifest = on.pinnedList().get(PinnedList.PARTS).getData().get(PinnedList.MANIFEST);
        assertTrue(manifest.contains("\nrole n {user: \"@CERTNAME@\""), manifest);
        String rollOn = on.statefulSet().getSpec().getTemplate().getMetadata().getAnnotations().get("choria.io/restart-config");
        assertTrue(rollOn != null, "a restart hash, though nothing else asks for one here");

        nc.getSpec().setAuthorization(null);
        DesiredCluster off = render.apply(nc);
        assertFalse(off.config().getData().get("nats.conf").contains("verify_and_map"));
        assertFalse(off.pinnedList().get(PinnedList.PARTS).getData().get(PinnedList.MANIFEST).contains("role "));
        assertNull(off.statefulSet().getSpec().getTemplate().getMetadata().getAnnotations().get("choria.io/restart-config"),
                "the pod template differs, so the brokers roll");
    }

    @Test
    void portsGoWhereTheyBelong() {
        DesiredCluster d = desired(threeBrokers());
        var nats = container(d, "nats");
        assertEquals(Map.of("client", 4222, "cluster", 4223, "monitor", 8222),
                Map.of(nats.getPorts().get(0).getName(), nats.getPorts().get(0).getContainerPort(),
                        nats.getPorts().get(1).getName(), nats.getPorts().get(1).getContainerPort(),
                        nats.getPorts().get(2).getName(), nats.getPorts().get(2).getContainerPort()));
        // headless: routes only; client: client only, never monitoring
        assertEquals(List.of(4223), d.headless().getSpec().getPorts().stream().map(p -> p.getPort()).toList());
        assertEquals("None", d.headless().getSpec().getClusterIP());
        assertTrue(d.headless().getSpec().getPublishNotReadyAddresses());
        assertEquals(List.of(4222), d.client().getSpec().getPorts().stream().map(p -> p.getPort()).toList());
        assertEquals("ClusterIP", d.client().getSpec().getType());
        String conf = d.config().getData().get("nats.conf");
        assertTrue(conf.contains("port: 4222\n"), conf);
        assertTrue(conf.contains("http_port: 8222\n"), conf);
        assertTrue(conf.contains("  port: 4223\n"), conf);
    }

    @Test
    void customPortsFollowEverywhere() {
        NatsCluster nc = threeBrokers();
        nc.getSpec().getPorts().setClient(14222);
        nc.getSpec().getPorts().setCluster(14223);
        DesiredCluster d = desired(nc);
        assertEquals(14222, d.client().getSpec().getPorts().get(0).getPort());
        assertEquals(14223, d.headless().getSpec().getPorts().get(0).getPort());
        assertTrue(routes(d).stream().allMatch(r -> r.endsWith(":14223")), routes(d).toString());
    }

    static List<String> routes(DesiredCluster d) {
        String conf = BrokerSecrets.decode(d.routesConfig(), NatsConfig.ROUTES_FILE);
        Matcher m = Pattern.compile("\"(nats-route://[^\"]+)\"").matcher(conf);
        List<String> routes = new java.util.ArrayList<>();
        while (m.find()) routes.add(m.group(1));
        return routes;
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 3, 5})
    void oneRoutePerBrokerByStableDnsName(int size) {
        NatsCluster nc = threeBrokers();
        nc.getSpec().setSize(size);
        DesiredCluster d = desired(nc);
        List<String> routes = routes(d);
        assertEquals(size, routes.size());
        for (int i = 0; i < size; i++) {
            assertEquals("nats-route://route:s3cret-Route%2Fpass%20word@broker-" + i
                    + ".broker-headless.choria.svc.cluster.local:4223", routes.get(i));
        }
        assertEquals(size, d.statefulSet().getSpec().getReplicas());
        String conf = BrokerSecrets.decode(d.routesConfig(), NatsConfig.ROUTES_FILE);
        assertTrue(conf.contains("password: \"s3cret-Route/pass word\""), conf);
    }

    @Test
    void sizeDoesNotTouchThePodTemplate() {
        NatsCluster nc = threeBrokers();
        var template3 = desired(nc).statefulSet().getSpec().getTemplate();
        nc.getSpec().setSize(5);
        assertEquals(template3, desired(nc).statefulSet().getSpec().getTemplate());
        assertEquals(desired(threeBrokers()).config(), desired(nc).config(), "nats.conf does not list routes");
    }

    @Test
    void everyObjectIsLabelledAndOwned() {
        NatsCluster nc = threeBrokers();
        for (HasMetadata o : desired(nc).inApplyOrder()) {
            var labels = o.getMetadata().getLabels();
            assertEquals("nats", labels.get("app.kubernetes.io/name"), o.getKind());
            assertEquals("broker", labels.get("app.kubernetes.io/instance"), o.getKind());
            assertEquals("nats-operator", labels.get("app.kubernetes.io/managed-by"), o.getKind());
            assertEquals("choria", o.getMetadata().getNamespace());
            var ref = o.getMetadata().getOwnerReferences().get(0);
            assertEquals("NatsCluster", ref.getKind());
            assertEquals("choria.io/v1alpha1", ref.getApiVersion());
            assertEquals("uid-broker", ref.getUid());
            assertTrue(ref.getController());
            assertTrue(Owned.isOwnedBy(o.getMetadata(), nc));
        }
    }

    @Test
    void statefulSetShape() {
        var sts = desired(threeBrokers()).statefulSet();
        assertEquals("Parallel", sts.getSpec().getPodManagementPolicy());
        assertEquals("broker-headless", sts.getSpec().getServiceName());
        assertEquals(Labels.selector("broker"), sts.getSpec().getSelector().getMatchLabels());
        var pdb = desired(threeBrokers()).disruptionBudget();
        assertEquals(1, pdb.getSpec().getMaxUnavailable().getIntVal());
        var env = container(desired(threeBrokers()), "nats").getEnv().get(0);
        assertEquals("POD_NAME", env.getName());
        assertEquals("metadata.name", env.getValueFrom().getFieldRef().getFieldPath());
        String conf = desired(threeBrokers()).config().getData().get("nats.conf");
        assertTrue(conf.contains("server_name: $POD_NAME\n"));
        assertTrue(conf.contains("name: \"broker\""), "fixed cluster name");
        assertTrue(conf.contains("no_advertise: true"));
    }

    @Test
    void probesOnHealthzOfTheMonitoringPortAndAPatientLiveness() {
        var nats = container(desired(threeBrokers()), "nats");
        for (var probe : List.of(nats.getStartupProbe(), nats.getReadinessProbe(), nats.getLivenessProbe())) {
            assertEquals("/healthz", probe.getHttpGet().getPath());
            assertEquals("monitor", probe.getHttpGet().getPort().getStrVal());
        }
        var live = nats.getLivenessProbe();
        assertTrue(live.getPeriodSeconds() * live.getFailureThreshold() >= 120, "two minutes before a restart");
        assertEquals(List.of("sh", "-c", "nats-server --signal ldm=/var/run/nats/nats.pid && sleep 5"),
                nats.getLifecycle().getPreStop().getExec().getCommand());
        var pod = desired(threeBrokers()).statefulSet().getSpec().getTemplate().getSpec();
        assertEquals(60L, pod.getTerminationGracePeriodSeconds(), "lame duck 30s + 30s");
        assertTrue(pod.getShareProcessNamespace(), "the reloader signals the broker");
        var reloader = container(desired(threeBrokers()), "reloader");
        assertEquals(nats.getVolumeMounts(), reloader.getVolumeMounts(), "the reloader sees what the broker reads");
        assertTrue(reloader.getSecurityContext().getReadOnlyRootFilesystem());
    }

    @Test
    void brokerPodsGetNoServiceAccountToken() {
        for (SysctlsSpec.Mode mode : SysctlsSpec.Mode.values()) {
            NatsCluster nc = threeBrokers();
            nc.getSpec().getSysctls().setMode(mode);
            var pod = desired(nc).statefulSet().getSpec().getTemplate().getSpec();
            assertEquals(Boolean.FALSE, pod.getAutomountServiceAccountToken(), "the brokers never call the API (" + mode + ")");
        }
    }

    @Test
    void sysctlInitContainerByDefault() {
        var spec = desired(threeBrokers()).statefulSet().getSpec().getTemplate().getSpec();
        Container init = spec.getInitContainers().get(0);
        assertEquals(List.of("sh", "-c"), init.getCommand().subList(0, 2), "raises, never lowers: SysctlScriptTest");
        assertTrue(init.getSecurityContext().getPrivileged());
        assertNull(spec.getSecurityContext().getSysctls() == null || spec.getSecurityContext().getSysctls().isEmpty() ? null : "sysctls");
    }

    @Test
    void sysctlsInPodSecurityContext() {
        NatsCluster nc = threeBrokers();
        nc.getSpec().getSysctls().setMode(SysctlsSpec.Mode.PodSecurityContext);
        nc.getSpec().getSysctls().setSomaxconn(1024);
        var spec = desired(nc).statefulSet().getSpec().getTemplate().getSpec();
        assertTrue(spec.getInitContainers().isEmpty());
        var sysctls = spec.getSecurityContext().getSysctls();
        assertEquals("net.core.somaxconn", sysctls.get(0).getName());
        assertEquals("1024", sysctls.get(0).getValue());
        assertEquals("8192", sysctls.get(1).getValue());
        assertTrue(spec.getSecurityContext().getRunAsNonRoot());
    }

    @Test
    void sysctlsNone() {
        NatsCluster nc = threeBrokers();
        nc.getSpec().getSysctls().setMode(SysctlsSpec.Mode.None);
        var spec = desired(nc).statefulSet().getSpec().getTemplate().getSpec();
        assertTrue(spec.getInitContainers().isEmpty());
        assertTrue(spec.getSecurityContext().getSysctls() == null || spec.getSecurityContext().getSysctls().isEmpty());
    }

    @Test
    void defaultsFromAnEmptySpec() {
        NatsCluster nc = new NatsCluster();
        nc.setMetadata(new io.fabric8.kubernetes.api.model.ObjectMetaBuilder().withName("b").withNamespace("ns").build());
        nc.setSpec(null);
        NatsCluster d = SpecDefaults.withDefaults(nc);
        assertNull(nc.getSpec(), "the caller's object is not changed");
        assertEquals(3, d.getSpec().getSize());
        assertEquals("nats:2.10.24-alpine", d.getSpec().getImage());
        assertEquals(4222, d.getSpec().getPorts().getClient());
        assertEquals(SysctlsSpec.Mode.InitContainer, d.getSpec().getSysctls().getMode());
        var nats = container(desired(d), "nats");
        assertEquals("300Mi", nats.getResources().getRequests().get("memory").toString());
        assertEquals("512Mi", nats.getResources().getLimits().get("memory").toString());
        // every field has a default but one: TLS or plaintext must be chosen
        assertEquals(List.of(io.choria.natsoperator.api.Reason.PlaintextNotAllowed),
                SpecValidator.validate(d).stream().map(io.choria.natsoperator.model.SpecProblem::reason).toList());
        d.getSpec().setInsecurePlaintext(true);
        assertTrue(SpecValidator.validate(d).isEmpty());
    }

    @Test
    void schedulingAndPodMetadataFromSpec() {
        NatsCluster nc = threeBrokers();
        nc.getSpec().getPod().setNodeSelector(Map.of("role", "broker"));
        nc.getSpec().getPod().setTolerations(List.of(new Toleration("NoSchedule", "dedicated", "Equal", null, "nats")));
        nc.getSpec().getPod().setPriorityClassName("high");
        nc.getSpec().getPod().setLabels(Map.of("team", "platform", "app.kubernetes.io/name", "hijack"));
        nc.getSpec().getPod().setAnnotations(Map.of("a", "b"));
        var tpl = desired(nc).statefulSet().getSpec().getTemplate();
        assertEquals(Map.of("role", "broker"), tpl.getSpec().getNodeSelector());
        assertEquals("dedicated", tpl.getSpec().getTolerations().get(0).getKey());
        assertEquals("high", tpl.getSpec().getPriorityClassName());
        assertEquals("platform", tpl.getMetadata().getLabels().get("team"));
        assertEquals("nats", tpl.getMetadata().getLabels().get("app.kubernetes.io/name"), "selector labels win");
        assertEquals("b", tpl.getMetadata().getAnnotations().get("a"));
        assertTrue(tpl.getSpec().getAffinity().getPodAntiAffinity() != null, "spread by default");
    }

    @Test
    void noSecretInTheConfigMapOrThePodSpec() {
        DesiredCluster d = desired(threeBrokers());
        var json = new KubernetesSerialization();
        assertFalse(json.asJson(d.config()).contains(PASSWORD));
        assertFalse(json.asJson(d.config()).contains("s3cret"));
        assertFalse(json.asJson(d.statefulSet()).contains("s3cret"));
        assertFalse(json.asJson(d.headless()).contains("s3cret"));
        assertFalse(json.asJson(d.routesConfig()).contains("s3cret"), "base64 only in the Secret");
    }

    @Test
    void clientServiceExposable() {
        NatsCluster nc = threeBrokers();
        nc.getSpec().getService().setType(io.choria.natsoperator.api.ServiceSpec.Type.LoadBalancer);
        nc.getSpec().getService().setAnnotations(Map.of("service.beta.kubernetes.io/aws-load-balancer-type", "nlb"));
        var svc = desired(nc).client();
        assertEquals("LoadBalancer", svc.getSpec().getType());
        assertEquals("nlb", svc.getMetadata().getAnnotations().get("service.beta.kubernetes.io/aws-load-balancer-type"));
    }

    @Test
    void tlsMountsTheCertificateAndVerifiesClients() {
        NatsCluster nc = SpecDefaults.withDefaults(Examples.load(Examples.THREE_BROKERS));
        DesiredCluster d = NatsClusterModel.desired(nc, new ModelInputs("cluster.local", PASSWORD,
                new TlsFiles("CERT", "KEY", "CA")));
        assertEquals("kubernetes.io/tls", d.tls().getType());
        assertEquals("KEY", BrokerSecrets.decode(d.tls(), "tls.key"));
        assertTrue(d.inApplyOrder().indexOf(d.tls()) < d.inApplyOrder().indexOf(d.statefulSet()));
        String conf = d.config().getData().get("nats.conf");
        assertTrue(conf.contains("tls {\n  cert_file: \"/etc/nats/tls/tls.crt\"\n  key_file: \"/etc/nats/tls/tls.key\"\n"
                + "  ca_file: \"/etc/nats/tls/ca.crt\"\n  verify: true\n"), conf);
        assertTrue(conf.contains("  tls {\n    cert_file"), "routes over TLS: " + conf);
        assertTrue(conf.contains("  timeout: 15\n") && conf.contains("    timeout: 15\n"), "default handshake timeout, clients and routes");
        nc.getSpec().getTls().setHandshakeTimeoutSeconds(5);
        String quick = NatsClusterModel.desired(nc, new ModelInputs("cluster.local", PASSWORD, new TlsFiles("C", "K", "A")))
                .config().getData().get("nats.conf");
        assertTrue(quick.contains("  timeout: 5\n") && quick.contains("    timeout: 5\n"), quick);
        assertFalse(quick.contains("connection_rate_limit"), "no rate limit unless asked: " + quick);
        nc.getSpec().getTls().setConnectionRateLimit(300);
        String limited = NatsClusterModel.desired(nc, new ModelInputs("cluster.local", PASSWORD, new TlsFiles("C", "K", "A")))
                .config().getData().get("nats.conf");
        assertTrue(limited.contains("  timeout: 5\n  connection_rate_limit: 300\n"), "the client port's tls block: " + limited);
        assertEquals(1, limited.split("connection_rate_limit", -1).length - 1, "clients only, not routes: " + limited);
        nc.getSpec().getTls().setConnectionRateLimit(null);
        nc.getSpec().getTls().setVerifyClients(false);
        String noVerify = NatsClusterModel.desired(nc, new ModelInputs("cluster.local", PASSWORD, new TlsFiles("C", "K", "A")))
                .config().getData().get("nats.conf");
        assertTrue(noVerify.contains("  verify: false\n"), noVerify);
        assertTrue(noVerify.contains("    verify: true\n"), "routes always verify: " + noVerify);
        var mounts = container(d, "nats").getVolumeMounts().stream().map(m -> m.getMountPath()).toList();
        assertTrue(mounts.contains("/etc/nats/tls"), mounts.toString());
        assertEquals(List.of("tls://broker.choria.svc:4222"), NatsClusterModel.clientUrls(nc));
    }

    @Test
    void certificateNamesCoverBrokersServicesAndExtraSans() {
        NatsCluster nc = SpecDefaults.withDefaults(Examples.load(Examples.THREE_BROKERS));
        var sans = NatsClusterModel.certificateDnsNames(nc, "cluster.local");
        for (int i = 0; i < 3; i++) {
            assertTrue(sans.contains("broker-" + i + ".broker-headless.choria.svc.cluster.local"));
            assertTrue(sans.contains("broker-" + i + ".broker-headless"));
        }
        assertTrue(sans.containsAll(List.of("broker", "broker.choria.svc", "broker-headless.choria.svc.cluster.local", "puppet")));
        assertEquals(sans.size(), new java.util.HashSet<>(sans).size(), "no duplicates");
    }

    @Test
    void networkPolicyGuardsEachPort() {
        NatsCluster nc = threeBrokers();
        assertTrue(nc.getSpec().getNetworkPolicy().getEnabled(), "on by default");
        var np = desired(nc).networkPolicy();
        assertTrue(desired(nc).inApplyOrder().contains(np));
        var rules = np.getSpec().getIngress();
        assertEquals(4222, rules.get(0).getPorts().get(0).getPort().getIntVal());
        assertEquals(null, rules.get(0).getFrom(), "clients from anywhere when nothing is chosen");
        assertEquals(4223, rules.get(1).getPorts().get(0).getPort().getIntVal());
        assertEquals(Labels.selector("broker"), rules.get(1).getFrom().get(0).getPodSelector().getMatchLabels());
        assertEquals(8222, rules.get(2).getPorts().get(0).getPort().getIntVal());
        assertEquals(Map.of("app.kubernetes.io/name", "nats-operator"), rules.get(2).getFrom().get(0).getPodSelector().getMatchLabels());
        nc.getSpec().getNetworkPolicy().setClientCIDRs(List.of("10.20.0.0/16"));
        assertEquals("10.20.0.0/16", desired(nc).networkPolicy().getSpec().getIngress().get(0).getFrom().get(0).getIpBlock().getCidr());
        // with Choria Streams the operator keeps the streams through the client port: one of its sources, then
        nc.getSpec().setStreams(new io.choria.natsoperator.api.StreamsSpec());
        var from = desired(nc).networkPolicy().getSpec().getIngress().get(0).getFrom();
        assertEquals(2, from.size(), from.toString());
        assertEquals(Map.of("app.kubernetes.io/name", "nats-operator"), from.get(1).getPodSelector().getMatchLabels());
        nc.getSpec().getNetworkPolicy().setClientCIDRs(List.of());
        assertNull(desired(nc).networkPolicy().getSpec().getIngress().get(0).getFrom(), "open to everyone already: nothing added");
        nc.getSpec().setStreams(null);
        nc.getSpec().getNetworkPolicy().setEnabled(false);
        assertNull(desired(nc).networkPolicy(), "switched off");
    }

    /** Issue 23: the leaf and gateway ports no longer bypass the client port's sources; each can be narrowed to named networks. */
    @Test
    void leafAndGatewayPortsAdmitOnlyTheSourcesNamed() {
        NatsCluster nc = threeBrokers();
        var leaf = new io.choria.natsoperator.api.LeafNodesSpec();
        leaf.setEdges(List.of("edge.example.net"));
        nc.getSpec().setLeafnodes(leaf);
        var gw = new io.choria.natsoperator.api.GatewaySpec();
        var site = new io.choria.natsoperator.api.GatewayRemote();
        site.setName("site-b");
        site.setUrls(List.of("nats://gw.site-b.example.net:7222"));
        gw.setRemotes(List.of(site));
        nc.getSpec().setGateway(gw);
        nc.getSpec().getNetworkPolicy().setClientCIDRs(List.of("10.20.0.0/16"));
        assertEquals(List.of("10.20.0.0/16"), cidrs(portRule(nc, 7422)), "the leaf port admits what the client port admits");
        assertNull(portRule(nc, 7222).getFrom(), "a URL site without gatewayCIDRs: open (TLS, the URL check and pinned keys guard it)");
        nc.getSpec().getNetworkPolicy().setLeafnodeCIDRs(List.of("192.0.2.0/24"));
        nc.getSpec().getNetworkPolicy().setGatewayCIDRs(List.of("198.51.100.7/32"));
        assertEquals(List.of("192.0.2.0/24"), cidrs(portRule(nc, 7422)));
        assertEquals(List.of("198.51.100.7/32"), cidrs(portRule(nc, 7222)));
        nc.getSpec().getNetworkPolicy().setLeafnodeCIDRs(List.of());
        nc.getSpec().getNetworkPolicy().setGatewayCIDRs(List.of());
        assertNull(portRule(nc, 7422), "an empty list admits no one: no rule (an empty from would admit everyone)");
        assertNull(portRule(nc, 7222));
        var ref = new io.choria.natsoperator.api.NatsClusterReference();
        ref.setName("broker");
        ref.setNamespace("site-c");
        var siteC = new io.choria.natsoperator.api.GatewayRemote();
        siteC.setName("site-c");
        siteC.setNatsClusterRef(ref);
        // As inputs.ClusterInputs leaves a reference: resolved to the other site's URL, the reference kept.
        siteC.setUrls(List.of("nats://broker-gateway.site-c.svc.cluster.local:7222"));
        gw.setRemotes(List.of(site, siteC));
        var from = portRule(nc, 7222).getFrom();
        assertEquals(1, from.size(), "the referenced site's brokers only");
        assertEquals(Map.of("kubernetes.io/metadata.name", "site-c"), from.get(0).getNamespaceSelector().getMatchLabels());
        nc.getSpec().getNetworkPolicy().setClientCIDRs(List.of());
        nc.getSpec().getNetworkPolicy().setLeafnodeCIDRs(null);
        assertNull(portRule(nc, 7422).getFrom(), "no client source named either: open, as the client port");
    }

    static io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyIngressRule portRule(NatsCluster nc, int port) {
        return desired(nc).networkPolicy().getSpec().getIngress().stream()
                .filter(r -> r.getPorts().get(0).getPort().getIntVal() == port).findFirst().orElse(null);
    }

    static List<String> cidrs(io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyIngressRule rule) {
        return rule.getFrom().stream().map(p -> p.getIpBlock().getCidr()).toList();
    }

    /**
     * The monitoring port admits the operator's pods in the operator's namespace only: one peer, so
     * the namespace AND the labels must match. A pod labelled like the operator in a tenant's
     * namespace, or another pod in the operator's namespace, is not admitted.
     */
    @Test
    void monitoringPortOnlyFromTheOperatorsOwnPodsInItsNamespace() {
        InstallerSettings installer = new InstallerSettings(InstallerSettings.DEFAULT_SYSCTL_IMAGE, true, "platform-ops",
                Map.of("app.kubernetes.io/name", "nats-operator", "app.kubernetes.io/instance", "natsop"));
        var np = NatsClusterModel.desired(threeBrokers(), new ModelInputs("cluster.local", PASSWORD, null, installer)).networkPolicy();
        var monitor = np.getSpec().getIngress().get(2);
        assertEquals(8222, monitor.getPorts().get(0).getPort().getIntVal());
        assertEquals(1, monitor.getFrom().size(), "only the operator (no monitorNamespaceSelector)");
        var peer = monitor.getFrom().get(0);
        assertEquals(Map.of("kubernetes.io/metadata.name", "platform-ops"), peer.getNamespaceSelector().getMatchLabels());
        assertTrue(peer.getNamespaceSelector().getMatchExpressions() == null || peer.getNamespaceSelector().getMatchExpressions().isEmpty());
        assertEquals(Map.of("app.kubernetes.io/name", "nats-operator", "app.kubernetes.io/instance", "natsop"),
                peer.getPodSelector().getMatchLabels());
        assertNull(peer.getIpBlock());
        // routes: only this cluster's brokers
        var routes = np.getSpec().getIngress().get(1);
        assertEquals(1, routes.getFrom().size());
        assertNull(routes.getFrom().get(0).getNamespaceSelector(), "a podSelector alone: the NetworkPolicy's own namespace");
    }

    /** The privileged init container runs the installer's image: spec.image (the NatsCluster author's) never reaches it. */
    @Test
    void specImageNeverReachesThePrivilegedInitContainer() {
        NatsCluster nc = threeBrokers();
        nc.getSpec().setImage("attacker.example/root-shell:latest");
        InstallerSettings installer = new InstallerSettings("registry.example/busybox:1.36.1", true,
                InstallerSettings.DEFAULT_OPERATOR_NAMESPACE, InstallerSettings.DEFAULT_OPERATOR_POD_LABELS);
        var pod = NatsClusterModel.desired(nc, new ModelInputs("cluster.local", PASSWORD, null, installer)).statefulSet().getSpec().getTemplate().getSpec();
        Container init = pod.getInitContainers().get(0);
        assertEquals(BrokerStatefulSet.SYSCTL_CONTAINER, init.getName());
        assertEquals("registry.example/busybox:1.36.1", init.getImage());
        assertTrue(init.getSecurityContext().getPrivileged());
        for (Container c : pod.getContainers()) {
            assertEquals("attacker.example/root-shell:latest", c.getImage(), "the user's image runs unprivileged only: " + c.getName());
            assertFalse(Boolean.TRUE.equals(c.getSecurityContext().getPrivileged()), c.getName());
            assertTrue(c.getSecurityContext().getRunAsNonRoot(), c.getName());
        }
        assertEquals(InstallerSettings.DEFAULT_SYSCTL_IMAGE, desired(nc).statefulSet().getSpec().getTemplate().getSpec()
                .getInitContainers().get(0).getImage(), "the default is the installer's too, not spec.image");
    }

    @Test
    void privilegedSysctlsTurnedOffLeaveTheInitContainerOut() {
        NatsCluster nc = threeBrokers();
        assertEquals(SysctlsSpec.Mode.InitContainer, nc.getSpec().getSysctls().getMode());
        InstallerSettings off = new InstallerSettings(InstallerSettings.DEFAULT_SYSCTL_IMAGE, false,
                InstallerSettings.DEFAULT_OPERATOR_NAMESPACE, InstallerSettings.DEFAULT_OPERATOR_POD_LABELS);
        var pod = NatsClusterModel.desired(nc, new ModelInputs("cluster.local", PASSWORD, null, off)).statefulSet().getSpec().getTemplate().getSpec();
        assertTrue(pod.getInitContainers().isEmpty());
        assertTrue(pod.getSecurityContext().getRunAsNonRoot(), "nothing in the pod runs as root");
        assertTrue(pod.getSecurityContext().getSysctls() == null || pod.getSecurityContext().getSysctls().isEmpty());
        assertTrue(BrokerStatefulSet.privilegedSysctlsRefused(nc.getSpec(), off));
        // PodSecurityContext sysctls are not a privileged container: the switch leaves them alone
        nc.getSpec().getSysctls().setMode(SysctlsSpec.Mode.PodSecurityContext);
        assertFalse(BrokerStatefulSet.privilegedSysctlsRefused(nc.getSpec(), off));
        assertEquals(2, NatsClusterModel.desired(nc, new ModelInputs("cluster.local", PASSWORD, null, off)).statefulSet().getSpec()
                .getTemplate().getSpec().getSecurityContext().getSysctls().size());
    }

    @Test
    void puppetAliasServiceOnTheClientPortAndOnTheCertificate() {
        NatsCluster nc = threeBrokers();
        assertEquals(null, desired(nc).puppetAlias(), "off by default");
        nc.getSpec().getService().setPuppetAlias(true);
        var alias = desired(nc).puppetAlias();
        assertEquals("puppet", alias.getMetadata().getName());
        assertEquals(List.of(4222), alias.getSpec().getPorts().stream().map(p -> p.getPort()).toList());
        assertEquals(Labels.selector("broker"), alias.getSpec().getSelector());
        assertTrue(desired(nc).inApplyOrder().contains(alias));
        NatsCluster tls = SpecDefaults.withDefaults(Examples.load(Examples.THREE_BROKERS));
        tls.getSpec().getService().setPuppetAlias(true);
        var sans = NatsClusterModel.certificateDnsNames(tls, "cluster.local");
        assertTrue(sans.containsAll(List.of("puppet", "puppet.choria", "puppet.choria.svc", "puppet.choria.svc.cluster.local")), sans.toString());
        assertEquals(sans.size(), new java.util.HashSet<>(sans).size(), "no duplicates with extraSANs: [puppet]");
    }

    @Test
    void statusHelpers() {
        NatsCluster nc = threeBrokers();
        assertEquals(List.of("nats://broker.choria.svc:4222"), NatsClusterModel.clientUrls(nc));
        assertEquals("broker-0.broker-headless.choria.svc:4222,broker-1.broker-headless.choria.svc:4222,"
                + "broker-2.broker-headless.choria.svc:4222", NatsClusterModel.middlewareHosts(nc));
    }
}
