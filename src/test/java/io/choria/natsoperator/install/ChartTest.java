package io.choria.natsoperator.install;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.marcnuri.helm.Helm;
import com.marcnuri.helm.LintResult;
import io.choria.natsoperator.model.InstallerSettings;
import io.choria.natsoperator.runtime.RuntimeConfig;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceAccount;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.rbac.ClusterRole;
import io.fabric8.kubernetes.api.model.rbac.ClusterRoleBinding;
import io.fabric8.kubernetes.api.model.rbac.PolicyRule;
import io.fabric8.kubernetes.api.model.rbac.Role;
import io.fabric8.kubernetes.api.model.rbac.RoleBinding;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** The Helm chart: lints clean, renders what its values ask for, rejects values its schema does not allow. */
class ChartTest {

    static Container operatorContainer(Deployment d) {
        return d.getSpec().getTemplate().getSpec().getContainers().get(0);
    }

    static Map<String, String> env(Container c) {
        return c.getEnv().stream().filter(e -> e.getValue() != null).collect(Collectors.toMap(EnvVar::getName, EnvVar::getValue));
    }

    static List<PolicyRule> allRules(List<HasMetadata> objects) {
        List<PolicyRule> rules = new ArrayList<>();
        Chart.all(objects, ClusterRole.class).forEach(r -> rules.addAll(r.getRules()));
        Chart.all(objects, Role.class).forEach(r -> rules.addAll(r.getRules()));
        return rules;
    }

    @Test
    void lintsCleanInStrictMode() {
        LintResult result = new Helm(Chart.DIR).lint().strict().call();
        assertFalse(result.isFailed(), String.join("\n", result.getMessages()));
        for (String m : result.getMessages()) {
            assertFalse(m.contains("[WARNING]") || m.contains("[ERROR]"), m);
        }
    }

    @Test
    void chartCrdIsTheGeneratedCrd() throws Exception {
        String chart = Files.readString(Chart.DIR.resolve("crds/natsclusters.choria.io-v1.yml"));
        assertEquals(Files.readString(Path.of("crds/natsclusters.choria.io-v1.yml")), chart,
                "helm/nats-operator/crds/ is stale: cp crds/natsclusters.choria.io-v1.yml helm/nats-operator/crds/");
        assertEquals(Files.readString(Path.of("target/classes/META-INF/fabric8/natsclusters.choria.io-v1.yml")), chart,
                "the chart's CRD differs from the one generated from the api classes");
        try (var files = Files.list(Chart.DIR.resolve("crds"))) {
            assertEquals(1, files.count(), "the chart's crds/ holds the NatsCluster CRD only");
        }
    }

