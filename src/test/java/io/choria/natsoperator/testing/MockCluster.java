package io.choria.natsoperator.testing;

import io.choria.natsoperator.local.EmbeddedApiServer;
import io.choria.natsoperator.runtime.OperatorAssembly;
import io.choria.natsoperator.reconciler.OperatorSettings;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.http.RecordedRequest;
import io.javaoperatorsdk.operator.Operator;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * The fabric8 mock server in CRUD mode standing in for the API server, with the CRD from
 * crds/ installed and the real operator running against it in-process.
 */
public final class MockCluster implements AutoCloseable {
    public final KubernetesMockServer server;
    public final KubernetesClient client;
    /** Reconciles of the operator(s) {@link #startOperator} started, kept across restarts. */
    public final ReconcileCounter reconciles = new ReconcileCounter();
    private Operator operator;

    public MockCluster() {
        // CRUD as Kubernetes behaves (StatefulSet status a subresource), plus expectations a test sets with server.expect()
        server = EmbeddedApiServer.crudServer(null);
        server.init();
        client = server.createClient();
        EmbeddedApiServer.installCrd(client);
    }

    public MockCluster startOperator(Duration resync) {
        return startOperator(new OperatorSettings("cluster.local", Set.of(), resync), Clock.systemUTC());
    }

    public MockCluster startOperator(OperatorSettings settings, Clock clock) {
        operator = OperatorAssembly.create(client, settings, clock, reconciles, null);
        operator.start();
        return this;
    }

    /** Stops the running operator (as a pod restart would), keeping the API server's state. */
    public void stopOperator() {
        if (operator != null) operator.stop();
        operator = null;
    }

    /**
     * A second, independent operator on its own client: two replicas racing without leader
     * election. Its reconciles are counted by {@code counter}, apart from the first operator's.
     */
    public Operator startAnotherOperator(Duration resync, ReconcileCounter counter) {
        Operator other = OperatorAssembly.create(server.createClient(), new OperatorSettings("cluster.local", Set.of(), resync),
                Clock.systemUTC(), counter, null);
        other.start();
        return other;
    }

    /**
     * Waits until {@code n} reconciles of {@code nc} that start after this call have finished
     * (see {@link ReconcileCounter#awaitReconciles}); the resync or an event must trigger them.
     */
    public void awaitReconciles(io.fabric8.kubernetes.api.model.HasMetadata nc, int n) {
        reconciles.awaitReconciles(nc, n, Duration.ofSeconds(30));
    }

    /** Waits for one whole reconcile of {@code nc} that starts after this call. */
    public void awaitNextReconcile(io.fabric8.kubernetes.api.model.HasMetadata nc) {
        awaitReconciles(nc, 1);
    }

    /** Takes every request recorded so far. */
    public List<RecordedRequest> drainRequests() {
        return drain(server);
    }

    /** Takes every request {@code server} recorded so far. */
    public static List<RecordedRequest> drain(KubernetesMockServer server) {
        List<RecordedRequest> requests = new ArrayList<>();
        try {
            RecordedRequest r;
            while ((r = server.takeRequest(1, TimeUnit.MILLISECONDS)) != null) requests.add(r);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return requests;
    }

    /** Every object of the kinds the operator creates, in one namespace (CA and user Secrets included). */
    public List<io.fabric8.kubernetes.api.model.HasMetadata> objectsIn(String namespace) {
        List<io.fabric8.kubernetes.api.model.HasMetadata> all = new ArrayList<>();
        all.addAll(client.secrets().inNamespace(namespace).list().getItems());
        all.addAll(client.configMaps().inNamespace(namespace).list().getItems());
        all.addAll(client.services().inNamespace(namespace).list().getItems());
        all.addAll(client.apps().statefulSets().inNamespace(namespace).list().getItems());
        all.addAll(client.policy().v1().podDisruptionBudget().inNamespace(namespace).list().getItems());
        all.addAll(client.network().v1().networkPolicies().inNamespace(namespace).list().getItems());
        return all;
    }

    /** kind/name -> resourceVersion: equal maps mean nothing was written. */
    public java.util.Map<String, String> versionsIn(String namespace) {
        java.util.Map<String, String> v = new java.util.LinkedHashMap<>();
        objectsIn(namespace).forEach(o -> v.put(o.getKind() + "/" + o.getMetadata().getName(), o.getMetadata().getResourceVersion()));
        return v;
    }

    public static boolean isWrite(RecordedRequest r) {
        return List.of("POST", "PUT", "PATCH", "DELETE").contains(r.getMethod());
    }

    /**
     * A NatsCluster {@code name} in {@code ns}, one broker with an EC-P256 key, enrolling with the Puppet CA at
     * {@code puppetUrl}, not created yet (the caller adds to its spec, then creates it); the namespace and the CA bundle
     * Secret {@code puppet-ca-bundle} holding {@code ca}'s certificate are created when missing.
     */
    public io.choria.natsoperator.api.NatsCluster enrolled(String ns, String name, io.choria.natsoperator.pki.TestCa ca, java.net.URI puppetUrl) {
        if (client.namespaces().withName(ns).get() == null) {
            client.namespaces().resource(new io.fabric8.kubernetes.api.model.NamespaceBuilder().withNewMetadata().withName(ns).endMetadata()
                    .build()).create();
        }
        if (client.secrets().inNamespace(ns).withName("puppet-ca-bundle").get() == null) {
            client.secrets().inNamespace(ns).resource(new io.fabric8.kubernetes.api.model.SecretBuilder().withNewMetadata()
                    .withName("puppet-ca-bundle").withNamespace(ns).endMetadata().addToStringData("ca.crt", ca.certPem()).build()).create();
        }
        io.choria.natsoperator.api.NatsCluster nc = Examples.toApply(Examples.ONE_BROKER, ns, name);
        io.choria.natsoperator.api.TlsSpec tls = new io.choria.natsoperator.api.TlsSpec();
        tls.setKeyAlgorithm(io.choria.natsoperator.api.TlsSpec.KeyAlgorithm.EC_P256);
        io.choria.natsoperator.api.PuppetEnrolmentSpec p = new io.choria.natsoperator.api.PuppetEnrolmentSpec();
        p.setUrl(puppetUrl.toString());
        p.setCaBundleSecretRef(new io.choria.natsoperator.api.SecretKeyReference("puppet-ca-bundle", "ca.crt"));
        tls.setPuppet(p);
        nc.getSpec().setTls(tls);
        return nc;
    }

    @Override
    public void close() {
        if (operator != null) operator.stop();
        client.close();
        server.destroy();
    }
}
