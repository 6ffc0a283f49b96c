package io.choria.natsoperator.install;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.cel.common.CelAbstractSyntaxTree;
import dev.cel.runtime.CelEvaluationException;
import io.choria.natsoperator.api.NatsCluster;
import io.choria.natsoperator.model.BrokerPodMonitor;
import io.choria.natsoperator.model.BrokerSecrets;
import io.choria.natsoperator.model.DesiredCluster;
import io.choria.natsoperator.model.InstallerSettings;
import io.choria.natsoperator.model.Labels;
import io.choria.natsoperator.model.ModelInputs;
import io.choria.natsoperator.model.Names;
import io.choria.natsoperator.model.NatsClusterModel;
import io.choria.natsoperator.model.SpecDefaults;
import io.choria.natsoperator.model.SpecValidator;
import io.choria.natsoperator.model.TlsFiles;
import io.choria.natsoperator.testing.KubeCel;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.admissionregistration.v1.ValidatingAdmissionPolicy;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

/**
 * The chart's ValidatingAdmissionPolicy, evaluated: every CEL expression of the rendered policy
 * (match condition, variables, validations) is compiled and run with cel-java against (a) every
 * object the operator's model writes, for specs that between them turn every feature on, on
 * create, update and delete, as written and as the API server defaults it (all must be admitted);
 * and (b) hostile variants of those objects, one refused shape each (each must be refused by a
 * validation that evaluates to false, not by an evaluation error, and while still labelled as
 * the operator's, so the shape rule is what refuses it).
 */
class AdmissionPolicyCelTest {
    static final KubeCel CEL = KubeCel.admissionPolicy();
    static final KubernetesSerialization SERIALIZATION = new KubernetesSerialization();
    static final String OPERATOR = "system:serviceaccount:" + Chart.NAMESPACE + ":" + Chart.RELEASE;
    /** What the chart's Deployment gives the operator (OPERATOR_POD_LABELS, POD_NAMESPACE, SYSCTL_IMAGE). */
    static final Map<String, String> OPERATOR_POD_LABELS = Map.of(Labels.NAME, "nats-operator", Labels.INSTANCE, Chart.RELEASE);

    record Expr(String name, String text, CelAbstractSyntaxTree ast) {}

    /** The rendered policy's expressions, compiled. */
    record Policy(List<Expr> matchConditions, List<Expr> variables, List<Expr> validations) {
        static Policy of(String values) {
            ValidatingAdmissionPolicy vap = Chart.one(Chart.render(values), ValidatingAdmissionPolicy.class);
            var spec = vap.getSpec();
            assertTrue(spec.getParamKind() == null, "no params: nothing to bind");
            return new Policy(
                    spec.getMatchConditions().stream().map(c -> new Expr(c.getName(), c.getExpression(), CEL.compile(c.getExpression()))).toList(),
                    spec.getVariables().stream().map(v -> new Expr(v.getName(), v.getExpression(), CEL.compile(v.getExpression()))).toList(),
                    spec.getValidations().stream().map(v -> new Expr(v.getMessage(), v.getExpression(), CEL.compile(v.getExpression()))).toList());
        }
    }

    /** What a validation made of a request: false, or an error (failurePolicy Fail: refused too). */
    record Refusal(String message, String error) {}

    static final Policy DEFAULTS = Policy.of(null);

    // the validations' messages, as the hostile tests expect them to refuse
    static final String PRIVILEGED = "the nats-operator's only privileged container is the sysctl init container";
    static final String CONTAINERS = "the nats-operator's broker containers are never privileged";
    static final String PODS = "the nats-operator's broker pods run without";
    static final String SERVICES = "the nats-operator's Services select its brokers";
    static final String EXTERNAL_IPS = "the nats-operator never sets Service externalIPs";
    static final String NETWORK_POLICIES = "the nats-operator's NetworkPolicies admit";
    static final String POD_MONITORS = "the nats-operator's PodMonitors scrape";
    static final String SECRETS = "the nats-operator writes only Opaque";

    // ---- the request, as the API server builds it ----

    @SuppressWarnings("unchecked")
    static Map<String, Object> request(String operation, String group, String resource, String user, Map<String, Object> obj) {
        Map<String, Object> meta = obj == null ? Map.of() : (Map<String, Object>) obj.get("metadata");
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("operation", operation);
        r.put("resource", Map.of("group", group, "version", "v1", "resource", resource));
        r.put("userInfo", Map.of("username", user));
        r.put("namespace", meta.getOrDefault("namespace", "choria"));
        r.put("name", meta.getOrDefault("name", ""));
        return r;
    }

