package io.choria.natsoperator.local;

import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;

/**
 * The stand-in for Kubernetes' API server in {@code local}: fabric8's mock server in CRUD mode
 * (objects are stored, listed, watched and updated, with resource versions and status
 * subresources), in this process, on a loopback port, with the NatsCluster CRD installed. It is
 * not a Kubernetes API server: no admission (the CRD's CEL rules are not run, the operator's own
 * validation is), no garbage collection, no server-side apply.
 */
public final class EmbeddedApiServer implements AutoCloseable {
    static final String CRD_RESOURCE = "/META-INF/fabric8/natsclusters.choria.io-v1.yml";

    // Held: java.util.logging keeps loggers weakly, and a collected one forgets its level.
    private static final java.util.logging.Logger MOCK_LOG = java.util.logging.Logger.getLogger("io.fabric8.mockwebserver");

    private final KubernetesMockServer server;
    private final KubernetesClient client;

    public EmbeddedApiServer() {
        MOCK_LOG.setLevel(java.util.logging.Level.WARNING); // it logs every request at INFO
        server = crudServer(null);
        try {
            server.init(InetAddress.getLoopbackAddress(), 0);
        } catch (RuntimeException e) {
            throw new IllegalStateException("cannot start the embedded API server: " + e.getMessage(), e);
        }
        client = server.createClient();
        installCrd(client);
    }

    /**
     * fabric8's mock server in CRUD mode, as Kubernetes behaves for what the operator uses; the one
     * way {@code local}, the tests and the benchmarks build it. {@code dispatcher} null: the mixed
     * dispatcher, where expectations a test sets with {@code server.expect()} (e.g. a 409) answer
     * first. Not yet started: the caller picks the address ({@code init}).
     */
    public static KubernetesMockServer crudServer(io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher dispatcher) {
        var responses = new java.util.HashMap<io.fabric8.mockwebserver.ServerRequest, java.util.Queue<io.fabric8.mockwebserver.ServerResponse>>();
        var server = new KubernetesMockServer(new io.fabric8.mockwebserver.Context(), new io.fabric8.mockwebserver.MockWebServer(), responses,
                dispatcher != null ? dispatcher : new io.fabric8.kubernetes.client.server.mock.KubernetesMixedDispatcher(responses), true);
        // As in Kubernetes, an update of a StatefulSet leaves its status alone (the status is the
        // controller's, written through the status subresource); the mock server knows this only of
        // resources declared so. Without it every spec update by the operator would wipe readyReplicas.
        server.expectCustomResource(new io.fabric8.kubernetes.client.dsl.base.CustomResourceDefinitionContext.Builder()
                .withGroup("apps").withVersion("v1").withPlural("statefulsets").withKind("StatefulSet").withScope("Namespaced")
                .withStatusSubresource(true).build());
        return server;
    }

    /** The NatsCluster CRD as built (the same as crds/, which a test checks). createOr: a client may retry a POST the server took. */
    public static void installCrd(KubernetesClient client) {
        client.apiextensions().v1().customResourceDefinitions().resource(crd()).createOr(c -> c.update());
    }

    public KubernetesClient client() {
        return client;
    }

    /** Another client on the same server (its own connections and informers). */
    public KubernetesClient newClient() {
        return server.createClient();
    }

    private static CustomResourceDefinition crd() {
        try (InputStream in = EmbeddedApiServer.class.getResourceAsStream(CRD_RESOURCE)) {
            if (in == null) throw new IllegalStateException(CRD_RESOURCE + " is not on the class path (build with mvn package)");
            return new KubernetesSerialization().unmarshal(new String(in.readAllBytes(), StandardCharsets.UTF_8), CustomResourceDefinition.class);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public void close() {
        client.close();
        server.destroy();
    }
}
