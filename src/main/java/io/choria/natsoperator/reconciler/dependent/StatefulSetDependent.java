package io.choria.natsoperator.reconciler.dependent;

import io.choria.natsoperator.model.BrokerStatefulSet;
import io.choria.natsoperator.model.DesiredCluster;
import io.choria.natsoperator.model.Names;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import java.util.Objects;

/** The brokers. Applied last, so new pods find the files they mount; {@code kubectl scale} is put back. */
public final class StatefulSetDependent extends Dependent<StatefulSet> {
    public StatefulSetDependent() {
        super(StatefulSet.class, DesiredCluster::statefulSet, Names::statefulSet, false);
    }

    /**
     * The claim templates (spec.streams) cannot change on a StatefulSet: the API server refuses the update. Turning Streams
     * on or off, or another size or storage class, replaces the StatefulSet, orphaning its pods (nats-io/k8s #723).
     */
    @Override
    protected boolean needsReplacement(StatefulSet desired, StatefulSet live) {
        return !Objects.equals(BrokerStatefulSet.claimTemplatesHash(desired), BrokerStatefulSet.claimTemplatesHash(live));
    }

    @Override
    protected boolean sameContent(StatefulSet desired, StatefulSet actual) {
        return Objects.equals(desired.getSpec().getReplicas(), actual.getSpec() == null ? null : actual.getSpec().getReplicas());
    }
}
