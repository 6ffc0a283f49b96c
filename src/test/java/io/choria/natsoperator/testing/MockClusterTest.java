package io.choria.natsoperator.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.api.model.apps.StatefulSetBuilder;
import io.fabric8.kubernetes.api.model.apps.StatefulSetStatusBuilder;
import org.junit.jupiter.api.Test;

/** The mock API server the reconciler tests run on behaves as Kubernetes does where the operator's status depends on it. */
class MockClusterTest {
    @Test
    void anUpdateOfAStatefulSetsSpecLeavesItsStatusAlone() {
        try (MockCluster cluster = new MockCluster()) {
            var client = cluster.client;
            StatefulSet sts = client.resource(new StatefulSetBuilder().withNewMetadata().withName("brokers").withNamespace("t").endMetadata()
                    .withNewSpec().withReplicas(3).endSpec().build()).create();
            sts.setStatus(new StatefulSetStatusBuilder().withReplicas(3).withReadyReplicas(3).build());
            client.resource(sts).updateStatus();

            StatefulSet live = client.apps().statefulSets().inNamespace("t").withName("brokers").get();
            live.getSpec().setReplicas(4);
            live.setStatus(null); // as the operator's desired object carries none
            client.resource(live).update();

            StatefulSet after = client.apps().statefulSets().inNamespace("t").withName("brokers").get();
            assertEquals(4, after.getSpec().getReplicas());
            assertEquals(3, after.getStatus().getReadyReplicas(), "the controller's status survives a spec update");
        }
    }
}
