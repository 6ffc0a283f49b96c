package io.choria.natsoperator.reconciler.dependent;

import io.choria.natsoperator.model.DesiredCluster;
import io.choria.natsoperator.model.Names;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;

/** One broker down at a time. */
public final class DisruptionBudgetDependent extends Dependent<PodDisruptionBudget> {
    public DisruptionBudgetDependent() {
        super(PodDisruptionBudget.class, DesiredCluster::disruptionBudget, Names::podDisruptionBudget, false);
    }
}
