package io.choria.natsoperator.install;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.choria.natsoperator.api.NatsCluster;
import io.choria.natsoperator.model.BrokerSecrets;
import io.choria.natsoperator.model.DesiredCluster;
import io.choria.natsoperator.model.Labels;
import io.choria.natsoperator.model.ModelInputs;
import io.choria.natsoperator.model.Names;
import io.choria.natsoperator.model.NatsClusterModel;
import io.choria.natsoperator.model.SpecDefaults;
import io.choria.natsoperator.model.TlsFiles;
import io.choria.natsoperator.reconciler.dependent.Dependents;
import io.choria.natsoperator.testing.Examples;
import io.choria.natsoperator.api.SysctlsSpec;
import io.choria.natsoperator.model.InstallerSettings;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecurityContext;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.admissionregistration.v1.NamedRuleWithOperations;
import io.fabric8.kubernetes.api.model.admissionregistration.v1.ValidatingAdmissionPolicy;
import io.fabric8.kubernetes.api.model.admissionregistration.v1.ValidatingAdmissionPolicyBinding;
import io.fabric8.kubernetes.api.model.admissionregistration.v1.Variable;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * The chart's ValidatingAdmissionPolicy: the operator's service account may write only objects
 * labelled as managed by it. This checks the rendered policy's structure and expressions against
 * the code (the kinds the operator writes, its label, its owner references); AdmissionPolicyCelTest
 * evaluates the CEL (cel-java) against what the operator writes and against hostile objects. The
 * CEL has not been run against a real API server.
 */
class AdmissionPolicyTest {
    static final String LABEL_TEST = "'" + Labels.MANAGED_BY + "' in object.metadata.labels";
    static final String LABEL_VALUE = "object.metadata.labels['" + Labels.MANAGED_BY + "'] == '" + Labels.MANAGER + "'";

    @Test
    void onByDefaultAndBoundToDeny() {
        List<HasMetadata> objects = Chart.render(null);
        ValidatingAdmissionPolicy policy = Chart.one(objects, ValidatingAdmissionPolicy.class);
        ValidatingAdmissionPolicyBinding binding = Chart.one(objects, ValidatingAdmissionPolicyBinding.class);
        assertEquals(policy.getMetadata().getName(), binding.getSpec().getPolicyName());
        assertEquals(List.of("Deny"), binding.getSpec().getValidationActions());
        assertEquals("Fail", policy.getSpec().getFailurePolicy(), "an unavailable check must not let writes through");
        assertTrue(binding.getSpec().getMatchResources() == null || binding.getSpec().getMatchResources().getNamespaceSelector() == null,
                "every namespace: a stolen token must not write outside the watched ones either");

        List<HasMetadata> off = Chart.render("admissionPolicy: {enabled: false}");
        assertTrue(Chart.all(off, ValidatingAdmissionPolicy.class).isEmpty());
        assertTrue(Chart.all(off, ValidatingAdmissionPolicyBinding.class).isEmpty());
    }

    @Test
    void appliesOnlyToTheOperatorsServiceAccount() {
        ValidatingAdmissionPolicy policy = Chart.one(Chart.render("serviceAccount: {create: true, name: natsop}"), ValidatingAdmissionPolicy.class);
        assertEquals(1, policy.getSpec().getMatchConditions().size());
        assertEquals("request.userInfo.username == 'system:serviceaccount:" + Chart.NAMESPACE + ":natsop'",
                policy.getSpec().getMatchConditions().get(0).getExpression());
    }