    @Test
    void defaultInstallIsLeastPrivilegeAndLockedDown() {
        List<HasMetadata> objects = Chart.render(null);
        assertEquals(Set.of("ServiceAccount", "ClusterRole", "ClusterRoleBinding", "Role", "RoleBinding", "Service", "Deployment",
                        "ValidatingAdmissionPolicy", "ValidatingAdmissionPolicyBinding", "NetworkPolicy"),
                objects.stream().map(HasMetadata::getKind).collect(Collectors.toSet()));
        for (PolicyRule rule : allRules(objects)) {
            for (List<String> field : List.of(rule.getApiGroups(), rule.getResources(), rule.getVerbs())) {
                assertFalse(field.contains("*"), "wildcard in " + rule);
            }
            assertTrue(rule.getResourceNames() == null || rule.getResourceNames().isEmpty(), rule.toString());
            assertTrue(rule.getNonResourceURLs() == null || rule.getNonResourceURLs().isEmpty(), rule.toString());
            assertFalse(rule.getResources().stream().anyMatch(r -> r.startsWith("pods")), "no pod access: " + rule);
            // the only deletes: the operator's own optional objects (NetworkPolicy, the puppet alias, gateway and leaf node
            // Services, the PodMonitor) when switched off, and the enrolment's key-and-CSR Secret once Puppet signed (the
            // admission policy keeps it to its own), and the StatefulSet whose claim templates spec.streams changes (orphaning)
            boolean deletes = rule.getVerbs().contains("delete") || rule.getVerbs().contains("deletecollection");
            assertFalse(deletes && !List.of(List.of("networkpolicies"), List.of("services"), List.of("podmonitors"), List.of("secrets"),
                    List.of("statefulsets"))
                    .contains(rule.getResources()), "nothing else deletes: " + rule);
            assertFalse(rule.getVerbs().contains("deletecollection"), rule.toString());
        }
        // the lease is granted in the release namespace only
        Role lease = Chart.one(objects, Role.class);
        assertEquals(Chart.NAMESPACE, lease.getMetadata().getNamespace());
        assertEquals(List.of("leases"), lease.getRules().get(0).getResources());

        Deployment d = Chart.one(objects, Deployment.class);
        assertEquals(Chart.NAMESPACE, d.getMetadata().getNamespace());
        assertEquals(1, d.getSpec().getReplicas());
        var pod = d.getSpec().getTemplate().getSpec();
        assertEquals(Chart.RELEASE, pod.getServiceAccountName());
        assertEquals(Chart.RELEASE, Chart.one(objects, ServiceAccount.class).getMetadata().getName());
        assertTrue(pod.getSecurityContext().getRunAsNonRoot());
        assertEquals("RuntimeDefault", pod.getSecurityContext().getSeccompProfile().getType());
        Container c = operatorContainer(d);
        assertEquals("choria/nats-operator:0.1.0", c.getImage());
        var sc = c.getSecurityContext();
        assertTrue(sc.getRunAsNonRoot());
        assertTrue(sc.getReadOnlyRootFilesystem());
        assertFalse(sc.getAllowPrivilegeEscalation());
        assertFalse(sc.getPrivileged() != null && sc.getPrivileged());
        assertEquals(List.of("ALL"), sc.getCapabilities().getDrop());
        assertTrue(sc.getCapabilities().getAdd() == null || sc.getCapabilities().getAdd().isEmpty());
        assertEquals("RuntimeDefault", sc.getSeccompProfile().getType());
        assertTrue(pod.getSecurityContext().getRunAsUser() > 0);
        assertEquals(new Quantity("512Mi"), c.getResources().getLimits().get("memory"));
        assertEquals(new Quantity("256Mi"), c.getResources().getRequests().get("memory"));
        Map<String, String> env = env(c);
        assertEquals("", env.get("WATCH_NAMESPACES"));
        assertEquals("info", env.get("LOG_LEVEL"));
        assertEquals("true", env.get("LEADER_ELECTION"));
        assertEquals("metadata.namespace", c.getEnv().stream().filter(e -> e.getName().equals("POD_NAMESPACE")).findFirst()
                .orElseThrow().getValueFrom().getFieldRef().getFieldPath());
        // the installer's choices for every NatsCluster, and who the operator is (for the brokers' NetworkPolicy)
        assertEquals(InstallerSettings.DEFAULT_SYSCTL_IMAGE, env.get("SYSCTL_IMAGE"));
        assertEquals("true", env.get("ALLOW_PRIVILEGED_SYSCTLS"));
        Map<String, String> podLabels = RuntimeConfig.labelList(env.get("OPERATOR_POD_LABELS"));
        assertEquals(Map.of("app.kubernetes.io/name", "nats-operator", "app.kubernetes.io/instance", Chart.RELEASE), podLabels);
        var labels = d.getSpec().getTemplate().getMetadata().getLabels();
        podLabels.forEach((k, v) -> assertEquals(v, labels.get(k), "the operator's pods carry " + k));
    }

    @Test
    void installerChoosesTheSysctlImageAndPrivilege() {
        Map<String, String> env = env(operatorContainer(Chart.one(Chart.render("""
                sysctlImage: registry.example/busybox@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef
                allowPrivilegedSysctls: false
                """), Deployment.class)));
        assertEquals("registry.example/busybox@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
                env.get("SYSCTL_IMAGE"));
        assertEquals("false", env.get("ALLOW_PRIVILEGED_SYSCTLS"));
        assertFalse(RuntimeConfig.parse(new String[0], env).allowPrivilegedSysctls(), "the operator reads it as false");
    }

