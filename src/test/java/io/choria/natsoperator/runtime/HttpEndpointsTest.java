package io.choria.natsoperator.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.choria.natsoperator.api.NatsCluster;
import io.choria.natsoperator.testing.Await;
import io.choria.natsoperator.testing.Examples;
import io.choria.natsoperator.testing.MockCluster;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The operator's HTTP endpoints, served by the real runtime against the mock API server. */
class HttpEndpointsTest {
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    record Reply(int status, String body, String contentType) {}

    static Reply get(int port, String path) {
        return send(port, path, "GET");
    }

    static Reply send(int port, String path, String method) {
        try {
            HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                    .method(method, HttpRequest.BodyPublishers.noBody()).timeout(Duration.ofSeconds(10)).build(),
                    HttpResponse.BodyHandlers.ofString());
            return new Reply(r.statusCode(), r.body(), r.headers().firstValue("Content-Type").orElse(""));
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    static RuntimeConfig config(String... args) {
        return RuntimeConfig.parse(args, Map.of("HTTP_PORT", "0"));
    }

    static NatsCluster createCluster(KubernetesClient client, String namespace, String name) {
        client.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName(namespace).endMetadata().build())
                .createOr(n -> n.update());
        Examples.createPuppetCa(client, namespace);
        NatsCluster nc = Examples.toApply(Examples.ONE_BROKER, namespace, name);
        return client.resource(nc).create();
    }

    @Test
    void probesFollowTheOperatorAndMetricsCountReconciles() throws Exception {
        try (MockCluster cluster = new MockCluster()) {
            OperatorRuntime runtime = OperatorRuntime.create(cluster.client, config(), Clock.systemUTC());
            try {
                runtime.start();
                int port = runtime.httpPort();
                assertEquals(200, get(port, HttpEndpoints.LIVENESS_PATH).status());
                Reply ready = Await.until("ready", Duration.ofSeconds(30), () -> get(port, HttpEndpoints.READINESS_PATH),
                        r -> r.status() == 200);
                assertEquals("ok\n", ready.body());

                createCluster(cluster.client, "metrics", "broker");
                Await.present("the StatefulSet", () -> cluster.client.apps().statefulSets().inNamespace("metrics").withName("broker").get());
                Reply metrics = Await.until("reconcile metrics", Duration.ofSeconds(30), () -> get(port, HttpEndpoints.METRICS_PATH),
                        r -> r.body().contains("operator_sdk_reconciliations_success_total"));
                assertEquals(200, metrics.status());
                assertTrue(metrics.contentType().startsWith("text/plain"), metrics.contentType());
                for (String series : new String[] {
                        "operator_sdk_reconciliations_started_total",
                        "operator_sdk_reconciliations_success_total",
                        "operator_sdk_controllers_execution_reconcile_seconds_count",
                        "operator_sdk_events_received_total",
                        "jvm_memory_used_bytes",
                        "process_uptime_seconds"}) {
                    assertTrue(metrics.body().contains(series), series + " missing from /metrics:\n" + metrics.body());
                }
                assertTrue(metrics.body().contains("controller=\"natscluster\""), metrics.body());

                assertEquals(404, get(port, "/nothing-here").status());
                assertEquals(404, get(port, "/healthz/more").status());
                assertEquals(405, send(port, HttpEndpoints.READINESS_PATH, "POST").status());
                assertEquals(200, send(port, HttpEndpoints.LIVENESS_PATH, "HEAD").status());

                runtime.health().phase(OperatorHealth.Phase.STOPPING);
                Reply stopping = get(port, HttpEndpoints.READINESS_PATH);
                assertEquals(503, stopping.status());
                assertEquals(503, get(port, HttpEndpoints.LIVENESS_PATH).status());
                runtime.health().phase(OperatorHealth.Phase.RUNNING);
            } finally {
                runtime.close();
            }
            assertEquals(OperatorHealth.Phase.STOPPED, runtime.health().phase());
        }
    }

    @Test
    void notReadyBeforeTheOperatorStarts() {
        OperatorHealth health = new OperatorHealth();
        assertTrue(health.liveness().ok(), "starting is live");
        assertEquals(false, health.readiness().ok());
        health.phase(OperatorHealth.Phase.FAILED);
        assertEquals(false, health.liveness().ok());
    }
}