    /** Exactly the kinds the operator writes (Dependents), on create, update and delete; not their status. */
    @Test
    void coversEveryKindTheOperatorWrites() {
        ValidatingAdmissionPolicy policy = Chart.one(Chart.render(null), ValidatingAdmissionPolicy.class);
        Set<String> covered = new TreeSet<>();
        for (NamedRuleWithOperations rule : policy.getSpec().getMatchConstraints().getResourceRules()) {
            assertEquals(List.of("CREATE", "UPDATE", "DELETE"), rule.getOperations());
            for (String group : rule.getApiGroups()) for (String resource : rule.getResources()) {
                assertTrue(!resource.contains("/") && !resource.contains("*"), resource);
                covered.add(group + "/" + resource);
            }
        }
        Set<String> written = new TreeSet<>();
        for (Class<? extends HasMetadata> kind : Dependents.kinds()) {
            written.add(HasMetadata.getGroup(kind) + "/" + HasMetadata.getPlural(kind));
        }
        // written outside the dependents (reconciler/PodMonitors), where the Prometheus Operator is installed
        written.add(io.choria.natsoperator.model.BrokerPodMonitor.GROUP + "/" + io.choria.natsoperator.model.BrokerPodMonitor.PLURAL);
        // updated outside the dependents (reconciler/VolumeClaims): the brokers' JetStream claims, grown
        written.add("/persistentvolumeclaims");
        assertEquals(written, covered);
    }

    @Test
    void expressionsTestTheOperatorsLabelAndOwner() {
        ValidatingAdmissionPolicy policy = Chart.one(Chart.render(null), ValidatingAdmissionPolicy.class);
        Map<String, String> vars = policy.getSpec().getVariables().stream()
                .collect(Collectors.toMap(Variable::getName, v -> v.getExpression().replaceAll("\\s+", " ")));
        String newManaged = vars.get("newManaged");
        assertTrue(newManaged.startsWith("has(object.metadata.labels) && "), newManaged);
        assertTrue(newManaged.contains(LABEL_TEST) && newManaged.contains(LABEL_VALUE), newManaged);
        String oldManaged = vars.get("oldManaged");
        assertTrue(oldManaged.contains(LABEL_TEST.replace("object.", "oldObject.")) && oldManaged.contains(LABEL_VALUE.replace("object.", "oldObject.")), oldManaged);
        assertTrue(oldManaged.contains("r.kind == 'NatsCluster' && r.apiVersion.startsWith('" + NatsCluster.GROUP + "/')"), oldManaged);
        // and nothing on the new object alone can vouch for the old one (no ownerReferences test on `object`)
        assertTrue(!newManaged.contains("ownerReferences"), newManaged);

        // object is null on DELETE, oldObject on CREATE: the operation is tested first, so neither is read then
        List<String> validations = policy.getSpec().getValidations().stream().map(v -> v.getExpression()).toList();
        assertEquals(List.of("request.operation == 'DELETE' || variables.newManaged", "request.operation == 'CREATE' || variables.oldManaged"),
                validations.subList(0, 2));
        // the shape rules: each only for its kind, never on DELETE (object is null then)
        for (String rule : validations.subList(2, validations.size())) {
            assertTrue(rule.matches("(?s)request\\.resource\\.resource != '[a-z]+' \\|\\| request\\.operation == 'DELETE' \\|\\| .*"), rule);
        }
        String secrets = validations.stream().filter(v -> v.startsWith("request.resource.resource != 'secrets'")).findFirst().orElseThrow();
        assertTrue(secrets.contains("object.type in ['Opaque', 'kubernetes.io/tls']"), "no service-account token Secrets: " + secrets);
    }

    /** The broker-pod rules admit the privileged container only with the installer's sysctl image, or not at all when turned off. */
    @Test
    void privilegedOnlyWithTheInstallersSysctlImage() {
        String defaults = podRule(Chart.render(null));
        assertTrue(defaults.contains("(true && c.name == 'sysctl' && c.image == '" + InstallerSettings.DEFAULT_SYSCTL_IMAGE + "' && "), defaults);
        assertTrue(defaults.contains("automountServiceAccountToken == false"), defaults);
        String custom = podRule(Chart.render("sysctlImage: registry.example/busybox:1.36.1\nallowPrivilegedSysctls: false"));
        assertTrue(custom.contains("(false && c.name == 'sysctl' && c.image == 'registry.example/busybox:1.36.1' && "), custom);
    }

    /** The StatefulSet rules, joined. */
    static String podRule(List<HasMetadata> objects) {
        return Chart.one(objects, ValidatingAdmissionPolicy.class).getSpec().getValidations().stream().map(v -> v.getExpression())
                .filter(e -> e.startsWith("request.resource.resource != 'statefulsets'")).map(e -> e.replaceAll("\\s+", " "))
                .collect(Collectors.joining("\n"));
    }

