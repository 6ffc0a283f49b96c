package io.choria.natsoperator.install;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.choria.natsoperator.api.NatsCluster;
import io.choria.natsoperator.api.PuppetEnrolmentSpec;
import io.choria.natsoperator.api.SecretKeyReference;
import io.choria.natsoperator.api.TlsSpec;
import io.choria.natsoperator.reconciler.dependent.Dependent;
import io.choria.natsoperator.runtime.LeaseAwareMockServer;
import io.choria.natsoperator.runtime.OperatorRuntime;
import io.choria.natsoperator.runtime.RuntimeConfig;
import io.choria.natsoperator.testing.Await;
import io.choria.natsoperator.testing.Examples;
import io.choria.natsoperator.testing.External;
import io.choria.natsoperator.testing.PuppetServer;
import io.choria.natsoperator.testing.SharedPuppet;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.api.model.apps.StatefulSetStatusBuilder;
import io.fabric8.kubernetes.api.model.authorization.v1.ResourceRule;
import io.fabric8.kubernetes.api.model.authorization.v1.ResourceRuleBuilder;
import io.fabric8.kubernetes.api.model.rbac.ClusterRole;
import io.fabric8.kubernetes.api.model.rbac.PolicyRule;
import io.fabric8.kubernetes.api.model.rbac.Role;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.mockwebserver.http.RecordedRequest;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * RBAC is exactly what the operator uses. The real operator (leader election on, as the chart
 * runs it) works through a scenario against the mock API server (and, for enrolment, a real Puppet Server); every request it makes is
 * turned into the permission it needs (API group, resource[/subresource], verb, namespace),
 * and the chart's rendered rules must grant each one and nothing more.
 *
 * <p>When the operator starts touching something new (NetworkPolicies, ServiceMonitors, ...),
 * this test fails and names the permission: add it to {@code nats-operator.rules} in
 * helm/nats-operator/templates/_helpers.tpl and regenerate operator/.
 */
@External // the enrolment path needs the real Puppet Server
class RbacCoverageTest {
    static final String OPERATOR_AGENT = "nats-operator-under-test";
    /** Every authenticated user may create these (the built-in system:basic-user ClusterRole). */
    static final Set<String> GRANTED_TO_EVERYONE = Set.of("authorization.k8s.io/selfsubjectrulesreviews:create");

    record Permission(String group, String resource, String verb, String namespace) {
        String key() {
            return group + "/" + resource + ":" + verb;
        }
    }

    /** The permission an API request needs, or null for discovery and other non-resource URLs. */
    static Permission permission(RecordedRequest r) {
        String full = r.getPath();
        String path = full.contains("?") ? full.substring(0, full.indexOf('?')) : full;
        String query = full.contains("?") ? full.substring(full.indexOf('?') + 1) : "";
        String[] seg = path.replaceAll("^/+", "").split("/");
        String group;
        int restAt;
        if (seg[0].equals("api") && seg.length > 2) {
            group = "";
            restAt = 2;
        } else if (seg[0].equals("apis") && seg.length > 3) {
            group = seg[1];
            restAt = 3;
        } else {
            return null;
        }
        List<String> rest = List.of(seg).subList(restAt, seg.length);
        String ns = null;
        if (rest.get(0).equals("namespaces") && rest.size() >= 3) {
            ns = rest.get(1);
            rest = rest.subList(2, rest.size());
        }
        String resource = rest.get(0);
        String name = rest.size() > 1 ? rest.get(1) : null;
        if (rest.size() > 2) resource = resource + "/" + rest.get(2);
        String verb = switch (r.getMethod()) {
            case "GET" -> query.contains("watch=true") ? "watch" : name != null ? "get" : "list";
            case "POST" -> "create";
            case "PUT" -> "update";
            case "PATCH" -> "patch";
            case "DELETE" -> name != null ? "delete" : "deletecollection";
            default -> throw new AssertionError("unexpected method " + r.getMethod());
        };
        return new Permission(group, resource, verb, ns);
    }

