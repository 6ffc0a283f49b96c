package io.choria.natsoperator.reconciler.dependent;

import io.choria.natsoperator.model.DesiredCluster;
import io.choria.natsoperator.model.Names;
import io.fabric8.kubernetes.api.model.Service;

/** The client Service (port 4222), exposable to Puppet nodes outside Kubernetes. */
public final class ClientServiceDependent extends Dependent<Service> {
    public ClientServiceDependent() {
        super(Service.class, DesiredCluster::client, Names::clientService, false);
    }
}