    /**
     * The operator's StatefulSets, checked in Java against what the broker-pod rules ask (a
     * restatement; AdmissionPolicyCelTest runs the rules themselves): no token, no host namespaces or paths, no
     * added capabilities, privileged only as the sysctl container with the installer's image.
     */
    @Test
    void theOperatorsStatefulSetsFitTheBrokerPodRule() {
        for (SysctlsSpec.Mode mode : SysctlsSpec.Mode.values()) for (boolean allow : new boolean[] {true, false}) {
            NatsCluster nc = SpecDefaults.withDefaults(Examples.load(Examples.THREE_BROKERS));
            nc.getSpec().getSysctls().setMode(mode);
            InstallerSettings installer = new InstallerSettings("registry.example/busybox:1.36.1", allow, "ops",
                    InstallerSettings.DEFAULT_OPERATOR_POD_LABELS);
            PodSpec pod = NatsClusterModel.desired(nc, new ModelInputs("cluster.local", "pw", new TlsFiles("C", "K", "A"), installer))
                    .statefulSet().getSpec().getTemplate().getSpec();
            String what = mode + ", privileged allowed " + allow;
            assertTrue(pod.getServiceAccountName() == null, what);
            assertEquals(Boolean.FALSE, pod.getAutomountServiceAccountToken(), what);
            assertTrue(pod.getHostNetwork() == null && pod.getHostPID() == null && pod.getHostIPC() == null, what);
            assertTrue(pod.getVolumes().stream().allMatch(v -> v.getHostPath() == null), what);
            List<Container> all = new ArrayList<>(pod.getContainers());
            all.addAll(pod.getInitContainers());
            for (Container c : all) {
                SecurityContext sc = c.getSecurityContext();
                assertTrue(sc == null || sc.getCapabilities() == null || sc.getCapabilities().getAdd() == null
                        || sc.getCapabilities().getAdd().isEmpty(), what + " " + c.getName());
                boolean privileged = sc != null && Boolean.TRUE.equals(sc.getPrivileged());
                if (privileged) {
                    assertTrue(allow && pod.getInitContainers().contains(c) && c.getImage().equals(installer.sysctlImage()), what + " " + c.getName());
                }
            }
        }
    }

    /**
     * What the policy asks of the operator's own writes: every object it creates or updates carries
     * the label (newManaged), and a NatsCluster owner reference (so relabelling one whose label was
     * removed by hand passes oldManaged).
     */
    @Test
    void everyObjectTheOperatorWritesPassesThePolicy() {
        NatsCluster nc = SpecDefaults.withDefaults(Examples.load(Examples.THREE_BROKERS));
        nc.getSpec().getService().setPuppetAlias(true);
        nc.getSpec().getNetworkPolicy().setEnabled(true);
        DesiredCluster d = NatsClusterModel.desired(nc, new ModelInputs("cluster.local", "pw", new TlsFiles("C", "K", "A")));
        List<HasMetadata> written = new ArrayList<>(d.inApplyOrder());
        written.add(BrokerSecrets.generatedRoutePassword(nc, Names.of(nc, "cluster.local"), "pw"));
        assertEquals(10, written.size(), "every optional object is there: " + written.stream().map(HasMetadata::getKind).toList());
        for (HasMetadata o : written) {
            String what = o.getKind() + " " + o.getMetadata().getName();
            assertEquals(Labels.MANAGER, o.getMetadata().getLabels().get(Labels.MANAGED_BY), what);
            assertTrue(o.getMetadata().getOwnerReferences().stream().anyMatch(r -> r.getKind().equals("NatsCluster")
                    && r.getApiVersion().startsWith(NatsCluster.GROUP + "/")), what);
            if (o instanceof Secret secret) assertTrue(List.of("Opaque", "kubernetes.io/tls").contains(secret.getType()), what);
            if (o instanceof Service service) {
                assertTrue(service.getSpec().getExternalIPs() == null || service.getSpec().getExternalIPs().isEmpty(), what);
            }
        }
    }
}
