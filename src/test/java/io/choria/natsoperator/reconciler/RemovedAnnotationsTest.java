package io.choria.natsoperator.reconciler;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.choria.natsoperator.api.NatsCluster;
import io.choria.natsoperator.testing.Await;
import io.choria.natsoperator.testing.Examples;
import io.choria.natsoperator.testing.MockCluster;
import io.fabric8.kubernetes.api.model.Service;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * An annotation taken out of {@code spec.service.annotations} leaves the Service too, while what
 * someone else put on the Service stays: the operator remembers which keys it set.
 */
class RemovedAnnotationsTest {
    @Test
    void aServiceAnnotationRemovedFromTheSpecLeavesTheServiceOthersStay() {
        try (MockCluster api = new MockCluster()) {
            Examples.createPuppetCa(api.client, "choria");
            api.startOperator(Duration.ofSeconds(1));
            NatsCluster nc = Examples.toApply(Examples.ONE_BROKER, "choria", "annotated");
            nc.getSpec().getService().setAnnotations(Map.of("lb.example/scheme", "internal", "lb.example/idle", "60"));
            api.client.resource(nc).create();
            Await.until("both annotations on the Service", Duration.ofSeconds(30), () -> service(api),
                    s -> s.getMetadata().getAnnotations().containsKey("lb.example/idle"));
            // The test's own writes are retried on a 409, as kubectl would: the operator writes too.
            Await.retryingConflicts("someone else's annotation added",
                    () -> api.client.services().inNamespace("choria").withName("annotated").edit(s -> {
                        s.getMetadata().getAnnotations().put("someone.else/owns", "this");
                        return s;
                    }));
            Await.retryingConflicts("lb.example/idle taken out of the spec",
                    () -> api.client.resources(NatsCluster.class).inNamespace("choria").withName("annotated").edit(c -> {
                        c.getSpec().getService().setAnnotations(Map.of("lb.example/scheme", "internal"));
                        return c;
                    }));
            Service s = Await.until("lb.example/idle gone", Duration.ofSeconds(30), () -> service(api),
                    x -> !x.getMetadata().getAnnotations().containsKey("lb.example/idle"));
            assertEquals("internal", s.getMetadata().getAnnotations().get("lb.example/scheme"));
            assertEquals("this", s.getMetadata().getAnnotations().get("someone.else/owns"), "what others set stays");
        }
    }

    private static Service service(MockCluster api) {
        return api.client.services().inNamespace("choria").withName("annotated").get();
    }
}