    /** null: the policy does not apply (match condition false); else the validations that refused. */
    static List<Refusal> evaluate(Policy p, String operation, String group, String resource, String user,
            Map<String, Object> object, Map<String, Object> oldObject) {
        Map<String, Object> vars = new LinkedHashMap<>();
        vars.put("object", object);
        vars.put("oldObject", oldObject);
        vars.put("request", request(operation, group, resource, user, object != null ? object : oldObject));
        for (Expr m : p.matchConditions()) {
            try {
                if (!Boolean.TRUE.equals(CEL.eval(m.ast(), vars))) return null;
            } catch (CelEvaluationException e) {
                return List.of(new Refusal("match condition " + m.name(), e.getMessage()));
            }
        }
        // Kubernetes evaluates a variable when an expression first reads it; here each is evaluated
        // up front and one that fails (oldManaged on CREATE: oldObject is null) is left out, so
        // reading it is an error, as it would be there.
        Map<String, Object> variables = new LinkedHashMap<>();
        vars.put("variables", variables);
        for (Expr v : p.variables()) {
            try {
                variables.put(v.name(), CEL.eval(v.ast(), vars));
            } catch (CelEvaluationException e) {
                // absent
            }
        }
        List<Refusal> refusals = new ArrayList<>();
        for (Expr v : p.validations()) {
            try {
                Object result = CEL.eval(v.ast(), vars);
                if (!(result instanceof Boolean)) fail("not a bool: " + result + " from " + v.text());
                if (!(Boolean) result) refusals.add(new Refusal(v.name(), null));
            } catch (CelEvaluationException e) {
                refusals.add(new Refusal(v.name(), e.getMessage()));
            }
        }
        return refusals;
    }

    static String[] groupAndResource(Map<String, Object> obj) {
        String apiVersion = (String) obj.get("apiVersion");
        String group = apiVersion.contains("/") ? apiVersion.substring(0, apiVersion.indexOf('/')) : "";
        String resource = switch ((String) obj.get("kind")) {
            case "Secret" -> "secrets";
            case "ConfigMap" -> "configmaps";
            case "Service" -> "services";
            case "StatefulSet" -> "statefulsets";
            case "PodDisruptionBudget" -> "poddisruptionbudgets";
            case "NetworkPolicy" -> "networkpolicies";
            case "PersistentVolumeClaim" -> "persistentvolumeclaims";
            case BrokerPodMonitor.KIND -> BrokerPodMonitor.PLURAL;
            default -> throw new AssertionError("a kind the policy does not know: " + obj.get("kind"));
        };
        return new String[] {group, resource};
    }

    static List<Refusal> write(Policy p, String operation, Map<String, Object> object, Map<String, Object> oldObject) {
        String[] gr = groupAndResource(object != null ? object : oldObject);
        return evaluate(p, operation, gr[0], gr[1], OPERATOR, object, oldObject);
    }

    // ---- what the operator writes ----

    static NatsCluster cluster(String yaml) {
        NatsCluster nc = SERIALIZATION.unmarshal(yaml, NatsCluster.class);
        nc.getMetadata().setUid("uid-" + nc.getMetadata().getName());
        nc = SpecDefaults.withDefaults(nc);
        assertEquals(List.of(), SpecValidator.validate(nc), "a valid spec:\n" + yaml);
        return nc;
    }

    static final String SIMPLE = """
            apiVersion: choria.io/v1alpha1
            kind: NatsCluster
            metadata: {name: broker, namespace: choria}
            spec:
              size: 3
              tls: {caSecretRef: {name: puppet-ca}}
              service: {puppetAlias: true}
            """;

    /** Every optional object and setting at once. */
    static final String EVERYTHING = """
            apiVersion: choria.io/v1alpha1
            kind: NatsCluster
            metadata: {name: hub, namespace: choria}
            spec:
              size: 5
              clusterName: hub-site
              serverNamePrefix: hub-
              tls: {caSecretRef: {name: puppet-ca}, extraSANs: [puppet, nats.example.net]}
              sysctls: {mode: InitContainer, somaxconn: 65535, tcpMaxSynBacklog: 262144}
              capacity: {nodesPerBroker: 4000}
              service: {type: LoadBalancer, puppetAlias: true, annotations: {a: b}}
              networkPolicy:
                clientCIDRs: [10.0.0.0/8, "fd00::/8"]
                clientNamespaceSelector: {matchLabels: {team: choria}}
                leafnodeCIDRs: [192.0.2.0/24]
                gatewayCIDRs: [198.51.100.0/24]
                monitorNamespaceSelector: {matchExpressions: [{key: kubernetes.io/metadata.name, operator: In, values: [monitoring]}]}
              gateway:
                serviceType: LoadBalancer
                advertise: hub.example.net:7222
                remotes:
                  - {name: edge-site, natsClusterRef: {name: edge, namespace: other}}
                  - {name: vm-site, urls: ["tls://vm.example.net:7222"]}
              leafnodes:
                serviceType: NodePort
                edges: [edge.example.net]
                remotes: [{urls: ["tls://up.example.net:7422"]}]
              streams: {storage: {size: 20Gi, storageClassName: fast}}
              monitoring:
                exporter: {enabled: true}
                podMonitor: {enabled: true, interval: 15s, labels: {release: prom}}
            """;

    static final TlsFiles TLS = new TlsFiles("CERT", "KEY", "CA");

    static InstallerSettings installer(String sysctlImage, boolean allowPrivileged, List<String> metricsNamespaces) {
        return new InstallerSettings(sysctlImage, allowPrivileged, Chart.NAMESPACE, OPERATOR_POD_LABELS, metricsNamespaces);
    }

