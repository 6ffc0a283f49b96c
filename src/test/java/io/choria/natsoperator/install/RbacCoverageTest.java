package io.choria.natsoperator.install;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.choria.natsoperator.api.CapacitySpec;
import io.choria.natsoperator.api.GatewayRemote;
import io.choria.natsoperator.api.GatewaySpec;
import io.choria.natsoperator.api.LeafNodeRemote;
import io.choria.natsoperator.api.LeafNodesSpec;
import io.choria.natsoperator.api.NatsCluster;
import io.choria.natsoperator.api.NatsClusterReference;
import io.choria.natsoperator.api.PuppetEnrolmentSpec;
import io.choria.natsoperator.api.Reason;
import io.choria.natsoperator.api.SecretKeyReference;
import io.choria.natsoperator.api.TlsSpec;
import io.choria.natsoperator.model.BrokerCapacity;
import io.choria.natsoperator.model.BrokerSecrets;
import io.choria.natsoperator.model.Names;
import io.choria.natsoperator.model.NatsConfig;
import io.choria.natsoperator.pki.TrustBundle;
import io.choria.natsoperator.status.Conditions;
import io.choria.natsoperator.reconciler.MonitoringReconcileTest;
import io.choria.natsoperator.reconciler.dependent.Dependent;
import io.choria.natsoperator.runtime.LeaseAwareMockServer;
import io.choria.natsoperator.runtime.OperatorRuntime;
import io.choria.natsoperator.runtime.RuntimeConfig;
import io.choria.natsoperator.testing.Await;
import io.choria.natsoperator.testing.Examples;
import io.choria.natsoperator.testing.External;
import io.choria.natsoperator.testing.PuppetServer;
import io.choria.natsoperator.testing.SharedPuppet;
import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.Secret;
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
import java.nio.file.Files;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ThreadLocalRandom;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * RBAC is exactly what the operator uses. The real operator (leader election on, as the chart
 * runs it) is driven through every feature path against the mock API server (and, for enrolment
 * and revocation, a real Puppet Server), each path to its end state; every request it makes is
 * turned into the permission it needs (API group, resource[/subresource], verb, namespace) and put
 * down to the path that was running. The chart's rendered rules must grant each one (a failure
 * names the path that needed what the chart lacks), and must grant nothing that no path used: the
 * ClusterRole equals the union of the paths.
 *
 * <p>When the operator starts touching something new (pods, ServiceMonitors, ...), this test fails
 * and names the permission and the path: add it to {@code nats-operator.rules} in
 * helm/nats-operator/templates/_helpers.tpl and regenerate operator/. A new feature path that
 * writes or deletes something must be driven here too, or its verb shows up as granted and unused.
 */
@External // enrolment and revocation need the real Puppet Server
class RbacCoverageTest {
    static final String OPERATOR_AGENT = "nats-operator-under-test";
    /** Every authenticated user may create these (the built-in system:basic-user ClusterRole). */
    static final Set<String> GRANTED_TO_EVERYONE = Set.of("authorization.k8s.io/selfsubjectrulesreviews:create");
    static final Duration WAIT = Duration.ofSeconds(30);
    static final Duration PUPPET_WAIT = Duration.ofSeconds(120);

    record Permission(String group, String resource, String verb, String namespace) {
        String key() {
            return group + "/" + resource + ":" + verb;
        }
    }

    /** A permission that a request made while {@code path} ran needed. */
    record Use(String path, Permission permission) {}

    /** The permission an API request needs, or null for discovery and other non-resource URLs. */
    static Permission permission(RecordedRequest r) {
        return permission(r.getMethod(), r.getPath());
    }

