package io.choria.natsoperator.reconciler.dependent;

import io.choria.natsoperator.model.DesiredCluster;
import io.choria.natsoperator.model.Names;
import io.fabric8.kubernetes.api.model.Service;

/** The leaf node Service {@code <name>-leafnodes} (spec.leafnodes accepting); removed when the brokers stop accepting. */
public final class LeafNodesServiceDependent extends Dependent<Service> {
    public LeafNodesServiceDependent() {
        super(Service.class, DesiredCluster::leafNodes, Names::leafNodesService, true);
    }
}