    /** The documented one-liner for a namespaced install: {@code --set watchNamespaces[0]=choria} (helm-java takes no {a,b} list syntax). */
    @Test
    void namespacedInstallWithOneSetGrantsNothingClusterWide() {
        List<HasMetadata> objects = Chart.parse(new Helm(Chart.DIR).template().withName(Chart.RELEASE).withNamespace(Chart.NAMESPACE)
                .set("watchNamespaces[0]", "choria").call());
        assertTrue(Chart.all(objects, ClusterRole.class).isEmpty(), "no ClusterRole");
        assertTrue(Chart.all(objects, ClusterRoleBinding.class).isEmpty(), "no ClusterRoleBinding");
        Set<String> roleNamespaces = Chart.all(objects, Role.class).stream().map(r -> r.getMetadata().getNamespace()).collect(Collectors.toSet());
        assertEquals(Set.of("choria", Chart.NAMESPACE), roleNamespaces, "the watched namespace, and the lease's");
        Role lease = Chart.named(objects, Role.class, Chart.RELEASE + "-leader-election").orElseThrow();
        assertEquals(Set.of("coordination.k8s.io"), lease.getRules().stream().flatMap(r -> r.getApiGroups().stream()).collect(Collectors.toSet()),
                "the release namespace holds only the Lease grant: no Secret, ConfigMap or StatefulSet rights there");
        Role choria = Chart.all(objects, Role.class).stream().filter(r -> r.getMetadata().getNamespace().equals("choria")).findFirst().orElseThrow();
        assertTrue(choria.getRules().stream().anyMatch(r -> r.getResources().contains("secrets")));
        assertEquals("choria", env(operatorContainer(Chart.one(objects, Deployment.class))).get("WATCH_NAMESPACES"));
    }

    @Test
    void nonDefaultValuesAreHonoured() {
        List<HasMetadata> objects = Chart.render("""
                image: {repository: registry.example/choria/nats-operator, tag: "1.2.3", pullPolicy: Always}
                imagePullSecrets: [{name: regcred}]
                replicas: 2
                watchNamespaces: [choria, brokers]
                clusterDomain: k8s.example
                logLevel: debug
                http: {port: 9090}
                metrics: {service: {enabled: true, annotations: {prometheus.io/scrape: "true"}}}
                leaderElection: {enabled: true, leaseName: my-lease}
                serviceAccount: {create: true, name: natsop, annotations: {owner: platform}}
                resources: {requests: {cpu: 50m, memory: 200Mi}, limits: {cpu: "1", memory: 1Gi}}
                podAnnotations: {a: b}
                podLabels: {team: platform}
                priorityClassName: system-cluster-critical
                nodeSelector: {kubernetes.io/os: linux, role: infra}
                tolerations: [{key: infra, operator: Exists, effect: NoSchedule}]
                affinity:
                  nodeAffinity:
                    requiredDuringSchedulingIgnoredDuringExecution:
                      nodeSelectorTerms: [{matchExpressions: [{key: role, operator: In, values: [infra]}]}]
                """);
        assertTrue(Chart.all(objects, ClusterRole.class).isEmpty(), "watching namespaces: no ClusterRole");
        assertTrue(Chart.all(objects, ClusterRoleBinding.class).isEmpty());
        List<HasMetadata> defaults = Chart.render(null);
        List<PolicyRule> clusterRules = Chart.one(defaults, ClusterRole.class).getRules();
        for (String ns : List.of("choria", "brokers")) {
            Role role = Chart.all(objects, Role.class).stream().filter(r -> ns.equals(r.getMetadata().getNamespace())).findFirst().orElseThrow();
            assertEquals(clusterRules, role.getRules(), "a watched namespace gets the ClusterRole's rules");
            RoleBinding rb = Chart.all(objects, RoleBinding.class).stream().filter(r -> ns.equals(r.getMetadata().getNamespace())).findFirst().orElseThrow();
            assertEquals(role.getMetadata().getName(), rb.getRoleRef().getName());
            assertEquals("natsop", rb.getSubjects().get(0).getName());
            assertEquals(Chart.NAMESPACE, rb.getSubjects().get(0).getNamespace());
        }
        Deployment d = Chart.one(objects, Deployment.class);
        assertEquals(2, d.getSpec().getReplicas());
        var pod = d.getSpec().getTemplate().getSpec();
        Container c = operatorContainer(d);
        assertEquals("registry.example/choria/nats-operator:1.2.3", c.getImage());
        assertEquals("Always", c.getImagePullPolicy());
        assertEquals("regcred", pod.getImagePullSecrets().get(0).getName());
        assertEquals("natsop", pod.getServiceAccountName());
        assertEquals("platform", Chart.one(objects, ServiceAccount.class).getMetadata().getAnnotations().get("owner"));
        Map<String, String> env = env(c);
        assertEquals("choria,brokers", env.get("WATCH_NAMESPACES"));
        assertEquals("debug", env.get("LOG_LEVEL"));
        assertEquals("9090", env.get("HTTP_PORT"));
        assertEquals("k8s.example", env.get("CLUSTER_DOMAIN"));
        assertEquals("my-lease", env.get("LEASE_NAME"));
        assertEquals(9090, c.getPorts().get(0).getContainerPort());
        Service svc = Chart.one(objects, Service.class);
        assertEquals(9090, svc.getSpec().getPorts().get(0).getPort());
        assertEquals("true", svc.getMetadata().getAnnotations().get("prometheus.io/scrape"));
        assertEquals(new Quantity("1Gi"), c.getResources().getLimits().get("memory"));
        assertEquals(new Quantity("50m"), c.getResources().getRequests().get("cpu"));
        assertEquals(Map.of("kubernetes.io/os", "linux", "role", "infra"), pod.getNodeSelector());
        assertEquals("infra", pod.getTolerations().get(0).getKey());
        assertEquals("NoSchedule", pod.getTolerations().get(0).getEffect());
        assertEquals("role", pod.getAffinity().getNodeAffinity().getRequiredDuringSchedulingIgnoredDuringExecution()
                .getNodeSelectorTerms().get(0).getMatchExpressions().get(0).getKey());
        assertEquals("system-cluster-critical", pod.getPriorityClassName());
        assertEquals("platform", d.getSpec().getTemplate().getMetadata().getLabels().get("team"));
        assertEquals("b", d.getSpec().getTemplate().getMetadata().getAnnotations().get("a"));
        // the lease Role stays in the release namespace
        assertTrue(Chart.named(objects, Role.class, "nats-operator-leader-election").isPresent());
    }

