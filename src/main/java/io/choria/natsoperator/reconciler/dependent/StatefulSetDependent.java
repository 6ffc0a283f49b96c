package io.choria.natsoperator.reconciler.dependent;

import io.choria.natsoperator.model.DesiredCluster;
import io.choria.natsoperator.model.Names;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import java.util.Objects;

/** The brokers. Applied last, so new pods find the files they mount; {@code kubectl scale} is put back. */
public final class StatefulSetDependent extends Dependent<StatefulSet> {
    public StatefulSetDependent() {
        super(StatefulSet.class, DesiredCluster::statefulSet, Names::statefulSet, false);
    }

    @Override
    protected boolean sameContent(StatefulSet desired, StatefulSet actual) {
        return Objects.equals(desired.getSpec().getReplicas(), actual.getSpec() == null ? null : actual.getSpec().getReplicas());
    }
}