    /** Every object the operator writes for this cluster, as unstructured maps. */
    static List<Map<String, Object>> written(NatsCluster nc, ModelInputs in) {
        // As inputs.ClusterInputs leaves a natsClusterRef: resolved to the referenced site's gateway URL (here on the default port).
        Names names = Names.of(nc, in.clusterDomain());
        if (nc.getSpec().getGateway() != null) for (var r : nc.getSpec().getGateway().getRemotes()) {
            if (r.getNatsClusterRef() == null || (r.getUrls() != null && !r.getUrls().isEmpty())) continue;
            String ns = r.getNatsClusterRef().getNamespace() == null ? names.namespace() : r.getNatsClusterRef().getNamespace();
            r.setUrls(List.of(io.choria.natsoperator.model.NatsConfig.gatewayRefUrl(names, r.getNatsClusterRef().getName(), ns, 7222)));
        }
        DesiredCluster d = NatsClusterModel.desired(nc, in);
        List<HasMetadata> objects = new ArrayList<>(d.inApplyOrder());
        objects.add(BrokerSecrets.generatedRoutePassword(nc, Names.of(nc, in.clusterDomain()), "pw"));
        if (BrokerPodMonitor.wanted(nc)) objects.add(BrokerPodMonitor.of(nc, Names.of(nc, in.clusterDomain())));
        return objects.stream().map(KubeCel::unstructured).toList();
    }

    static ModelInputs inputs(InstallerSettings installer) {
        return new ModelInputs("cluster.local", "pw", TLS, installer);
    }

    static String what(Map<String, Object> o) {
        return o.get("kind") + " " + ((Map<?, ?>) o.get("metadata")).get("name");
    }