    static boolean grants(List<PolicyRule> rules, Permission p) {
        return rules.stream().anyMatch(rule -> rule.getApiGroups().contains(p.group()) && rule.getResources().contains(p.resource())
                && rule.getVerbs().contains(p.verb()));
    }

    static Set<String> granted(List<PolicyRule> rules) {
        Set<String> out = new TreeSet<>();
        for (PolicyRule rule : rules) {
            for (String g : rule.getApiGroups()) for (String res : rule.getResources()) for (String v : rule.getVerbs()) {
                out.add(g + "/" + res + ":" + v);
            }
        }
        return out;
    }

    static List<ResourceRule> asReviewRules(List<PolicyRule> rules) {
        return rules.stream().map(r -> new ResourceRuleBuilder().withApiGroups(r.getApiGroups()).withResources(r.getResources())
                .withVerbs(r.getVerbs()).build()).toList();
    }

    /** Runs the operator through the scenario in the given namespaces; returns the permissions its requests needed. */
    static List<Permission> exercise(List<PolicyRule> leaseRules, List<String> watch, List<String> namespaces) throws Exception {
        try (LeaseAwareMockServer api = new LeaseAwareMockServer(asReviewRules(leaseRules))) {
            KubernetesClient actor = api.client;
            KubernetesClient operatorClient = new KubernetesClientBuilder()
                    .withConfig(new ConfigBuilder(actor.getConfiguration()).withUserAgent(OPERATOR_AGENT).build()).build();
            RuntimeConfig config = RuntimeConfig.parse(new String[] {"--leader-election"}, Map.of(
                    "HTTP_PORT", "0", "POD_NAMESPACE", Chart.NAMESPACE, "WATCH_NAMESPACES", String.join(",", watch)));
            OperatorRuntime runtime = OperatorRuntime.create(operatorClient, config, Clock.systemUTC());
            try {
                runtime.start();
                for (String ns : namespaces) scenario(actor, ns);
            } finally {
                runtime.close();
                operatorClient.close();
            }
            List<Permission> needed = new ArrayList<>();
            for (RecordedRequest r : api.drainRequests()) {
                if (!OPERATOR_AGENT.equals(r.getHeader("User-Agent"))) continue;
                Permission p = permission(r);
                if (p != null) needed.add(p);
            }
            assertTrue(needed.stream().anyMatch(p -> p.resource().equals("statefulsets") && p.verb().equals("create")),
                    "the scenario ran: " + needed);
            return needed;
        }
    }

    /** Generated password, user password Secret, scale, StatefulSet status, hand edits put back, Puppet enrolment, delete. */
    static void scenario(KubernetesClient actor, String ns) throws Exception {
        actor.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName(ns).endMetadata().build()).createOr(n -> n.update());
        Examples.createPuppetCa(actor, ns);
        // first: the operator caches the answer to "does the PodMonitor kind exist?" for a resync period
        actor.apiextensions().v1().customResourceDefinitions().resource(
                io.choria.natsoperator.reconciler.MonitoringReconcileTest.podMonitorCrd()).createOr(c -> c.update());
        NatsCluster generated = cluster(ns, "gen", 3, null);
        generated.getSpec().getNetworkPolicy().setEnabled(true);
        generated.getSpec().getService().setPuppetAlias(true);
        actor.resource(generated).create();
        Await.present("gen NetworkPolicy", () -> actor.network().v1().networkPolicies().inNamespace(ns).withName("gen").get());
        // a hand edit of the NetworkPolicy is put back (update)
        Await.retryingConflicts("NetworkPolicy edited",
                () -> actor.network().v1().networkPolicies().inNamespace(ns).withName("gen").edit(np -> {
                    np.getMetadata().getAnnotations().put(Dependent.HASH_ANNOTATION, "edited-by-hand");
                    return np;
                }));
        Await.until("NetworkPolicy put back", Duration.ofSeconds(30),
                () -> actor.network().v1().networkPolicies().inNamespace(ns).withName("gen").get(),
                np -> !"edited-by-hand".equals(np.getMetadata().getAnnotations().get(Dependent.HASH_ANNOTATION)));
        podMonitors(actor, ns);
        actor.resource(new SecretBuilder().withNewMetadata().withName("user-routes").withNamespace(ns).endMetadata()
                .addToStringData("password", "s3cret-route-password").build()).create();
        actor.resource(cluster(ns, "usr", 1, new SecretKeyReference("user-routes", "password"))).create();
        StatefulSet gen = Await.present("gen StatefulSet", () -> actor.apps().statefulSets().inNamespace(ns).withName("gen").get());
        Await.present("usr StatefulSet", () -> actor.apps().statefulSets().inNamespace(ns).withName("usr").get());

