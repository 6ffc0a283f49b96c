package io.choria.natsoperator.model;

import io.choria.natsoperator.api.NatsCluster;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudgetBuilder;

/** At most one broker down for voluntary disruptions (node drains), so the mesh keeps a quorum of peers. */
public final class BrokerDisruptionBudget {
    private BrokerDisruptionBudget() {}

    public static PodDisruptionBudget of(NatsCluster nc, Names names) {
        return new PodDisruptionBudgetBuilder()
                .withMetadata(Owned.meta(nc, names.podDisruptionBudget(), "broker"))
                .withNewSpec()
                .withMaxUnavailable(new IntOrString(1))
                .withNewSelector().withMatchLabels(Labels.selector(names.cluster())).endSelector()
                .endSpec()
                .build();
    }
}