    static void assertAdmitted(Policy p, Map<String, Object> o, String context) {
        Map<String, Object> updated = KubeCel.copy(o);
        // what OwnedObjects adds on an update
        meta(updated).put("annotations", new LinkedHashMap<>(Map.of("choria.io/hash", "0123")));
        meta(updated).put("resourceVersion", "42");
        for (var w : List.of(new Object[] {"CREATE", o, null}, new Object[] {"UPDATE", updated, o}, new Object[] {"DELETE", null, o})) {
            @SuppressWarnings("unchecked")
            List<Refusal> r = write(p, (String) w[0], (Map<String, Object>) w[1], (Map<String, Object>) w[2]);
            assertEquals(List.of(), r, context + ": " + w[0] + " " + what(o) + " must be admitted:\n" + o);
        }
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> meta(Map<String, Object> o) {
        return (Map<String, Object>) o.get("metadata");
    }

    // ---- (a) everything the operator writes is admitted ----

    @Test
    void everyObjectTheOperatorWritesIsAdmitted() {
        var puppet = io.choria.natsoperator.testing.Examples.load(java.nio.file.Path.of("examples/natscluster-puppet.yaml"));
        List<NatsCluster> clusters = List.of(cluster(SIMPLE), cluster(EVERYTHING), SpecDefaults.withDefaults(puppet),
                SpecDefaults.withDefaults(io.choria.natsoperator.testing.Examples.load(io.choria.natsoperator.testing.Examples.ONE_BROKER)),
                SpecDefaults.withDefaults(io.choria.natsoperator.testing.Examples.load(io.choria.natsoperator.testing.Examples.THREE_BROKERS)));
        int checked = 0;
        java.util.Set<String> kinds = new java.util.TreeSet<>();
        for (String mode : List.of("InitContainer", "PodSecurityContext", "None")) for (int[] sysctls : new int[][] {{128, 8192}, {4092, 128}, {65535, 262144}}) {
            for (NatsCluster original : clusters) {
                NatsCluster nc = SERIALIZATION.unmarshal(SERIALIZATION.asYaml(original), NatsCluster.class);
                nc.getSpec().getSysctls().setMode(io.choria.natsoperator.api.SysctlsSpec.Mode.valueOf(mode));
                nc.getSpec().getSysctls().setSomaxconn(sysctls[0]);
                nc.getSpec().getSysctls().setTcpMaxSynBacklog(sysctls[1]);
                assertEquals(List.of(), SpecValidator.validate(nc));
                for (var in : List.of(inputs(installer(InstallerSettings.DEFAULT_SYSCTL_IMAGE, true, List.of())),
                        inputs(installer(InstallerSettings.DEFAULT_SYSCTL_IMAGE, true, List.of("monitoring", "prometheus"))),
                        // Puppet enrolment under way: the key-and-CSR Secret, and the pinned certificates
                        new ModelInputs("cluster.local", "pw", TLS, installer(InstallerSettings.DEFAULT_SYSCTL_IMAGE, true, List.of()),
                                io.choria.natsoperator.puppet.PinnedKeys.none().list("ns", "c"), Map.of("key.pem", "K", "csr.pem", "C"),
                                new io.choria.natsoperator.model.PortPinnedCerts("pinned leaf", "pinned gateway")))) {
                    for (Map<String, Object> o : written(nc, in)) {
                        assertAdmitted(DEFAULTS, o, nc.getMetadata().getName() + " " + mode);
                        assertAdmitted(DEFAULTS, ApiServerDefaults.apply(o), nc.getMetadata().getName() + " " + mode + " (defaulted)");
                        kinds.add((String) o.get("kind"));
                        checked++;
                    }
                }
            }
        }
        assertEquals(java.util.Set.of("ConfigMap", "NetworkPolicy", "PodDisruptionBudget", "PodMonitor", "Secret", "Service", "StatefulSet"), kinds);
        assertTrue(checked > 300, "objects checked: " + checked);
    }

    /** The installer's choices reach the policy: another sysctl image, or no privileged container at all. */
    @Test
    void theInstallersSysctlImageAndSwitchAreWhatIsAdmitted() {
        String image = "registry.example/busybox:1.36.1";
        Policy custom = Policy.of("sysctlImage: " + image);
        NatsCluster nc = cluster(SIMPLE);
        for (Map<String, Object> o : written(nc, inputs(installer(image, true, List.of())))) assertAdmitted(custom, o, "custom image");
        Map<String, Object> sts = statefulSet(written(nc, inputs(installer(image, true, List.of()))));
        assertRefused(DEFAULTS, sts, "the default policy refuses another image in the privileged container", PRIVILEGED);

        Policy off = Policy.of("allowPrivilegedSysctls: false");
        var noPrivilege = installer(InstallerSettings.DEFAULT_SYSCTL_IMAGE, false, List.of());
        for (Map<String, Object> o : written(nc, inputs(noPrivilege))) assertAdmitted(off, o, "privileged sysctls off");
        assertRefused(off, statefulSet(written(nc, inputs(installer(InstallerSettings.DEFAULT_SYSCTL_IMAGE, true, List.of())))),
                "with allowPrivilegedSysctls false no privileged container at all", PRIVILEGED);
    }

    /** The policy is for the operator only: others' writes are left to RBAC. */
    @Test
    void appliesOnlyToTheOperator() {
        Map<String, Object> sts = statefulSet(written(cluster(SIMPLE), inputs(installer(InstallerSettings.DEFAULT_SYSCTL_IMAGE, true, List.of()))));
        Map<String, Object> hostile = KubeCel.copy(sts);
        initContainer(hostile).put("command", List.of("sh", "-c", "reboot"));
        assertEquals(null, evaluate(DEFAULTS, "CREATE", "apps", "statefulsets", "system:serviceaccount:kube-system:other", hostile, null));
        assertTrue(!evaluate(DEFAULTS, "CREATE", "apps", "statefulsets", OPERATOR, hostile, null).isEmpty());
    }

    // ---- (b) hostile objects are refused ----

    static void assertRefused(Policy p, Map<String, Object> o, String why) {
        assertRefused(p, o, why, "");
    }

    /** Refused on create and update, by a validation that is false (not in error) and whose message starts with {@code rule}. */
    static void assertRefused(Policy p, Map<String, Object> o, String why, String rule) {
        assertEquals(Labels.MANAGER, ((Map<?, ?>) meta(o).get("labels")).get(Labels.MANAGED_BY), "still labelled: " + why);
        for (String op : List.of("CREATE", "UPDATE")) {
            List<Refusal> r = write(p, op, o, op.equals("CREATE") ? null : o);
            assertTrue(!r.isEmpty(), op + " must be refused (" + why + "):\n" + o);
            for (Refusal x : r) assertEquals(null, x.error(), "refused by a false validation, not an evaluation error (" + why + "): " + x);
            assertTrue(r.stream().anyMatch(x -> x.message().startsWith(rule)), why + ": refused by the rule \"" + rule + "...\", not only by " + r);
        }
    }

    /** The spec of the StatefulSet's one claim template (spec.streams). */
    @SuppressWarnings("unchecked")
    static Map<String, Object> claimSpec(Map<String, Object> sts) {
        return (Map<String, Object>) ((Map<String, Object>) list(at(sts, "spec"), "volumeClaimTemplates").get(0)).get("spec");
    }

    static Map<String, Object> statefulSet(List<Map<String, Object>> objects) {
        return of(objects, "StatefulSet", null);
    }

    static Map<String, Object> of(List<Map<String, Object>> objects, String kind, String component) {
        return objects.stream().filter(o -> o.get("kind").equals(kind))
                .filter(o -> component == null || component.equals(((Map<?, ?>) meta(o).get("labels")).get(Labels.COMPONENT)))
                .findFirst().orElseThrow(() -> new AssertionError("no " + kind + " " + component));
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> at(Map<String, Object> o, String... path) {
        Map<String, Object> m = o;
        for (String p : path) m = (Map<String, Object>) m.get(p);
        return m;
    }

    @SuppressWarnings("unchecked")
    static List<Map<String, Object>> list(Map<String, Object> o, String key) {
        return (List<Map<String, Object>>) o.get(key);
    }

    static Map<String, Object> podSpec(Map<String, Object> sts) {
        return at(sts, "spec", "template", "spec");
    }

    static Map<String, Object> initContainer(Map<String, Object> sts) {
        return list(podSpec(sts), "initContainers").get(0);
    }

    static Map<String, Object> container(Map<String, Object> sts) {
        return list(podSpec(sts), "containers").get(0);
    }

    /** Each variant changes a copy of {@code base} in one way; each must be refused. */
    static void eachRefused(Map<String, Object> base, String rule, Map<String, Consumer<Map<String, Object>>> variants) {
        assertAdmitted(DEFAULTS, base, "the base of the hostile variants");
        variants.forEach((why, change) -> {
            Map<String, Object> o = KubeCel.copy(base);
            change.accept(o);
            assertRefused(DEFAULTS, o, why, rule);
        });
    }

    static Map<String, Consumer<Map<String, Object>>> variants(Object... whyAndChange) {
        Map<String, Consumer<Map<String, Object>>> m = new LinkedHashMap<>();
        for (int i = 0; i < whyAndChange.length; i += 2) {
            @SuppressWarnings("unchecked")
            Consumer<Map<String, Object>> c = (Consumer<Map<String, Object>>) whyAndChange[i + 1];
            m.put((String) whyAndChange[i], c);
        }
        return m;
    }

    static List<Map<String, Object>> everything() {
        return written(cluster(EVERYTHING), inputs(installer(InstallerSettings.DEFAULT_SYSCTL_IMAGE, true, List.of("monitoring"))));
    }

    @SuppressWarnings("unchecked")
    static String script(Map<String, Object> sts) {
        return ((List<String>) initContainer(sts).get("command")).get(2);
    }

    static Consumer<Map<String, Object>> setScript(java.util.function.UnaryOperator<String> f) {
        return o -> initContainer(o).put("command", List.of("sh", "-c", f.apply(script(o))));
    }

    @Test
    void thePrivilegedContainerIsExactlyTheSysctlStep() {
        Map<String, Object> sts = statefulSet(everything());
        String head = script(sts).substring(0, script(sts).indexOf("put /proc"));
        eachRefused(sts, PRIVILEGED, variants(
                "any command", (Consumer<Map<String, Object>>) o -> initContainer(o).put("command", List.of("sh", "-c", "chroot /host sh")),
                "another interpreter", (Consumer<Map<String, Object>>) o -> initContainer(o).put("command", List.of("/bin/busybox", "sh", "-c", script(o))),
                "a command after the script", setScript(s -> s + "nsenter -t 1 -m sh\n"),
                "a command in a number's place", setScript(s -> s.replace(" 128\n", " 128; reboot\n").replace(" 65535\n", " 65535; reboot\n")),
                "a command substitution in a number's place", setScript(s -> s.replaceFirst("somaxconn [0-9]+", "somaxconn \\$(reboot)")),
                "another file written", setScript(s -> s.replace("/proc/sys/net/core/somaxconn", "/proc/sys/kernel/core_pattern")),
                "a changed function", setScript(s -> s.replace("exit 1\n", "exit 1; reboot\n")),
                "only the put lines (no function)", setScript(s -> s.substring(head.length())),
                "a trailing line", setScript(s -> s + "\n"),
                "a number with a sign", setScript(s -> s.replaceFirst("somaxconn ([0-9]+)", "somaxconn -$1")),
                "arguments", (Consumer<Map<String, Object>>) o -> initContainer(o).put("args", List.of("x")),
                "PATH from the environment", (Consumer<Map<String, Object>>) o -> initContainer(o).put("env", List.of(Map.of("name", "PATH", "value", "/config"))),
                "environment from a ConfigMap", (Consumer<Map<String, Object>>) o -> initContainer(o).put("envFrom", List.of(Map.of("configMapRef", Map.of("name", "x")))),
                "a mount over /bin", (Consumer<Map<String, Object>>) o -> initContainer(o).put("volumeMounts", List.of(Map.of("name", "config", "mountPath", "/bin"))),
                "a device", (Consumer<Map<String, Object>>) o -> initContainer(o).put("volumeDevices", List.of(Map.of("name", "d", "devicePath", "/dev/x"))),
                "a working directory", (Consumer<Map<String, Object>>) o -> initContainer(o).put("workingDir", "/tmp"),
                "a sidecar (restartPolicy Always)", (Consumer<Map<String, Object>>) o -> initContainer(o).put("restartPolicy", "Always"),
                "a postStart hook", (Consumer<Map<String, Object>>) o -> initContainer(o).put("lifecycle", Map.of("postStart", Map.of("exec", Map.of("command", List.of("sh"))))),
                "an exec probe", (Consumer<Map<String, Object>>) o -> initContainer(o).put("startupProbe", Map.of("exec", Map.of("command", List.of("sh")))),
                "stdin", (Consumer<Map<String, Object>>) o -> initContainer(o).put("stdin", true),
                "another image", (Consumer<Map<String, Object>>) o -> initContainer(o).put("image", "alpine:3"),
                "another name", (Consumer<Map<String, Object>>) o -> initContainer(o).put("name", "tune"),
                "a second privileged init container", (Consumer<Map<String, Object>>) o -> {
                    Map<String, Object> second = KubeCel.copy(initContainer(o));
                    second.put("command", List.of("sh", "-c", "reboot"));
                    list(podSpec(o), "initContainers").add(second);
                },
                "capabilities added to an unprivileged init container", (Consumer<Map<String, Object>>) o -> {
                    Map<String, Object> c = KubeCel.copy(initContainer(o));
                    c.put("name", "other");
                    c.put("securityContext", Map.of("capabilities", Map.of("add", List.of("NET_ADMIN"))));
                    list(podSpec(o), "initContainers").add(c);
                }));
        eachRefused(sts, CONTAINERS, variants(
                "a privileged broker container", (Consumer<Map<String, Object>>) o -> container(o).put("securityContext", Map.of("privileged", true)),
                "capabilities added to a container", (Consumer<Map<String, Object>>) o -> container(o).put("securityContext",
                        Map.of("capabilities", Map.of("add", List.of("SYS_ADMIN"))))));
    }

    @Test
    void brokerPodsGetNoTokenAndNoHostAccess() {
        eachRefused(statefulSet(everything()), PODS, variants(
                "automountServiceAccountToken true", (Consumer<Map<String, Object>>) o -> podSpec(o).put("automountServiceAccountToken", true),
                "automountServiceAccountToken unset", (Consumer<Map<String, Object>>) o -> podSpec(o).remove("automountServiceAccountToken"),
                "a service account", (Consumer<Map<String, Object>>) o -> podSpec(o).put("serviceAccountName", "admin"),
                "a service account (old field)", (Consumer<Map<String, Object>>) o -> podSpec(o).put("serviceAccount", "admin"),
                "a projected service-account token", (Consumer<Map<String, Object>>) o -> list(podSpec(o), "volumes").add(Map.of("name", "token",
                        "projected", Map.of("sources", List.of(Map.of("serviceAccountToken", Map.of("path", "token")))))),
                "a projected ConfigMap beside a service-account token", (Consumer<Map<String, Object>>) o -> list(podSpec(o), "volumes").add(
                        Map.of("name", "mixed", "projected", Map.of("sources", List.of(Map.of("configMap", Map.of("name", "broker-pinned")),
                                Map.of("serviceAccountToken", Map.of("path", "token")))))),
                "a hostPath volume", (Consumer<Map<String, Object>>) o -> list(podSpec(o), "volumes").add(Map.of("name", "host", "hostPath", Map.of("path", "/"))),
                "a CSI volume", (Consumer<Map<String, Object>>) o -> list(podSpec(o), "volumes").add(Map.of("name", "csi", "csi", Map.of("driver", "secrets-store.csi.k8s.io"))),
                "a volume claim template", (Consumer<Map<String, Object>>) o -> at(o, "spec").put("volumeClaimTemplates", List.of(Map.of("metadata", Map.of("name", "x")))),
                "a second claim template", (Consumer<Map<String, Object>>) o -> list(at(o, "spec"), "volumeClaimTemplates").add(
                        Map.of("metadata", Map.of("name", "data"), "spec", Map.of("accessModes", List.of("ReadWriteOnce")))),
                "a claim cloned from another claim", (Consumer<Map<String, Object>>) o -> claimSpec(o).put("dataSource",
                        Map.of("kind", "PersistentVolumeClaim", "name", "someone-elses")),
                "a claim filled from a data source ref", (Consumer<Map<String, Object>>) o -> claimSpec(o).put("dataSourceRef",
                        Map.of("kind", "VolumeSnapshot", "name", "snap", "apiGroup", "snapshot.storage.k8s.io")),
                "a claim selecting existing volumes", (Consumer<Map<String, Object>>) o -> claimSpec(o).put("selector", Map.of("matchLabels", Map.of("a", "b"))),
                "a claim naming a volume", (Consumer<Map<String, Object>>) o -> claimSpec(o).put("volumeName", "host-root"),
                "a block-mode claim", (Consumer<Map<String, Object>>) o -> claimSpec(o).put("volumeMode", "Block"),
                "a claim shared read-write by many", (Consumer<Map<String, Object>>) o -> claimSpec(o).put("accessModes", List.of("ReadWriteMany")),
                "host network", (Consumer<Map<String, Object>>) o -> podSpec(o).put("hostNetwork", true),
                "host PID", (Consumer<Map<String, Object>>) o -> podSpec(o).put("hostPID", true),
                "host IPC", (Consumer<Map<String, Object>>) o -> podSpec(o).put("hostIPC", true),
                "an ephemeral container", (Consumer<Map<String, Object>>) o -> podSpec(o).put("ephemeralContainers", List.of(Map.of("name", "debug", "image", "busybox")))));
    }

    @Test
    void servicesFrontTheBrokersOnly() {
        List<Map<String, Object>> objects = everything();
        Map<String, Object> headless = of(objects, "Service", "routes");
        eachRefused(headless, SERVICES, variants(
                "ExternalName", (Consumer<Map<String, Object>>) o -> {
                    at(o, "spec").put("type", "ExternalName");
                    at(o, "spec").put("externalName", "kubernetes.default.svc");
                },
                "another app's pods", (Consumer<Map<String, Object>>) o -> at(o, "spec").put("selector", Map.of("app", "postgres")),
                "the brokers' selector and more", (Consumer<Map<String, Object>>) o -> at(o, "spec", "selector").put("tier", "db"),
                "another name label", (Consumer<Map<String, Object>>) o -> at(o, "spec", "selector").put(Labels.NAME, "postgres"),
                "no selector (hand-made endpoints)", (Consumer<Map<String, Object>>) o -> at(o, "spec").remove("selector"),
                "the route port exposed as a LoadBalancer", (Consumer<Map<String, Object>>) o -> at(o, "spec").put("type", "LoadBalancer"),
                "the route port exposed as a NodePort", (Consumer<Map<String, Object>>) o -> at(o, "spec").put("type", "NodePort"),
                "the monitoring port", (Consumer<Map<String, Object>>) o -> list(at(o, "spec"), "ports").get(0).put("targetPort", "monitor"),
                "a port by number", (Consumer<Map<String, Object>>) o -> list(at(o, "spec"), "ports").get(0).put("targetPort", 8222L)));
        eachRefused(headless, EXTERNAL_IPS, variants(
                "externalIPs", (Consumer<Map<String, Object>>) o -> at(o, "spec").put("externalIPs", List.of("10.96.0.10"))));
        Map<String, Object> client = of(objects, "Service", "client");
        assertEquals("LoadBalancer", at(client, "spec").get("type"));
        eachRefused(client, SERVICES, variants(
                "the monitoring port on the client LoadBalancer", (Consumer<Map<String, Object>>) o -> list(at(o, "spec"), "ports")
                        .add(new LinkedHashMap<>(Map.of("name", "m", "port", 8222L, "targetPort", "monitor"))),
                "the route port on the client LoadBalancer", (Consumer<Map<String, Object>>) o -> list(at(o, "spec"), "ports")
                        .add(new LinkedHashMap<>(Map.of("name", "r", "port", 4223L, "targetPort", "cluster")))));
    }

    @Test
    void networkPoliciesOpenNothingTheOperatorDoesNot() {
        Map<String, Object> np = of(everything(), "NetworkPolicy", null);
        eachRefused(np, NETWORK_POLICIES, variants(
                "every pod of the namespace", (Consumer<Map<String, Object>>) o -> at(o, "spec").put("podSelector", Map.of()),
                "another app's pods", (Consumer<Map<String, Object>>) o -> at(o, "spec").put("podSelector", Map.of("matchLabels", Map.of("app", "postgres"))),
                "the operator's own pods", (Consumer<Map<String, Object>>) o -> at(o, "spec").put("podSelector", Map.of("matchLabels", OPERATOR_POD_LABELS)),
                "the brokers' selector widened by an expression", (Consumer<Map<String, Object>>) o -> at(o, "spec", "podSelector").put("matchExpressions",
                        List.of(Map.of("key", "x", "operator", "DoesNotExist"))),
                "allow-all rule (no ports, no peers)", (Consumer<Map<String, Object>>) o -> list(at(o, "spec"), "ingress").add(new LinkedHashMap<>()),
                "a rule for every port from named peers", (Consumer<Map<String, Object>>) o -> list(at(o, "spec"), "ingress").add(
                        new LinkedHashMap<>(Map.of("from", List.of(Map.of("namespaceSelector", Map.of()))))),
                "the route port open to all", (Consumer<Map<String, Object>>) o -> list(at(o, "spec"), "ingress").get(1).remove("from"),
                "the route port from every namespace", (Consumer<Map<String, Object>>) o -> list(at(o, "spec"), "ingress").get(1)
                        .put("from", List.of(Map.of("namespaceSelector", Map.of()))),
                "the route port again, in another rule", (Consumer<Map<String, Object>>) o -> list(at(o, "spec"), "ingress").add(
                        new LinkedHashMap<>(Map.of("ports", List.of(Map.of("port", 4223L, "protocol", "TCP"))))),
                "the monitoring port open to all", (Consumer<Map<String, Object>>) o -> list(at(o, "spec"), "ingress").get(2).remove("from"),
                "the monitoring port again, in another rule", (Consumer<Map<String, Object>>) o -> list(at(o, "spec"), "ingress").add(
                        new LinkedHashMap<>(Map.of("ports", List.of(Map.of("port", 8222L, "protocol", "TCP"))))),
                "the monitoring port by name", (Consumer<Map<String, Object>>) o -> list(at(o, "spec"), "ingress").add(
                        new LinkedHashMap<>(Map.of("ports", List.of(Map.of("port", "monitor", "protocol", "TCP"))))),
                "a port range", (Consumer<Map<String, Object>>) o -> list(list(at(o, "spec"), "ingress").get(0), "ports").get(0).put("endPort", 65535L),
                "a rule of two ports", (Consumer<Map<String, Object>>) o -> list(list(at(o, "spec"), "ingress").get(0), "ports")
                        .add(Map.of("port", 8222L, "protocol", "TCP")),
                "a rule without a port number (every port)", (Consumer<Map<String, Object>>) o -> list(list(at(o, "spec"), "ingress").get(0), "ports").get(0).remove("port"),
                "egress", (Consumer<Map<String, Object>>) o -> {
                    at(o, "spec").put("policyTypes", List.of("Ingress", "Egress"));
                    at(o, "spec").put("egress", List.of(Map.of()));
                },
                "no ingress rules beyond the client's", (Consumer<Map<String, Object>>) o -> list(at(o, "spec"), "ingress").subList(1, list(at(o, "spec"), "ingress").size()).clear()));
    }

    @Test
    void podMonitorsMakePrometheusSendNoSecret() {
        Map<String, Object> pm = of(everything(), BrokerPodMonitor.KIND, null);
        Map<String, Object> secretRef = Map.of("name", "some-app-credentials", "key", "password");
        java.util.function.Function<Map<String, Object>, Map<String, Object>> endpoint = o -> list(at(o, "spec"), "podMetricsEndpoints").get(0);
        eachRefused(pm, POD_MONITORS, variants(
                "bearerTokenSecret", (Consumer<Map<String, Object>>) o -> endpoint.apply(o).put("bearerTokenSecret", secretRef),
                "basicAuth", (Consumer<Map<String, Object>>) o -> endpoint.apply(o).put("basicAuth", Map.of("username", secretRef, "password", secretRef)),
                "authorization", (Consumer<Map<String, Object>>) o -> endpoint.apply(o).put("authorization", Map.of("credentials", secretRef)),
                "oauth2", (Consumer<Map<String, Object>>) o -> endpoint.apply(o).put("oauth2", Map.of("clientId", Map.of("secret", secretRef),
                        "clientSecret", secretRef, "tokenUrl", "https://attacker.example.net/")),
                "tlsConfig with a key Secret", (Consumer<Map<String, Object>>) o -> endpoint.apply(o).put("tlsConfig", Map.of("keySecret", secretRef,
                        "cert", Map.of("secret", secretRef))),
                "a proxy", (Consumer<Map<String, Object>>) o -> endpoint.apply(o).put("proxyUrl", "http://attacker.example.net:3128"),
                "relabelings (another address)", (Consumer<Map<String, Object>>) o -> endpoint.apply(o).put("relabelings",
                        List.of(Map.of("targetLabel", "__address__", "replacement", "attacker.example.net:80"))),
                "params", (Consumer<Map<String, Object>>) o -> endpoint.apply(o).put("params", Map.of("x", List.of("y"))),
                "another port", (Consumer<Map<String, Object>>) o -> endpoint.apply(o).put("port", "monitor"),
                "another namespace", (Consumer<Map<String, Object>>) o -> at(o, "spec").put("namespaceSelector", Map.of("any", true)),
                "a scrape class", (Consumer<Map<String, Object>>) o -> at(o, "spec").put("scrapeClass", "with-credentials"),
                "every pod", (Consumer<Map<String, Object>>) o -> at(o, "spec").put("selector", Map.of()),
                "another app's pods", (Consumer<Map<String, Object>>) o -> at(o, "spec").put("selector", Map.of("matchLabels", Map.of("app", "vault")))));
    }

    @Test
    void secretsAreNeverServiceAccountTokens() {
        Map<String, Object> secret = of(everything(), "Secret", null);
        eachRefused(secret, SECRETS, variants(
                "a service-account token Secret", (Consumer<Map<String, Object>>) o -> {
                    o.put("type", "kubernetes.io/service-account-token");
                    at(o, "metadata").put("annotations", Map.of("kubernetes.io/service-account.name", "default"));
                }));
    }

    /** Labels and owners: the two checks that do not depend on the kind. */
    @Test
    void onlyTheOperatorsOwnObjects() {
        Map<String, Object> cm = of(everything(), "ConfigMap", null);
        Map<String, Object> foreign = KubeCel.copy(cm);
        at(foreign, "metadata").remove("labels");
        at(foreign, "metadata").remove("ownerReferences");
        assertTrue(!write(DEFAULTS, "CREATE", foreign, null).isEmpty(), "an unlabelled object");
        assertTrue(!write(DEFAULTS, "UPDATE", cm, foreign).isEmpty(), "taking over another's object by labelling it");
        assertTrue(!write(DEFAULTS, "DELETE", null, foreign).isEmpty(), "deleting another's object");
        Map<String, Object> unlabelledButOwned = KubeCel.copy(cm);
        at(unlabelledButOwned, "metadata").remove("labels");
        assertEquals(List.of(), write(DEFAULTS, "UPDATE", cm, unlabelledButOwned), "relabelling its own object");
        // A broker's JetStream claim, as the StatefulSet controller makes it from the operator's template (its labels): the
        // operator may grow it; another application's claim it may not touch.
        Map<String, Object> sts = statefulSet(everything());
        @SuppressWarnings("unchecked")
        Map<String, Object> template = (Map<String, Object>) list(at(sts, "spec"), "volumeClaimTemplates").get(0);
        Map<String, Object> claim = new java.util.LinkedHashMap<>(Map.of("apiVersion", "v1", "kind", "PersistentVolumeClaim",
                "metadata", new java.util.LinkedHashMap<>(Map.of("name", "data-hub-0", "namespace", "choria",
                        "labels", ((Map<?, ?>) template.get("metadata")).get("labels"))),
                "spec", KubeCel.copy(claimSpec(sts))));
        Map<String, Object> grown = KubeCel.copy(claim);
        at(at(at(grown, "spec"), "resources"), "requests").put("storage", "40Gi");
        assertEquals(List.of(), write(DEFAULTS, "UPDATE", grown, claim), "growing a broker's claim");
        Map<String, Object> database = KubeCel.copy(claim);
        at(database, "metadata").remove("labels");
        Map<String, Object> databaseGrown = KubeCel.copy(grown);
        at(databaseGrown, "metadata").remove("labels");
        assertTrue(!write(DEFAULTS, "UPDATE", databaseGrown, database).isEmpty(), "resizing another application's claim");
    }
}