    /** The operator's /metrics names every cluster and broker: by default no pod reaches its port, then only the scrape namespaces. */
    @Test
    void operatorPortAdmitsOnlyTheScrapeNamespaces() {
        Deployment d = Chart.one(Chart.render(null), Deployment.class);
        var locked = Chart.one(Chart.render(null), io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy.class);
        assertEquals(d.getSpec().getSelector().getMatchLabels(), locked.getSpec().getPodSelector().getMatchLabels(), "selects the operator's pods");
        assertEquals(List.of("Ingress"), locked.getSpec().getPolicyTypes());
        assertEquals(List.of(), locked.getSpec().getIngress(), "no scrape namespaces: no pod is admitted");

        var open = Chart.one(Chart.render("metrics: {scrapeNamespaces: [monitoring, prometheus]}"),
                io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy.class);
        assertEquals(1, open.getSpec().getIngress().size());
        var rule = open.getSpec().getIngress().get(0);
        assertEquals(1, rule.getFrom().size());
        var from = rule.getFrom().get(0);
        assertEquals(null, from.getPodSelector());
        assertEquals(null, from.getIpBlock());
        var expr = from.getNamespaceSelector().getMatchExpressions();
        assertEquals(1, expr.size());
        assertEquals("kubernetes.io/metadata.name", expr.get(0).getKey());
        assertEquals("In", expr.get(0).getOperator());
        assertEquals(List.of("monitoring", "prometheus"), expr.get(0).getValues());
        assertEquals(1, rule.getPorts().size());
        assertEquals("http", rule.getPorts().get(0).getPort().getStrVal(), "the HTTP port only");
        assertEquals("http", operatorContainer(d).getPorts().get(0).getName(), "the container's port is named http");
    }

    @Test
    void optionalPartsCanBeLeftOut() {
        List<HasMetadata> objects = Chart.render("""
                leaderElection: {enabled: false, leaseName: nats-operator-leader}
                metrics: {service: {enabled: false}}
                serviceAccount: {create: false, name: existing}
                rbac: {create: false}
                admissionPolicy: {enabled: false}
                networkPolicy: {enabled: false}
                """);
        assertEquals(List.of("Deployment"), objects.stream().map(HasMetadata::getKind).toList());
        assertEquals("existing", Chart.one(objects, Deployment.class).getSpec().getTemplate().getSpec().getServiceAccountName());
        assertEquals("false", env(operatorContainer(Chart.one(objects, Deployment.class))).get("LEADER_ELECTION"));
    }