        // the operator writes status meanwhile: retry on a conflict, as kubectl would
        Await.retryingConflicts("scaled the NatsCluster", () -> actor.resources(NatsCluster.class).inNamespace(ns)
                .withName("gen").edit(nc -> {
                    nc.getSpec().setSize(5);
                    nc.getSpec().getNetworkPolicy().setEnabled(false);
                    nc.getSpec().getService().setPuppetAlias(false);
                    return nc;
                }));
        Await.until("scaled to 5", Duration.ofSeconds(30), () -> actor.apps().statefulSets().inNamespace(ns).withName("gen").get(),
                s -> s.getSpec().getReplicas() == 5);
        Await.until("NetworkPolicy removed", Duration.ofSeconds(30),
                () -> actor.network().v1().networkPolicies().inNamespace(ns).withName("gen").get() == null, gone -> gone);
        Await.until("puppet alias removed", Duration.ofSeconds(30),
                () -> actor.services().inNamespace(ns).withName("puppet").get() == null, gone -> gone);

        gen = actor.apps().statefulSets().inNamespace(ns).withName("gen").get();
        gen.setStatus(new StatefulSetStatusBuilder().withReplicas(5).withReadyReplicas(5).withAvailableReplicas(5)
                .withUpdatedReplicas(5).withCurrentReplicas(5).withObservedGeneration(gen.getMetadata().getGeneration()).build());
        actor.resource(gen).updateStatus();
        Await.until("status seen", Duration.ofSeconds(30), () -> actor.resources(NatsCluster.class).inNamespace(ns).withName("gen").get(),
                nc -> nc.getStatus() != null && Integer.valueOf(5).equals(nc.getStatus().getReadyReplicas()));

        // drift: someone edits every object the operator owns; it puts each back (an update per kind)
        List<HasMetadata> owned = new ArrayList<>();
        owned.addAll(actor.configMaps().inNamespace(ns).list().getItems());
        owned.addAll(actor.secrets().inNamespace(ns).list().getItems());
        owned.addAll(actor.services().inNamespace(ns).list().getItems());
        owned.addAll(actor.apps().statefulSets().inNamespace(ns).list().getItems());
        owned.addAll(actor.policy().v1().podDisruptionBudget().inNamespace(ns).list().getItems());
        owned.removeIf(o -> o.getMetadata().getAnnotations() == null
                || !o.getMetadata().getAnnotations().containsKey(Dependent.HASH_ANNOTATION));
        assertTrue(owned.size() >= 5, "owned objects: " + owned.size());
        for (HasMetadata o : owned) {
            Await.retryingConflicts("tampered with " + o.getKind() + " " + o.getMetadata().getName(),
                    () -> actor.resource(o).edit(x -> {
                        x.getMetadata().getAnnotations().put(Dependent.HASH_ANNOTATION, "edited-by-hand");
                        return x;
                    }));
        }
        for (HasMetadata o : owned) {
            Await.until("put back " + o.getKind() + " " + o.getMetadata().getName(), Duration.ofSeconds(30),
                    () -> actor.resource(o).get(),
                    x -> !"edited-by-hand".equals(x.getMetadata().getAnnotations().get(Dependent.HASH_ANNOTATION)));
        }

        enrolment(actor, ns);