    /**
     * As the API server's RBAC sees it: a GET of a collection is {@code list}, or {@code watch} with
     * {@code watch=true} (or 1), or under the old {@code /watch/} prefix; a GET of one object is {@code get}
     * ({@code watch} with {@code watch=true}); a DELETE of a collection is {@code deletecollection}.
     */
    static Permission permission(String method, String full) {
        String path = full.contains("?") ? full.substring(0, full.indexOf('?')) : full;
        Map<String, String> query = new HashMap<>();
        if (full.contains("?")) {
            for (String kv : full.substring(full.indexOf('?') + 1).split("&")) {
                int eq = kv.indexOf('=');
                query.put(eq < 0 ? kv : kv.substring(0, eq), eq < 0 ? "" : kv.substring(eq + 1));
            }
        }
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
        boolean watchPrefix = rest.get(0).equals("watch");
        if (watchPrefix) rest = rest.subList(1, rest.size());
        String ns = null;
        if (rest.get(0).equals("namespaces") && rest.size() >= 3) {
            ns = rest.get(1);
            rest = rest.subList(2, rest.size());
        }
        String resource = rest.get(0);
        String name = rest.size() > 1 ? rest.get(1) : null;
        if (rest.size() > 2) resource = resource + "/" + rest.get(2);
        boolean watch = watchPrefix || "true".equals(query.get("watch")) || "1".equals(query.get("watch"));
        String verb = switch (method) {
            case "GET" -> watch ? "watch" : name != null ? "get" : "list";
            case "POST" -> "create";
            case "PUT" -> "update";
            case "PATCH" -> "patch";
            case "DELETE" -> name != null ? "delete" : "deletecollection";
            default -> throw new AssertionError("unexpected method " + method);
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

    @FunctionalInterface
    interface Step {
        void run() throws Exception;
    }

    /**
     * The operator's requests, taken after each feature path and put down to it. Each path waits for its own end
     * state, so the requests that brought it about were received before the path ends; a late one (a resync) may be
     * put down to the path after it, which only widens the names in a failure, never hides a permission.
     */
    static final class Recorder {
        final LeaseAwareMockServer api;
        final List<Use> uses = new ArrayList<>();
        final List<String> notExercised = new ArrayList<>();

        Recorder(LeaseAwareMockServer api) {
            this.api = api;
        }

        /**
         * Runs one path (in namespace {@code ns}) and checks that its requests include {@code expected} (keys): the
         * path still does what it is here for.
         */
        void drive(String path, String ns, List<String> expected, Step step) throws Exception {
            long start = System.nanoTime();
            step.run();
            List<Use> taken = take(path);
            Set<String> seen = taken.stream().map(u -> u.permission().key()).collect(Collectors.toCollection(TreeSet::new));
            System.out.printf("[rbac] %s [%s]: %d requests in %.1f s%n", path, ns, taken.size(), (System.nanoTime() - start) / 1e9);
            for (String key : expected) {
                if (!seen.contains(key)) notExercised.add(path + " [" + ns + "]: no " + key + " (it used " + seen + ")");
            }
        }

        List<Use> take(String path) {
            List<Use> taken = new ArrayList<>();
            for (RecordedRequest r : api.drainRequests()) {
                if (!OPERATOR_AGENT.equals(r.getHeader("User-Agent"))) continue;
                Permission p = permission(r);
                if (p != null) taken.add(new Use(path, p));
            }
            uses.addAll(taken);
            return taken;
        }
    }

    /** Runs the operator through every feature path in the given namespaces; returns what each path's requests needed. */
    static List<Use> exercise(List<PolicyRule> leaseRules, List<String> watch, List<String> namespaces) throws Exception {
        try (LeaseAwareMockServer api = new LeaseAwareMockServer(asReviewRules(leaseRules))) {
            KubernetesClient actor = api.client;
            KubernetesClient operatorClient = new KubernetesClientBuilder()
                    .withConfig(new ConfigBuilder(actor.getConfiguration()).withUserAgent(OPERATOR_AGENT).build()).build();
            RuntimeConfig config = RuntimeConfig.parse(new String[] {"--leader-election"}, Map.of(
                    "HTTP_PORT", "0", "POD_NAMESPACE", Chart.NAMESPACE, "WATCH_NAMESPACES", String.join(",", watch)));
            OperatorRuntime runtime = OperatorRuntime.create(operatorClient, config, Clock.systemUTC());
            Recorder rec = new Recorder(api);
            try {
                runtime.start();
                rec.take("operator start");
                for (String ns : namespaces) new Scenario(actor, ns, rec).run();
            } finally {
                runtime.close();
                operatorClient.close();
            }
            rec.take("operator stop");
            assertTrue(rec.notExercised.isEmpty(), "feature paths that no longer make the requests they are here for:\n"
                    + String.join("\n", rec.notExercised));
            return rec.uses;
        }
    }

    /** Every feature path, in one namespace, each driven to its end state. */
    static final class Scenario {
        final KubernetesClient actor;
        final String ns;
        final Recorder rec;

        Scenario(KubernetesClient actor, String ns, Recorder rec) {
            this.actor = actor;
            this.ns = ns;
            this.rec = rec;
        }

        void drive(String path, List<String> expected, Step step) throws Exception {
            rec.drive(path, ns, expected, step);
        }

        void run() throws Exception {
            actor.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName(ns).endMetadata().build()).createOr(n -> n.update());
            Examples.createPuppetCa(actor, ns);
            // first: the operator caches the answer to "does the PodMonitor kind exist?" for a resync period
            actor.apiextensions().v1().customResourceDefinitions().resource(MonitoringReconcileTest.podMonitorCrd()).createOr(c -> c.update());
            drive("generated route password, network policy, puppet alias", List.of("/secrets:create", "/configmaps:create",
                    "/services:create", "apps/statefulsets:create", "policy/poddisruptionbudgets:create",
                    "networking.k8s.io/networkpolicies:create", "networking.k8s.io/networkpolicies:update", "/events:create"),
                    this::generated);
            drive("monitoring with a PodMonitor", List.of("monitoring.coreos.com/podmonitors:get", "monitoring.coreos.com/podmonitors:create",
                    "monitoring.coreos.com/podmonitors:update", "monitoring.coreos.com/podmonitors:delete"), this::podMonitor);
            drive("user route password", List.of("/secrets:list", "/secrets:watch"), this::userPassword);
            drive("scale, network policy and puppet alias switched off", List.of("apps/statefulsets:update",
                    "networking.k8s.io/networkpolicies:delete", "/services:delete"), this::scaleAndSwitchOff);
            drive("status", List.of("choria.io/natsclusters/status:update"), this::status);
            drive("Choria Streams switched on, grown and off (the StatefulSet replaced each time, the claims grown)", List.of(
                    "apps/statefulsets:delete", "apps/statefulsets:create", "/secrets:create", "/secrets:delete",
                    "/persistentvolumeclaims:get", "/persistentvolumeclaims:update"), this::streams);
            drive("hand edits put back", List.of("/configmaps:update", "/secrets:update", "/services:update", "apps/statefulsets:update",
                    "policy/poddisruptionbudgets:update"), this::handEdits);
            drive("gateways between two NatsClusters (natsClusterRef), one switched off", List.of("/services:create", "/services:delete"),
                    this::gateways);
            drive("leaf nodes accepting and dialling, accepting switched off", List.of("/services:create", "/services:delete"), this::leafNodes);
            drive("capacity", List.of("apps/statefulsets:create", "apps/statefulsets:update"), this::capacity);
            drive("Puppet enrolment, autosign, with revocation sync", List.of("/secrets:create", "/secrets:delete", "/configmaps:update"),
                    this::autosignWithRevocation);
            drive("Puppet enrolment, manual signing", List.of("/secrets:create", "/secrets:delete", "apps/statefulsets:create"),
                    this::manualSigning);
            drive("NatsCluster deleted", List.of(), this::deleted);
        }

        /** Generated password, NetworkPolicy and the puppet alias Service made; a hand edit of the NetworkPolicy put back. */
        void generated() {
            NatsCluster generated = cluster(ns, "gen", 3, null);
            generated.getSpec().getNetworkPolicy().setEnabled(true);
            generated.getSpec().getService().setPuppetAlias(true);
            actor.resource(generated).create();
            Await.present("gen NetworkPolicy", () -> actor.network().v1().networkPolicies().inNamespace(ns).withName("gen").get());
            Await.present("puppet alias", () -> actor.services().inNamespace(ns).withName("puppet").get());
            Await.retryingConflicts("NetworkPolicy edited",
                    () -> actor.network().v1().networkPolicies().inNamespace(ns).withName("gen").edit(np -> {
                        np.getMetadata().getAnnotations().put(Dependent.HASH_ANNOTATION, "edited-by-hand");
                        return np;
                    }));
            Await.until("NetworkPolicy put back", WAIT, () -> actor.network().v1().networkPolicies().inNamespace(ns).withName("gen").get(),
                    np -> !"edited-by-hand".equals(np.getMetadata().getAnnotations().get(Dependent.HASH_ANNOTATION)));
            Await.present("gen StatefulSet", () -> actor.apps().statefulSets().inNamespace(ns).withName("gen").get());
        }

        /** With the Prometheus Operator's kind present: a PodMonitor made, changed, removed when monitoring is switched off. */
        void podMonitor() {
            var podMonitors = actor.genericKubernetesResources(MonitoringReconcileTest.POD_MONITORS).inNamespace(ns);
            NatsCluster mon = cluster(ns, "mon", 1, null);
            mon.getSpec().getMonitoring().getExporter().setEnabled(true);
            mon.getSpec().getMonitoring().getPodMonitor().setEnabled(true);
            actor.resource(mon).create();
            Await.present("mon PodMonitor", () -> podMonitors.withName("mon").get());
            edit("mon", nc -> nc.getSpec().getMonitoring().getPodMonitor().setInterval("15s"));
            Await.until("PodMonitor updated", WAIT, () -> podMonitors.withName("mon").get(), pm -> pm.toString().contains("interval=15s"));
            edit("mon", nc -> nc.getSpec().getMonitoring().getPodMonitor().setEnabled(false));
            Await.until("PodMonitor removed", WAIT, () -> podMonitors.withName("mon").get() == null, gone -> gone);
        }

        /** The route password from the user's Secret (watched by name). */
        void userPassword() {
            actor.resource(new SecretBuilder().withNewMetadata().withName("user-routes").withNamespace(ns).endMetadata()
                    .addToStringData("password", "s3cret-route-password").build()).create();
            actor.resource(cluster(ns, "usr", 1, new SecretKeyReference("user-routes", "password"))).create();
            Await.present("usr StatefulSet", () -> actor.apps().statefulSets().inNamespace(ns).withName("usr").get());
        }

        void scaleAndSwitchOff() {
            edit("gen", nc -> {
                nc.getSpec().setSize(5);
                nc.getSpec().getNetworkPolicy().setEnabled(false);
                nc.getSpec().getService().setPuppetAlias(false);
            });
            Await.until("scaled to 5", WAIT, () -> actor.apps().statefulSets().inNamespace(ns).withName("gen").get(),
                    s -> s.getSpec().getReplicas() == 5);
            Await.until("NetworkPolicy removed", WAIT,
                    () -> actor.network().v1().networkPolicies().inNamespace(ns).withName("gen").get() == null, gone -> gone);
            Await.until("puppet alias removed", WAIT, () -> actor.services().inNamespace(ns).withName("puppet").get() == null, gone -> gone);
        }

        /** spec.streams on: the StatefulSet replaced (new claim templates), the system account Secret made; off: both back. */
        void streams() {
            String before = actor.apps().statefulSets().inNamespace(ns).withName("usr").get().getMetadata().getUid();
            edit("usr", nc -> nc.getSpec().setStreams(new io.choria.natsoperator.api.StreamsSpec()));
            StatefulSet on = Await.until("usr StatefulSet replaced", WAIT, () -> actor.apps().statefulSets().inNamespace(ns).withName("usr").get(),
                    s -> s != null && !s.getMetadata().getUid().equals(before));
            Await.present("system account Secret", () -> actor.secrets().inNamespace(ns).withName("usr-system-account").get());
            // the StatefulSet controller's part: the broker's claim from the template
            var template = on.getSpec().getVolumeClaimTemplates().get(0);
            actor.resource(new io.fabric8.kubernetes.api.model.PersistentVolumeClaimBuilder().withNewMetadata().withName("data-usr-0")
                    .withNamespace(ns).withLabels(template.getMetadata().getLabels()).endMetadata().withSpec(template.getSpec()).build()).create();
            edit("usr", nc -> nc.getSpec().getStreams().getStorage().setSize("20Gi"));
            Await.until("the claim grown", WAIT, () -> actor.persistentVolumeClaims().inNamespace(ns).withName("data-usr-0").get(),
                    c -> "20Gi".equals(c.getSpec().getResources().getRequests().get("storage").toString()));
            StatefulSet grown = Await.until("usr StatefulSet with the 20Gi template", WAIT,
                    () -> actor.apps().statefulSets().inNamespace(ns).withName("usr").get(), s -> s != null
                            && "20Gi".equals(s.getSpec().getVolumeClaimTemplates().get(0).getSpec().getResources().getRequests().get("storage").toString()));
            edit("usr", nc -> nc.getSpec().setStreams(null));
            Await.until("usr StatefulSet replaced back", WAIT, () -> actor.apps().statefulSets().inNamespace(ns).withName("usr").get(),
                    s -> s != null && !s.getMetadata().getUid().equals(grown.getMetadata().getUid())
                            && (s.getSpec().getVolumeClaimTemplates() == null || s.getSpec().getVolumeClaimTemplates().isEmpty()));
            Await.until("system account Secret removed", WAIT, () -> actor.secrets().inNamespace(ns).withName("usr-system-account").get() == null,
                    gone -> gone);
        }

        /** The StatefulSet controller's part: the brokers ready; the operator's status says so. */
        void status() {
            StatefulSet gen = actor.apps().statefulSets().inNamespace(ns).withName("gen").get();
            gen.setStatus(new StatefulSetStatusBuilder().withReplicas(5).withReadyReplicas(5).withAvailableReplicas(5)
                    .withUpdatedReplicas(5).withCurrentReplicas(5).withObservedGeneration(gen.getMetadata().getGeneration()).build());
            actor.resource(gen).updateStatus();
            Await.until("status seen", WAIT, () -> live("gen"),
                    nc -> nc.getStatus() != null && Integer.valueOf(5).equals(nc.getStatus().getReadyReplicas()));
        }

        /** Drift: someone edits every object the operator owns; it puts each back (an update per kind). */
        void handEdits() {
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
                Await.until("put back " + o.getKind() + " " + o.getMetadata().getName(), WAIT, () -> actor.resource(o).get(),
                        x -> !"edited-by-hand".equals(x.getMetadata().getAnnotations().get(Dependent.HASH_ANNOTATION)));
            }
        }

        /**
         * Two sites that name each other by natsClusterRef. West first: its reference to a NatsCluster not there yet
         * blocks it (GatewayRemoteNotFound); east's creation reaches west through the informer on referenced clusters,
         * and each renders the other's gateway Service. Then east drops spec.gateway: its gateway Service is deleted,
         * and west, reading east again, says its reference has no gateway.
         */
        void gateways() {
            actor.resource(site("gw-west", "west", "east", "gw-east")).create();
            Await.until("west waits for gw-east", WAIT, () -> condition("gw-west", Conditions.READY),
                    c -> Reason.GatewayRemoteNotFound.name().equals(c.getReason()));
            actor.resource(site("gw-east", "east", "west", "gw-west")).create();
            for (String[] pair : new String[][] {{"gw-west", "gw-east"}, {"gw-east", "gw-west"}}) {
                Names names = Names.of(live(pair[0]), "cluster.local");
                String url = NatsConfig.gatewayRefUrl(names, pair[1], ns, GatewaySpec.DEFAULT_PORT);
                Await.until(pair[0] + " renders " + url, WAIT, () -> config(pair[0]), c -> c.contains(url));
                Await.present(pair[0] + " gateway Service", () -> actor.services().inNamespace(ns).withName(pair[0] + "-gateway").get());
            }
            edit("gw-east", nc -> nc.getSpec().setGateway(null));
            Await.until("gw-east's gateway Service removed", WAIT,
                    () -> actor.services().inNamespace(ns).withName("gw-east-gateway").get() == null, gone -> gone);
            Condition west = Await.until("west sees that gw-east has no gateway", WAIT, () -> condition("gw-west", Conditions.READY),
                    c -> Reason.GatewayRemoteNotFound.name().equals(c.getReason()) && c.getMessage().contains("has no spec.gateway"));
            assertTrue(west.getMessage().contains("gw-east"), west.getMessage());
        }

        NatsCluster site(String name, String clusterName, String remoteName, String ref) {
            NatsCluster nc = cluster(ns, name, 1, null);
            nc.getSpec().setClusterName(clusterName);
            GatewaySpec gw = new GatewaySpec();
            GatewayRemote r = new GatewayRemote();
            r.setName(remoteName);
            NatsClusterReference target = new NatsClusterReference();
            target.setName(ref);
            r.setNatsClusterRef(target);
            gw.setRemotes(List.of(r));
            nc.getSpec().setGateway(gw);
            return nc;
        }

        /** Accepting leaf connections (a Service) and dialling a hub; then accepting switched off: the Service is deleted. */
        void leafNodes() {
            NatsCluster nc = cluster(ns, "leaf", 1, null);
            LeafNodesSpec leaf = new LeafNodesSpec();
            leaf.setAccept(true);
            LeafNodeRemote hub = new LeafNodeRemote();
            hub.setUrls(List.of("tls://hub.example.net:7422"));
            leaf.setRemotes(List.of(hub));
            nc.getSpec().setLeafnodes(leaf);
            actor.resource(nc).create();
            Await.present("leaf nodes Service", () -> actor.services().inNamespace(ns).withName("leaf-leafnodes").get());
            Await.until("the hub in nats.conf", WAIT, () -> config("leaf"), c -> c.contains("hub.example.net:7422"));
            edit("leaf", c -> c.getSpec().getLeafnodes().setAccept(false));
            Await.until("leaf nodes Service removed", WAIT,
                    () -> actor.services().inNamespace(ns).withName("leaf-leafnodes").get() == null, gone -> gone);
            Await.until("still dialling the hub", WAIT, () -> live("leaf"), c -> c.getStatus() != null
                    && c.getMetadata().getGeneration().equals(c.getStatus().getObservedGeneration()));
            assertTrue(config("leaf").contains("hub.example.net:7422"), config("leaf"));
        }

        /** spec.capacity sizes the brokers (GOMEMLIMIT, memory), and a new size resizes them. */
        void capacity() {
            NatsCluster nc = cluster(ns, "cap", 1, null);
            CapacitySpec c = new CapacitySpec();
            c.setNodesPerBroker(500);
            nc.getSpec().setCapacity(c);
            nc.getSpec().setResources(null);
            actor.resource(nc).create();
            for (int nodes : new int[] {500, 2000}) {
                if (nodes != 500) edit("cap", x -> x.getSpec().getCapacity().setNodesPerBroker(nodes));
                String goMemLimit = BrokerCapacity.of(nodes).goMemLimit();
                Await.until("GOMEMLIMIT " + goMemLimit + " for " + nodes + " nodes", WAIT, () -> brokerEnv("cap", BrokerCapacity.GOMEMLIMIT_ENV),
                        goMemLimit::equals);
                Await.until("CapacityAvailable for " + nodes + " nodes", WAIT, () -> condition("cap", Conditions.CAPACITY_AVAILABLE),
                        cond -> "True".equals(cond.getStatus()) && cond.getMessage().contains(String.valueOf(nodes)));
            }
        }

        /**
         * Puppet enrolment against the real Puppet Server, signed at once by policy autosigning: the operator keeps
         * the key and CSR in {@code <name>-tls-request} until Puppet signs, writes {@code <name>-tls}, then deletes
         * the request Secret. Revocation enforced, synced every 5 s: a node Puppet signed is admitted (the pinned list
         * in its parts' ConfigMaps), and dropped once Puppet revokes it.
         */
        void autosignWithRevocation() throws Exception {
            PuppetServer puppet = SharedPuppet.get();
            bundleSecret(puppet);
            actor.resource(new SecretBuilder().withNewMetadata().withName("autosign").withNamespace(ns).endMetadata()
                    .addToStringData("password", SharedPuppet.CHALLENGE).build()).create();
            PuppetServer.Credentials node = puppet.generate("rbac-node." + ns + "." + HexFormat.of().toHexDigits(ThreadLocalRandom.current().nextInt()));
            String nodePin = TrustBundle.publicKeyPin(Files.readString(node.cert()));
            NatsCluster nc = enrolled("enrolled", puppet);
            nc.getSpec().getTls().getPuppet().setChallengePasswordSecretRef(new SecretKeyReference("autosign", "password"));
            nc.getSpec().getTls().getPuppet().setEnforceRevocation(true);
            nc.getSpec().getTls().getPuppet().setSyncIntervalSeconds(5);
            actor.resource(nc).create();
            Await.until("the enrolled broker certificate", PUPPET_WAIT, () -> actor.secrets().inNamespace(ns).withName("enrolled-tls").get(),
                    tlsSecret -> true);
            Await.until("enrolled-tls-request deleted once Puppet signed", WAIT,
                    () -> actor.secrets().inNamespace(ns).withName("enrolled-tls-request").get() == null, gone -> gone);
            Await.until("the node admitted by the pinned list", PUPPET_WAIT, () -> pinnedList("enrolled"), list -> list != null && list.contains(nodePin));
            Await.until("RevocationEnforced", WAIT, () -> condition("enrolled", Conditions.REVOCATION_ENFORCED),
                    c -> "True".equals(c.getStatus()));
            puppet.revoke(node.certname());
            Await.until("the revoked node dropped from the pinned list", PUPPET_WAIT, () -> pinnedList("enrolled"),
                    list -> list != null && !list.contains(nodePin));
        }

        /**
         * Enrolment without a challenge password: the CSR waits in Puppet (AwaitingSigning, no brokers) until an admin
         * signs it; then the TLS Secret and the StatefulSet are written and the request Secret deleted.
         */
        void manualSigning() throws Exception {
            PuppetServer puppet = SharedPuppet.get();
            NatsCluster nc = enrolled("manual", puppet);
            nc.getSpec().getTls().getPuppet().setEnforceRevocation(false);
            actor.resource(nc).create();
            Await.until("CertificateReady=False AwaitingSigning", PUPPET_WAIT, () -> condition("manual", Conditions.CERTIFICATE_READY),
                    c -> Reason.AwaitingSigning.name().equals(c.getReason()));
            Secret request = actor.secrets().inNamespace(ns).withName("manual-tls-request").get();
            String certname = BrokerSecrets.decode(request, "certname");
            assertNull(actor.apps().statefulSets().inNamespace(ns).withName("manual").get(), "no brokers before a certificate");
            puppet.sign(certname);
            Await.until("the signed broker certificate", PUPPET_WAIT, () -> actor.secrets().inNamespace(ns).withName("manual-tls").get(),
                    tlsSecret -> true);
            Await.present("manual StatefulSet", () -> actor.apps().statefulSets().inNamespace(ns).withName("manual").get());
            Await.until("manual-tls-request deleted once signed", WAIT,
                    () -> actor.secrets().inNamespace(ns).withName("manual-tls-request").get() == null, gone -> gone);
            Await.until("CertificateReady", WAIT, () -> condition("manual", Conditions.CERTIFICATE_READY), c -> "True".equals(c.getStatus()));
        }

        /**
         * The operator keeps no finalizer: a delete is only an event to it. A cluster created after the delete is a
         * barrier: the NatsCluster informer delivers the delete first, so once the barrier's StatefulSet exists,
         * whatever the delete made the operator do has been done (a sleep would prove nothing on a busy machine).
         */
        void deleted() {
            actor.resources(NatsCluster.class).inNamespace(ns).withName("usr").delete();
            actor.resource(cluster(ns, "after-delete", 1, null)).create();
            Await.present("after-delete StatefulSet", () -> actor.apps().statefulSets().inNamespace(ns).withName("after-delete").get());
        }

        void bundleSecret(PuppetServer puppet) throws Exception {
            actor.resource(new SecretBuilder().withNewMetadata().withName("puppet-ca-bundle").withNamespace(ns).endMetadata()
                    .addToStringData("ca.crt", puppet.caCertPem()).build()).createOr(s -> s.update());
        }

        NatsCluster enrolled(String name, PuppetServer puppet) throws Exception {
            bundleSecret(puppet);
            NatsCluster nc = Examples.toApply(Examples.ONE_BROKER, ns, name);
            TlsSpec tls = new TlsSpec();
            tls.setKeyAlgorithm(TlsSpec.KeyAlgorithm.EC_P256);
            PuppetEnrolmentSpec p = new PuppetEnrolmentSpec();
            p.setUrl(puppet.url().toString());
            p.setCaBundleSecretRef(new SecretKeyReference("puppet-ca-bundle", "ca.crt"));
            tls.setPuppet(p);
            nc.getSpec().setTls(tls);
            return nc;
        }

        /** The user's edit of a NatsCluster, retried on a conflict with the operator's status write, as kubectl would. */
        void edit(String name, java.util.function.Consumer<NatsCluster> change) {
            Await.retryingConflicts("edited NatsCluster " + name, () -> actor.resources(NatsCluster.class).inNamespace(ns).withName(name)
                    .edit(nc -> {
                        change.accept(nc);
                        return nc;
                    }));
        }

        NatsCluster live(String name) {
            return actor.resources(NatsCluster.class).inNamespace(ns).withName(name).get();
        }

        Condition condition(String name, String type) {
            NatsCluster nc = live(name);
            if (nc == null || nc.getStatus() == null) return null;
            return Conditions.find(nc.getStatus().getConditions(), type).orElse(null);
        }

        String config(String name) {
            ConfigMap c = actor.configMaps().inNamespace(ns).withName(name + "-config").get();
            return c == null || c.getData() == null ? null : c.getData().get(NatsConfig.CONFIG_FILE);
        }

        String pinnedList(String name) {
            return io.choria.natsoperator.testing.WrittenPinnedList.file(actor, ns, name);
        }

        String brokerEnv(String name, String variable) {
            StatefulSet sts = actor.apps().statefulSets().inNamespace(ns).withName(name).get();
            if (sts == null) return null;
            return sts.getSpec().getTemplate().getSpec().getContainers().get(0).getEnv().stream().filter(e -> variable.equals(e.getName()))
                    .map(EnvVar::getValue).findFirst().orElse(null);
        }
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

    /** Permission key (namespace) to the paths that needed it, one line each. */
    static String byPath(Map<String, Set<String>> paths) {
        return paths.entrySet().stream().map(e -> "  " + e.getKey() + " needed by: " + String.join("; ", e.getValue()))
                .collect(Collectors.joining("\n"));
    }

    @Test
    void clusterRoleGrantsExactlyWhatTheFeaturePathsUse() throws Exception {
        List<HasMetadata> objects = Chart.render(null);
        List<PolicyRule> clusterRules = Chart.one(objects, ClusterRole.class).getRules();
        Role lease = leaseRole(objects);
        List<Use> uses = exercise(lease.getRules(), List.of(), List.of("rbac-a", "rbac-b"));

        Map<String, Set<String>> missing = new TreeMap<>();
        Map<String, Set<String>> usedBy = new TreeMap<>();
        Set<String> usedLease = new TreeSet<>();
        for (Use u : uses) {
            Permission p = u.permission();
            if (GRANTED_TO_EVERYONE.contains(p.key())) continue;
            if (isLease(p)) {
                usedLease.add(p.key());
                if (!Chart.NAMESPACE.equals(p.namespace()) || !grants(lease.getRules(), p)) {
                    missing.computeIfAbsent(p.key() + " in " + p.namespace() + " (lease Role)", k -> new TreeSet<>()).add(u.path());
                }
                continue;
            }
            usedBy.computeIfAbsent(p.key(), k -> new TreeSet<>()).add(u.path());
            if (!grants(clusterRules, p)) missing.computeIfAbsent(p.key(), k -> new TreeSet<>()).add(u.path());
        }
        System.out.println("[rbac] each permission used, and the feature paths that used it:\n" + byPath(usedBy));
        Set<String> unused = new TreeSet<>(granted(clusterRules));
        unused.removeAll(usedBy.keySet());
        List<String> problems = new ArrayList<>();
        if (!missing.isEmpty()) problems.add("the chart does not grant what these feature paths use:\n" + byPath(missing));
        if (!unused.isEmpty()) {
            problems.add("the ClusterRole grants what no feature path uses (remove it, or drive the path that needs it): " + unused);
        }
        assertTrue(problems.isEmpty(), String.join("\n", problems));
        assertEquals(usedBy.keySet(), granted(clusterRules), "the ClusterRole grants exactly the union of the feature paths");
        usedLease.addAll(LEASE_VERBS_JOSDK_CHECKS);
        assertEquals(usedLease, granted(lease.getRules()), "the lease Role grants exactly what leader election uses and checks");
        // not used today; a future feature that needs them must add them (and this test tells)
        for (String never : List.of("monitoring.coreos.com/servicemonitors", "/pods/exec", "/pods")) {
            assertTrue(granted(clusterRules).stream().noneMatch(k -> k.startsWith(never + ":")), never);
        }
        // delete only where a path deletes, and never a whole collection (RBAC cannot select by label or owner:
        // the admission policy refuses a delete of anything the operator does not manage)
        Set<String> deletes = granted(clusterRules).stream().filter(k -> k.endsWith(":delete") || k.endsWith(":deletecollection"))
                .collect(Collectors.toCollection(TreeSet::new));
        assertEquals(Set.of("/secrets:delete", "/services:delete", "networking.k8s.io/networkpolicies:delete",
                "monitoring.coreos.com/podmonitors:delete", "apps/statefulsets:delete"), deletes);
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

        List<Use> uses = exercise(lease.getRules(), watched, watched);
        Map<String, Set<String>> missing = new TreeMap<>();
        for (Use u : uses) {
            Permission p = u.permission();
            if (GRANTED_TO_EVERYONE.contains(p.key())) continue;
            List<PolicyRule> rules = isLease(p) ? (Chart.NAMESPACE.equals(p.namespace()) ? lease.getRules() : List.of())
                    : roles.getOrDefault(p.namespace(), List.of());
            if (!grants(rules, p)) missing.computeIfAbsent(p.key() + " in " + p.namespace(), k -> new TreeSet<>()).add(u.path());
        }
        assertTrue(missing.isEmpty(), "not granted by the per-namespace Roles:\n" + byPath(missing));
    }
}