    @Test
    void valuesOutsideTheSchemaAreRejected() {
        for (String bad : List.of(
                "replicas: three",
                "replicas: 0",
                "logLevel: verbose",
                "http: {port: eighty}",
                "http: {port: 80}",
                "watchNamespaces: choria",
                "watchNamespaces: [Not_A_Namespace]",
                "image: {repository: x, pullPolicy: Sometimes}",
                "leaderElection: {enabled: yes-please, leaseName: l}",
                "resources: {requests: {memory: lots}}",
                "nodeSelector: {role: [infra]}",
                "tolerations: {key: infra}",
                "metrics: {port: 9090}",
                "sysctlImage: \"busybox\\nx\"",
                "sysctlImage: \"\"",
                "allowPrivilegedSysctls: maybe",
                "admissionPolicy: {enabled: sometimes}",
                "replica: 2")) {
            Exception e = assertThrows(Exception.class, () -> Chart.template(bad), "accepted: " + bad);
            assertTrue(e.getMessage().contains("schema") || e.getMessage().contains("values"), bad + " -> " + e.getMessage());
        }
        Exception e = assertThrows(Exception.class, () -> Chart.template("replicas: 2\nleaderElection: {enabled: false, leaseName: l}"));
        assertTrue(e.getMessage().contains("leaderElection.enabled"), e.getMessage());
    }

    /** The revocation alert compares each cluster's sync age with that cluster's own limit (a metric), never a constant of the chart. */
    @Test
    @SuppressWarnings("unchecked")
    void revocationAlertComparesEachClustersOwnLimit() {
        var rule = Chart.render("metrics: {prometheusRule: {enabled: true}}").stream().filter(o -> o.getKind().equals("PrometheusRule"))
                .map(io.fabric8.kubernetes.api.model.GenericKubernetesResource.class::cast).findFirst().orElseThrow();
        Map<String, Object> spec = (Map<String, Object>) rule.getAdditionalProperties().get("spec");
        Map<String, Object> alert = ((List<Map<String, Object>>) spec.get("groups")).stream()
                .flatMap(g -> ((List<Map<String, Object>>) g.get("rules")).stream())
                .filter(r -> "NatsRevocationSyncStale".equals(r.get("alert"))).findFirst().orElseThrow();
        assertEquals("natscluster_revocation_sync_age_seconds > on(namespace, natscluster) natscluster_revocation_max_sync_age_seconds",
                alert.get("expr"));
        // An upgrade that still sets the old value goes through (the notes say it is ignored), and the alert is the same.
        assertTrue(Chart.template("metrics: {prometheusRule: {enabled: true, revocationSyncStaleSeconds: 600}}")
                .contains("natscluster_revocation_sync_age_seconds > on(namespace, natscluster) natscluster_revocation_max_sync_age_seconds"));
    }

    @Test
    void readmeListsEveryValue() throws Exception {
        Map<String, Object> values = Chart.SERIALIZATION.unmarshal(Files.readString(Chart.DIR.resolve("values.yaml")), Map.class);
        String readme = Files.readString(Chart.DIR.resolve("README.md"));
        List<String> missing = new ArrayList<>();
        leaves("", values).forEach(key -> {
            if (!readme.contains("`" + key + "`")) missing.add(key);
        });
        assertTrue(missing.isEmpty(), "values not in helm/nats-operator/README.md: " + missing);
        var schema = Chart.SERIALIZATION.unmarshal(Files.readString(Chart.DIR.resolve("values.schema.json")), Map.class);
        assertEquals(new java.util.TreeSet<>(values.keySet()), new java.util.TreeSet<>(((Map<?, ?>) schema.get("properties")).keySet()),
                "values.yaml and values.schema.json disagree on the top-level values");
    }

    /** resources.requests and free-form maps count as one value; nested value objects are walked. */
    static List<String> leaves(String prefix, Map<String, Object> map) {
        List<String> out = new ArrayList<>();
        for (var e : map.entrySet()) {
            String key = prefix + e.getKey();
            if (e.getValue() instanceof Map<?, ?> m && !m.isEmpty() && !Set.of("resources").contains(key)) {
                @SuppressWarnings("unchecked")
                Map<String, Object> child = (Map<String, Object>) m;
                out.addAll(leaves(key + ".", child));
            } else {
                out.add(key);
            }
        }
        return out;
    }
}