        actor.resources(NatsCluster.class).inNamespace(ns).withName("usr").delete();
        // The operator keeps no finalizer: a delete is only an event to it. A cluster created after the delete is a
        // barrier: the NatsCluster informer delivers the delete first, so once the barrier's StatefulSet exists,
        // whatever the delete made the operator do has been done (a sleep would prove nothing on a busy machine).
        actor.resource(cluster(ns, "after-delete", 1, null)).create();
        Await.present("after-delete StatefulSet", () -> actor.apps().statefulSets().inNamespace(ns).withName("after-delete").get());
    }

    /**
     * Puppet enrolment against the real Puppet Server, signed at once by policy autosigning: the operator keeps
     * the key and CSR in {@code <name>-tls-request} until Puppet signs, writes {@code <name>-tls}, then deletes
     * the request Secret (it holds the key and the challenge password in the CSR). Under the chart's RBAC that
     * delete must be granted, or every reconcile stops at it (a real API server answers 403; the mock checks nothing).
     */
    static void enrolment(KubernetesClient actor, String ns) throws Exception {
        PuppetServer puppet = SharedPuppet.get();
        actor.resource(new SecretBuilder().withNewMetadata().withName("puppet-ca-bundle").withNamespace(ns).endMetadata()
                .addToStringData("ca.crt", puppet.caCertPem()).build()).create();
        actor.resource(new SecretBuilder().withNewMetadata().withName("autosign").withNamespace(ns).endMetadata()
                .addToStringData("password", SharedPuppet.CHALLENGE).build()).create();
        NatsCluster nc = Examples.toApply(Examples.ONE_BROKER, ns, "enrolled");
        TlsSpec tls = new TlsSpec();
        tls.setKeyAlgorithm(TlsSpec.KeyAlgorithm.EC_P256);
        PuppetEnrolmentSpec p = new PuppetEnrolmentSpec();
        p.setUrl(puppet.url().toString());
        p.setCaBundleSecretRef(new SecretKeyReference("puppet-ca-bundle", "ca.crt"));
        p.setChallengePasswordSecretRef(new SecretKeyReference("autosign", "password"));
        tls.setPuppet(p);
        nc.getSpec().setTls(tls);
        actor.resource(nc).create();
        Await.until("the enrolled broker certificate", Duration.ofSeconds(120),
                () -> actor.secrets().inNamespace(ns).withName("enrolled-tls").get(), tlsSecret -> tlsSecret != null);
        Await.until("enrolled-tls-request deleted once Puppet signed", Duration.ofSeconds(60),
                () -> actor.secrets().inNamespace(ns).withName("enrolled-tls-request").get() == null, gone -> gone);
    }

    /** With the Prometheus Operator's kind present: a PodMonitor made, changed, removed. */
    static void podMonitors(KubernetesClient actor, String ns) {
        var podMonitors = actor.genericKubernetesResources(io.choria.natsoperator.reconciler.MonitoringReconcileTest.POD_MONITORS).inNamespace(ns);
        NatsCluster mon = cluster(ns, "mon", 1, null);
        mon.getSpec().getMonitoring().getExporter().setEnabled(true);
        mon.getSpec().getMonitoring().getPodMonitor().setEnabled(true);
        actor.resource(mon).create();
        Await.present("mon PodMonitor", () -> podMonitors.withName("mon").get());
        Await.retryingConflicts("PodMonitor interval changed", () -> actor.resources(NatsCluster.class).inNamespace(ns)
                .withName("mon").edit(nc -> {
                    nc.getSpec().getMonitoring().getPodMonitor().setInterval("15s");
                    return nc;
                }));
        Await.until("PodMonitor updated", Duration.ofSeconds(30), () -> podMonitors.withName("mon").get(),
                pm -> pm != null && pm.toString().contains("interval=15s"));
        Await.retryingConflicts("PodMonitor switched off", () -> actor.resources(NatsCluster.class).inNamespace(ns)
                .withName("mon").edit(nc -> {
                    nc.getSpec().getMonitoring().getPodMonitor().setEnabled(false);
                    return nc;
                }));
        Await.until("PodMonitor removed", Duration.ofSeconds(30), () -> podMonitors.withName("mon").get() == null, gone -> gone);
    }

    static NatsCluster cluster(String ns, String name, int size, SecretKeyReference ref) {
        NatsCluster nc = Examples.toApply(Examples.THREE_BROKERS, ns, name);
        nc.getSpec().setSize(size);
        nc.getSpec().getRoutes().setPasswordSecretRef(ref);
        return nc;
    }

    static Role leaseRole(List<HasMetadata> objects) {
        return Chart.named(objects, Role.class, Chart.RELEASE + "-leader-election").orElseThrow();
    }

    /** java-operator-sdk refuses to elect unless a SelfSubjectRulesReview shows these on leases, used or not. */
    static final Set<String> LEASE_VERBS_JOSDK_CHECKS = Set.of("coordination.k8s.io/leases:create",
            "coordination.k8s.io/leases:get", "coordination.k8s.io/leases:update");

    static boolean isLease(Permission p) {
        return p.group().equals("coordination.k8s.io") && p.resource().equals("leases");
    }

    @Test
    void clusterRoleGrantsExactlyWhatTheOperatorUses() throws Exception {
        List<HasMetadata> objects = Chart.render(null);
        List<PolicyRule> clusterRules = Chart.one(objects, ClusterRole.class).getRules();
        Role lease = leaseRole(objects);
        List<Permission> needed = exercise(lease.getRules(), List.of(), List.of("rbac-a", "rbac-b"));

        List<String> missing = new ArrayList<>();
        Set<String> used = new TreeSet<>();
        Set<String> usedLease = new TreeSet<>();
        for (Permission p : needed) {
            if (GRANTED_TO_EVERYONE.contains(p.key())) continue;
            if (isLease(p)) {
                usedLease.add(p.key());
                if (!Chart.NAMESPACE.equals(p.namespace()) || !grants(lease.getRules(), p)) missing.add(p + " (lease Role)");
                continue;
            }
            used.add(p.key());
            if (!grants(clusterRules, p)) missing.add(p.toString());
        }
        assertTrue(missing.isEmpty(), "the chart does not grant what the operator uses:\n" + String.join("\n", new TreeSet<>(missing)));
        assertEquals(used, granted(clusterRules), "the ClusterRole grants exactly what the operator used");
        usedLease.addAll(LEASE_VERBS_JOSDK_CHECKS);
        assertEquals(usedLease, granted(lease.getRules()), "the lease Role grants exactly what leader election uses and checks");
        // not used today; a future feature that needs them must add them (and this test tells)
        for (String never : List.of("monitoring.coreos.com/servicemonitors", "/pods/exec", "/pods")) {
            assertTrue(granted(clusterRules).stream().noneMatch(k -> k.startsWith(never + ":")), never);
        }
    }

    @Test
    void watchedNamespacesNeedNothingClusterWide() throws Exception {
        List<String> watched = List.of("rbac-a", "rbac-b");
        List<HasMetadata> objects = Chart.render("watchNamespaces: [rbac-a, rbac-b]");
        assertTrue(Chart.all(objects, ClusterRole.class).isEmpty());
        Role lease = leaseRole(objects);
        Map<String, List<PolicyRule>> roles = Chart.all(objects, Role.class).stream().filter(r -> r != lease)
                .collect(Collectors.toMap(r -> r.getMetadata().getNamespace(), Role::getRules));
        assertEquals(Set.copyOf(watched), roles.keySet());

        List<Permission> needed = exercise(lease.getRules(), watched, watched);
        List<String> missing = new ArrayList<>();
        for (Permission p : needed) {
            if (GRANTED_TO_EVERYONE.contains(p.key())) continue;
            List<PolicyRule> rules = isLease(p) ? (Chart.NAMESPACE.equals(p.namespace()) ? lease.getRules() : List.of())
                    : roles.getOrDefault(p.namespace(), List.of());
            if (!grants(rules, p)) missing.add(p.toString());
        }
        assertTrue(missing.isEmpty(), "not granted by the per-namespace Roles:\n" + String.join("\n", new TreeSet<>(missing)));
    }
}
